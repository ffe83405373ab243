// Pods (podman-pod(1)): groups of containers that share namespaces. A pod
// is a record in graphroot/pods/pods.json (under pods.lock, as containers
// are kept); its infra container is an ordinary container record whose
// process is cabin's own child holding the pod's network, IPC and UTS
// namespaces (and the network's user-mode stack and published ports, run by
// its waiter as for any container). Members name the infra container as the
// holder of the namespaces they join (--network/--ipc/--uts container:ID),
// so starting a member starts the infra first, as Podman does.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/paths.h"
#include "engine/create.h"
#include "storage/containers.h"

namespace cabin::engine {

struct PodRecord {
  std::string id, name, created, hostname;
  std::map<std::string, std::string> labels;
  bool infra = true;
  std::string infra_id;             // empty without an infra container
  std::vector<std::string> share;   // kernel namespaces shared: cgroup, ipc, net, pid, uts
};

class PodStore {
 public:
  explicit PodStore(const config::StorePaths& paths);
  std::vector<PodRecord> list() const;
  // By full ID, name, or an unambiguous ID prefix.
  std::optional<PodRecord> find(std::string_view name_or_id) const;
  // Podman's message when there is none (exit 125).
  PodRecord get(std::string_view name_or_id) const;
  // Gives the record an ID (and a name, when it has none); fails when the
  // name is taken.
  PodRecord create(PodRecord record);
  void update(const PodRecord& record);
  void remove(const std::string& id);
  std::string dir(const std::string& id) const;

 private:
  std::string root_;
  std::vector<PodRecord> read() const;
  void write(const std::vector<PodRecord>& records);
};

// podman pod create's flags.
struct PodCreateOptions {
  std::string name, hostname, share = "ipc,net,uts", userns;
  bool infra = true;
  std::string infra_name;
  std::vector<std::string> labels, publish, networks, add_hosts, dns;
};

// Checks --share (Podman's message for a bad value) into a sorted list.
std::vector<std::string> parse_share(const std::string& share);

// Creates the pod and its infra container (not started). Throws with
// nothing left behind.
PodRecord create_pod(storage::Store& store, const config::StorePaths& paths, const PodCreateOptions& o);

// A container's pod (its record's config.pod), and whether it is the infra.
std::string pod_of(const storage::ContainerRecord& rec);
bool is_infra(const storage::ContainerRecord& rec);

// Fills a member's create options from its pod (o.pod names it): the
// namespaces to share name the infra container. Fails for what a member
// cannot set on its own (-p, --network when the network is shared).
void apply_pod(const config::StorePaths& paths, CreateOptions& o, const PodRecord& pod);

// The pod's containers, the infra first.
std::vector<storage::ContainerRecord> pod_containers(const storage::ContainerStore& containers,
                                                     const PodRecord& pod);

// Podman's pod status from its containers' states: Created, Running,
// Paused, Exited, Stopped or Degraded.
std::string pod_status(storage::ContainerStore& containers, const config::StorePaths& paths, const PodRecord& pod);

// The container state names Podman shows (created, running, paused, exited).
std::string container_status(storage::ContainerStore& containers, const config::StorePaths& paths,
                             const std::string& id);

// Stops the members, the infra last; then nothing of the pod runs.
void stop_pod(storage::ContainerStore& containers, const config::StorePaths& paths, const PodRecord& pod,
              std::optional<int> timeout);

// The pods `pod prune` and `system prune` remove: those whose containers
// have all ended (Stopped or Exited), as Podman chooses them.
std::vector<PodRecord> prunable_pods(storage::ContainerStore& containers, const config::StorePaths& paths);

// Fails (Podman's message) while any of the pod's containers runs.
void check_pod_removable(storage::ContainerStore& containers, const config::StorePaths& paths, const PodRecord& pod);

// Removes the pod and its containers, stopped by now (stop_pod, from the
// host's side), in cabin's user namespace: their files may belong to
// subordinate ids. anonymous_volumes: the containers' anonymous volumes go
// too (kube down: emptyDir volumes are the pod's).
void remove_pod(storage::ContainerStore& containers, const config::StorePaths& paths, const PodRecord& pod,
                bool anonymous_volumes = false);

}  // namespace cabin::engine
