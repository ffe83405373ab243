// cabin run: a container in the foreground (podman-run(1)).
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "format/units.h"
#include "image/manifest.h"
#include "runtime/executor.h"
#include "runtime/plan.h"
#include "rootless/userns.h"
#include "runtime/supervise.h"
#include "security/seccomp.h"
#include "storage/containers.h"
#include "storage/pull.h"
#include "storage/rootfs.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace cabin::cmd {

struct RunCmdOptions {
  runtime::RunOptions run;
  bool rm = false, detach = false, quiet = false;
  std::optional<bool> sig_proxy;
  bool rootfs = false;
  std::string name, pull = "missing", platform, arch, os, userns, cidfile;
  std::vector<std::string> uidmap, gidmap, labels, annotations;
  std::string memory, memory_swap, cpus, cpu_shares, pids_limit;
  std::optional<bool> tls_verify;
};

namespace {

// Resource limits need a cgroup of our own: cgroup v2 with a subtree
// delegated to the user (a systemd user session). Say why when there is none.
void check_cgroup_flags(const RunCmdOptions& o) {
  const std::pair<const char*, const std::string*> flags[] = {
      {"--memory", &o.memory}, {"--memory-swap", &o.memory_swap}, {"--cpus", &o.cpus},
      {"--cpu-shares", &o.cpu_shares}, {"--pids-limit", &o.pids_limit}};
  for (const auto& [flag, value] : flags) {
    if (value->empty()) continue;
    struct statfs sfs {};
    constexpr long kCgroup2Magic = 0x63677270;
    if (::statfs("/sys/fs/cgroup", &sfs) != 0 || sfs.f_type != kCgroup2Magic)
      fail("{} needs cgroup v2: this host has cgroup v1 (or hybrid), where a rootless container cannot get "
           "resource limits (fix: boot with systemd.unified_cgroup_hierarchy=1, or run without {})",
           flag, flag);
    fail("{} needs a cgroup v2 subtree delegated to you (a systemd user session); cabin does not set up "
         "cgroups yet, so run without {}",
         flag, flag);
  }
}

// A user the user namespace does not map cannot be switched to: say why
// (a single-id mapping has only uid 0) rather than "setgid: Invalid argument".
void check_user_mapped(const runtime::UserSpec& u) {
  const auto& state = rootless::userns_state();
  if (!state.entered) return;
  auto why = [&] {
    return state.mapping.single_id()
               ? fmt::format(": {} has no subordinate ids, so only uid and gid 0 exist in containers (fix: usermod "
                             "--add-subuids 100000-165535 --add-subgids 100000-165535 {})",
                             state.user_name, state.user_name)
               : std::string(": it is outside the ranges in /etc/subuid and /etc/subgid");
  };
  if (rootless::to_host(state.mapping.uids, u.uid) < 0) fail("user id {} is not mapped in the user namespace{}", u.uid, why());
  if (rootless::to_host(state.mapping.gids, u.gid) < 0) fail("group id {} is not mapped in the user namespace{}", u.gid, why());
}

std::string short_id(const std::string& id) { return id.substr(0, 12); }

std::string now() { return format::rfc3339_nano(std::chrono::system_clock::now()); }

struct Prepared {
  storage::ContainerRecord record;
  runtime::Plan plan;
};

}  // namespace

static int run_run(const Globals& g, RunCmdOptions& o, std::vector<std::string> args) {
  if (args.empty()) fail("requires at least 1 arg(s), only received 0");
  // Flags end at the image; one before it that CLI11 did not know lands here.
  if (args[0].size() > 1 && args[0][0] == '-') {
    fmt::print(stderr, "Error: unknown flag: {}\nSee 'cabin run --help'\n", args[0].substr(0, args[0].find('=')));
    return kExitError;
  }
  if (o.detach) fail("--detach is not supported yet: containers run in the foreground");
  o.run.userns = o.userns;
  std::optional<rootless::IdMapping> id_maps;
  if (!o.uidmap.empty() || !o.gidmap.empty()) {
    if (!o.userns.empty()) fail("--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive");
    // One given alone serves for both, as in Podman.
    const auto& ns = rootless::userns_state();
    uint64_t nu = ns.entered ? ns.mapping.uid_count() : UINT32_MAX, ng = ns.entered ? ns.mapping.gid_count() : UINT32_MAX;
    id_maps.emplace();
    id_maps->uids = runtime::parse_id_maps(o.uidmap.empty() ? o.gidmap : o.uidmap, "UID", nu);
    id_maps->gids = runtime::parse_id_maps(o.gidmap.empty() ? o.uidmap : o.gidmap, "GID", ng);
  }
  check_cgroup_flags(o);
  if (!o.cidfile.empty() && fs::exists(o.cidfile))
    fail("container id file exists. Ensure another container is not using it or delete {}", o.cidfile);
  if (!o.name.empty()) {
    bool ok = std::isalnum(static_cast<unsigned char>(o.name[0]));
    for (char c : o.name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!ok) fail("running container create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
  }
  std::string image_name = args[0];
  o.run.command.assign(args.begin() + 1, args.end());

  auto store = open_store(g);
  storage::ContainerStore containers(g.paths);
  storage::ContainerRecord rec;
  rec.name = o.name;
  runtime::ImageDefaults defaults;
  runtime::Layout layout;
  std::optional<fs::FileLock> image_ref;  // keeps GC away from the layers we run
  if (o.rootfs) {
    char* real = ::realpath(image_name.c_str(), nullptr);
    if (!real) throw_errno("--rootfs {}", image_name);
    layout.rootfs_dir = real;
    std::free(real);
    rec.rootfs = layout.rootfs_dir;
    rec.image = layout.rootfs_dir;
  } else {
    storage::PullOptions po;
    po.policy = storage::parse_pull_policy(o.pull);
    if (!o.platform.empty()) po.platform = image::parse_platform(o.platform);
    po.tls_verify = o.tls_verify;
    po.quiet = o.quiet;
    image_ref = store.reference_lock();
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
    auto image = local ? *local : storage::pull_image(store, image_name, po);
    defaults = runtime::ImageDefaults::from_config(nlohmann::json::parse(store.get_blob(image.config_digest())));
    for (auto it = image.layers.rbegin(); it != image.layers.rend(); ++it)
      layout.lower_dirs.push_back(store.layer_diff_dir(*it));
    rec.image = image_name;
    rec.image_id = image.id;
  }
  for (const auto& l : o.labels) {
    auto eq = l.find('=');
    rec.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  for (const auto& a : o.annotations) {
    auto eq = a.find('=');
    if (eq == std::string::npos) fail("annotation {:?} must be formatted KEY=VALUE", a);
    rec.annotations[a.substr(0, eq)] = a.substr(eq + 1);
  }
  rec.command = runtime::resolve_command(defaults, o.run);  // fails before anything is created

  rec = containers.create(rec);
  bool keep = false;
  ScopeGuard cleanup([&] {
    if (keep) return;
    try {
      containers.remove(rec.id);
    } catch (const Error& e) {
      log::warn("removing container {}: {}", rec.id, e.what());
    }
  });
  std::string dir = containers.dir(rec.id);
  layout.upper_dir = fs::join(dir, "upper");
  layout.work_dir = fs::join(dir, "work");
  layout.merged_dir = fs::join(dir, "merged");
  layout.userdata_dir = fs::join(dir, "userdata");
  for (const auto& d : {layout.upper_dir, layout.work_dir, layout.merged_dir}) fs::mkdir_p(d, 0755);
  std::string hostname = o.run.hostname.empty() ? short_id(rec.id) : o.run.hostname;
  runtime::HostUser host{::getuid(), ::getgid(), rootless::userns_state().user_name, config::home_dir()};
  const auto& ns = rootless::userns_state();
  if (ns.entered) host = {static_cast<uid_t>(rootless::to_host(ns.mapping.uids, 0)),
                          static_cast<gid_t>(rootless::to_host(ns.mapping.gids, 0)), ns.user_name, config::home_dir()};
  auto plan = runtime::make_plan(o.run, defaults, layout, hostname, rec.name, host);
  std::optional<rootless::IdMapping> shift;
  if (auto kid = runtime::parse_keep_id(o.userns, host)) {
    rootless::IdMapping m;
    m.uids = runtime::keep_id_ranges(kid->uid, ns.entered ? ns.mapping.uid_count() : 1);
    m.gids = runtime::keep_id_ranges(kid->gid, ns.entered ? ns.mapping.gid_count() : 1);
    plan.spec.userns = m;
    // Layers store owners as cabin's namespace sees them; with more than the
    // user's own id, the root must present them shifted.
    if (!ns.mapping.single_id()) shift = m;
  } else if (id_maps) {
    const auto& m = *id_maps;
    const auto& u = plan.spec.user;
    auto mapped = [](const std::vector<rootless::IdRange>& rs, uint32_t id) {
      return std::any_of(rs.begin(), rs.end(), [&](const auto& r) { return id >= r.container_id && id - r.container_id < r.size; });
    };
    if (!mapped(m.uids, u.uid)) fail("user id {} is not mapped by --uidmap", u.uid);
    if (!mapped(m.gids, u.gid)) fail("group id {} is not mapped by --gidmap", u.gid);
    plan.spec.userns = m;
    if (!ns.mapping.single_id()) shift = m;
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
  storage::MountedRootfs rootfs;
  if (layout.rootfs_dir.empty()) {
    storage::RootfsRequest req{layout.lower_dirs, layout.upper_dir, layout.work_dir, layout.merged_dir, shift, o.rm};
    rootfs = storage::mount_rootfs(storage::choose_driver(g.paths.graphroot, g.paths.driver), req);
  }
  auto filter = plan.spec.seccomp
                    ? security::cached_filter(fs::join(g.paths.graphroot, "cache"), plan.seccomp_profile,
                                              security::CapSet{plan.spec.caps.bounding})
                    : security::SeccompFilter{};
  if (!o.cidfile.empty()) fs::write_file_atomic(o.cidfile, rec.id, 0644);

  sigset_t old_mask;
  runtime::block_signals(&old_mask);
  ScopeGuard restore_mask([&] { ::sigprocmask(SIG_SETMASK, &old_mask, nullptr); });
  auto started = runtime::start_container(plan.spec, filter, old_mask);
  rec.state = "running";
  rec.pid = started.pid;
  rec.started_at = now();
  containers.update(rec);

  runtime::SuperviseOptions so;
  so.pid = started.pid;
  so.pidfd = started.pidfd.get();
  so.pty_master = started.pty_master.get();
  so.stdin_open = o.run.interactive;
  so.sig_proxy = o.sig_proxy.value_or(true);
  int status = runtime::supervise(so);
  int code = runtime::exit_code_of(status);

  rec.state = "exited";
  rec.pid = 0;
  rec.exit_code = code;
  rec.finished_at = now();
  if (!o.rm) {
    containers.update(rec);
    keep = true;
  }
  return code;
}

Runner bind_run(CLI::App& app, Globals& g) {
  auto o = std::make_shared<RunCmdOptions>();
  auto& r = o->run;
  // Everything after the image belongs to the command; -h is --hostname.
  app.prefix_command();
  app.set_help_flag("--help", "Print this help message and exit");
  app.fallthrough(false);
  app.add_flag("--rm", o->rm, "Remove container (and pod if created) after exit");
  app.add_flag("-d,--detach", o->detach, "Run container in background and print container ID");
  app.add_flag("-i,--interactive", r.interactive, "Make STDIN available to the contained process");
  app.add_flag("-t,--tty", r.tty, "Allocate a pseudo-TTY for container");
  app.add_option("-e,--env", r.env, "Set environment variables in container");
  app.add_option("--env-file", r.env_files, "Read in a file of environment variables");
  app.add_flag("--env-host", r.env_host, "Use all current host environment variables in container");
  app.add_option("-w,--workdir", r.workdir, "Working directory inside the container");
  app.add_option("-u,--user", r.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  app.add_option("--entrypoint", r.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  app.add_option("-h,--hostname", r.hostname, "Set container hostname");
  app.add_option("--name", o->name, "Assign a name to the container");
  app.add_flag("--read-only", r.read_only, "Make containers root filesystem read-only");
  app.add_option("--read-only-tmpfs", r.read_only_tmpfs, "When running containers in read-only mode mount a read-write tmpfs on /run, /tmp and /var/tmp");
  app.add_option("--tmpfs", r.tmpfs, "Mount a temporary filesystem (tmpfs) into a container");
  app.add_option("-v,--volume", r.volumes, "Bind mount a volume into the container");
  app.add_option("--mount", r.mounts, "Attach a filesystem mount to the container");
  app.add_option("--network,--net", r.network, "Connect a container to a network");
  app.add_option("--userns", o->userns, "User namespace to use");
  app.add_option("--uidmap", o->uidmap, "UID map to use for the user namespace");
  app.add_option("--gidmap", o->gidmap, "GID map to use for the user namespace");
  app.add_option("--cap-add", r.cap_add, "Add capabilities to the container");
  app.add_option("--cap-drop", r.cap_drop, "Drop capabilities from the container");
  app.add_flag("--privileged", r.privileged, "Give extended privileges to container");
  app.add_option("--security-opt", r.security_opts, "Security Options");
  app.add_flag("--init", r.init, "Run an init inside the container that forwards signals and reaps processes");
  app.add_option("--pull", o->pull, "Pull image policy (always, missing, never, newer)");
  app.add_option("--platform", o->platform, "Specify the platform for selecting the image");
  app.add_option("--ulimit", r.ulimits, "Ulimit options");
  add_bool_flag(app, "--sig-proxy", o->sig_proxy, "Proxy received signals to the process");
  app.add_option("--cidfile", o->cidfile, "Write the container ID to the file");
  app.add_option("-l,--label", o->labels, "Set metadata on container");
  app.add_option("--annotation", o->annotations, "Add annotations to container (key=value)");
  app.add_flag("--rootfs", o->rootfs, "The first argument is not an image but the rootfs to the exploded container");
  app.add_option("--add-host", r.add_hosts, "Add a custom host-to-IP mapping (host:ip)");
  app.add_option("--dns", r.dns, "Set custom DNS servers");
  app.add_option("--dns-search", r.dns_search, "Set custom DNS search domains");
  app.add_option("--dns-option", r.dns_options, "Set custom DNS options");
  app.add_option("-m,--memory", o->memory, "Memory limit (format: <number>[<unit>])");
  app.add_option("--memory-swap", o->memory_swap, "Swap limit equal to memory plus swap");
  app.add_option("--cpus", o->cpus, "Number of CPUs");
  app.add_option("-c,--cpu-shares", o->cpu_shares, "CPU shares (relative weight)");
  app.add_option("--pids-limit", o->pids_limit, "Tune container pids limit");
  add_bool_flag(app, "--tls-verify", o->tls_verify, "Require HTTPS and verify certificates when contacting registries");
  app.add_flag("-q,--quiet", o->quiet, "Suppress output information when pulling images");
  // One value per occurrence (-v a -v b), so the image is never taken as
  // a second value of the option before it.
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
  return [o, &g, &app] { return run_run(g, *o, app.remaining()); };
}

}  // namespace cabin::cmd
