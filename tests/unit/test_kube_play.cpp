// kube play's model (kube/play.h): YAML read into pods, containers' create
// options, Podman's conversions (probes, restart policies, ports), and the
// errors for bad input. Nothing runs.
#include <catch2/catch.hpp>

#include <regex>

#include "error_of.h"
#include "kube/play.h"

using cabin::test::error_of;
namespace kube = cabin::kube;

namespace {

const char* kApp = R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {MODE: fast, LEVEL: "3"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
data: {user: YWRtaW4=}
stringData: {pass: s3cret}
---
apiVersion: v1
kind: Service
metadata: {name: skipped}
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  restartPolicy: OnFailure
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: webdata}
  - name: conf
    configMap: {name: cfg, items: [{key: MODE, path: mode.txt}]}
  - name: scratch
    emptyDir: {}
  - name: site
    hostPath: {path: /srv/site, type: Directory}
  containers:
  - name: front
    image: busybox
    command: [httpd, -f]
    args: [-p, "80"]
    workingDir: /www
    env:
    - {name: PLAIN, value: x}
    - name: FROM_CM
      valueFrom: {configMapKeyRef: {name: cfg, key: LEVEL}}
    - name: USER
      valueFrom: {secretKeyRef: {name: creds, key: user}}
    envFrom:
    - configMapRef: {name: cfg}
      prefix: CM_
    ports:
    - {containerPort: 80, hostPort: 8080}
    - {containerPort: 53, protocol: UDP}
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: conf, mountPath: /etc/conf, readOnly: true}
    - {name: scratch, mountPath: /scratch}
    - {name: site, mountPath: /site}
    livenessProbe:
      httpGet: {path: /health, port: 80}
      initialDelaySeconds: 5
      periodSeconds: 7
      timeoutSeconds: 2
      failureThreshold: 4
    resources:
      limits: {memory: 64Mi, cpu: 500m}
  - name: back
    image: busybox
    readinessProbe:
      exec: {command: [/bin/true, a b]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - {name: c, image: busybox}
---
kind: PersistentVolumeClaim
apiVersion: v1
metadata:
  name: webdata
  annotations: {volume.podman.io/driver: local}
)";

kube::StoredSecret no_stored = [](const std::string& name) -> std::optional<std::map<std::string, std::string>> {
  cabin::fail("no secret with name or id {:?}: no such secret", name);
};

}  // namespace

TEST_CASE("kube play: a file's kinds; Deployments' replicas as pods; other kinds skipped") {
  auto plan = kube::parse(kApp);
  CHECK(kube::pod_names(plan) == std::vector<std::string>{"web", "api-pod-0", "api-pod-1"});
  CHECK(plan.config_maps.at("cfg").at("LEVEL") == "3");
  CHECK(plan.secrets.at("creds") == std::map<std::string, std::string>{{"pass", "s3cret"}, {"user", "admin"}});
  REQUIRE(plan.claims.size() == 1);
  CHECK(plan.claims[0].annotations.at("volume.podman.io/driver") == "local");
  const auto& web = plan.pods[0];
  CHECK(web.restart_policy == "OnFailure");
  CHECK(plan.pods[1].restart_policy == "Always");
  CHECK(web.containers.size() == 2);
  CHECK(web.volumes.size() == 4);
}

TEST_CASE("kube play: the pod's options: hostPorts published, hostname, labels") {
  auto plan = kube::parse(kApp);
  auto o = kube::pod_options(plan.pods[0]);
  CHECK(o.name == "web");
  CHECK(o.hostname == "web");
  CHECK(o.publish == std::vector<std::string>{"8080:80/tcp"});
  CHECK(o.labels == std::vector<std::string>{"app=web"});
  CHECK(o.share == "ipc,net,uts");
}

TEST_CASE("kube play: a container's create options") {
  auto plan = kube::parse(kApp);
  const auto& web = plan.pods[0];
  auto cp = kube::container_plan(plan, web, web.containers[0], no_stored);
  const auto& o = cp.options;
  CHECK(o.name == "web-front");
  CHECK(o.run.entrypoint == std::optional<std::string>(R"(["httpd","-f"])"));
  CHECK(cp.command == std::vector<std::string>{"-p", "80"});
  CHECK(o.run.workdir == "/www");
  CHECK(o.run.env == std::vector<std::string>{"CM_LEVEL=3", "CM_MODE=fast", "PLAIN=x", "FROM_CM=3", "USER=admin"});
  CHECK(o.run.volumes == std::vector<std::string>{"webdata:/data", "cfg:/etc/conf:ro", "/scratch", "/srv/site:/site"});
  CHECK(o.restart == "on-failure");
  CHECK(o.health.cmd == std::optional<std::string>("curl -f http://localhost:80/health || exit 1"));
  CHECK(o.health.interval == std::optional<std::string>("7s"));
  CHECK(o.health.timeout == std::optional<std::string>("2s"));
  CHECK(o.health.start_period == std::optional<std::string>("5s"));
  CHECK(o.health.retries == std::optional<int>(4));
  CHECK(o.health.on_failure == "restart");
  CHECK(o.memory == "67108864");
  CHECK(o.cpus == "0.5");
  CHECK(cp.limits_asked);

  auto back = kube::container_plan(plan, web, web.containers[1], no_stored);
  CHECK(back.options.health.cmd == std::optional<std::string>(R"(["/bin/true","a b"])"));
  CHECK(back.options.health.interval == std::optional<std::string>("10s"));
  CHECK(back.options.health.retries == std::optional<int>(3));
  CHECK(back.options.health.timeout == std::optional<std::string>("1s"));
  CHECK(!back.options.run.entrypoint);
  CHECK(!back.limits_asked);
}

// The create options of the first pod's first container in yaml.
static cabin::engine::CreateOptions first_container_options(const std::string& yaml) {
  auto plan = kube::parse(yaml);
  return kube::container_plan(plan, plan.pods[0], plan.pods[0].containers[0], no_stored).options;
}

TEST_CASE("kube play: restartPolicy as Podman maps it") {
  auto policy = [](const char* p) {
    return first_container_options(fmt::format("kind: Pod\nmetadata: {{name: p}}\nspec:\n  restartPolicy: {}\n"
                                               "  containers: [{{name: c, image: i}}]\n",
                                               p))
        .restart;
  };
  CHECK(policy("Always") == "always");
  CHECK(policy("OnFailure") == "on-failure");
  CHECK(policy("Never") == "no");
  CHECK(error_of([&] { policy("Sometimes"); }) ==
        "Pod \"p\".spec.restartPolicy: unsupported restartPolicy \"Sometimes\": use Always, OnFailure or Never");
}

TEST_CASE("kube play: resource quantities, and what is not one (inf, nan, past a double)") {
  auto memory = [](const char* q) {
    return first_container_options(fmt::format("kind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n"
                                               "  - name: c\n    image: i\n    resources: {{limits: {{memory: \"{}\"}}}}\n",
                                               q))
        .memory;
  };
  CHECK(memory("64Mi") == "67108864");
  CHECK(memory("1.5G") == "1500000000");
  CHECK(memory("1e3") == "1000");
  for (const char* bad : {"inf", "nan", "1e400", "-1", "Mi", "1.2.3"})
    CHECK(error_of([&] { memory(bad); }).find(fmt::format("invalid quantity \"{}\"", bad)) != std::string::npos);
}

TEST_CASE("kube play: ConfigMap volumes' files, by items or all keys") {
  auto plan = kube::parse(kApp);
  const auto& conf = plan.pods[0].volumes[1];
  CHECK(kube::volume_files(plan, conf, no_stored) == std::map<std::string, std::string>{{"mode.txt", "fast"}});
  auto all = conf;
  all.items.clear();
  CHECK(kube::volume_files(plan, all, no_stored) == std::map<std::string, std::string>{{"LEVEL", "3"}, {"MODE", "fast"}});
  auto bad = conf;
  bad.items = {{"NOPE", "x"}};
  CHECK(error_of([&] { kube::volume_files(plan, bad, no_stored); }) ==
        "failed to create volume \"conf\": key NOPE not found in configmap cfg");
}

TEST_CASE("kube play: stored secrets: a Kubernetes Secret's keys; a plain one by its own name") {
  CHECK(kube::secret_data(kube::secret_value("s", {{"k", "v\n1"}})) == std::map<std::string, std::string>{{"k", "v\n1"}});
  CHECK(!kube::secret_data("plain value"));
  // A value `secret create` stored that looks like a Secret but is not one.
  CHECK(!kube::secret_data(R"({"kind": 1, "data": {}})"));
  CHECK(!kube::secret_data(R"({"kind": "Secret", "data": {"k": 1}})"));
  auto plan = kube::parse(R"(
kind: Pod
metadata: {name: p}
spec:
  volumes:
  - name: pw-secret
    secret: {secretName: pw, items: [{key: pw, path: pw}]}
  containers:
  - name: c
    image: i
    env:
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: pw, key: pw}}
    volumeMounts:
    - {name: pw-secret, mountPath: /etc/pw, subPath: pw}
)");
  kube::StoredSecret plain = [](const std::string&) { return std::optional<std::map<std::string, std::string>>(); };
  auto o = kube::container_plan(plan, plan.pods[0], plan.pods[0].containers[0], plain).options;
  CHECK(o.secrets == std::vector<std::string>{"pw,type=env,target=PASSWORD", "pw,target=/etc/pw"});
  CHECK(o.run.env.empty());
  CHECK(error_of([&] { kube::container_plan(plan, plan.pods[0], plan.pods[0].containers[0], no_stored); }) ==
        "cannot set env PASSWORD: no secret with name or id \"pw\": no such secret");
}

TEST_CASE("kube play: bad input, one line each") {
  auto err = [](const std::string& yaml) { return error_of([&] { kube::parse(yaml); }); };
  CHECK(err("a: [b") .starts_with("unable to read kube YAML: line "));
  // A line counted across documents; a stream yaml-cpp's LoadAll never ends on.
  CHECK(err("kind: Service\n---\nkind: Pod\nmetadata: {name: [x\n").starts_with("unable to read kube YAML: line 5: "));
  CHECK(err(",a") == "YAML document does not contain any supported kube kind");
  CHECK(err("---\n---\n- a\n") == "unable to read kube YAML: document 2 is not a map");
  CHECK(err("kind: Service\nmetadata: {name: s}\n") == "YAML document does not contain any supported kube kind");
  CHECK(err("kind: ConfigMap\nmetadata: {name: s}\n") ==
        "ConfigMaps in podman are not a standalone object and must be used in a container");
  CHECK(err("- a\n- b\n") == "unable to read kube YAML: document 1 is not a map");
  CHECK(err("metadata: {name: s}\n") == "unable to read kube YAML: document 1 has no kind");
  CHECK(err("kind: Pod\nmetadata: {name: p}\nspec: {}\n") == "Pod \"p\".spec.containers: pod \"p\" has no containers");
  CHECK(err("kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c}]\n") ==
        "Pod \"p\".spec.containers[0].image: container \"c\" has no image");
  CHECK(err("kind: Pod\nspec:\n  containers: [{name: c, image: i}]\n") == "Pod.metadata.name: pod does not have a name");
  CHECK(err("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n"
            "    volumeMounts: [{name: v, mountPath: /v}]\n") ==
        "Pod \"p\".spec.containers[0].volumeMounts: volume mount v specified for container but not configured in volumes");
  CHECK(err("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: i}\n  - {name: c, image: i}\n") ==
        "Pod \"p\".spec.containers[1].name: the pod \"p\" is invalid; duplicate container name \"c\" detected");
  CHECK(err("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n"
            "    ports: [{containerPort: http}]\n") ==
        "Pod \"p\".spec.containers[0].ports[0].containerPort: expected an integer, not \"http\"");
  CHECK(err("kind: Secret\nmetadata: {name: s}\ndata: {k: \"!!\"}\n") == "Secret \"s\".data: the value of k is not base64");
  CHECK(err("kind: Pod\nmetadata: {name: \"p\xff\"}\n") == "unable to read kube YAML: line 2: invalid UTF-8");
  // Keys become file names and variable names; items' paths stay in the volume.
  CHECK(err("kind: Secret\nmetadata: {name: s}\nstringData: {\"../x\": v}\n") ==
        "Secret \"s\".stringData: invalid key \"../x\": a key must consist of alphanumeric characters, '-', '_' or '.'");
  CHECK(err("kind: ConfigMap\nmetadata: {name: c}\ndata: {\"..\": v}\n") ==
        "ConfigMap \"c\".data: invalid key \"..\": a key must consist of alphanumeric characters, '-', '_' or '.'");
  CHECK(err("kind: Secret\nmetadata: {name: \"a/b\"}\n") ==
        "Secret.metadata.name: invalid secret name \"a/b\": only [a-zA-Z0-9-_.] characters are allowed");
  std::string with_item = "kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i}]\n"
                          "  volumes: [{name: v, configMap: {name: cm, items: [{key: k, path: \"PATH\"}]}}]\n";
  auto item = [&](const std::string& path) { return err(std::regex_replace(with_item, std::regex("PATH"), path)); };
  CHECK(item("a/../../x") == "Pod \"p\".spec.volumes[0].configMap.items[0].path: invalid path \"a/../../x\": it must not contain '..'");
  CHECK(item("/etc/x") == "Pod \"p\".spec.volumes[0].configMap.items[0].path: invalid path \"/etc/x\": it must be relative");
  CHECK(item("..") == "Pod \"p\".spec.volumes[0].configMap.items[0].path: invalid path \"..\": it must not contain '..'");
  CHECK_NOTHROW(kube::parse(std::regex_replace(with_item, std::regex("PATH"), "a/..b/c..")));

  auto plan = kube::parse("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n    env:\n"
                          "    - name: X\n      valueFrom: {configMapKeyRef: {name: nocm, key: k}}\n");
  CHECK(error_of([&] { kube::container_plan(plan, plan.pods[0], plan.pods[0].containers[0], no_stored); }) ==
        "cannot set env X: configmap nocm not found");
}
