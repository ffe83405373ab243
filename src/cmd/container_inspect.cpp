// cabin container inspect, cabin container exists, and the top-level
// cabin inspect (containers, then images, as Podman's --type all).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "config/mode.h"
#include "engine/create.h"
#include "engine/health.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "format/output.h"
#include "format/units.h"
#include "image/report.h"
#include "net/config.h"
#include "net/store.h"
#include "security/caps.h"
#include "storage/rootfs.h"
#include "storage/volumes.h"
#include "util/error.h"
#include "util/fs.h"

namespace cabin::cmd {
namespace {

using nlohmann::ordered_json;

struct InspectOptions {
  std::vector<std::string> names;
  std::string format, type = "all";
  bool size = false;
};

std::string json_time(const std::string& rfc3339) { return rfc3339.empty() ? "0001-01-01T00:00:00Z" : rfc3339; }
std::string go_time(const std::string& rfc3339) {
  return rfc3339.empty() ? "0001-01-01 00:00:00 +0000 UTC" : format::go_time_string(format::parse_rfc3339(rfc3339));
}

ordered_json caps_json(const security::CapSet& set) {
  ordered_json a = ordered_json::array();
  for (const auto& name : security::cap_names(set)) a.push_back(name);
  return a;
}

// Podman's container inspect, the fields cabin has.
ordered_json container_json(const storage::ContainerStore& containers, const config::StorePaths& paths,
                            const storage::ContainerRecord& r, const storage::ContainerState& st) {
  auto cfg = engine::load_start_config(containers, r.id);
  const auto& s = cfg.spec;
  std::string dir = containers.dir(r.id);
  std::string userdata = fs::join(dir, "userdata");
  ordered_json state;
  state["OciVersion"] = "1.0.2";
  state["Status"] = st.running() ? "running" : st.status;
  state["Running"] = st.running();
  state["Paused"] = false;
  state["Restarting"] = st.restarting;
  state["OOMKilled"] = false;
  state["Dead"] = false;
  state["Pid"] = st.pid;
  state["ConmonPid"] = st.running() ? st.monitor_pid : 0;
  state["ExitCode"] = st.exit_code;
  state["Error"] = st.error;
  state["StartedAt"] = json_time(st.started_at);
  state["FinishedAt"] = json_time(st.finished_at);
  if (auto health = engine::read_health(containers, r.id); cfg.health || health) {
    state["Health"] = runtime::to_json(health.value_or(runtime::HealthState{}));
  } else {
    state["Health"] = {{"Status", ""}, {"FailingStreak", 0}, {"Log", nullptr}};
  }
  state["CheckpointedAt"] = "0001-01-01T00:00:00Z";
  state["RestoredAt"] = "0001-01-01T00:00:00Z";

  ordered_json mounts = ordered_json::array();
  storage::VolumeStore volumes(paths);
  ordered_json devices = ordered_json::array();
  for (const auto& m : s.mounts) {
    if (m.source.rfind(userdata + "/", 0) == 0) continue;  // the generated /etc files
    if (!m.device.empty()) {
      ordered_json d;
      d["PathOnHost"] = m.source;
      d["PathInContainer"] = m.destination;
      d["CgroupPermissions"] = m.device;
      devices.push_back(d);
      continue;
    }
    ordered_json mj;
    bool volume = !m.volume.empty();
    mj["Type"] = volume ? "volume" : m.kind == runtime::MountSpec::Kind::Bind ? "bind" : "tmpfs";
    if (volume) mj["Name"] = m.volume;
    mj["Source"] = volume ? volumes.mountpoint(m.volume) : m.source;
    mj["Destination"] = m.destination;
    mj["Driver"] = volume ? "local" : "";
    mj["Mode"] = "";
    mj["Options"] = volume ? ordered_json{"nosuid", "nodev", "rbind"}
                    : m.kind == runtime::MountSpec::Kind::Bind ? ordered_json{"rbind"} : ordered_json::array();
    mj["RW"] = !m.read_only;
    mj["Propagation"] = m.kind == runtime::MountSpec::Kind::Bind ? "rprivate" : "";
    mounts.push_back(std::move(mj));
  }

  std::vector<std::string> args = r.command;
  ordered_json j;
  j["Id"] = r.id;
  j["Created"] = json_time(r.created);
  j["Path"] = args.empty() ? "" : args[0];
  j["Args"] = args.size() > 1 ? ordered_json(std::vector<std::string>(args.begin() + 1, args.end())) : ordered_json::array();
  j["State"] = state;
  // Docker shows the image ID with its algorithm and the name with a leading
  // slash (its old name-tree form); scripts strip or compare both.
  const bool docker = config::docker_mode();
  j["Image"] = docker && !r.image_id.empty() ? "sha256:" + r.image_id : r.image_id;
  j["ImageName"] = r.image;
  j["Rootfs"] = r.rootfs;
  j["Pod"] = engine::pod_of(r);
  j["ResolvConfPath"] = fs::join(userdata, "resolv.conf");
  j["HostnamePath"] = fs::join(userdata, "hostname");
  j["HostsPath"] = fs::join(userdata, "hosts");
  j["StaticDir"] = userdata;
  j["OCIRuntime"] = "cabin";
  j["ConmonPidFile"] = "";
  j["PidFile"] = engine::pidfile_path(containers, r.id, cfg);
  j["Name"] = docker ? "/" + r.name : r.name;
  j["RestartCount"] = st.restart_count;
  j["Driver"] = r.rootfs.empty() ? storage::reported_driver(paths.graphroot, paths.driver) : "";
  j["MountLabel"] = "";
  j["ProcessLabel"] = "";
  j["AppArmorProfile"] = "";
  j["EffectiveCaps"] = caps_json(s.caps.effective);
  j["BoundingCaps"] = caps_json(s.caps.bounding);
  j["ExecIDs"] = ordered_json::array();
  j["Mounts"] = mounts;
  j["Dependencies"] = ordered_json::array();
  {
    ordered_json ns;
    const auto& n = cfg.net;
    bool slirp = n.mode == net::Mode::Slirp;
    auto a = net::slirp_addresses(n.slirp);
    ns["EndpointID"] = "";
    ns["Gateway"] = slirp && st.running() ? net::ip_text(a.gateway) : "";
    ns["IPAddress"] = slirp && st.running() ? net::ip_text(a.container) : "";
    ns["IPPrefixLen"] = slirp && st.running() ? net::parse_cidr(n.slirp.cidr).prefix : 0;
    ns["IPv6Gateway"] = "";
    ns["GlobalIPv6Address"] = "";
    ns["GlobalIPv6PrefixLen"] = 0;
    ns["MacAddress"] = "";
    ns["Bridge"] = "";
    ns["SandboxID"] = "";
    ns["HairpinMode"] = false;
    ns["LinkLocalIPv6Address"] = "";
    ns["LinkLocalIPv6PrefixLen"] = 0;
    ns["Ports"] = net::port_bindings(n.ports);
    ns["SandboxKey"] = st.running() && n.own_netns() ? fmt::format("/proc/{}/ns/net", st.pid) : "";
    if (n.mode == net::Mode::Bridge) {
      ordered_json nets = ordered_json::object();
      for (const auto& at : n.networks)
        nets[at.network] = {{"EndpointID", ""}, {"Gateway", ""}, {"IPAddress", at.ip}, {"IPPrefixLen", 0},
                            {"IPv6Gateway", ""}, {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0},
                            {"MacAddress", at.mac}, {"NetworkID", at.network}, {"DriverOpts", nullptr},
                            {"IPAMConfig", nullptr}, {"Links", nullptr}, {"Aliases", at.aliases}};
      ns["Networks"] = nets;
    }
    j["NetworkSettings"] = ns;
  }
  j["Namespace"] = "";
  j["IsInfra"] = false;
  j["IsService"] = false;

  ordered_json c;
  c["Hostname"] = s.hostname;
  c["Domainname"] = "";
  c["User"] = s.user.uid == 0 && s.user.gid == 0 ? "" : fmt::format("{}:{}", s.user.uid, s.user.gid);
  c["AttachStdin"] = false;
  c["AttachStdout"] = false;
  c["AttachStderr"] = false;
  c["Tty"] = s.terminal;
  c["OpenStdin"] = s.stdin_open;
  c["StdinOnce"] = false;
  c["Env"] = s.env;
  c["Cmd"] = r.command;
  c["Image"] = r.image;
  c["Volumes"] = nullptr;
  c["WorkingDir"] = s.cwd;
  c["Entrypoint"] = "";
  c["OnBuild"] = nullptr;
  c["Labels"] = r.labels;
  c["Annotations"] = r.annotations;
  c["StopSignal"] = cfg.stop_signal;
  if (cfg.health) c["Healthcheck"] = runtime::to_json(*cfg.health);
  c["HealthcheckOnFailureAction"] = cfg.health ? cfg.health->on_failure : "none";
  c["StopTimeout"] = cfg.stop_timeout;
  if (!cfg.timezone.empty()) c["Timezone"] = cfg.timezone;
  c["Umask"] = fmt::format("{:04o}", s.umask);
  j["Config"] = c;

  ordered_json h;
  ordered_json log;
  log["Type"] = "k8s-file";
  log["Config"] = nullptr;
  log["Path"] = fs::join(userdata, "ctr.log");
  log["Tag"] = "";
  log["Size"] = cfg.log_max_size ? std::to_string(cfg.log_max_size) + "B" : "0B";
  h["LogConfig"] = log;
  h["NetworkMode"] = net::mode_name(cfg.net);
  // Podman's spellings: "private", "host", "container:ID", "ns:PATH"
  // ("shareable" for a container's own IPC namespace).
  h["IpcMode"] = cfg.ipc_mode.empty() ? "shareable" : cfg.ipc_mode;
  h["UTSMode"] = cfg.uts_mode.empty() ? "private" : cfg.uts_mode;
  h["PidMode"] = cfg.pid_mode.empty() ? "private" : cfg.pid_mode;
  h["PortBindings"] = net::port_bindings(cfg.net.ports);
  h["RestartPolicy"] = {{"Name", cfg.restart.name == "no" ? "" : cfg.restart.name},
                        {"MaximumRetryCount", cfg.restart.max_retries}};
  h["AutoRemove"] = cfg.rm;
  h["Privileged"] = s.dev_from_host;
  h["Devices"] = devices;

  h["ReadonlyRootfs"] = s.read_only;
  h["ShmSize"] = s.shm_size;
  h["Init"] = s.init;
  j["HostConfig"] = h;
  return j;
}

// The template sees Go values: times as time.Time's String().
nlohmann::json template_view(const ordered_json& j) {
  nlohmann::json v = nlohmann::json(j);
  v["Created"] = go_time(j["Created"] == "0001-01-01T00:00:00Z" ? "" : j["Created"].get<std::string>());
  for (const char* k : {"StartedAt", "FinishedAt"}) {
    std::string t = j["State"][k].get<std::string>();
    v["State"][k] = go_time(t == "0001-01-01T00:00:00Z" ? "" : t);
  }
  return v;
}

int run_inspect(const Globals& g, const InspectOptions& o, bool containers_only) {
  if (o.names.empty()) fail("no names or ids specified");
  if (o.type != "all" && o.type != "container" && o.type != "image" && o.type != "volume" && o.type != "network" &&
      o.type != "pod")
    fail("invalid type {:?} must be one of \"container\", \"image\", \"volume\", \"network\", \"pod\", or \"all\"", o.type);
  auto wants = [&](std::string_view type) { return o.type == "all" || o.type == type; };
  storage::ContainerStore containers(g.paths);
  std::optional<storage::Store> store;
  ordered_json out = ordered_json::array();
  nlohmann::json views = nlohmann::json::array();
  std::vector<std::string> missing;
  for (const auto& name : o.names) {
    if (containers_only || wants("container")) {
      if (auto r = containers.find(name)) {
        out.push_back(container_json(containers, g.paths, *r, engine::current_state(containers, g.paths, r->id)));
        views.push_back(template_view(out.back()));
        continue;
      }
    }
    if (!containers_only && wants("image")) {
      if (!store) store.emplace(g.paths);
      if (auto rec = store->find_image(name)) {
        out.push_back(image::inspect_json(*store, *rec));
        nlohmann::json view = nlohmann::json(out.back());
        if (!rec->created.empty()) view["Created"] = format::go_time_string_utc(format::parse_rfc3339(rec->created));
        views.push_back(std::move(view));
        continue;
      }
    }
    // Then volumes and networks, in Podman's order.
    if (!containers_only && wants("volume")) {
      storage::VolumeStore volumes(g.paths);
      if (auto v = volumes.find(name)) {
        out.push_back(storage::inspect_json(*v, volumes.mountpoint(v->name)));
        views.push_back(nlohmann::json(out.back()));
        continue;
      }
    }
    if (!containers_only && wants("network")) {
      net::NetworkStore networks(g.paths);
      if (auto n = networks.find(name)) {
        out.push_back(net::to_json(*n));
        views.push_back(net::inspect_view(*n));
        continue;
      }
    }
    missing.push_back(name);
  }
  if (!out.empty() || missing.empty()) format::print_inspect(stdout, o.format, out, views);
  if (!missing.empty()) {
    if (config::docker_mode()) fail("No such {}: {}", containers_only ? "container" : "object", missing.front());
    if (containers_only) fail("no such container {}", missing.front());
    fail("no such object: {:?}", missing.front());
  }
  return 0;
}

}  // namespace

Runner bind_container_inspect(CLI::App& app, Globals& g) {
  auto o = std::make_shared<InspectOptions>();
  app.add_option("container", o->names, "Containers to inspect");
  app.add_option("-f,--format", o->format, "Format the output to a Go template or JSON");
  app.add_flag("-s,--size", o->size, "Display total file size");
  return [o, &g] { return run_inspect(g, *o, true); };
}

Runner bind_inspect(CLI::App& app, Globals& g) {
  auto o = std::make_shared<InspectOptions>();
  app.add_option("name", o->names, "Objects to inspect");
  app.add_option("-f,--format", o->format, "Format the output to a Go template or JSON");
  app.add_option("-t,--type", o->type, "Specify inspect-object type (\"image\", \"container\", \"volume\", \"network\" or \"all\")");
  app.add_flag("-s,--size", o->size, "Display total file size");
  return [o, &g] { return run_inspect(g, *o, false); };
}

Runner bind_container_exists(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  app.add_option("container", *names, "Container to look for");
  return [names, &g] {
    check_args(*names, 1, 1);
    storage::ContainerStore containers(g.paths);
    return containers.find((*names)[0]) ? 0 : 1;
  };
}

}  // namespace cabin::cmd
