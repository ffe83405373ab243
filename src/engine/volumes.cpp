#include "engine/volumes.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "engine/create.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/log.h"
#include "util/strings.h"

namespace cabin::engine {
namespace {

bool empty_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open volume {}", path);
  char buf[1024];
  for (;;) {
    long n = ::syscall(SYS_getdents64, fd.get(), buf, sizeof buf);
    if (n < 0) throw_errno("read volume {}", path);
    if (n == 0) return true;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      std::string_view name(d->d_name);
      if (name != "." && name != "..") return false;
    }
  }
}

// Whether the container's root has a directory at path (symlinks resolved
// inside the root).
bool dir_in_root(const std::string& rootfs, const std::string& path) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return false;
  return static_cast<bool>(fs::open_in_root(root.get(), path, O_PATH | O_DIRECTORY));
}

}  // namespace

std::vector<std::string> ensure_volumes(storage::VolumeStore& store, std::vector<runtime::MountSpec>& mounts) {
  std::vector<std::string> made;
  try {
    for (auto& m : mounts) {
      if (m.anonymous && m.volume.empty()) {
        storage::Volume v;
        v.anonymous = true;
        m.volume = store.create(v).name;
        made.push_back(m.volume);
      } else if (!m.volume.empty() && !store.find(m.volume)) {
        storage::Volume v;
        v.name = m.volume;
        store.create(v);
        made.push_back(m.volume);
      }
    }
  } catch (...) {
    for (const auto& name : made) store.remove(name);
    throw;
  }
  return made;
}

void record_volumes(storage::ContainerRecord& rec, const std::vector<runtime::MountSpec>& mounts) {
  nlohmann::json all = nlohmann::json::array(), anon = nlohmann::json::array(), dests = nlohmann::json::array();
  for (const auto& m : mounts) {
    if (m.volume.empty()) continue;
    all.push_back(m.volume);
    dests.push_back(m.destination);
    if (m.anonymous) anon.push_back(m.volume);
  }
  rec.config["volumes"] = all;
  rec.config["anonymous_volumes"] = anon;
  rec.config["volume_destinations"] = dests;
}

namespace {

std::vector<std::string> config_strings(const storage::ContainerRecord& rec, const char* key) {
  std::vector<std::string> out;
  if (rec.config.is_object() && rec.config.contains(key) && rec.config[key].is_array())
    for (const auto& n : rec.config[key])
      if (n.is_string()) out.push_back(n.get<std::string>());
  return out;
}

}  // namespace

std::vector<std::string> volumes_of(const storage::ContainerRecord& rec, bool anonymous_only) {
  return config_strings(rec, anonymous_only ? "anonymous_volumes" : "volumes");
}

std::vector<std::string> volume_destinations(const storage::ContainerRecord& rec) {
  return config_strings(rec, "volume_destinations");
}

std::vector<storage::ContainerRecord> volume_users(const storage::ContainerStore& containers, const std::string& name) {
  std::vector<storage::ContainerRecord> out;
  for (auto& rec : containers.list()) {
    auto names = volumes_of(rec);
    if (std::find(names.begin(), names.end(), name) != names.end()) out.push_back(std::move(rec));
  }
  return out;
}

std::map<std::string, int> volume_links(const storage::ContainerStore& containers) {
  std::map<std::string, int> out;
  for (const auto& rec : containers.list())
    for (const auto& name : volumes_of(rec)) ++out[name];
  return out;
}

std::vector<runtime::MountSpec> inherited_mounts(const storage::ContainerStore& containers,
                                                 const std::vector<std::string>& values) {
  std::vector<runtime::MountSpec> out;
  for (const auto& value : values) {
    auto colon = value.find(':');
    std::string name = value.substr(0, colon);
    std::optional<bool> ro;
    if (colon != std::string::npos)
      for (const auto& opt : split(value.substr(colon + 1), ',')) {
        if (opt == "ro") ro = true;
        else if (opt == "rw") ro = false;
        else if (opt != "z" && opt != "Z") fail("invalid option {:?} for --volumes-from {}: use ro, rw or z", opt, value);
      }
    auto other = containers.find(name);
    if (!other) fail("no container with name or ID {:?} found: no such container", name);
    std::string userdata = fs::join(containers.dir(other->id), "userdata/");
    for (auto m : load_start_config(containers, other->id).spec.mounts) {
      if (m.kind != runtime::MountSpec::Kind::Bind && m.volume.empty()) continue;  // its own tmpfs
      if (m.source.rfind(userdata, 0) == 0) continue;                            // its /etc files
      if (!m.device.empty()) continue;                                           // its --device nodes
      if (ro) m.read_only = *ro;
      m.anonymous = false;  // the other container's: rm -v of this one leaves it
      m.chown = false;
      out.push_back(std::move(m));
    }
  }
  return out;
}

VolumeSetup::VolumeSetup(const config::StorePaths& paths, runtime::ContainerSpec& spec) : store_(paths), spec_(spec) {
  auto resolve = [&](bool locked) {
    fresh_.clear();
    std::set<std::string> seen;
    bool any_fresh = false;
    for (auto& m : spec_.mounts) {
      if (m.volume.empty()) continue;
      auto v = store_.find(m.volume);
      if (!v)
        fail("volume {} is gone (it was removed while this container exists): create it again with `cabin volume "
             "create {}`",
             m.volume, m.volume);
      m.fill = m.init_owner = false;
      if (v->tmpfs()) {
        m.kind = runtime::MountSpec::Kind::Tmpfs;
        m.data = v->tmpfs_data();
        m.flags = MS_NOSUID | MS_NODEV;
        m.copy_up = false;
        continue;
      }
      m.source = store_.source(*v);
      if (!(v->needs_chown || v->needs_copy_up) || !seen.insert(v->name).second) continue;
      any_fresh = true;
      if (!locked) continue;
      bool empty = empty_dir(m.source);
      m.init_owner = v->needs_chown && empty;
      m.fill = v->needs_copy_up && m.copy_up && v->copy() && empty && dir_in_root(spec_.rootfs, m.destination);
      if (!empty || m.fill) v->needs_copy_up = false;
      v->needs_chown = false;
      fresh_.push_back(*v);
    }
    return any_fresh;
  };
  // Only a fresh volume needs the lock: set up once, by one container.
  if (resolve(false)) {
    lock_ = store_.lock();
    resolve(true);
  }
}

void VolumeSetup::started() {
  for (const auto& v : fresh_) store_.update(v);
  fresh_.clear();
  for (auto& m : spec_.mounts) m.fill = m.init_owner = false;
  lock_ = {};
}

void remove_anonymous_volumes(const config::StorePaths& paths, const storage::ContainerStore& containers,
                              const storage::ContainerRecord& rec) {
  auto names = volumes_of(rec, true);
  if (names.empty()) return;
  storage::VolumeStore store(paths);
  auto lock = store.lock();
  auto links = volume_links(containers);
  for (const auto& name : names) {
    if (links.count(name)) continue;
    try {
      store.remove(name);
    } catch (const Error& e) {
      log::warn("removing volume {}: {}", name, e.what());
    }
  }
}

}  // namespace cabin::engine
