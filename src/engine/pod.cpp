#include "engine/pod.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "engine/lifecycle.h"
#include "engine/volumes.h"
#include "format/units.h"
#include "storage/events.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/strings.h"

namespace cabin::engine {

using nlohmann::json;

namespace {

json to_json(const PodRecord& p) {
  return {{"id", p.id},       {"name", p.name},   {"created", p.created},   {"hostname", p.hostname},
          {"labels", p.labels}, {"infra", p.infra}, {"infra_id", p.infra_id}, {"share", p.share}};
}

PodRecord pod_from_json(const json& j) {
  PodRecord p;
  p.id = j.at("id").get<std::string>();
  p.name = j.at("name").get<std::string>();
  p.created = j.value("created", "");
  p.hostname = j.value("hostname", "");
  p.labels = j.value("labels", std::map<std::string, std::string>{});
  p.infra = j.value("infra", true);
  p.infra_id = j.value("infra_id", "");
  p.share = j.value("share", std::vector<std::string>{});
  return p;
}

bool shares(const PodRecord& pod, std::string_view ns) {
  return pod.infra && std::find(pod.share.begin(), pod.share.end(), ns) != pod.share.end();
}

void pod_event(const config::StorePaths& paths, const PodRecord& pod, const std::string& status) {
  storage::Event e;
  e.type = "pod";
  e.status = status;
  e.id = pod.id;
  e.name = pod.name;
  try {
    storage::record_event(paths, e);
  } catch (const Error& err) {
    log::warn("recording the pod event: {}", err.what());
  }
}

}  // namespace

PodStore::PodStore(const config::StorePaths& paths) : root_(fs::join(paths.graphroot, "pods")) {}

std::string PodStore::dir(const std::string& id) const { return fs::join(root_, id); }

std::vector<PodRecord> PodStore::read() const {
  std::vector<PodRecord> out;
  auto text = fs::read_file_if_exists(fs::join(root_, "pods.json"));
  if (!text) return out;
  auto doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.contains("pods")) fail("pod store {} is corrupt: cannot parse it", fs::join(root_, "pods.json"));
  for (const auto& j : doc["pods"]) out.push_back(pod_from_json(j));
  return out;
}

void PodStore::write(const std::vector<PodRecord>& records) {
  json arr = json::array();
  for (const auto& r : records) arr.push_back(to_json(r));
  fs::write_file_atomic(fs::join(root_, "pods.json"), json_text(json{{"pods", arr}}) + "\n", 0600);
}

std::vector<PodRecord> PodStore::list() const {
  if (!fs::exists(root_)) return {};
  auto lock = fs::FileLock::acquire(fs::join(root_, "pods.lock"), fs::FileLock::Mode::Shared);
  return read();
}

std::optional<PodRecord> PodStore::find(std::string_view key) const {
  auto all = list();
  for (const auto& r : all)
    if (r.id == key || r.name == key) return r;
  std::optional<PodRecord> found;
  for (const auto& r : all) {
    if (key.size() < 3 || r.id.compare(0, key.size(), key) != 0) continue;
    if (found) fail("more than one result for pod ID {}", std::string(key));
    found = r;
  }
  return found;
}

PodRecord PodStore::get(std::string_view key) const {
  auto p = find(key);
  if (!p) fail("no pod with name or ID {} found: no such pod", std::string(key));
  return *p;
}

PodRecord PodStore::create(PodRecord record) {
  fs::mkdir_p(root_, 0700);
  auto lock = fs::FileLock::acquire(fs::join(root_, "pods.lock"), fs::FileLock::Mode::Exclusive);
  auto all = read();
  if (record.id.empty()) record.id = random_id();
  if (record.name.empty()) {
    do record.name = storage::generate_name();
    while (std::any_of(all.begin(), all.end(), [&](const auto& r) { return r.name == record.name; }));
  }
  for (const auto& r : all)
    if (r.name == record.name)
      fail("adding pod to state: name {:?} is in use: pod already exists", record.name);
  if (record.created.empty()) record.created = format::rfc3339_nano(std::chrono::system_clock::now());
  fs::mkdir_p(dir(record.id), 0700);
  all.push_back(record);
  write(all);
  return record;
}

void PodStore::update(const PodRecord& record) {
  auto lock = fs::FileLock::acquire(fs::join(root_, "pods.lock"), fs::FileLock::Mode::Exclusive);
  auto all = read();
  for (auto& r : all)
    if (r.id == record.id) r = record;
  write(all);
}

void PodStore::remove(const std::string& id) {
  {
    auto lock = fs::FileLock::acquire(fs::join(root_, "pods.lock"), fs::FileLock::Mode::Exclusive);
    auto all = read();
    std::erase_if(all, [&](const auto& r) { return r.id == id; });
    write(all);
  }
  fs::remove_all(dir(id));
}

std::vector<std::string> parse_share(const std::string& share) {
  std::vector<std::string> out;
  for (const auto& raw : split(share, ',')) {
    std::string ns = raw;
    if (ns.empty() || ns == "none") continue;
    static const std::vector<std::string> kKinds = {"cgroup", "ipc", "net", "pid", "uts"};
    if (std::find(kKinds.begin(), kKinds.end(), ns) == kKinds.end())
      fail("invalid kernel namespace to share: {}. Options are: cgroup, ipc, net, pid, uts or none", ns);
    if (std::find(out.begin(), out.end(), ns) == out.end()) out.push_back(ns);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string pod_of(const storage::ContainerRecord& rec) {
  return rec.config.is_object() ? rec.config.value("pod", "") : "";
}

bool is_infra(const storage::ContainerRecord& rec) {
  return rec.config.is_object() && rec.config.value("infra", false);
}

PodRecord create_pod(storage::Store& store, const config::StorePaths& paths, const PodCreateOptions& o) {
  if (!o.name.empty() && !valid_name(o.name))
    fail("running pod create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
  PodRecord rec;
  rec.name = o.name;
  rec.share = parse_share(o.share);
  rec.infra = o.infra;
  if (!o.infra) {
    if (!o.publish.empty()) fail("you must have an infra container to publish port bindings to the host");
    if (!o.networks.empty()) fail("cannot set --network without an infra container");
    rec.share.clear();
  }
  rec.labels = key_values(o.labels);
  PodStore pods(paths);
  rec = pods.create(rec);
  rec.hostname = o.hostname.empty() ? rec.name : o.hostname;
  storage::ContainerStore containers(paths);
  bool keep = false;
  std::string infra_id;
  ScopeGuard cleanup([&] {
    if (keep) return;
    try {
      if (!infra_id.empty()) containers.remove(infra_id);
      pods.remove(rec.id);
    } catch (const Error& e) {
      log::warn("removing pod {}: {}", rec.id, e.what());
    }
  });
  if (rec.infra) {
    // The infra's root is an empty directory: nothing runs from it.
    std::string root = fs::join(pods.dir(rec.id), "rootfs");
    fs::mkdir_p(root, 0755);
    CreateOptions c;
    c.rootfs = true;
    c.name = o.infra_name.empty() ? rec.id.substr(0, 12) + "-infra" : o.infra_name;
    c.userns = o.userns;
    c.run.networks = o.networks;
    c.run.publish = o.publish;
    c.run.add_hosts = o.add_hosts;
    c.run.dns = o.dns;
    c.run.hostname = shares(rec, "uts") ? rec.hostname : "";
    auto created = create_container(store, paths, c, root, {"/catatonit", "-P"});
    infra_id = created.record.id;
    auto crec = created.record;
    crec.config["pod"] = rec.id;
    crec.config["infra"] = true;
    containers.update(crec);
    auto cfg = created.config;
    cfg.spec.infra = true;
    save_start_config(containers, infra_id, cfg);
    rec.infra_id = infra_id;
  }
  pods.update(rec);
  pod_event(paths, rec, "create");
  keep = true;
  return rec;
}

void apply_pod(const config::StorePaths&, CreateOptions& o, const PodRecord& pod) {
  if (!o.run.publish.empty() || o.run.publish_all)
    fail("invalid config provided: published or exposed ports must be defined when the pod is created: network "
         "cannot be configured when it is shared with a pod");
  if (!pod.infra) return;
  std::string infra = "container:" + pod.infra_id;
  if (shares(pod, "net")) {
    if (!o.run.networks.empty())
      fail("invalid config provided: networks must be defined when the pod is created: network cannot be "
           "configured when it is shared with a pod");
    o.run.networks = {infra};
  }
  if (shares(pod, "ipc")) {
    if (!o.ipc.empty()) fail("invalid config provided: cannot set --ipc: the IPC namespace is shared with the pod");
    o.ipc = infra;
  }
  if (shares(pod, "uts")) {
    if (!o.run.hostname.empty())
      fail("invalid config provided: cannot set hostname when joining the pod UTS namespace");
    o.uts = infra;
    o.run.hostname = pod.hostname;
  }
  if (shares(pod, "pid")) {
    if (!o.pid.empty()) fail("invalid config provided: cannot set --pid: the PID namespace is shared with the pod");
    o.pid = infra;
  }
}

std::vector<storage::ContainerRecord> pod_containers(const storage::ContainerStore& containers,
                                                     const PodRecord& pod) {
  std::vector<storage::ContainerRecord> out;
  for (auto& r : containers.list())
    if (pod_of(r) == pod.id) out.push_back(r);
  std::stable_partition(out.begin(), out.end(), [](const auto& r) { return is_infra(r); });
  return out;
}

std::string container_status(storage::ContainerStore& containers, const config::StorePaths& paths,
                             const std::string& id) {
  auto st = current_state(containers, paths, id);
  if (st.running()) return "running";
  if (st.status == "created") return "created";
  return "exited";
}

std::vector<PodRecord> prunable_pods(storage::ContainerStore& containers, const config::StorePaths& paths) {
  std::vector<PodRecord> out;
  for (const auto& p : PodStore(paths).list()) {
    auto status = pod_status(containers, paths, p);
    if (status == "Exited" || status == "Stopped") out.push_back(p);
  }
  return out;
}

std::string pod_status(storage::ContainerStore& containers, const config::StorePaths& paths, const PodRecord& pod) {
  auto members = pod_containers(containers, pod);
  if (members.empty()) return "Created";
  size_t running = 0, created = 0, exited = 0;
  for (const auto& r : members) {
    auto s = container_status(containers, paths, r.id);
    running += s == "running";
    created += s == "created";
    exited += s == "exited";
  }
  if (running == members.size()) return "Running";
  if (created == members.size()) return "Created";
  if (exited == members.size()) return "Exited";
  if (running == 0) return "Stopped";
  return "Degraded";
}

void stop_pod(storage::ContainerStore& containers, const config::StorePaths& paths, const PodRecord& pod,
              std::optional<int> timeout) {
  auto members = pod_containers(containers, pod);
  std::reverse(members.begin(), members.end());  // the infra last
  for (const auto& r : members) {
    if (!current_state(containers, paths, r.id).running()) continue;
    auto cfg = load_start_config(containers, r.id);
    stop_container(containers, paths, r.id, parse_signal(cfg.stop_signal),
                   std::chrono::seconds(timeout ? *timeout : cfg.stop_timeout));
    container_event(paths, r, "stop");
  }
}

void check_pod_removable(storage::ContainerStore& containers, const config::StorePaths& paths, const PodRecord& pod) {
  for (const auto& r : pod_containers(containers, pod))
    if (current_state(containers, paths, r.id).running())
      fail("pod {} has containers that are not ready to be removed: cannot remove container {} as it is running - "
             "running or paused containers cannot be removed without force: container state improper",
           pod.id, r.id);
}

void remove_pod(storage::ContainerStore& containers, const config::StorePaths& paths, const PodRecord& pod,
                bool anonymous_volumes) {
  auto members = pod_containers(containers, pod);
  std::reverse(members.begin(), members.end());
  for (const auto& r : members) {
    force_remove_container(containers, paths, r, std::nullopt);
    if (anonymous_volumes) remove_anonymous_volumes(paths, containers, r);
  }
  PodStore(paths).remove(pod.id);
  pod_event(paths, pod, "remove");
}

}  // namespace cabin::engine
