#include "engine/create.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/ranges.h>

#include "cdi/cdi.h"
#include "config/mode.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "engine/secrets.h"
#include "engine/volumes.h"
#include "format/units.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "net/store.h"
#include "rootless/fixes.h"
#include "rootless/userns.h"
#include "runtime/cgroups.h"
#include "runtime/devices.h"
#include "runtime/logfile.h"
#include "storage/pull.h"
#include "storage/rootfs.h"
#include "storage/secrets.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"
#include "util/log.h"

namespace cabin::engine {
namespace {

// Resource limits need a cgroup of our own: cgroup v2 with a subtree
// delegated to the user (a systemd user session). Say why when there is none.
void check_cgroup_flags(const CreateOptions& o) {
  const std::pair<const char*, const std::string*> flags[] = {
      {"--memory", &o.memory}, {"--memory-swap", &o.memory_swap}, {"--cpus", &o.cpus},
      {"--cpu-shares", &o.cpu_shares}, {"--pids-limit", &o.pids_limit}};
  for (const auto& [flag, value] : flags)
    if (!value->empty()) fail("{}", runtime::limits_unavailable(runtime::detect_cgroups(), flag));
}

// A user the user namespace does not map cannot be switched to: say why
// (a single-id mapping has only uid 0) rather than "setgid: Invalid argument".
void check_user_mapped(const runtime::UserSpec& u) {
  const auto& state = rootless::userns_state();
  if (!state.entered) return;
  auto why = [&] {
    return state.mapping.single_id()
               ? fmt::format(": {} has no subordinate ids, so only uid and gid 0 exist in containers (fix: {})",
                             state.user_name, rootless::fix::add_subids(state.user_name))
               : std::string(": it is outside the ranges in /etc/subuid and /etc/subgid");
  };
  if (rootless::to_host(state.mapping.uids, u.uid) < 0) fail("user id {} is not mapped in the user namespace{}", u.uid, why());
  if (rootless::to_host(state.mapping.gids, u.gid) < 0) fail("group id {} is not mapped in the user namespace{}", u.gid, why());
}

bool mapped(const std::vector<rootless::IdRange>& rs, uint32_t id) {
  return std::any_of(rs.begin(), rs.end(), [&](const auto& r) { return id >= r.container_id && id - r.container_id < r.size; });
}

// --log-opt max-size=N (the k8s-file driver's other options are accepted).
// What --network names must exist: Podman's messages when they do not.
void check_network(const storage::ContainerStore& containers, const config::StorePaths& paths, net::NetConfig& n) {
  if (n.mode == net::Mode::Container) {
    auto other = containers.find(n.target);
    if (!other)
      fail("looking up container to share net namespace with: no container with name or ID {:?} found: no such container",
           n.target);
    n.target = other->id;
  } else if (n.mode == net::Mode::Ns) {
    struct stat st {};
    if (::stat(n.target.c_str(), &st) != 0)
      fail("cannot find specified network namespace path: stat {}: {}", n.target, std::strerror(errno));
  } else if (n.mode == net::Mode::Bridge) {
    net::NetworkStore store(paths);
    for (auto& a : n.networks) {
      auto found = store.get(a.network);
      a.network = found.name;
      if (!a.ip.empty()) {
        auto c = net::parse_cidr(found.subnet);
        if ((net::parse_ipv4(a.ip) & c.netmask()) != c.network)
          fail("requested static ip {} not in any subnet on network {}", a.ip, found.name);
      }
    }
  }
}

uint64_t log_max_size(const std::vector<std::string>& opts) {
  uint64_t size = 0;
  for (const auto& opt : opts) {
    auto eq = opt.find('=');
    std::string key = opt.substr(0, eq);
    if (eq == std::string::npos) fail("invalid logging option {:?}: must be KEY=VALUE", opt);
    if (key == "max-size") size = format::parse_size(opt.substr(eq + 1), 1000);
    else if (key != "path" && key != "tag" && key != "max-file") fail("unknown log opt {:?}", key);
  }
  return size;
}

// The image config `image export --squashfs` stored in the file; none (the
// command must be given) for a squashfs file made otherwise.
runtime::ImageDefaults squashfs_defaults(const runtime::Layout& layout, const std::string& file) {
  auto text = runtime::read_image_file(layout, std::string("/") + storage::kSquashfsConfigPath);
  if (!text) return {};
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail("--rootfs {}: /{} is not a JSON object", file, storage::kSquashfsConfigPath);
  return runtime::ImageDefaults::from_config(j);
}

}  // namespace

void apply_containers_conf(const config::ContainersConf& c, CreateOptions& o,
                           const std::function<bool(std::string_view)>& given) {
  auto& r = o.run;
  if (c.default_capabilities) r.default_caps = c.default_capabilities;
  if (c.default_ulimits) r.ulimits.insert(r.ulimits.begin(), c.default_ulimits->begin(), c.default_ulimits->end());
  if (c.env) r.config_env = *c.env;
  if (c.env_host && !given("--env-host")) r.env_host = *c.env_host;
  if (c.dns_servers && !given("--dns")) r.dns = *c.dns_servers;
  if (c.dns_searches && !given("--dns-search")) r.dns_search = *c.dns_searches;
  if (c.dns_options && !given("--dns-option")) r.dns_options = *c.dns_options;
  if (c.annotations) o.annotations.insert(o.annotations.begin(), c.annotations->begin(), c.annotations->end());
  if (c.init && !given("--init")) r.init = *c.init;
  if (c.read_only && !given("--read-only")) r.read_only = *c.read_only;
  if (c.userns && !given("--userns") && !given("--uidmap") && !given("--gidmap"))
    o.userns = *c.userns == "host" ? "" : *c.userns;
  if (c.log_size_max && *c.log_size_max > 0)
    o.log_opts.insert(o.log_opts.begin(), fmt::format("max-size={}", *c.log_size_max));
  if (c.pull_policy && !given("--pull")) o.pull = *c.pull_policy;
  if (c.umask && !given("--umask")) r.umask = *c.umask;
  if (c.tz && !given("--tz")) r.tz = *c.tz;
  if (c.shm_size && !given("--shm-size")) r.shm_size = *c.shm_size;
}

namespace {

// A namespace flag's value as kept in start.json: "" (a new namespace),
// "host", "container:ID" or "ns:PATH".
std::string namespace_mode(const storage::ContainerStore& containers, const std::string& v, bool ipc) {
  if (v.empty() || v == "private" || (ipc && v == "shareable")) return "";
  if (v == "host") return v;
  if (v.starts_with("container:") && v.size() > 10) {
    auto other = containers.find(v.substr(10));
    if (!other) fail("no container with name or ID {:?} found: no such container", v.substr(10));
    return "container:" + other->id;
  }
  if (v.starts_with("ns:") && v.size() > 4 && v[3] == '/') return v;
  fail("unrecognized namespace mode {} passed", v);
}

// --device vendor.com/class=name: the CDI specs' edits (cdi/cdi.h) as the
// plain devices, bind mounts, environment and groups they stand for.
void expand_cdi_devices(runtime::RunOptions& r) {
  std::vector<std::string> names, paths;
  for (const auto& d : r.devices) (runtime::is_cdi_name(d) ? names : paths).push_back(d);
  if (names.empty()) return;
  const auto& dirs = config::containers_conf().cdi_spec_dirs;
  auto edits = cdi::resolve(names, dirs ? *dirs : cdi::default_spec_dirs());
  for (const auto& n : edits.device_nodes) paths.push_back(fmt::format("{}:{}:{}", n.host, n.container, n.perms));
  r.devices = paths;
  for (const auto& m : edits.mounts) {
    runtime::MountSpec ms;
    ms.source = m.host;
    ms.destination = m.container;
    ms.read_only = m.read_only;
    r.inherited_mounts.push_back(ms);
  }
  r.env.insert(r.env.end(), edits.env.begin(), edits.env.end());
  for (auto gid : edits.additional_gids) r.group_add.push_back(std::to_string(gid));
  if (edits.hooks > 0)
    log::warn("CDI devices {}: {} hook{} not run (cabin runs no OCI hooks)", fmt::join(names, ", "), edits.hooks,
              edits.hooks == 1 ? "" : "s");
}

}  // namespace

Created create_container(storage::Store& store, const config::StorePaths& paths, CreateOptions& o,
                         const std::string& image_name, const std::vector<std::string>& command) {
  std::optional<PodRecord> pod;
  if (!o.pod.empty()) {
    PodStore pods(paths);
    pod = pods.get(o.pod);
    apply_pod(paths, o, *pod);
  }
  o.run.userns = o.userns;
  std::optional<rootless::IdMapping> id_maps;
  const auto& ns = rootless::userns_state();
  if (!o.uidmap.empty() || !o.gidmap.empty()) {
    if (!o.userns.empty()) fail("--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive");
    // One given alone serves for both, as in Podman.
    uint64_t nu = ns.entered ? ns.mapping.uid_count() : UINT32_MAX, ng = ns.entered ? ns.mapping.gid_count() : UINT32_MAX;
    id_maps.emplace();
    id_maps->uids = runtime::parse_id_maps(o.uidmap.empty() ? o.gidmap : o.uidmap, "UID", nu);
    id_maps->gids = runtime::parse_id_maps(o.gidmap.empty() ? o.uidmap : o.gidmap, "GID", ng);
  }
  check_cgroup_flags(o);
  runtime::check_health_flags(o.health);
  runtime::StartConfig cfg;
  cfg.rm = o.rm;
  cfg.sig_proxy = o.sig_proxy.value_or(true);
  cfg.restart = runtime::parse_restart_policy(o.restart);
  if (cfg.rm && cfg.restart.name != "no") fail("the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\"");
  cfg.log_max_size = log_max_size(o.log_opts);
  if (o.stop_timeout) cfg.stop_timeout = *o.stop_timeout;
  if (!o.cidfile.empty() && fs::exists(o.cidfile))
    fail("container id file exists. Ensure another container is not using it or delete {}", o.cidfile);
  if (!o.name.empty() && !valid_name(o.name))
    fail("running container create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
  if (o.replace && o.name.empty()) fail("cannot replace container without --name being set");
  // The waiter that writes it runs elsewhere: a relative path is the user's.
  if (!o.pidfile.empty()) cfg.pidfile = std::filesystem::absolute(o.pidfile).lexically_normal();
  cfg.timezone = o.run.tz;
  o.run.command = command;
  // --secret: checked before anything is made, and the store kept locked
  // until the record names them, so that `secret rm` sees the user.
  for (const auto& v : o.secrets) cfg.secrets.push_back(parse_secret_flag(v));
  std::optional<fs::FileLock> secret_lock;
  if (!cfg.secrets.empty()) secret_lock = storage::SecretStore(paths).lock();
  nlohmann::json secret_names = check_secrets(paths, cfg.secrets);

  storage::ContainerStore containers(paths);
  cfg.ipc_mode = namespace_mode(containers, o.ipc, true);
  for (const auto& kv : o.run.sysctls) runtime::parse_sysctl(kv, false, cfg.ipc_mode == "host");
  cfg.uts_mode = namespace_mode(containers, o.uts, false);
  cfg.pid_mode = namespace_mode(containers, o.pid, false);
  o.run.inherited_mounts = inherited_mounts(containers, o.run.volumes_from);
  expand_cdi_devices(o.run);
  Created out;
  storage::ContainerRecord& rec = out.record;
  rec.name = o.name;
  runtime::ImageDefaults defaults;
  runtime::Layout layout;
  out.image_ref = store.reference_lock();
  std::string squashfs_file;  // --rootfs FILE: a squashfs file, mounted below an overlay
  if (o.rootfs) {
    char* real = ::realpath(image_name.c_str(), nullptr);
    if (!real) throw_errno("--rootfs {}", image_name);
    rec.rootfs = real;
    std::free(real);
    rec.image = rec.rootfs;
    if (fs::is_dir(rec.rootfs)) layout.rootfs_dir = rec.rootfs;
    else if (storage::is_squashfs_file(rec.rootfs)) squashfs_file = rec.rootfs;
    else fail("--rootfs {}: not a directory nor a squashfs file", image_name);
  } else {
    storage::PullOptions po;
    po.policy = storage::parse_pull_policy(o.pull);
    if (!o.platform.empty()) po.platform = image::parse_platform(o.platform);
    po.tls_verify = o.tls_verify;
    po.quiet = o.quiet;
    // A stored image is used as it is without loading the registry module.
    std::optional<storage::ImageRecord> local;
    if (po.policy == storage::PullPolicy::Missing || po.policy == storage::PullPolicy::Never)
      local = store.find_image(image_name);
    // A stored image for another platform than --platform asks for is pulled again.
    if (local && po.platform && po.policy == storage::PullPolicy::Missing) {
      auto config = nlohmann::json::parse(store.get_blob(local->config_digest()), nullptr, false);
      if (config.is_discarded() || config.value("architecture", "") != po.platform->architecture ||
          config.value("os", "") != po.platform->os) {
        local.reset();
        po.policy = storage::PullPolicy::Always;
      }
    }
    // Docker says so before it pulls; scripts and users look for the line.
    if (!local && po.policy == storage::PullPolicy::Missing && config::docker_mode())
      fmt::print(stderr, "Unable to find image '{}' locally\n", image::docker_familiar_reference(image_name));
    auto image = local ? *local : storage::pull_image(store, image_name, po);
    defaults = runtime::ImageDefaults::from_config(nlohmann::json::parse(store.get_blob(image.config_digest())));
    for (auto it = image.layers.rbegin(); it != image.layers.rend(); ++it)
      layout.lower_dirs.push_back(store.layer_diff_dir(*it));
    rec.image = image_name;
    rec.image_id = image.id;
  }
  rec.labels = key_values(o.labels);
  for (const auto& a : o.annotations) {
    auto eq = a.find('=');
    if (eq == std::string::npos) fail("annotation {:?} must be formatted KEY=VALUE", a);
    rec.annotations[a.substr(0, eq)] = a.substr(eq + 1);
  }
  // Fails before anything is created (a squashfs file's config is read
  // once it is mounted, below).
  if (squashfs_file.empty()) rec.command = runtime::resolve_command(defaults, o.run);

  // --replace: the new container is made under a name of its own, and takes
  // the old one's once it is whole, so a bad flag leaves the old one be.
  std::optional<storage::ContainerRecord> replaced;
  if (o.replace)
    if (auto old = containers.find(o.name); old && old->name == o.name) {
      if (is_infra(*old))
        fail("container {} is the infra container of pod {} and cannot be replaced", old->id, pod_of(*old));
      replaced = *old;
      rec.name.clear();
    }
  rec = containers.create(rec);
  bool keep = false;
  storage::VolumeStore volumes(paths);
  std::vector<std::string> made_volumes;
  ScopeGuard cleanup([&] {
    if (keep) return;
    try {
      containers.remove(rec.id);
      for (const auto& v : made_volumes) volumes.remove(v);
    } catch (const Error& e) {
      log::warn("removing container {}: {}", rec.id, e.what());
    }
  });
  std::string dir = containers.dir(rec.id);
  storage::MountedRootfs squashfs;  // unmounted before the cleanup above runs
  if (!squashfs_file.empty()) {
    layout.lower_dirs = {fs::join(dir, "squashfs")};
    fs::mkdir_p(layout.lower_dirs[0], 0755);
    squashfs = with_context(fmt::format("--rootfs {}", squashfs_file),
                            [&] { return storage::mount_squashfs(squashfs_file, layout.lower_dirs[0]); });
    defaults = squashfs_defaults(layout, squashfs_file);
    rec.command = runtime::resolve_command(defaults, o.run);
  }
  layout.upper_dir = fs::join(dir, "upper");
  layout.work_dir = fs::join(dir, "work");
  layout.merged_dir = fs::join(dir, "merged");
  layout.userdata_dir = fs::join(dir, "userdata");
  for (const auto& d : {layout.upper_dir, layout.work_dir, layout.merged_dir}) fs::mkdir_p(d, 0755);
  std::string hostname = o.run.hostname.empty() ? rec.id.substr(0, 12) : o.run.hostname;
  runtime::HostUser host{::getuid(), ::getgid(), ns.user_name, config::home_dir()};
  if (ns.entered) host = {static_cast<uid_t>(rootless::to_host(ns.mapping.uids, 0)),
                          static_cast<gid_t>(rootless::to_host(ns.mapping.gids, 0)), ns.user_name, config::home_dir()};
  auto plan = runtime::make_plan(o.run, defaults, layout, hostname, replaced ? o.name : rec.name, host);
  if (auto kid = runtime::parse_keep_id(o.userns, host)) {
    rootless::IdMapping m;
    m.uids = runtime::keep_id_ranges(kid->uid, ns.entered ? ns.mapping.uid_count() : 1);
    m.gids = runtime::keep_id_ranges(kid->gid, ns.entered ? ns.mapping.gid_count() : 1);
    plan.spec.userns = m;
    // Layers store owners as cabin's namespace sees them; with more than the
    // user's own id, the root must present them shifted.
    if (!ns.mapping.single_id()) cfg.shift = m;
  } else if (id_maps) {
    const auto& u = plan.spec.user;
    if (!mapped(id_maps->uids, u.uid)) fail("user id {} is not mapped by --uidmap", u.uid);
    if (!mapped(id_maps->gids, u.gid)) fail("group id {} is not mapped by --gidmap", u.gid);
    plan.spec.userns = id_maps;
    if (!ns.mapping.single_id()) cfg.shift = id_maps;
  } else {
    check_user_mapped(plan.spec.user);
  }
  if (plan.spec.userns) {
    // The generated /etc files belong to the container's root, as in Podman.
    long uid = rootless::to_host(plan.spec.userns->uids, 0), gid = rootless::to_host(plan.spec.userns->gids, 0);
    for (const auto& m : plan.spec.mounts)
      if (uid >= 0 && gid >= 0 && m.source.rfind(layout.userdata_dir + "/", 0) == 0 &&
          ::chown(m.source.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0)
        throw_errno("chown {}", m.source);
  }
  for (const auto& u : cfg.secrets) {
    if (u.env) continue;
    with_context(fmt::format("secret {}", u.name), [&] {
      if (!plan.spec.userns) return check_user_mapped({u.uid, u.gid, {}});
      if (!mapped(plan.spec.userns->uids, u.uid)) fail("user id {} is not mapped in the container", u.uid);
      if (!mapped(plan.spec.userns->gids, u.gid)) fail("group id {} is not mapped in the container", u.gid);
    });
  }
  check_network(containers, paths, plan.net);
  net::choose_host_ports(plan.net.ports);
  // What ps shows without reading start.json.
  nlohmann::json nets = nlohmann::json::array();
  for (const auto& a : plan.net.networks) nets.push_back(a.network);
  rec.config = {{"network_mode", net::mode_name(plan.net)}, {"networks", nets}, {"ports", net::to_json(plan.net)["ports"]}};
  if (!cfg.ipc_mode.empty()) rec.config["ipc_mode"] = cfg.ipc_mode;
  if (!cfg.uts_mode.empty()) rec.config["uts_mode"] = cfg.uts_mode;
  if (!cfg.pid_mode.empty()) rec.config["pid_mode"] = cfg.pid_mode;
  if (pod) rec.config["pod"] = pod->id;
  if (!secret_names.is_null()) rec.config["secrets"] = secret_names;
  // The volumes are made, and the record names them, under the volume
  // store's lock: `volume rm` sees either no volume or a user.
  std::optional<fs::FileLock> volume_lock;
  if (std::any_of(plan.spec.mounts.begin(), plan.spec.mounts.end(), [](const auto& m) { return !m.volume.empty() || m.anonymous; })) {
    volume_lock = volumes.lock();
    made_volumes = ensure_volumes(volumes, plan.spec.mounts);
  }
  record_volumes(rec, plan.spec.mounts);
  containers.update(rec);
  cfg.net = std::move(plan.net);
  cfg.spec = std::move(plan.spec);
  cfg.lower_dirs = layout.lower_dirs;
  cfg.seccomp_profile = plan.seccomp_profile;
  cfg.stop_signal = !o.stop_signal.empty() ? o.stop_signal : !plan.stop_signal.empty() ? plan.stop_signal : "SIGTERM";
  cfg.health = runtime::health_config(defaults.healthcheck, o.health);
  save_start_config(containers, rec.id, cfg);
  containers.write_state(rec.id, storage::ContainerState{});
  if (replaced) {
    force_remove_container(containers, paths, *replaced, std::nullopt);
    containers.rename(rec.id, o.name);
    rec.name = o.name;
    fmt::print("{}\n", o.name);  // as Podman does, before the new id
  }
  if (!o.cidfile.empty()) fs::write_file_atomic(o.cidfile, rec.id, 0644);
  out.config = std::move(cfg);
  keep = true;
  container_event(paths, rec, "create");
  return out;
}

void save_start_config(const storage::ContainerStore& containers, const std::string& id,
                       const runtime::StartConfig& cfg) {
  fs::write_file_atomic(fs::join(containers.dir(id), "start.json"), json_text(runtime::to_json(cfg)) + "\n", 0600);
}

std::string pidfile_path(const storage::ContainerStore& containers, const std::string& id,
                         const runtime::StartConfig& cfg) {
  return cfg.pidfile.empty() ? fs::join(containers.dir(id), "userdata/pidfile") : cfg.pidfile;
}

runtime::StartConfig load_start_config(const storage::ContainerStore& containers, const std::string& id) {
  std::string path = fs::join(containers.dir(id), "start.json");
  auto text = fs::read_file_if_exists(path);
  if (!text) fail("container {} has no start configuration ({} is missing)", id, path);
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) fail("container {} has a damaged start configuration {}", id, path);
  return runtime::start_config_from_json(j);
}

}  // namespace cabin::engine
