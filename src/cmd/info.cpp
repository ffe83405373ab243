// cabin info
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cabin-config.h"
#include "cmd/common.h"
#include "config/containers_conf.h"
#include "config/paths.h"
#include "config/registries.h"
#include "config/mode.h"
#include "format/output.h"
#include "rootless/doctor.h"
#include "rootless/idmap.h"
#include "runtime/cgroups.h"
#include "storage/rootfs.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/process.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

using nlohmann::ordered_json;

struct InfoOptions {
  std::string format;
};

ordered_json id_map_json(const std::vector<rootless::IdRange>& ranges) {
  ordered_json a = ordered_json::array();
  for (const auto& r : ranges)
    a.push_back({{"container_id", r.container_id}, {"host_id", r.host_id}, {"size", r.size}});
  return a;
}

std::string os_release(const std::string& key) {
  auto text = fs::read_file_if_exists("/etc/os-release").value_or("");
  for (const auto& line : split(text, '\n')) {
    if (line.rfind(key + "=", 0) != 0) continue;
    std::string v = line.substr(key.size() + 1);
    if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

ordered_json cgroup_info() {
  auto host = runtime::detect_cgroups();
  ordered_json c;
  c["cgroupVersion"] = host.mode == runtime::CgroupHost::Mode::V2 ? "v2" : "v1";
  c["cgroupControllers"] = host.controllers;
  std::string delegation;
  if (host.mode != runtime::CgroupHost::Mode::V2)
    delegation = "unavailable: cgroup v1 (or hybrid) host; resource limits cannot be applied rootless";
  else if (::geteuid() == 0)
    delegation = "root";
  else
    delegation = host.delegated ? "delegated: " + host.own_dir : "not delegated: " + host.own_dir + " is not writable";
  c["cgroupDelegation"] = delegation;
  return c;
}

std::string fs_type_name(const std::string& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) return "unknown";
  return rootless::filesystem_name(static_cast<uint64_t>(st.f_type));
}

ordered_json build_info(const Globals& g) {
  struct utsname u {};
  ::uname(&u);
  bool rootless = ::geteuid() != 0;
  auto mapping = rootless::current_mapping();
  ordered_json host;
  host["arch"] = std::string(u.machine) == "x86_64" ? "amd64" : (std::string(u.machine) == "aarch64" ? "arm64" : u.machine);
  auto cg = cgroup_info();
  host["cgroupControllers"] = cg["cgroupControllers"];
  host["cgroupManager"] = "cgroupfs";
  host["cgroupVersion"] = cg["cgroupVersion"];
  host["cgroupDelegation"] = cg["cgroupDelegation"];
  host["cpus"] = ::sysconf(_SC_NPROCESSORS_ONLN);
  host["distribution"] = {{"codename", os_release("VERSION_CODENAME")},
                          {"distribution", os_release("ID")},
                          {"version", os_release("VERSION_ID")}};
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  host["hostname"] = hostname;
  if (rootless) {
    host["idMappings"] = {{"gidmap", id_map_json(mapping.gids)}, {"uidmap", id_map_json(mapping.uids)}};
    std::string source;
    if (mapping.single_id())
      source = "single id (no subordinate ranges in /etc/subuid and /etc/subgid)";
    else if (find_in_path("newuidmap").empty() || find_in_path("newgidmap").empty())
      source = "single id (newuidmap/newgidmap not installed)";
    else
      source = "/etc/subuid and /etc/subgid via " + find_in_path("newuidmap");
    host["idMappings"]["source"] = source;
  } else {
    host["idMappings"] = {{"gidmap", nullptr}, {"uidmap", nullptr}};
  }
  host["kernel"] = u.release;
  host["logDriver"] = "k8s-file";
  long pages = ::sysconf(_SC_PHYS_PAGES), avail = ::sysconf(_SC_AVPHYS_PAGES), psize = ::sysconf(_SC_PAGESIZE);
  host["memFree"] = static_cast<int64_t>(avail) * psize;
  host["memTotal"] = static_cast<int64_t>(pages) * psize;
  host["networkBackend"] = "libslirp (in the container's monitor)";
  host["ociRuntime"] = {{"name", "cabin"}, {"path", "built in"}};
  host["os"] = "linux";
  host["security"] = {{"capabilities",
                       "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_NET_BIND_SERVICE,"
                       "CAP_SETFCAP,CAP_SETGID,CAP_SETPCAP,CAP_SETUID,CAP_SYS_CHROOT"},
                      {"rootless", rootless},
                      {"seccompEnabled", true}};
  // The containers.conf files that were read, in the order they were merged.
  ordered_json cc = {{"files", ordered_json::array()}};
  try {
    cc["files"] = config::containers_conf().files_read;
  } catch (const std::exception& e) {
    cc["error"] = e.what();
  }
  host["containersConf"] = cc;

  ordered_json reg = ordered_json::object();
  try {
    auto conf = config::RegistriesConf::load();
    if (!conf.unqualified_search_registries.empty()) reg["search"] = conf.unqualified_search_registries;
    for (const auto& r : conf.registries) {
      ordered_json e = {{"Prefix", r.prefix}, {"Location", r.location.empty() ? r.prefix : r.location},
                        {"Insecure", r.insecure}, {"Blocked", r.blocked}};
      ordered_json mirrors = ordered_json::array();
      for (const auto& m : r.mirrors) mirrors.push_back({{"Location", m.location}, {"Insecure", m.insecure}});
      e["Mirrors"] = mirrors;
      reg[r.prefix] = e;
    }
    if (!conf.files_read.empty()) reg["files"] = conf.files_read;
  } catch (const std::exception& e) {
    reg["error"] = e.what();
  }

  ordered_json store;
  size_t images = 0;
  try {
    images = storage::Store(g.paths).images().size();
  } catch (const std::exception&) {
  }
  struct statfs sfs {};
  fs::mkdir_p(g.paths.graphroot, 0700);
  ::statfs(g.paths.graphroot.c_str(), &sfs);
  store["configFile"] = config::storage_conf_path();
  store["containerStore"] = {{"number", 0}, {"paused", 0}, {"running", 0}, {"stopped", 0}};
  store["graphDriverName"] = storage::reported_driver(g.paths.graphroot, g.paths.driver);
  store["graphRoot"] = g.paths.graphroot;
  store["graphRootAllocated"] = static_cast<uint64_t>(sfs.f_blocks) * sfs.f_bsize;
  store["graphRootUsed"] = static_cast<uint64_t>(sfs.f_blocks - sfs.f_bfree) * sfs.f_bsize;
  store["graphStatus"] = {{"Backing Filesystem", fs_type_name(g.paths.graphroot)}};
  // Why a store does not use native overlay (kept when the driver was chosen).
  if (auto why = storage::recorded_driver_reason(g.paths.graphroot); !why.empty() && g.paths.driver.empty())
    store["graphStatus"]["Driver Reason"] = why;
  store["imageStore"] = {{"number", images}};
  store["runRoot"] = g.paths.runroot;
  store["volumePath"] = fs::join(g.paths.graphroot, "volumes");

  ordered_json version = {{"APIVersion", CABIN_VERSION}, {"Built", 0}, {"BuiltTime", __DATE__ " " __TIME__},
                          {"GitCommit", CABIN_GIT_COMMIT}, {"GoVersion", "c++20"}, {"Os", "linux"},
                          {"OsArch", "linux/" + host["arch"].get<std::string>()}, {"Version", CABIN_VERSION}};
  ordered_json out;
  out["host"] = host;
  out["registries"] = reg;
  out["store"] = store;
  out["version"] = version;
  if (config::docker_mode()) {
    // The fields of `docker info` that scripts read with --format.
    out["ServerVersion"] = CABIN_VERSION;
    out["Driver"] = store["graphDriverName"];
    out["DockerRootDir"] = g.paths.graphroot;
    out["Images"] = images;
    out["OSType"] = "linux";
    out["Architecture"] = host.value("arch", "");
    out["KernelVersion"] = host.value("kernel", "");
    out["Name"] = host.value("hostname", "");
    out["CgroupVersion"] = host.value("cgroupVersion", "") == "v2" ? "2" : "1";
    out["CgroupDriver"] = "cgroupfs";
  }
  return out;
}

// YAML as Podman prints info: block style, two-space indent, "- " lists at
// the parent's indentation.
bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* kWords[] = {"true", "false", "yes", "no", "null", "on", "off", "~"};
  for (auto w : kWords)
    if (to_lower(s) == w) return true;
  if (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '.') {
    bool numeric = s.find_first_not_of("0123456789.-+eE") == std::string::npos;
    if (numeric) return true;
  }
  if (std::string(":{}[],&*#?|<>=!%@`'\"").find(s[0]) != std::string::npos) return true;
  return s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.back() == ':' ||
         s.front() == ' ' || s.back() == ' ';
}

std::string yaml_scalar(const ordered_json& v) {
  if (v.is_null()) return "null";
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (!needs_quotes(s)) return s;
    if (s.find('\'') == std::string::npos && s.find('"') == std::string::npos && !s.empty() &&
        !std::isdigit(static_cast<unsigned char>(s[0])))
      return "'" + s + "'";
    return json_text(ordered_json(s));
  }
  return json_text(v);
}

void emit_yaml(std::string& out, const ordered_json& v, int indent) {
  std::string pad(indent, ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const auto& val = it.value();
      std::string key = needs_quotes(it.key()) ? json_text(ordered_json(it.key())) : it.key();
      if (val.is_object() && !val.empty()) {
        out += pad + key + ":\n";
        emit_yaml(out, val, indent + 2);
      } else if (val.is_array() && !val.empty()) {
        out += pad + key + ":\n";
        emit_yaml(out, val, indent);
      } else if (val.is_object()) {
        out += pad + key + ": {}\n";
      } else if (val.is_array()) {
        out += pad + key + ": []\n";
      } else {
        out += pad + key + ": " + yaml_scalar(val) + "\n";
      }
    }
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_object()) {
        std::string sub;
        emit_yaml(sub, e, indent + 2);
        sub.replace(0, indent + 2, pad + "- ");
        out += sub;
      } else {
        out += pad + "- " + yaml_scalar(e) + "\n";
      }
    }
  }
}

int run_info(const Globals& g, const InfoOptions& o) {
  auto info = build_info(g);
  if (o.format.empty() || o.format == "yaml") {
    std::string out;
    emit_yaml(out, info, 0);
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  // Templates name Go's fields ({{.Store.GraphRoot}}), which the template
  // engine finds under the JSON keys ("graphRoot").
  format::print_object(stdout, o.format, info, 2, "info");
  return 0;
}

}  // namespace

Runner bind_info(CLI::App& app, Globals& g) {
  auto o = std::make_shared<InfoOptions>();
  app.add_option("-f,--format", o->format, "Change the output format to JSON or a Go template");
  return [o, &g] { return run_info(g, *o); };
}

}  // namespace cabin::cmd
