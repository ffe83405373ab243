// `kube play` (podman-kube-play(1)): Kubernetes YAML read into a model, and
// the model turned into what `pod create` and `create --pod` take. Nothing
// here touches the store: engine/kube.cpp makes the pods, containers,
// volumes and secrets.
//
// Kinds: Pod; Deployment (its replicas as pods DEPLOYMENT-pod-N, as Podman
// names them); PersistentVolumeClaim (a named volume, claimName's);
// ConfigMap (used by the containers: env, envFrom, volumes); Secret (stored
// as a cabin secret of that name holding the object, data base64 as in
// Kubernetes; used the same ways). Other kinds are skipped, as Podman does.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/create.h"
#include "engine/pod.h"

namespace cabin::kube {

struct KeyRef {
  std::string name, key;
  bool optional = false;
};
struct EnvVar {
  std::string name, value;
  std::optional<KeyRef> config_map, secret;  // valueFrom
};
struct EnvFrom {
  std::string config_map, secret, prefix;
  bool optional = false;
};
// livenessProbe/readinessProbe: one of exec, httpGet, tcpSocket.
struct Probe {
  std::vector<std::string> exec;
  bool http = false, tcp = false;
  std::string scheme = "HTTP", host, path = "/";
  int port = 0;
  int initial_delay = 0, period = 0, timeout = 0, failure_threshold = 0;
};
struct Port {
  int container_port = 0, host_port = 0;
  std::string protocol = "tcp", host_ip;
};
struct VolumeMount {
  std::string name, path, sub_path;
  bool read_only = false;
};
struct Container {
  std::string name, image, pull_policy, working_dir;
  std::vector<std::string> command, args;
  std::vector<EnvVar> env;
  std::vector<EnvFrom> env_from;
  std::vector<Port> ports;
  std::vector<VolumeMount> mounts;
  std::optional<Probe> liveness, readiness;
  std::string memory, cpu;  // resources.limits, as written ("64Mi", "500m")
  bool stdin = false, tty = false, read_only = false, privileged = false;
  std::optional<int64_t> run_as_user, run_as_group;
  std::vector<std::string> cap_add, cap_drop;
};
struct Volume {
  enum class Kind { HostPath, Claim, EmptyDir, ConfigMap, Secret };
  Kind kind = Kind::EmptyDir;
  std::string name;
  std::string source;  // the hostPath path, claimName, ConfigMap or Secret name
  std::string type;    // hostPath's type; emptyDir's medium
  std::vector<std::pair<std::string, std::string>> items;  // key -> path (all keys when empty)
  bool optional = false;
};
struct Pod {
  std::string name, hostname;
  std::string restart_policy = "Always";
  std::map<std::string, std::string> labels;
  std::vector<Container> containers;
  std::vector<Volume> volumes;
  bool host_network = false, share_pid = false;
  std::vector<std::string> add_hosts;  // hostAliases as HOST:IP
};
struct Claim {
  std::string name;
  std::map<std::string, std::string> labels, annotations;
};
struct Plan {
  std::vector<Pod> pods;  // in the file's order, Deployments' replicas expanded
  std::map<std::string, std::map<std::string, std::string>> config_maps;  // name -> data
  std::map<std::string, std::map<std::string, std::string>> secrets;      // name -> data, decoded
  std::vector<Claim> claims;
};

// Reads the YAML documents. Throws one-line errors naming the document and
// field: not YAML, no kind, a Pod without containers, a container without
// image, a mount of a volume the pod does not define, a bad value.
Plan parse(std::string_view yaml);

// The names of the pods the plan makes (what `kube down` removes).
std::vector<std::string> pod_names(const Plan& plan);

// A Kubernetes Secret as cabin stores it (the object as JSON, data base64),
// and the data of a stored value (nullopt when it is not such an object).
std::string secret_value(const std::string& name, const std::map<std::string, std::string>& data);
std::optional<std::map<std::string, std::string>> secret_data(const std::string& value);

// What `pod create` gets for the pod: its name, hostname, labels, the
// containers' hostPorts published, hostAliases, the namespaces shared.
engine::PodCreateOptions pod_options(const Pod& pod);

// Stored secrets the plan does not define, by name: a Kubernetes Secret's
// data, or nullopt for a plain secret (`secret create`), which only its own
// name as key reads (as `kube generate` writes it). Throws when there is no
// such secret.
using StoredSecret = std::function<std::optional<std::map<std::string, std::string>>(const std::string& name)>;

// A ConfigMap or Secret volume's files (path -> content), as play writes
// them into the named volume of the same name.
std::map<std::string, std::string> volume_files(const Plan& plan, const Volume& v, const StoredSecret& stored);

struct ContainerPlan {
  engine::CreateOptions options;  // name POD-CONTAINER; the pod is set by the engine
  std::vector<std::string> command;  // args (the image's CMD when none)
  bool limits_asked = false;         // resources.limits given (applied where cgroups allow)
};
// The create options of a container of the pod: env (valueFrom and
// envFrom resolved), command/args, workingDir, mounts, probe as the
// healthcheck, restartPolicy, resources, securityContext. Throws for a
// missing ConfigMap or key, Secret or key (unless optional).
ContainerPlan container_plan(const Plan& plan, const Pod& pod, const Container& c, const StoredSecret& stored);

// Podman's conversion of a probe into a healthcheck command (exec as CMD;
// httpGet as curl -f, tcpSocket as nc -z, each `|| exit 1`) and timings.
runtime::HealthFlags probe_health(const Probe& p);

}  // namespace cabin::kube
