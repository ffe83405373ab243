#include "engine/kube.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <set>

#include <fmt/format.h>

#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "runtime/cgroups.h"
#include "storage/pull.h"
#include "storage/secrets.h"
#include "storage/volumes.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace cabin::engine::kube {
namespace {

// A ConfigMap's or Secret's file into its volume, resolved inside the
// volume: a symlink that a container left in it leads nowhere outside.
void write_volume_file(const std::string& dir, const std::string& file, const std::string& content) {
  UniqueFd root(::open(dir.c_str(), O_DIRECTORY | O_PATH | O_CLOEXEC));
  if (!root) throw_errno("open volume {}", dir);
  for (size_t slash = file.find('/'); slash != std::string::npos; slash = file.find('/', slash + 1)) {
    auto sub = file.substr(0, slash);
    auto cut = sub.rfind('/');
    auto parent = fs::open_in_root(root.get(), cut == std::string::npos ? "." : sub.substr(0, cut), O_DIRECTORY | O_PATH);
    auto name = cut == std::string::npos ? sub : sub.substr(cut + 1);
    if (!parent || (::mkdirat(parent.get(), name.c_str(), 0755) != 0 && errno != EEXIST))
      throw_errno("create {} in volume {}", sub, dir);
  }
  auto fd = fs::open_in_root(root.get(), file, O_WRONLY | O_CREAT | O_TRUNC);
  if (!fd || ::fchmod(fd.get(), 0644) != 0 || !write_all(fd.get(), content))
    throw_errno("write {} in volume {}", file, dir);
}

using cabin::kube::Plan;
using cabin::kube::Volume;

// What play made so far, removed again when it does not get to the end.
struct Made {
  std::vector<PodRecord> pods;
  std::vector<std::string> volumes, secrets;
};

void undo(storage::ContainerStore& containers, const config::StorePaths& paths, const Made& m) {
  auto quietly = [](const auto& what, auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      log::warn("removing {}: {}", what, e.what());
    }
  };
  for (const auto& p : m.pods)
    quietly(p.name, [&] {
      stop_pod(containers, paths, p, 0);
      remove_pod(containers, paths, p, true);
    });
  storage::VolumeStore volumes(paths);
  for (const auto& v : m.volumes)
    quietly(v, [&] {
      auto lock = volumes.lock();
      volumes.remove(v);
    });
  storage::SecretStore secrets(paths);
  for (const auto& s : m.secrets)
    quietly(s, [&] {
      auto lock = secrets.lock();
      if (auto found = secrets.find(s)) secrets.remove(*found);
    });
}

// hostPath's type checked (Directory, File, …) or made (…OrCreate).
void check_host_path(const Volume& v, bool make) {
  if (v.source.find('/') == std::string::npos) return;  // a named volume
  const auto& p = v.source;
  if (v.type == "DirectoryOrCreate") {
    if (make) fs::mkdir_p(p, 0755);
  } else if (v.type == "FileOrCreate") {
    if (make && !fs::exists(p)) fs::write_file_atomic(p, "", 0644);
  } else if (v.type == "Directory" && !fs::is_dir(p)) {
    fail("failed to create volume {:?}: hostPath {} is not a directory", v.name, p);
  } else if (v.type == "File" && (!fs::exists(p) || fs::is_dir(p))) {
    fail("failed to create volume {:?}: hostPath {} is not a file", v.name, p);
  } else if (!v.type.empty() && !fs::exists(p)) {
    fail("failed to create volume {:?}: hostPath {}: no such file or directory", v.name, p);
  }
}

struct PodWork {
  const cabin::kube::Pod* pod;
  std::vector<cabin::kube::ContainerPlan> containers;
  std::map<std::string, std::map<std::string, std::string>> volume_files;  // volume name (source) -> files
};

}  // namespace

PlayReport play(storage::Store& store, const config::StorePaths& paths, const Plan& plan, const PlayOptions& o) {
  storage::ContainerStore containers(paths);
  PodStore pods(paths);
  storage::SecretStore secrets(paths);

  // 1. Names: free, or (--replace) held by the plan's own pods.
  std::vector<PodRecord> replaced;
  std::set<std::string> replaced_ids;
  for (const auto& p : plan.pods)
    if (auto existing = pods.find(p.name); existing && existing->name == p.name) {
      if (!o.replace) fail("adding pod to state: name {:?} is in use: pod already exists", p.name);
      replaced.push_back(*existing);
      replaced_ids.insert(existing->id);
    }

  // 2. Each container's options, with every reference resolved.
  cabin::kube::StoredSecret stored = [&](const std::string& name) {
    auto s = secrets.get(name);
    return cabin::kube::secret_data(secrets.value(s));
  };
  std::vector<PodWork> work;
  for (const auto& p : plan.pods) {
    PodWork w{&p, {}, {}};
    for (const auto& v : p.volumes) {
      if (v.kind == Volume::Kind::HostPath) check_host_path(v, false);
      if (v.kind != Volume::Kind::ConfigMap && v.kind != Volume::Kind::Secret) continue;
      auto files = with_context(fmt::format("pod {}", p.name), [&] { return cabin::kube::volume_files(plan, v, stored); });
      if (!files.empty() || v.kind == Volume::Kind::ConfigMap) w.volume_files[v.source] = files;
    }
    for (const auto& c : p.containers) {
      auto cp = with_context(fmt::format("pod {}", p.name), [&] { return cabin::kube::container_plan(plan, p, c, stored); });
      if (auto other = containers.find(cp.options.name); other && other->name == cp.options.name &&
                                                          !replaced_ids.count(pod_of(*other)))
        fail("creating container storage: the container name {:?} is already in use by {}. You have to remove that "
             "container to be able to reuse that name: that name is already in use",
             cp.options.name, other->id);
      if (cp.limits_asked) {
        log::warn("container {}: resources.limits not applied: {}", cp.options.name,
                  runtime::limits_unavailable(runtime::detect_cgroups(), "resources.limits"));
        cp.options.memory.clear();
        cp.options.cpus.clear();
      }
      w.containers.push_back(std::move(cp));
    }
    work.push_back(std::move(w));
  }

  // 3. Images: present, or pulled as imagePullPolicy says.
  for (const auto& p : plan.pods)
    for (const auto& c : p.containers) {
      std::string policy = c.pull_policy == "Always" ? "always" : c.pull_policy == "Never" ? "never" : "missing";
      storage::PullOptions po;
      static_cast<storage::RemoteOptions&>(po) = o.remote;
      po.policy = storage::parse_pull_policy(policy);
      po.quiet = o.quiet;
      if (po.policy != storage::PullPolicy::Always && store.find_image(c.image)) continue;
      if (po.policy == storage::PullPolicy::Never)
        fail("container {:?}: image {} is not in the store and imagePullPolicy is Never", c.name, c.image);
      with_context(fmt::format("pulling the image of container {:?}", c.name),
                   [&] { storage::pull_image(store, c.image, po); });
    }

  // 4. Made, and undone when anything fails.
  if (!replaced.empty()) down(containers, paths, plan, true, [] {});
  Made made;
  PlayReport report;
  try {
    {
      auto lock = secrets.lock();
      for (const auto& [name, data] : plan.secrets) {
        bool existed = secrets.find(name).has_value();
        storage::Secret s;
        s.name = name;
        secrets.create(s, cabin::kube::secret_value(name, data), true);
        if (!existed) made.secrets.push_back(name);
      }
    }
    storage::VolumeStore volumes(paths);
    {
      auto lock = volumes.lock();
      for (const auto& c : plan.claims) {
        if (!volumes.find(c.name)) {
          storage::Volume v;
          v.name = c.name;
          v.labels = c.labels;
          for (const auto& [k, val] : c.annotations) {
            if (!k.starts_with("volume.podman.io/")) continue;
            std::string key = k.substr(17);
            if (key == "driver") v.driver = val;
            else if (key == "mount-options") v.options["o"] = val;
            else if (key == "device" || key == "type") v.options[key] = val;
          }
          volumes.create(v);
          made.volumes.push_back(c.name);
        }
        report.volumes.push_back(c.name);
      }
      for (const auto& w : work)
        for (const auto& [name, files] : w.volume_files) {
          auto v = volumes.find(name);
          if (!v) {
            storage::Volume nv;
            nv.name = name;
            v = volumes.create(nv);
            made.volumes.push_back(name);
          }
          // Its files are the keys; nothing is copied up from an image over them.
          v->needs_copy_up = false;
          volumes.update(*v);
          auto dir = volumes.mountpoint(name);
          for (const auto& [file, content] : files) write_volume_file(dir, file, content);
        }
    }
    for (const auto& p : plan.pods)
      for (const auto& v : p.volumes)
        if (v.kind == Volume::Kind::HostPath) check_host_path(v, true);

    // Every pod and container is made before any starts: a failure on the
    // way then leaves nothing running (nor restarting) to remove.
    std::vector<std::pair<PodRecord, std::vector<storage::ContainerRecord>>> made_pods;
    for (auto& w : work) {
      auto pod = create_pod(store, paths, cabin::kube::pod_options(*w.pod));
      made.pods.push_back(pod);
      PlayReport::Pod pr{pod.id, {}};
      std::vector<storage::ContainerRecord> members;
      for (size_t i = 0; i < w.containers.size(); ++i) {
        auto& cp = w.containers[i];
        auto opts = cp.options;
        opts.pod = pod.id;
        opts.pull = "never";  // present by now; create joins the pod's namespaces
        auto created = create_container(store, paths, opts, w.pod->containers[i].image, cp.command);
        members.push_back(created.record);
        pr.containers.push_back(created.record.id);
      }
      made_pods.emplace_back(pod, std::move(members));
      report.pods.push_back(std::move(pr));
    }
    if (o.start)
      for (const auto& [pod, members] : made_pods) {
        if (!pod.infra_id.empty()) start_detached(containers, paths, *containers.find(pod.infra_id));
        for (const auto& r : members) start_detached(containers, paths, r);
      }
  } catch (...) {
    undo(containers, paths, made);
    throw;
  }
  return report;
}

DownReport down(storage::ContainerStore& containers, const config::StorePaths& paths, const Plan& plan,
                bool ignore_missing, const std::function<void()>& before_remove) {
  PodStore pods(paths);
  std::vector<PodRecord> found;
  for (const auto& name : cabin::kube::pod_names(plan)) {
    auto p = pods.find(name);
    if (p && p->name == name) found.push_back(*p);
    else if (!ignore_missing) fail("no pod with name or ID {} found: no such pod", name);
  }
  DownReport r;
  for (const auto& p : found) {
    stop_pod(containers, paths, p, std::nullopt);
    r.stopped.push_back(p.id);
  }
  before_remove();
  for (const auto& p : found) {
    remove_pod(containers, paths, p, true);
    r.removed.push_back(p.id);
  }
  return r;
}

}  // namespace cabin::engine::kube
