#include "config/paths.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include <cpptoml.h>

#include "util/error.h"
#include "util/fs.h"

namespace cabin::config {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Expands a leading "~/", $HOME, $UID and $USER as storage.conf allows (a
// system-wide rootless_storage_path such as "/local/$USER/containers").
std::string expand_home(std::string path) {
  if (path.rfind("~/", 0) == 0) return home_dir() + path.substr(1);
  auto replace = [&](std::string_view var, const std::string& value) {
    for (auto pos = path.find(var); pos != std::string::npos; pos = path.find(var, pos + value.size()))
      path.replace(pos, var.size(), value);
  };
  replace("$HOME", home_dir());
  replace("$UID", std::to_string(::getuid()));
  if (path.find("$USER") != std::string::npos) {
    const passwd* pw = ::getpwuid(::getuid());
    replace("$USER", pw ? pw->pw_name : env("USER"));
  }
  return path;
}

std::string user_storage_conf() { return fs::join(user_config_dir(), "containers/storage.conf"); }

struct StorageConf {
  std::string graphroot, runroot, driver;
};

StorageConf read_storage_conf() {
  StorageConf out;
  for (const auto& path : {storage_conf_path()}) {
    if (!fs::exists(path)) continue;
    try {
      auto doc = cpptoml::parse_file(path);
      auto storage = doc->get_table("storage");
      if (!storage) continue;
      // cabin keeps its own store layout; graphroot is honoured only under
      // the rootless_storage_path/graphroot keys as Podman reads them.
      if (::geteuid() != 0) {
        if (auto v = storage->get_as<std::string>("rootless_storage_path")) out.graphroot = expand_home(*v);
        // The system's file, which a rootless user without one of their own
        // reads: its graphroot, runroot and driver are root's.
        if (path != user_storage_conf() && env("CONTAINERS_STORAGE_CONF").empty()) break;
      }
      if (auto v = storage->get_as<std::string>("driver")) out.driver = *v;
      if (auto v = storage->get_as<std::string>("graphroot")) out.graphroot = expand_home(*v);
      if (auto v = storage->get_as<std::string>("runroot")) out.runroot = expand_home(*v);
    } catch (const cpptoml::parse_exception& e) {
      fail("storage.conf {}: {}", path, e.what());
    }
    break;
  }
  return out;
}

}  // namespace

std::string home_dir() {
  if (auto h = env("HOME"); !h.empty()) return h;
  struct passwd pw, *res = nullptr;
  char buf[4096];
  if (getpwuid_r(::getuid(), &pw, buf, sizeof buf, &res) == 0 && res) return pw.pw_dir;
  fail("cannot find the home directory: HOME is unset and uid {} has no passwd entry", ::getuid());
}

std::string user_config_dir() {
  if (auto x = env("XDG_CONFIG_HOME"); !x.empty()) return x;
  return fs::join(home_dir(), ".config");
}

std::string storage_conf_path() {
  if (auto e = env("CONTAINERS_STORAGE_CONF"); !e.empty()) return e;
  if (::geteuid() == 0) return "/etc/containers/storage.conf";
  // Rootless: the user's file; without one, the system's (as Podman), where
  // an administrator sets rootless_storage_path for every user of a host.
  std::string user = user_storage_conf();
  if (fs::exists(user)) return user;
  for (const char* system : {"/etc/containers/storage.conf", "/usr/share/containers/storage.conf"})
    if (fs::exists(system)) return system;
  return user;
}

unsigned host_uid() {
  uid_t uid = ::getuid();
  auto map = fs::read_file_if_exists("/proc/self/uid_map");
  if (!map) return uid;
  std::istringstream in(*map);
  unsigned long inside = 0, outside = 0, count = 0;
  while (in >> inside >> outside >> count)
    if (uid >= inside && uid - inside < count) return static_cast<unsigned>(outside + (uid - inside));
  return uid;
}

std::string xdg_runtime_dir() {
  auto x = env("XDG_RUNTIME_DIR");
  if (x.empty()) return "";
  struct stat st;
  if (::stat(x.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid()) return "";
  return x;
}

StorePaths resolve_store_paths(const std::string& root_flag, const std::string& runroot_flag,
                               const std::string& driver_flag) {
  StorePaths p;
  // Resolved before entering the user namespace, so geteuid() is the real one.
  if (::geteuid() == 0) {
    p.graphroot = "/var/lib/cabin";
    p.runroot = "/run/cabin";
  } else {
    auto data = env("XDG_DATA_HOME");
    p.graphroot = fs::join(data.empty() ? fs::join(home_dir(), ".local/share") : data, "cabin");
    auto rt = xdg_runtime_dir();
    p.runroot = rt.empty() ? fmt::format("/tmp/cabin-run-{}", ::getuid()) : fs::join(rt, "cabin");
  }
  auto conf = read_storage_conf();
  if (!conf.graphroot.empty()) p.graphroot = conf.graphroot;
  if (!conf.runroot.empty()) p.runroot = conf.runroot;
  p.driver = conf.driver;
  if (!root_flag.empty()) p.graphroot = root_flag;
  if (!runroot_flag.empty()) p.runroot = runroot_flag;
  if (!driver_flag.empty()) p.driver = driver_flag;
  return p;
}

void ensure_private_dir(const std::string& path) {
  fs::mkdir_p(path, 0700);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) throw_errno("stat {}", path);
  if (!S_ISDIR(st.st_mode)) fail("{} is not a directory", path);
  if (st.st_uid != ::geteuid())
    fail("{} is owned by uid {}, not by you (uid {}): set XDG_RUNTIME_DIR or --runroot", path,
         st.st_uid, ::geteuid());
  if ((st.st_mode & 077) != 0 && ::chmod(path.c_str(), 0700) != 0) throw_errno("chmod {}", path);
}

}  // namespace cabin::config
