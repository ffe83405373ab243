#include "runtime/spec_json.h"

#include <charconv>

#include "util/error.h"
#include "util/strings.h"

namespace cabin::runtime {
namespace {

using nlohmann::json;

json ranges_json(const std::vector<rootless::IdRange>& rs) {
  json a = json::array();
  for (const auto& r : rs) a.push_back({r.container_id, r.host_id, r.size});
  return a;
}

std::vector<rootless::IdRange> ranges_from(const json& a) {
  std::vector<rootless::IdRange> out;
  for (const auto& r : a) out.push_back({r.at(0).get<uint32_t>(), r.at(1).get<uint32_t>(), r.at(2).get<uint32_t>()});
  return out;
}

json mapping_json(const rootless::IdMapping& m) { return {{"uids", ranges_json(m.uids)}, {"gids", ranges_json(m.gids)}}; }

rootless::IdMapping mapping_from(const json& j) {
  rootless::IdMapping m;
  m.uids = ranges_from(j.at("uids"));
  m.gids = ranges_from(j.at("gids"));
  return m;
}

json spec_json(const ContainerSpec& s) {
  json mounts = json::array();
  for (const auto& m : s.mounts)
    mounts.push_back({{"kind", m.kind == MountSpec::Kind::Bind ? "bind" : "tmpfs"},
                      {"source", m.source},
                      {"destination", m.destination},
                      {"read_only", m.read_only},
                      {"recursive", m.recursive},
                      {"data", m.data},
                      {"flags", m.flags},
                      {"copy_up", m.copy_up},
                      {"volume", m.volume},
                      {"anonymous", m.anonymous},
                      {"chown", m.chown},
                      {"device", m.device}});
  json rlimits = json::array();
  for (const auto& r : s.rlimits) rlimits.push_back({r.resource, r.value.rlim_cur, r.value.rlim_max});
  const auto& c = s.caps;
  json j = {{"rootfs", s.rootfs},
            {"read_only", s.read_only},
            {"args", s.args},
            {"env", s.env},
            {"cwd", s.cwd},
            {"create_cwd", s.create_cwd},
            {"user", {{"uid", s.user.uid}, {"gid", s.user.gid}, {"groups", s.user.groups}, {"keep_groups", s.user.keep_groups}}},
            {"rlimits", rlimits},
            {"umask", s.umask},
            {"sysctls", s.sysctls},
            {"shm_size", s.shm_size},
            {"terminal", s.terminal},
            {"stdin_open", s.stdin_open},
            {"init", s.init},
            {"hostname", s.hostname},
            {"new_netns", s.new_netns},
            {"new_cgroupns", s.new_cgroupns},
            {"new_ipcns", s.new_ipcns},
            {"new_utsns", s.new_utsns},
            {"new_pidns", s.new_pidns},
            {"infra", s.infra},
            {"mounts", mounts},
            {"masked_paths", s.masked_paths},
            {"readonly_paths", s.readonly_paths},
            {"mount_sysfs_ro", s.mount_sysfs_ro},
            {"dev_from_host", s.dev_from_host},
            {"caps",
             {c.bounding.bits, c.effective.bits, c.permitted.bits, c.inheritable.bits, c.ambient.bits}},
            {"no_new_privileges", s.no_new_privileges},
            {"seccomp", s.seccomp}};
  if (s.userns) j["userns"] = mapping_json(*s.userns);
  return j;
}

ContainerSpec spec_from(const json& j) {
  ContainerSpec s;
  s.rootfs = j.at("rootfs").get<std::string>();
  s.read_only = j.at("read_only").get<bool>();
  s.args = j.at("args").get<std::vector<std::string>>();
  s.env = j.at("env").get<std::vector<std::string>>();
  s.cwd = j.at("cwd").get<std::string>();
  s.create_cwd = j.at("create_cwd").get<bool>();
  const auto& u = j.at("user");
  s.user.uid = u.at("uid").get<uid_t>();
  s.user.gid = u.at("gid").get<gid_t>();
  s.user.groups = u.at("groups").get<std::vector<gid_t>>();
  s.user.keep_groups = u.value("keep_groups", false);
  for (const auto& r : j.at("rlimits")) {
    Rlimit rl;
    rl.resource = r.at(0).get<int>();
    rl.value.rlim_cur = r.at(1).get<rlim_t>();
    rl.value.rlim_max = r.at(2).get<rlim_t>();
    s.rlimits.push_back(rl);
  }
  // Containers from before these were kept have the defaults.
  s.umask = j.value("umask", mode_t{022});
  if (j.contains("sysctls")) s.sysctls = j.at("sysctls").get<decltype(s.sysctls)>();
  s.shm_size = j.value("shm_size", s.shm_size);
  s.terminal = j.at("terminal").get<bool>();
  s.stdin_open = j.at("stdin_open").get<bool>();
  s.init = j.at("init").get<bool>();
  s.hostname = j.at("hostname").get<std::string>();
  s.new_netns = j.at("new_netns").get<bool>();
  s.new_cgroupns = j.at("new_cgroupns").get<bool>();
  s.new_ipcns = j.value("new_ipcns", true);
  s.new_utsns = j.value("new_utsns", true);
  s.new_pidns = j.value("new_pidns", true);
  s.infra = j.value("infra", false);
  for (const auto& m : j.at("mounts")) {
    MountSpec ms;
    ms.kind = m.at("kind").get<std::string>() == "bind" ? MountSpec::Kind::Bind : MountSpec::Kind::Tmpfs;
    ms.source = m.at("source").get<std::string>();
    ms.destination = m.at("destination").get<std::string>();
    ms.read_only = m.at("read_only").get<bool>();
    ms.recursive = m.at("recursive").get<bool>();
    ms.data = m.at("data").get<std::string>();
    ms.flags = m.at("flags").get<uint64_t>();
    ms.copy_up = m.at("copy_up").get<bool>();
    ms.volume = m.value("volume", "");
    ms.anonymous = m.value("anonymous", false);
    ms.chown = m.value("chown", false);
    ms.device = m.value("device", "");
    s.mounts.push_back(ms);
  }
  s.masked_paths = j.at("masked_paths").get<std::vector<std::string>>();
  s.readonly_paths = j.at("readonly_paths").get<std::vector<std::string>>();
  s.mount_sysfs_ro = j.at("mount_sysfs_ro").get<bool>();
  s.dev_from_host = j.at("dev_from_host").get<bool>();
  const auto& c = j.at("caps");
  s.caps = {{c.at(0).get<uint64_t>()}, {c.at(1).get<uint64_t>()}, {c.at(2).get<uint64_t>()},
            {c.at(3).get<uint64_t>()}, {c.at(4).get<uint64_t>()}};
  s.no_new_privileges = j.at("no_new_privileges").get<bool>();
  s.seccomp = j.at("seccomp").get<bool>();
  if (j.contains("userns")) s.userns = mapping_from(j.at("userns"));
  return s;
}

}  // namespace

RestartPolicy parse_restart_policy(const std::string& text) {
  RestartPolicy p;
  auto colon = text.find(':');
  p.name = text.substr(0, colon);
  if (p.name.empty()) p.name = "no";
  if (p.name != "no" && p.name != "on-failure" && p.name != "always" && p.name != "unless-stopped")
    fail("running container create option: {:?} is not a valid restart policy: invalid argument", p.name);
  if (colon != std::string::npos) {
    if (p.name != "on-failure") fail("restart policy retries can only be used with on-failure: {:?}", text);
    std::string n = text.substr(colon + 1);
    auto retries = parse_number<decltype(p.max_retries)>(n);
    if (!retries || *retries < 0)
      fail("invalid restart policy: maximum retries must be a non-negative integer: {:?}", text);
    p.max_retries = *retries;
  }
  return p;
}

nlohmann::json to_json(const StartConfig& c) {
  json j = {{"spec", spec_json(c.spec)},
            {"lower_dirs", c.lower_dirs},
            {"seccomp_profile", c.seccomp_profile},
            {"stop_signal", c.stop_signal},
            {"stop_timeout", c.stop_timeout},
            {"rm", c.rm},
            {"restart", {{"name", c.restart.name}, {"max_retries", c.restart.max_retries}}},
            {"log_max_size", c.log_max_size},
            {"sig_proxy", c.sig_proxy},
            {"net", net::to_json(c.net)}};
  if (c.shift) j["shift"] = mapping_json(*c.shift);
  if (c.health) j["health"] = to_start_json(*c.health);
  if (!c.ipc_mode.empty()) j["ipc_mode"] = c.ipc_mode;
  if (!c.uts_mode.empty()) j["uts_mode"] = c.uts_mode;
  if (!c.pid_mode.empty()) j["pid_mode"] = c.pid_mode;
  if (!c.pidfile.empty()) j["pidfile"] = c.pidfile;
  if (!c.timezone.empty()) j["timezone"] = c.timezone;
  for (const auto& u : c.secrets)
    j["secrets"].push_back({{"name", u.name}, {"env", u.env}, {"target", u.target}, {"uid", u.uid}, {"gid", u.gid},
                            {"mode", u.mode}});
  return j;
}

StartConfig start_config_from_json(const nlohmann::json& j) {
  try {
    StartConfig c;
    c.spec = spec_from(j.at("spec"));
    c.lower_dirs = j.at("lower_dirs").get<std::vector<std::string>>();
    if (j.contains("shift")) c.shift = mapping_from(j.at("shift"));
    c.seccomp_profile = j.at("seccomp_profile").get<std::string>();
    c.stop_signal = j.at("stop_signal").get<std::string>();
    c.stop_timeout = j.at("stop_timeout").get<int>();
    c.rm = j.at("rm").get<bool>();
    c.restart.name = j.at("restart").at("name").get<std::string>();
    c.restart.max_retries = j.at("restart").at("max_retries").get<int>();
    c.log_max_size = j.at("log_max_size").get<uint64_t>();
    c.sig_proxy = j.at("sig_proxy").get<bool>();
    // Containers from before networking had none.
    if (j.contains("net")) c.net = net::net_config_from_json(j.at("net"));
    else c.net.mode = net::Mode::None;
    c.ipc_mode = j.value("ipc_mode", "");
    c.uts_mode = j.value("uts_mode", "");
    c.pid_mode = j.value("pid_mode", "");
    c.pidfile = j.value("pidfile", "");
    c.timezone = j.value("timezone", "");
    if (j.contains("health")) c.health = health_from_start_json(j.at("health"));
    if (j.contains("secrets"))
      for (const auto& u : j.at("secrets"))
        c.secrets.push_back({u.at("name").get<std::string>(), u.at("env").get<bool>(), u.at("target").get<std::string>(),
                             u.at("uid").get<uid_t>(), u.at("gid").get<gid_t>(), u.at("mode").get<mode_t>()});
    return c;
  } catch (const json::exception& e) {
    fail("damaged container configuration: {}", e.what());
  }
}

}  // namespace cabin::runtime
