#include "kube/play.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "config/auth.h"
#include "storage/secrets.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"

namespace cabin::kube {
namespace {

// A YAML node with the path that leads to it, for messages.
struct Node {
  YAML::Node n;
  std::string path;

  // yaml-cpp's lookups on a const node do not add the key; a missing one is
  // an undefined node, which further lookups throw on.
  YAML::Node child(const char* key) const {
    if (!n.IsDefined() || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& c = n;
    return c[key];
  }
  bool present(const char* key) const { return child(key).IsDefined(); }
  bool has(const char* key) const { return present(key) && !child(key).IsNull(); }
  Node operator[](const char* key) const {
    auto c = child(key);
    return {c.IsDefined() ? c : YAML::Node(), path.empty() ? key : path + "." + key};
  }
  Node at(size_t i) const { return {n[i], fmt::format("{}[{}]", path, i)}; }
  [[noreturn]] void bad(std::string_view what) const { fail("{}: {}", path, what); }

  std::string str() const {
    if (!n || n.IsNull()) return "";
    if (!n.IsScalar()) bad("expected a string");
    return n.Scalar();
  }
  int64_t integer() const {
    if (!n || n.IsNull()) return 0;
    int64_t v;
    if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, v)) bad(fmt::format("expected an integer, not {:?}", n.IsScalar() ? n.Scalar() : "a list or map"));
    return v;
  }
  bool boolean() const {
    if (!n || n.IsNull()) return false;
    bool v;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) bad("expected true or false");
    return v;
  }
  std::vector<Node> list() const {
    std::vector<Node> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsSequence()) bad("expected a list");
    for (size_t i = 0; i < n.size(); ++i) out.push_back(at(i));
    return out;
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    for (const auto& x : list()) out.push_back(x.str());
    return out;
  }
  std::map<std::string, std::string> string_map() const {
    std::map<std::string, std::string> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsMap()) bad("expected a map");
    for (const auto& kv : n) {
      std::string k = kv.first.Scalar();
      out[k] = Node{kv.second, path + "." + k}.str();
    }
    return out;
  }
};

// A port given as a number (named ports need a container's port list;
// cabin takes numbers only).
int port_number(const Node& n) {
  auto v = n.integer();
  if (v < 1 || v > 65535) n.bad(fmt::format("port {} is out of range 1-65535", v));
  return static_cast<int>(v);
}

Probe parse_probe(const Node& n) {
  Probe p;
  if (n.has("exec")) {
    p.exec = n["exec"]["command"].strings();
    if (p.exec.empty()) n["exec"]["command"].bad("a command is required");
  } else if (n.has("httpGet")) {
    auto h = n["httpGet"];
    p.http = true;
    p.port = port_number(h["port"]);
    if (h.has("scheme")) p.scheme = h["scheme"].str();
    p.host = h["host"].str();
    if (h.has("path")) p.path = h["path"].str();
  } else if (n.has("tcpSocket")) {
    p.tcp = true;
    p.port = port_number(n["tcpSocket"]["port"]);
    p.host = n["tcpSocket"]["host"].str();
  } else {
    n.bad("one of exec, httpGet or tcpSocket is required");
  }
  p.initial_delay = static_cast<int>(n["initialDelaySeconds"].integer());
  p.period = static_cast<int>(n["periodSeconds"].integer());
  p.timeout = static_cast<int>(n["timeoutSeconds"].integer());
  p.failure_threshold = static_cast<int>(n["failureThreshold"].integer());
  return p;
}

KeyRef key_ref(const Node& n) {
  KeyRef r{n["name"].str(), n["key"].str(), n["optional"].boolean()};
  if (r.name.empty()) n["name"].bad("a name is required");
  if (r.key.empty()) n["key"].bad("a key is required");
  return r;
}

Container parse_container(const Node& n) {
  Container c;
  c.name = n["name"].str();
  if (c.name.empty()) n["name"].bad("a container name is required");
  c.image = n["image"].str();
  if (c.image.empty()) n["image"].bad(fmt::format("container {:?} has no image", c.name));
  c.pull_policy = n["imagePullPolicy"].str();
  c.working_dir = n["workingDir"].str();
  c.command = n["command"].strings();
  c.args = n["args"].strings();
  for (const auto& e : n["env"].list()) {
    EnvVar v;
    v.name = e["name"].str();
    if (v.name.empty()) e["name"].bad("a name is required");
    v.value = e["value"].str();
    if (e.has("valueFrom")) {
      auto from = e["valueFrom"];
      if (from.has("configMapKeyRef")) v.config_map = key_ref(from["configMapKeyRef"]);
      else if (from.has("secretKeyRef")) v.secret = key_ref(from["secretKeyRef"]);
      else from.bad("only configMapKeyRef and secretKeyRef are supported");
    }
    c.env.push_back(std::move(v));
  }
  for (const auto& e : n["envFrom"].list()) {
    EnvFrom f;
    f.prefix = e["prefix"].str();
    if (!e.has("configMapRef") && !e.has("secretRef")) e.bad("configMapRef or secretRef is required");
    auto ref = e.has("configMapRef") ? e["configMapRef"] : e["secretRef"];
    (e.has("configMapRef") ? f.config_map : f.secret) = ref["name"].str();
    if (ref["name"].str().empty()) ref["name"].bad("a name is required");
    f.optional = ref["optional"].boolean();
    c.env_from.push_back(std::move(f));
  }
  for (const auto& p : n["ports"].list()) {
    Port port;
    if (p.has("containerPort")) port.container_port = port_number(p["containerPort"]);
    if (p.has("hostPort")) port.host_port = port_number(p["hostPort"]);
    if (!port.container_port) port.container_port = port.host_port;
    if (!port.container_port) p.bad("containerPort is required");
    std::string proto = p["protocol"].str();
    std::transform(proto.begin(), proto.end(), proto.begin(), ::tolower);
    if (!proto.empty()) port.protocol = proto;
    if (port.protocol != "tcp" && port.protocol != "udp") p["protocol"].bad("only TCP and UDP are supported");
    port.host_ip = p["hostIP"].str();
    c.ports.push_back(port);
  }
  for (const auto& m : n["volumeMounts"].list()) {
    VolumeMount vm{m["name"].str(), m["mountPath"].str(), m["subPath"].str(), m["readOnly"].boolean()};
    if (vm.name.empty()) m["name"].bad("a name is required");
    if (vm.path.empty() || vm.path[0] != '/') m["mountPath"].bad("an absolute path is required");
    c.mounts.push_back(std::move(vm));
  }
  if (n.has("livenessProbe")) c.liveness = parse_probe(n["livenessProbe"]);
  if (n.has("readinessProbe")) c.readiness = parse_probe(n["readinessProbe"]);
  c.memory = n["resources"]["limits"]["memory"].str();
  c.cpu = n["resources"]["limits"]["cpu"].str();
  c.stdin = n["stdin"].boolean();
  c.tty = n["tty"].boolean();
  auto sc = n["securityContext"];
  c.read_only = sc["readOnlyRootFilesystem"].boolean();
  c.privileged = sc["privileged"].boolean();
  if (sc.has("runAsUser")) c.run_as_user = sc["runAsUser"].integer();
  if (sc.has("runAsGroup")) c.run_as_group = sc["runAsGroup"].integer();
  c.cap_add = sc["capabilities"]["add"].strings();
  c.cap_drop = sc["capabilities"]["drop"].strings();
  return c;
}

// ConfigMap and Secret keys, as Kubernetes allows them: they become file
// names in volumes and variable names.
std::map<std::string, std::string> data_map(const Node& n) {
  auto m = n.string_map();
  for (const auto& [k, v] : m)
    if (k.empty() || k == "." || k == ".." ||
        k.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != std::string::npos)
      n.bad(fmt::format("invalid key {:?}: a key must consist of alphanumeric characters, '-', '_' or '.'", k));
  return m;
}

// An item's path: relative and without a ".." element (Kubernetes' rule),
// so that the file stays in its volume.
void check_item_path(const Node& n, const std::string& path) {
  if (path.starts_with('/')) n.bad(fmt::format("invalid path {:?}: it must be relative", path));
  for (size_t pos = 0; pos <= path.size();) {
    auto slash = std::min(path.find('/', pos), path.size());
    if (path.compare(pos, slash - pos, "..") == 0)
      n.bad(fmt::format("invalid path {:?}: it must not contain '..'", path));
    pos = slash + 1;
  }
}

Volume parse_volume(const Node& n) {
  Volume v;
  v.name = n["name"].str();
  if (v.name.empty()) n["name"].bad("a volume name is required");
  auto items = [&](const Node& src) {
    for (const auto& i : src["items"].list()) {
      check_item_path(i["path"], i["path"].str());
      v.items.emplace_back(i["key"].str(), i["path"].str());
    }
    v.optional = src["optional"].boolean();
  };
  if (n.has("hostPath")) {
    v.kind = Volume::Kind::HostPath;
    v.source = n["hostPath"]["path"].str();
    v.type = n["hostPath"]["type"].str();
    if (v.source.empty()) n["hostPath"]["path"].bad("a path is required");
    static const std::set<std::string> kTypes = {"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket",
                                                 "CharDevice", "BlockDevice"};
    if (!kTypes.count(v.type)) n["hostPath"]["type"].bad(fmt::format("unsupported hostPath type {:?}", v.type));
  } else if (n.has("persistentVolumeClaim")) {
    v.kind = Volume::Kind::Claim;
    v.source = n["persistentVolumeClaim"]["claimName"].str();
    if (v.source.empty()) n["persistentVolumeClaim"]["claimName"].bad("a claimName is required");
  } else if (n.has("configMap")) {
    v.kind = Volume::Kind::ConfigMap;
    v.source = n["configMap"]["name"].str();
    if (v.source.empty()) n["configMap"]["name"].bad("a name is required");
    items(n["configMap"]);
  } else if (n.has("secret")) {
    v.kind = Volume::Kind::Secret;
    v.source = n["secret"]["secretName"].str();
    if (v.source.empty()) n["secret"]["secretName"].bad("a secretName is required");
    items(n["secret"]);
  } else if (n.present("emptyDir")) {
    v.kind = Volume::Kind::EmptyDir;
    v.type = n["emptyDir"]["medium"].str();
  } else {
    n.bad("only hostPath, persistentVolumeClaim, configMap, secret and emptyDir volumes are supported");
  }
  return v;
}

// A Pod's spec (a Pod's, or a Deployment's template's) under name.
Pod parse_pod_spec(const Node& meta, const Node& spec, const std::string& name, bool deployment) {
  Pod p;
  p.name = name;
  p.labels = meta["labels"].string_map();
  p.hostname = spec["hostname"].str();
  if (spec.has("restartPolicy")) p.restart_policy = spec["restartPolicy"].str();
  if (p.restart_policy != "Always" && p.restart_policy != "OnFailure" && p.restart_policy != "Never")
    spec["restartPolicy"].bad(fmt::format("unsupported restartPolicy {:?}: use Always, OnFailure or Never", p.restart_policy));
  if (deployment && p.restart_policy != "Always")
    spec["restartPolicy"].bad(fmt::format("a Deployment's pods restart Always, not {}", p.restart_policy));
  p.host_network = spec["hostNetwork"].boolean();
  p.share_pid = spec["shareProcessNamespace"].boolean();
  for (const auto& a : spec["hostAliases"].list())
    for (const auto& h : a["hostnames"].strings()) p.add_hosts.push_back(h + ":" + a["ip"].str());
  for (const auto& v : spec["volumes"].list()) {
    auto vol = parse_volume(v);
    for (const auto& other : p.volumes)
      if (other.name == vol.name) v["name"].bad(fmt::format("volume {:?} is defined twice", vol.name));
    p.volumes.push_back(std::move(vol));
  }
  auto containers = spec["containers"].list();
  if (containers.empty()) spec["containers"].bad(fmt::format("pod {:?} has no containers", name));
  std::set<std::string> names;
  for (const auto& c : containers) {
    auto ctr = parse_container(c);
    if (!names.insert(ctr.name).second)
      c["name"].bad(fmt::format("the pod {:?} is invalid; duplicate container name {:?} detected", name, ctr.name));
    for (const auto& m : ctr.mounts)
      if (std::none_of(p.volumes.begin(), p.volumes.end(), [&](const auto& v) { return v.name == m.name; }))
        c["volumeMounts"].bad(fmt::format("volume mount {} specified for container but not configured in volumes", m.name));
    p.containers.push_back(std::move(ctr));
  }
  return p;
}

std::string object_name(const Node& doc, const std::string& kind) {
  std::string name = doc["metadata"]["name"].str();
  if (name.empty()) doc["metadata"]["name"].bad(fmt::format("{} does not have a name", kind));
  return name;
}

// Kubernetes quantities: "128Mi", "1G", "500m", "1.5".
double quantity(const std::string& q, std::string_view what) {
  static const std::vector<std::pair<std::string, double>> kSuffixes = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0}, {"k", 1e3}, {"K", 1e3},
      {"M", 1e6},     {"G", 1e9},         {"T", 1e12},           {"m", 1e-3}};
  double mult = 1;
  std::string num = q;
  for (const auto& [s, m] : kSuffixes)
    if (q.size() > s.size() && q.ends_with(s)) {
      mult = m;
      num = q.substr(0, q.size() - s.size());
      break;
    }
  auto v = parse_number<double>(num);
  if (!v || !std::isfinite(*v) || *v < 0) fail("resources.limits.{}: invalid quantity {:?}", what, q);
  return *v * mult;
}

// The documents of a YAML stream, each read on its own from its "---"
// line: yaml-cpp 0.7's LoadAll loops for ever, allocating, on some
// malformed streams ("," alone; jbeder/yaml-cpp#1040). "---" at the start
// of a line always begins a document (YAML forbids it inside a scalar).
std::vector<YAML::Node> load_documents(std::string_view yaml) {
  std::vector<YAML::Node> docs;
  size_t start = 0, first_line = 0, line = 0;
  auto marker = [&](size_t pos) {
    auto text = yaml.substr(pos, 4);
    return text.starts_with("---") && (text.size() == 3 || std::isspace(static_cast<unsigned char>(text[3])));
  };
  auto read = [&](size_t end) {
    try {
      auto doc = YAML::Load(std::string(yaml.substr(start, end - start)));
      // Nothing before the first "---" is no document.
      if (marker(start) || (doc && !doc.IsNull())) docs.push_back(doc);
    } catch (const YAML::Exception& e) {
      fail("unable to read kube YAML: line {}: {}", first_line + e.mark.line + 1, e.msg);
    }
  };
  for (size_t pos = 0; pos < yaml.size(); ++line) {
    if (pos > 0 && marker(pos)) {
      read(pos);
      start = pos;
      first_line = line;
    }
    pos = std::min(yaml.find('\n', pos), yaml.size()) + 1;
  }
  read(yaml.size());
  return docs;
}

}  // namespace

Plan parse(std::string_view yaml) {
  if (auto line = yaml_non_utf8_line(yaml)) fail("unable to read kube YAML: line {}: invalid UTF-8", line);
  std::vector<YAML::Node> docs = load_documents(yaml);
  Plan plan;
  bool any = false;
  std::set<std::string> pod_set;
  auto add_pod = [&](Pod p, const Node& where) {
    if (!pod_set.insert(p.name).second) where.bad(fmt::format("pod {:?} is defined twice", p.name));
    plan.pods.push_back(std::move(p));
  };
  for (size_t i = 0; i < docs.size(); ++i) {
    if (!docs[i] || docs[i].IsNull()) continue;
    Node doc{docs[i], ""};
    if (!docs[i].IsMap()) fail("unable to read kube YAML: document {} is not a map", i + 1);
    std::string kind = doc["kind"].str();
    if (kind.empty()) fail("unable to read kube YAML: document {} has no kind", i + 1);
    doc.path = kind;
    if (kind == "Pod") {
      auto name = object_name(doc, "pod");
      doc.path = fmt::format("Pod {:?}", name);
      add_pod(parse_pod_spec(doc["metadata"], doc["spec"], name, false), doc);
      any = true;
    } else if (kind == "Deployment") {
      auto name = object_name(doc, "deployment");
      doc.path = fmt::format("Deployment {:?}", name);
      int64_t replicas = doc["spec"].has("replicas") ? doc["spec"]["replicas"].integer() : 1;
      if (replicas < 0) doc["spec"]["replicas"].bad("replicas cannot be negative");
      auto tmpl = doc["spec"]["template"];
      for (int64_t r = 0; r < replicas; ++r) {
        auto pod_name = fmt::format("{}-pod-{}", name, r);
        add_pod(parse_pod_spec(tmpl["metadata"], tmpl["spec"], pod_name, true), doc);
      }
      any = true;
    } else if (kind == "PersistentVolumeClaim") {
      Claim c;
      c.name = object_name(doc, "persistent volume claim");
      c.labels = doc["metadata"]["labels"].string_map();
      c.annotations = doc["metadata"]["annotations"].string_map();
      plan.claims.push_back(std::move(c));
      any = true;
    } else if (kind == "ConfigMap") {
      auto name = object_name(doc, "ConfigMap");
      doc.path = fmt::format("ConfigMap {:?}", name);
      plan.config_maps[name] = data_map(doc["data"]);
    } else if (kind == "Secret") {
      auto name = object_name(doc, "Secret");
      // Stored as a cabin secret of that name.
      if (!storage::valid_secret_name(name))
        doc["metadata"]["name"].bad(fmt::format("invalid secret name {:?}: only [a-zA-Z0-9-_.] characters are allowed", name));
      doc.path = fmt::format("Secret {:?}", name);
      auto& data = plan.secrets[name];
      for (const auto& [k, v] : data_map(doc["data"])) {
        auto decoded = config::base64_decode(v);
        if (!decoded) doc["data"].bad(fmt::format("the value of {} is not base64", k));
        data[k] = *decoded;
      }
      for (const auto& [k, v] : data_map(doc["stringData"])) data[k] = v;
      any = true;
    }
    // Other kinds are skipped, as Podman does.
  }
  if (!any) {
    if (!plan.config_maps.empty())
      fail("ConfigMaps in podman are not a standalone object and must be used in a container");
    fail("YAML document does not contain any supported kube kind");
  }
  return plan;
}

std::vector<std::string> pod_names(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& p : plan.pods) out.push_back(p.name);
  return out;
}

std::string secret_value(const std::string& name, const std::map<std::string, std::string>& data) {
  nlohmann::ordered_json j;
  j["apiVersion"] = "v1";
  j["kind"] = "Secret";
  j["metadata"] = {{"name", name}};
  j["data"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : data) j["data"][k] = config::base64_encode(v);
  return json_text(j);
}

std::optional<std::map<std::string, std::string>> secret_data(const std::string& value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("kind") || j["kind"] != "Secret" ||
      !j.contains("data") || !j["data"].is_object())
    return std::nullopt;
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j["data"].items()) {
    if (!v.is_string()) return std::nullopt;
    auto d = config::base64_decode(v.get<std::string>());
    if (!d) return std::nullopt;
    out[k] = *d;
  }
  return out;
}

engine::PodCreateOptions pod_options(const Pod& pod) {
  engine::PodCreateOptions o;
  o.name = pod.name;
  o.hostname = pod.hostname.empty() ? pod.name : pod.hostname;
  o.share = pod.share_pid ? "ipc,net,pid,uts" : "ipc,net,uts";
  for (const auto& [k, v] : pod.labels) o.labels.push_back(k + "=" + v);
  o.add_hosts = pod.add_hosts;
  if (pod.host_network) o.networks = {"host"};
  for (const auto& c : pod.containers)
    for (const auto& p : c.ports) {
      // Only hostPort is published: every containerPort is reachable in the pod anyway.
      if (!p.host_port) continue;
      std::string spec = p.host_ip.empty() ? "" : p.host_ip + ":";
      o.publish.push_back(fmt::format("{}{}:{}/{}", spec, p.host_port, p.container_port, p.protocol));
    }
  return o;
}

namespace {

const std::map<std::string, std::string>* find_config_map(const Plan& plan, const std::string& name) {
  auto it = plan.config_maps.find(name);
  return it == plan.config_maps.end() ? nullptr : &it->second;
}

// A Secret's data: the plan's, else the stored one's (nullopt: a plain secret).
std::optional<std::map<std::string, std::string>> find_secret(const Plan& plan, const std::string& name,
                                                              const StoredSecret& stored) {
  auto it = plan.secrets.find(name);
  if (it != plan.secrets.end()) return it->second;
  return stored(name);
}

}  // namespace

std::map<std::string, std::string> volume_files(const Plan& plan, const Volume& v, const StoredSecret& stored) {
  std::map<std::string, std::string> data;
  if (v.kind == Volume::Kind::ConfigMap) {
    const auto* cm = find_config_map(plan, v.source);
    if (!cm) {
      if (v.optional) return {};
      fail("failed to create volume {:?}: no such ConfigMap {:?}", v.name, v.source);
    }
    data = *cm;
  } else {
    auto s = find_secret(plan, v.source, stored);
    if (!s) return {};  // a plain secret: mounted as a secret, not a volume
    data = *s;
  }
  if (v.items.empty()) return data;
  std::map<std::string, std::string> out;
  for (const auto& [key, path] : v.items) {
    auto it = data.find(key);
    if (it == data.end())
      fail("failed to create volume {:?}: key {} not found in {} {}", v.name, key,
           v.kind == Volume::Kind::ConfigMap ? "configmap" : "secret", v.source);
    out[path.empty() ? key : path] = it->second;
  }
  return out;
}

runtime::HealthFlags probe_health(const Probe& p) {
  runtime::HealthFlags h;
  if (!p.exec.empty()) {
    h.cmd = json_text(nlohmann::json(p.exec));
  } else if (p.http) {
    std::string scheme = p.scheme;
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
    h.cmd = fmt::format("curl -f {}://{}:{}{} || exit 1", scheme, p.host.empty() ? "localhost" : p.host, p.port, p.path);
  } else {
    h.cmd = fmt::format("nc -z -v {} {} || exit 1", p.host.empty() ? "localhost" : p.host, p.port);
  }
  // Kubernetes' defaults: period 10 s, failureThreshold 3, timeout 1 s.
  h.interval = fmt::format("{}s", p.period > 0 ? p.period : 10);
  h.retries = p.failure_threshold > 0 ? p.failure_threshold : 3;
  h.timeout = fmt::format("{}s", p.timeout > 0 ? p.timeout : 1);
  h.start_period = fmt::format("{}s", std::max(0, p.initial_delay));
  return h;
}

ContainerPlan container_plan(const Plan& plan, const Pod& pod, const Container& c, const StoredSecret& stored) {
  ContainerPlan out;
  auto& o = out.options;
  auto& r = o.run;
  o.name = pod.name + "-" + c.name;
  o.quiet = true;
  if (!c.command.empty()) r.entrypoint = json_text(nlohmann::json(c.command));
  out.command = c.args;
  r.workdir = c.working_dir;
  r.interactive = c.stdin;
  r.tty = c.tty;
  r.read_only = c.read_only;
  r.privileged = c.privileged;
  r.cap_add = c.cap_add;
  r.cap_drop = c.cap_drop;
  if (c.run_as_user) r.user = std::to_string(*c.run_as_user) + (c.run_as_group ? ":" + std::to_string(*c.run_as_group) : "");
  else if (c.run_as_group) r.user = "0:" + std::to_string(*c.run_as_group);

  // envFrom first; env's own entries win.
  std::map<std::string, std::string> env;
  std::vector<std::string> env_order;
  auto set_env = [&](const std::string& k, const std::string& v) {
    if (!env.count(k)) env_order.push_back(k);
    env[k] = v;
  };
  for (const auto& f : c.env_from) {
    if (!f.config_map.empty()) {
      const auto* cm = find_config_map(plan, f.config_map);
      if (!cm) {
        if (f.optional) continue;
        fail("container {}: configmap {} not found", c.name, f.config_map);
      }
      for (const auto& [k, v] : *cm) set_env(f.prefix + k, v);
    } else {
      std::optional<std::map<std::string, std::string>> s;
      try {
        s = find_secret(plan, f.secret, stored);
      } catch (const Error&) {
        if (f.optional) continue;
        throw;
      }
      if (!s) fail("container {}: secret {} is not a Kubernetes Secret: it has no keys to take", c.name, f.secret);
      for (const auto& [k, v] : *s) set_env(f.prefix + k, v);
    }
  }
  for (const auto& e : c.env) {
    if (e.config_map) {
      const auto& ref = *e.config_map;
      const auto* cm = find_config_map(plan, ref.name);
      if (!cm) {
        if (ref.optional) continue;
        fail("cannot set env {}: configmap {} not found", e.name, ref.name);
      }
      auto it = cm->find(ref.key);
      if (it == cm->end()) {
        if (ref.optional) continue;
        fail("cannot set env {}: key {} not found in configmap {}", e.name, ref.key, ref.name);
      }
      set_env(e.name, it->second);
    } else if (e.secret) {
      const auto& ref = *e.secret;
      std::optional<std::map<std::string, std::string>> s;
      try {
        s = find_secret(plan, ref.name, stored);
      } catch (const Error& err) {
        if (ref.optional) continue;
        fail("cannot set env {}: {}", e.name, err.what());
      }
      if (!s) {
        // A plain secret: its own name is its one key, read at start.
        if (ref.key != ref.name) {
          if (ref.optional) continue;
          fail("cannot set env {}: secret {} has not {} key", e.name, ref.name, ref.key);
        }
        o.secrets.push_back(ref.name + ",type=env,target=" + e.name);
        continue;
      }
      auto it = s->find(ref.key);
      if (it == s->end()) {
        if (ref.optional) continue;
        fail("cannot set env {}: secret {} has not {} key", e.name, ref.name, ref.key);
      }
      set_env(e.name, it->second);
    } else {
      set_env(e.name, e.value);
    }
  }
  for (const auto& k : env_order) r.env.push_back(k + "=" + env[k]);

  for (const auto& m : c.mounts) {
    const auto& v = *std::find_if(pod.volumes.begin(), pod.volumes.end(), [&](const auto& x) { return x.name == m.name; });
    std::string ro = m.read_only ? ":ro" : "";
    switch (v.kind) {
      case Volume::Kind::HostPath:
        // A path names a bind mount; a bare name a named volume, as Podman reads it.
        r.volumes.push_back((v.source.find('/') == std::string::npos ? v.source : v.source + (m.sub_path.empty() ? "" : "/" + m.sub_path)) + ":" + m.path + ro);
        break;
      case Volume::Kind::Claim:
        r.volumes.push_back(v.source + ":" + m.path + ro);
        break;
      case Volume::Kind::EmptyDir:
        if (v.type == "Memory") r.tmpfs.push_back(m.path);
        else r.volumes.push_back(m.path);
        break;
      case Volume::Kind::ConfigMap:
        if (!find_config_map(plan, v.source) && v.optional) break;
        r.volumes.push_back(v.source + ":" + m.path + ro);
        break;
      case Volume::Kind::Secret: {
        std::optional<std::map<std::string, std::string>> s;
        try {
          s = find_secret(plan, v.source, stored);
        } catch (const Error&) {
          if (v.optional) break;
          throw;
        }
        if (s) {
          r.volumes.push_back(v.source + ":" + m.path + ro);
          break;
        }
        // A plain secret (kube generate's form): mounted as the secret itself,
        // at the path, or at path/its item's path without subPath.
        std::string target = m.path;
        if (m.sub_path.empty()) {
          std::string file = v.source;
          for (const auto& [key, path] : v.items)
            if (key == v.source && !path.empty()) file = path;
          target += "/" + file;
        }
        o.secrets.push_back(v.source + ",target=" + target);
        break;
      }
    }
  }

  if (pod.restart_policy == "Always") o.restart = "always";
  else if (pod.restart_policy == "OnFailure") o.restart = "on-failure";
  else o.restart = "no";
  const auto& probe = c.liveness ? c.liveness : c.readiness;
  if (probe) {
    o.health = probe_health(*probe);
    // A restart policy is what a failing probe triggers, as in Podman.
    if (o.restart != "no") o.health.on_failure = "restart";
  }

  if (!c.memory.empty()) o.memory = fmt::format("{}", static_cast<int64_t>(std::llround(quantity(c.memory, "memory"))));
  if (!c.cpu.empty()) o.cpus = fmt::format("{}", quantity(c.cpu, "cpu"));
  out.limits_asked = !c.memory.empty() || !c.cpu.empty();
  return out;
}

}  // namespace cabin::kube
