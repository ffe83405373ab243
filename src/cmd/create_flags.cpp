// The flags create and run share, and the split of what follows them.
#include "cmd/create_flags.h"

#include <CLI/CLI.hpp>

#include "cmd/cli.h"
#include "cmd/common.h"
#include "config/containers_conf.h"
#include "engine/pod.h"
#include "util/error.h"
#include "util/signals.h"

namespace cabin::cmd {

std::string prepare_pod(const Globals& g, engine::CreateOptions& o) {
  if (o.pod.starts_with("new:")) {
    enter_userns(g);
    engine::PodCreateOptions po;
    po.name = o.pod.substr(4);
    if (po.name.empty()) fail("new pod name must be at least one character");
    auto store = open_store(g);
    o.pod = engine::create_pod(store, g.paths, po).id;
  }
  std::string holder;
  for (const auto& v : o.run.networks)
    if (v.starts_with("container:") || v.starts_with("ns:")) holder = v;
  for (const auto* m : {&o.ipc, &o.uts, &o.pid})
    if (holder.empty() && (m->starts_with("container:") || m->starts_with("ns:"))) holder = *m;
  if (holder.empty() && !o.pod.empty()) {
    auto pod = engine::PodStore(g.paths).get(o.pod);
    if (pod.infra && !pod.share.empty()) holder = "container:" + pod.infra_id;
  }
  return holder;
}

void bind_create_flags(CLI::App& app, engine::CreateOptions& o) {
  auto& r = o.run;
  static std::string log_driver;
  // Everything after the image belongs to the command; -h is --hostname.
  app.prefix_command();
  set_usage(app, "IMAGE [COMMAND [ARG...]]");
  app.set_help_flag("--help", "Print this help message and exit");
  app.fallthrough(false);
  app.add_flag("--rm", o.rm, "Remove container (and pod if created) after exit");
  app.add_flag("-i,--interactive", r.interactive, "Make STDIN available to the contained process");
  app.add_flag("-t,--tty", r.tty, "Allocate a pseudo-TTY for container");
  app.add_option("-e,--env", r.env, "Set environment variables in container");
  app.add_option("--env-file", r.env_files, "Read in a file of environment variables");
  app.add_option("--env-merge", r.env_merge, "Preprocess environment variables from image before injecting them into the container");
  app.add_flag("--env-host", r.env_host, "Use all current host environment variables in container");
  app.add_option("--unsetenv", r.unsetenv, "Unset environment default variables in container");
  app.add_flag("--unsetenv-all", r.unsetenv_all, "Unset all default environment variables in container");
  app.add_option("--umask", r.umask, "Set umask in container");
  app.add_option("--tz", r.tz, "Set timezone in container");
  app.add_option("--shm-size", r.shm_size, "Size of /dev/shm (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))");
  app.add_option("--sysctl", r.sysctls, "Sysctl options");
  app.add_option("--expose", r.expose, "Expose a port or a range of ports");
  app.add_flag("--replace", o.replace, "If a container with the same name exists, replace it");
  app.add_option("--pidfile", o.pidfile, "Write the container process ID to the file");
  app.add_option("-w,--workdir", r.workdir, "Working directory inside the container");
  app.add_option("-u,--user", r.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  app.add_option("--entrypoint", r.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  app.add_option("-h,--hostname", r.hostname, "Set container hostname");
  app.add_option("--name", o.name, "Assign a name to the container");
  app.add_flag("--read-only", r.read_only, "Make containers root filesystem read-only");
  app.add_option("--read-only-tmpfs", r.read_only_tmpfs, "When running containers in read-only mode mount a read-write tmpfs on /run, /tmp and /var/tmp");
  app.add_option("--tmpfs", r.tmpfs, "Mount a temporary filesystem (tmpfs) into a container");
  app.add_option("-v,--volume", r.volumes, "Bind mount a volume into the container");
  app.add_option("--mount", r.mounts, "Attach a filesystem mount to the container");
  app.add_option("--volumes-from", r.volumes_from, "Mount volumes from the specified container(s)");
  app.add_option("--network,--net", r.networks, "Connect a container to a network");
  app.add_option("--network-alias", r.network_aliases, "Add network-scoped alias for the container");
  app.add_option("--ip", r.ip, "Specify a static IPv4 address for the container");
  app.add_option("--mac-address", r.mac, "Container MAC address (e.g. 92:d0:c6:0a:29:33)");
  app.add_option("-p,--publish", r.publish, "Publish a container's port, or a range of ports, to the host");
  app.add_flag("-P,--publish-all", r.publish_all, "Publish all exposed ports to random ports on the host interfaces");
  app.add_option("--userns", o.userns, "User namespace to use");
  app.add_option("--ipc", o.ipc, "IPC namespace to use (host, private, shareable, container:NAME, ns:PATH)");
  app.add_option("--uts", o.uts, "UTS namespace to use (host, private, container:NAME, ns:PATH)");
  app.add_option("--pid", o.pid, "PID namespace to use (host, private, container:NAME, ns:PATH)");
  app.add_option("--pod", o.pod, "Run container in an existing pod, or a new one with new:NAME");
  app.add_option("--uidmap", o.uidmap, "UID map to use for the user namespace");
  app.add_option("--gidmap", o.gidmap, "GID map to use for the user namespace");
  app.add_option("--cap-add", r.cap_add, "Add capabilities to the container");
  app.add_option("--cap-drop", r.cap_drop, "Drop capabilities from the container");
  app.add_flag("--privileged", r.privileged, "Give extended privileges to container");
  app.add_option("--device", r.devices, "Add a host device to the container (HOST[:CONTAINER][:PERMISSIONS], or a CDI name vendor.com/class=name)");
  app.add_option("--group-add", r.group_add, "Add additional groups to the primary container process ('keep-groups' keeps the user's groups)");
  app.add_option("--security-opt", r.security_opts, "Security Options");
  app.add_flag("--init", r.init, "Run an init inside the container that forwards signals and reaps processes");
  app.add_option("--pull", o.pull, "Pull image policy (always, missing, never, newer)");
  app.add_option("--platform", o.platform, "Specify the platform for selecting the image");
  app.add_option("--ulimit", r.ulimits, "Ulimit options");
  add_bool_flag(app, "--sig-proxy", o.sig_proxy, "Proxy received signals to the process");
  app.add_option("--cidfile", o.cidfile, "Write the container ID to the file");
  app.add_option("-l,--label", o.labels, "Set metadata on container");
  app.add_option("--annotation", o.annotations, "Add annotations to container (key=value)");
  app.add_flag("--rootfs", o.rootfs, "The first argument is not an image but the rootfs to the exploded container");
  app.add_option("--add-host", r.add_hosts, "Add a custom host-to-IP mapping (host:ip)");
  app.add_option("--dns", r.dns, "Set custom DNS servers");
  app.add_option("--dns-search", r.dns_search, "Set custom DNS search domains");
  app.add_option("--dns-option", r.dns_options, "Set custom DNS options");
  app.add_option("-m,--memory", o.memory, "Memory limit (format: <number>[<unit>])");
  app.add_option("--memory-swap", o.memory_swap, "Swap limit equal to memory plus swap");
  app.add_option("--cpus", o.cpus, "Number of CPUs");
  app.add_option("-c,--cpu-shares", o.cpu_shares, "CPU shares (relative weight)");
  app.add_option("--pids-limit", o.pids_limit, "Tune container pids limit");
  add_bool_flag(app, "--tls-verify", o.tls_verify, "Require HTTPS and verify certificates when contacting registries");
  app.add_flag("-q,--quiet", o.quiet, "Suppress output information when pulling images");
  app.add_option("--restart", o.restart, "Restart policy to apply when a container exits (no, on-failure[:max_retry], always, unless-stopped)");
  app.add_option("--stop-signal", o.stop_signal, "Signal to stop a container. Default is SIGTERM");
  app.add_option("--stop-timeout", o.stop_timeout, "Timeout (in seconds) that containers stopped by user command have to exit. If exceeded, the container will be forcibly stopped via SIGKILL");
  app.add_option("--log-opt", o.log_opts, "Logging driver options");
  auto& h = o.health;
  app.add_option("--health-cmd", h.cmd, "set a healthcheck command for the container ('none' disables the existing healthcheck)");
  app.add_option("--health-interval", h.interval, "set an interval for the healthcheck (a value of disable results in no automatic timer setup)");
  app.add_option("--health-timeout", h.timeout, "the maximum time allowed to complete the healthcheck before an interval is considered failed");
  app.add_option("--health-start-period", h.start_period, "the initialization time needed for a container to bootstrap");
  app.add_option("--health-start-interval", h.start_interval, "the time between healthchecks during the start period");
  app.add_option("--health-retries", h.retries, "the number of retries allowed before a healthcheck is considered to be unhealthy");
  app.add_option("--health-on-failure", h.on_failure, "action to take once the container turns unhealthy (none, kill, restart, stop)");
  app.add_flag("--no-healthcheck", h.disabled, "Disable healthchecks on container");
  app.add_option("--secret", o.secrets, "Add secret to container (NAME[,type=mount|env,target=PATH|VAR,uid=N,gid=N,mode=OCTAL])");
  app.add_option("--log-driver", log_driver, "Logging driver for the container")->check([](const std::string& v) {
    return v == "k8s-file" || v.empty() ? std::string() : "cabin supports the k8s-file log driver only";
  });
  // Docker's --gpus: say plainly that it cannot work rather than "unknown flag".
  static std::string gpus;
  app.add_option("--gpus", gpus, "GPU devices to add to the container (not supported)")
      ->group("")
      ->check([](const std::string&) -> std::string {
        fail("--gpus is not supported: give GPUs as CDI devices instead (--device nvidia.com/gpu=all)");
      });
  // One value per occurrence (-v a -v b), so the image is never taken as
  // a second value of the option before it.
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
}

void apply_config_defaults(const CLI::App& app, engine::CreateOptions& o) {
  engine::apply_containers_conf(config::containers_conf(), o,
                                [&](std::string_view flag) { return app.count(std::string(flag)) > 0; });
}

std::optional<ImageAndCommand> image_and_command(const std::string& command_name,
                                                 const std::vector<std::string>& args) {
  if (args.empty()) fail("requires at least 1 arg(s), only received 0");
  // Flags end at the image; one before it that CLI11 did not know lands here.
  if (args[0].size() > 1 && args[0][0] == '-') {
    fmt::print(stderr, "Error: unknown flag: {}\nSee 'cabin {} --help'\n", args[0].substr(0, args[0].find('=')),
               command_name);
    return std::nullopt;
  }
  return ImageAndCommand{args[0], {args.begin() + 1, args.end()}};
}

}  // namespace cabin::cmd
