// cabin compose: multi-container applications from compose files, built in
// (Docker Compose v2's commands, flags and names; engine/compose.h).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>

#include "cabin-config.h"
#include "cmd/cli.h"
#include "cmd/common.h"
#include "compose/load.h"
#include "compose/output.h"
#include "engine/compose.h"
#include "engine/create.h"
#include "engine/health.h"
#include "engine/lifecycle.h"
#include "format/output.h"
#include "format/units.h"
#include "image/reference.h"
#include "net/config.h"
#include "runtime/logfile.h"
#include "runtime/procstat.h"
#include "storage/push.h"
#include "util/log.h"
#include "util/error.h"
#include "util/signals.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

namespace ec = engine::compose;
using cabin::compose::Project;

// compose's own flags, before the subcommand (-f, -p, ...).
struct ComposeFlags {
  std::vector<std::string> files, env_files, profiles;
  std::string project_name, project_directory;
};
ComposeFlags& flags() {
  static ComposeFlags f;
  return f;
}

Project load(const std::vector<std::string>& services = {}) {
  cabin::compose::LoadOptions o;
  const auto& f = flags();
  o.files = f.files;
  o.project_name = f.project_name;
  o.project_directory = f.project_directory;
  o.env_files = f.env_files;
  o.profiles = f.profiles;
  o.services = services;
  o.environ = cabin::compose::process_environment();
  return cabin::compose::load_project(o);
}

// The services named (checked against the project), or all.
void check_services(const Project& p, const std::vector<std::string>& services) {
  for (const auto& s : services)
    if (!p.services.count(s)) fail("no such service: {}", s);
}

std::vector<storage::ContainerRecord> containers_of(const storage::ContainerStore& containers, const Project& p,
                                                    const std::vector<std::string>& services, bool oneoff = false) {
  check_services(p, services);
  return ec::project_containers(containers, p.name, services, oneoff);
}

// How compose prints the containers' output.
struct LogStyle {
  bool follow = false;
  bool color = false;   // on a terminal, unless --no-color
  bool prefix = true;   // "p-web-1  | " (--no-log-prefix: none)
};

// Follows (or reads) the containers' logs, each line prefixed with the
// container's name as Compose does ("p-web-1  | "), coloured on a terminal.
// Returns when every log is done: at once without follow, else when each
// container has stopped or stop() says so.
void print_logs(storage::ContainerStore& containers, const config::StorePaths& paths,
                const std::vector<storage::ContainerRecord>& recs, const runtime::LogReadOptions& ro,
                const LogStyle& style, const std::function<bool()>& stop) {
  size_t width = 0;
  for (const auto& r : recs) width = std::max(width, r.name.size());
  std::mutex out_mu;
  static const int kColors[] = {36, 33, 32, 35, 34, 31};
  auto one = [&](size_t i) {
    const auto& r = recs[i];
    std::string prefix = style.prefix ? fmt::format("{:<{}}  | ", r.name, width) : "";
    if (style.color && style.prefix) prefix = fmt::format("\033[{}m{}\033[0m", kColors[i % std::size(kColors)], prefix);
    auto print = [&](runtime::LogStream, std::string_view text) {
      std::lock_guard lock(out_mu);
      std::fwrite(prefix.data(), 1, prefix.size(), stdout);
      std::fwrite(text.data(), 1, text.size(), stdout);
      if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
      std::fflush(stdout);
    };
    std::string path = fs::join(containers.dir(r.id), "userdata/ctr.log");
    if (!style.follow) return runtime::read_log(path, ro, print);
    runtime::follow_log(path, ro, print, [&] {
      return !stop() && containers.find(r.id) && engine::current_state(containers, paths, r.id).running();
    });
  };
  std::vector<std::thread> threads;
  for (size_t i = 0; i < recs.size(); ++i) threads.emplace_back(one, i);
  for (auto& t : threads) t.join();
}

// ---- the subcommands ----

Runner config_cmd(CLI::App& app, Globals&) {
  struct O {
    bool services = false, volumes = false, quiet = false;
  };
  auto o = std::make_shared<O>();
  app.add_flag("--services", o->services, "Print the service names, one per line");
  app.add_flag("--volumes", o->volumes, "Print the volume names, one per line");
  app.add_flag("-q,--quiet", o->quiet, "Only validate the configuration, don't print anything");
  return [o] {
    auto p = load();
    if (o->quiet) return 0;
    if (o->services || o->volumes) {
      for (const auto& n : o->services ? cabin::compose::service_names(p) : cabin::compose::volume_names(p))
        fmt::print("{}\n", n);
      return 0;
    }
    fmt::print("{}", cabin::compose::to_yaml(p));
    return 0;
  };
}

Runner up_cmd(CLI::App& app, Globals& g) {
  struct O {
    ec::UpOptions up;
    bool detach = false, wait = false, abort_on_exit = false, no_color = false, no_log_prefix = false;
    std::vector<std::string> scale;
    std::string exit_code_from;
    std::optional<int> timeout;
  };
  auto o = std::make_shared<O>();
  app.add_option("service", o->up.services, "Services to start (and what they depend on)");
  app.add_flag("-d,--detach", o->detach, "Detached mode: Run containers in the background");
  app.add_flag("--build", o->up.build, "Build images before starting containers");
  app.add_flag("--no-build", o->up.no_build, "Don't build an image, even if it's missing");
  app.add_flag("--force-recreate", o->up.force_recreate, "Recreate containers even if their configuration and image haven't changed");
  app.add_flag("--no-recreate", o->up.no_recreate, "If containers already exist, don't recreate them");
  app.add_flag("--no-deps", o->up.no_deps, "Don't start linked services");
  app.add_flag("--remove-orphans", o->up.remove_orphans, "Remove containers for services not defined in the Compose file");
  app.add_flag("--quiet-pull", o->up.quiet_pull, "Pull without printing progress information");
  app.add_flag("--wait", o->wait, "Wait for services to be running|healthy. Implies detached mode");
  app.add_flag("--abort-on-container-exit", o->abort_on_exit, "Stops all containers if any container was stopped");
  app.add_option("--exit-code-from", o->exit_code_from, "Return the exit code of the selected service container");
  app.add_option("--scale", o->scale, "Scale SERVICE to NUM instances (SERVICE=NUM)")->allow_extra_args(false);
  app.add_option("-t,--timeout", o->timeout, "Use this timeout in seconds for container shutdown");
  app.add_flag("--no-color", o->no_color, "Produce monochrome output");
  app.add_flag("--no-log-prefix", o->no_log_prefix, "Don't print prefix in logs");
  return [o, &g] {
    if (o->up.build && o->up.no_build) fail("--build and --no-build are incompatible");
    if (o->up.force_recreate && o->up.no_recreate) fail("--force-recreate and --no-recreate are incompatible");
    if (o->detach && (o->abort_on_exit || !o->exit_code_from.empty()))
      fail("--abort-on-container-exit and --exit-code-from cannot be combined with --detach");
    for (const auto& s : o->scale) {
      auto eq = s.find('=');
      auto n = eq == std::string::npos ? std::nullopt : parse_number<int>(std::string_view(s).substr(eq + 1));
      if (!n || *n < 0) fail("invalid --scale {:?}: use SERVICE=NUM", s);
      o->up.scale[s.substr(0, eq)] = *n;
    }
    if (o->timeout) o->up.timeout = std::chrono::seconds(*o->timeout);
    auto p = load(o->up.services);
    check_services(p, o->up.services);
    if (!o->exit_code_from.empty()) check_services(p, {o->exit_code_from});
    auto store = open_store(g);
    auto recs = ec::up(store, g.paths, p, o->up);
    storage::ContainerStore containers(g.paths);
    if (o->wait) {
      for (const auto& r : recs) {
        bool health = engine::load_start_config(containers, r.id).health.has_value();
        for (;;) {
          auto st = engine::current_state(containers, g.paths, r.id);
          if (!st.running()) fail("container {} exited ({})", r.name, st.exit_code);
          std::string h = health ? engine::health_status(containers, r.id) : "";
          if (h == "unhealthy") fail("container {} is unhealthy", r.name);
          if (!health || h == "healthy") break;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ec::say("Container", r.name, health ? "Healthy" : "Running");
      }
    }
    if (o->detach || o->wait) return 0;
    // Attached: the containers' output until they have all stopped; Ctrl-C
    // (or --abort-on-container-exit) stops them all.
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &set, &old);
    std::atomic<bool> stopping = false;
    std::thread logs([&] {
      runtime::LogReadOptions ro;
      LogStyle style{true, !o->no_color && ::isatty(STDOUT_FILENO), !o->no_log_prefix};
      print_logs(containers, g.paths, recs, ro, style, [&] { return stopping.load(); });
    });
    bool abort = o->abort_on_exit || !o->exit_code_from.empty();
    for (;;) {
      timespec tick{0, 200000000};
      int sig = ::sigtimedwait(&set, nullptr, &tick);
      size_t running = std::count_if(recs.begin(), recs.end(), [&](const auto& r) {
        return engine::current_state(containers, g.paths, r.id).running();
      });
      if (sig > 0 || (abort && running < recs.size())) {
        fmt::print(stderr, "{}\n", sig > 0 ? "Gracefully stopping... (press Ctrl+C again to force)"
                                           : "Aborting on container exit...");
        for (const auto& r : recs) ec::stop_one(containers, g.paths, r, o->up.timeout);
        break;
      }
      if (running == 0) break;
    }
    stopping = true;
    logs.join();
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (!o->exit_code_from.empty()) {
      for (const auto& r : recs)
        if (ec::label(r, ec::kServiceLabel) == o->exit_code_from) return containers.state(r.id).exit_code;
    }
    return 0;
  };
}

Runner down_cmd(CLI::App& app, Globals& g) {
  struct O {
    ec::DownOptions down;
    std::optional<int> timeout;
  };
  auto o = std::make_shared<O>();
  app.add_flag("-v,--volumes", o->down.volumes, "Remove named volumes declared in the volumes section of the Compose file and anonymous volumes attached to containers");
  app.add_option("--rmi", o->down.rmi, "Remove images used by services. \"local\" remove only images that don't have a custom tag (\"local\"|\"all\")");
  app.add_flag("--remove-orphans", o->down.remove_orphans, "Remove containers for services not defined in the Compose file");
  app.add_option("-t,--timeout", o->timeout, "Specify a shutdown timeout in seconds");
  return [o, &g] {
    if (!o->down.rmi.empty() && o->down.rmi != "local" && o->down.rmi != "all")
      fail("invalid --rmi option {:?}: use local or all", o->down.rmi);
    if (o->timeout) o->down.timeout = std::chrono::seconds(*o->timeout);
    auto p = load();
    auto store = open_store(g);
    ec::down(store, g.paths, p, o->down);
    return 0;
  };
}

Runner ps_cmd(CLI::App& app, Globals& g) {
  struct O {
    std::vector<std::string> services;
    bool all = false, quiet = false, list_services = false;
    std::string format;
  };
  auto o = std::make_shared<O>();
  app.add_option("service", o->services, "Services");
  app.add_flag("-a,--all", o->all, "Show all stopped containers (including those created by the run command)");
  app.add_flag("-q,--quiet", o->quiet, "Only display IDs");
  app.add_flag("--services", o->list_services, "Display services");
  app.add_option("--format", o->format, "Format the output: table (default), json, or a Go template");
  return [o, &g] {
    auto p = load();
    storage::ContainerStore containers(g.paths);
    std::vector<nlohmann::json> rows;
    nlohmann::json json_rows = nlohmann::json::array();
    for (const auto& r : containers_of(containers, p, o->services, o->all)) {
      auto st = engine::current_state(containers, g.paths, r.id);
      if (!o->all && !st.running()) continue;
      std::string service = ec::label(r, ec::kServiceLabel);
      if (o->quiet) {
        fmt::print("{}\n", r.id);
        continue;
      }
      if (o->list_services) {
        fmt::print("{}\n", service);
        continue;
      }
      std::string health = st.running() ? engine::health_status(containers, r.id) : "";
      std::string status =
          st.running() ? "Up " + format::human_duration(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now() - format::parse_rfc3339(st.started_at))) +
                             (health.empty() ? "" : " (" + health + ")")
          : st.status == "exited" ? fmt::format("Exited ({})", st.exit_code)
                                  : "Created";
      std::string ports = net::ports_summary(net::record_ports(r.config));
      // Compose's COMMAND: quoted, cut at 20 characters.
      std::string command = join(r.command, " ");
      if (command.size() > 20) command = command.substr(0, 19) + "…";
      nlohmann::json row = {{"ID", r.id.substr(0, 12)}, {"Name", r.name},       {"Image", r.image},
                            {"Command", "\"" + command + "\""}, {"Service", service}, {"Status", status},
                            {"State", st.running() ? "running" : st.status}, {"Ports", ports},
                            {"Project", p.name}, {"Health", health},
                            {"ExitCode", st.exit_code}};
      rows.push_back(row);
      json_rows.push_back(row);
    }
    if (o->quiet || o->list_services) return 0;
    format::ListOptions lo;
    lo.format = o->format;
    lo.default_format = "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.Status}}\t{{.Ports}}";
    lo.headers = {{"Name", "NAME"}, {"Image", "IMAGE"}, {"Command", "COMMAND"}, {"Service", "SERVICE"},
                  {"Status", "STATUS"}, {"Ports", "PORTS"}};
    lo.json_indent = 2;
    lo.name = "ps";
    format::print_list(stdout, lo, rows, json_rows);
    return 0;
  };
}

Runner logs_cmd(CLI::App& app, Globals& g) {
  struct O {
    std::vector<std::string> services;
    bool follow = false, timestamps = false, no_color = false, no_log_prefix = false;
    int64_t tail = -1;
  };
  auto o = std::make_shared<O>();
  app.add_option("service", o->services, "Services");
  app.add_flag("-f,--follow", o->follow, "Follow log output");
  app.add_flag("-t,--timestamps", o->timestamps, "Show timestamps");
  app.add_flag("--no-color", o->no_color, "Produce monochrome output");
  app.add_option("-n,--tail", o->tail, "Number of lines to show from the end of the logs for each container");
  app.add_flag("--no-log-prefix", o->no_log_prefix, "Don't print prefix in logs");
  return [o, &g] {
    auto p = load();
    storage::ContainerStore containers(g.paths);
    auto recs = containers_of(containers, p, o->services);
    runtime::LogReadOptions ro;
    ro.timestamps = o->timestamps;
    if (o->tail >= 0) ro.tail = static_cast<size_t>(o->tail);
    LogStyle style{o->follow, !o->no_color && ::isatty(STDOUT_FILENO), !o->no_log_prefix};
    print_logs(containers, g.paths, recs, ro, style, [] { return false; });
    return 0;
  };
}

Runner build_cmd(CLI::App& app, Globals& g) {
  struct O {
    std::vector<std::string> services;
    bool quiet = false, no_cache = false;
  };
  auto o = std::make_shared<O>();
  app.add_option("service", o->services, "Services to build");
  app.add_flag("-q,--quiet", o->quiet, "Don't print anything to STDOUT");
  app.add_flag("--no-cache", o->no_cache, "Do not use cache when building the image");
  return [o, &g] {
    auto p = load(o->services);
    check_services(p, o->services);
    auto store = open_store(g);
    ec::build(store, g.paths, p, o->services, o->quiet, o->no_cache);
    return 0;
  };
}

Runner pull_cmd(CLI::App& app, Globals& g) {
  struct O {
    std::vector<std::string> services;
    bool quiet = false;
  };
  auto o = std::make_shared<O>();
  app.add_option("service", o->services, "Services to pull");
  app.add_flag("-q,--quiet", o->quiet, "Pull without printing progress information");
  return [o, &g] {
    auto p = load(o->services);
    check_services(p, o->services);
    auto store = open_store(g);
    ec::pull(store, p, o->services, o->quiet);
    return 0;
  };
}

// compose push: the images of the services that name one (image:), as
// `cabin push` sends them.
Runner push_cmd(CLI::App& app, Globals& g) {
  struct O {
    std::vector<std::string> services;
    bool quiet = false, ignore_failures = false;
  };
  auto o = std::make_shared<O>();
  app.add_option("service", o->services, "Services to push");
  app.add_flag("-q,--quiet", o->quiet, "Push without printing progress information");
  app.add_flag("--ignore-push-failures", o->ignore_failures, "Push what it can and ignores images with push failures");
  return [o, &g] {
    auto p = load(o->services);
    check_services(p, o->services);
    auto store = open_store(g);
    for (const auto& [name, s] : p.services) {
      if (s.image.empty() || (!o->services.empty() && std::find(o->services.begin(), o->services.end(), name) == o->services.end()))
        continue;
      try {
        auto img = store.get_image(s.image);
        storage::PushOptions po;
        po.quiet = o->quiet;
        storage::push_image(store, img, image::parse_reference(s.image).ref, po);
        ec::say("Service", name, "Pushed");
      } catch (const Error& e) {
        if (!o->ignore_failures) throw;
        log::warn("pushing the image of service {:?}: {}", name, e.what());
      }
    }
    return 0;
  };
}

// start, stop, restart, kill, rm: the same action on each of the services'
// containers (dependencies first to start, dependents first to stop).
enum class Act { Start, Stop, Restart, Kill, Rm, Pause, Unpause };

Runner act_cmd(CLI::App& app, Globals& g, Act act) {
  struct O {
    std::vector<std::string> services;
    std::optional<int> timeout;
    std::string signal = "SIGKILL";
    bool force = false, stop = false, volumes = false;
  };
  auto o = std::make_shared<O>();
  app.add_option("service", o->services, "Services");
  if (act == Act::Stop || act == Act::Restart)
    app.add_option("-t,--timeout", o->timeout, "Specify a shutdown timeout in seconds");
  if (act == Act::Kill) app.add_option("-s,--signal", o->signal, "SIGNAL to send to the container");
  if (act == Act::Rm) {
    app.add_flag("-f,--force", o->force, "Don't ask to confirm removal");
    app.add_flag("-s,--stop", o->stop, "Stop the containers, if required, before removing");
    app.add_flag("-v,--volumes", o->volumes, "Remove any anonymous volumes attached to containers");
  }
  return [o, &g, act] {
    auto p = load();
    storage::ContainerStore containers(g.paths);
    auto recs = containers_of(containers, p, o->services);
    // Dependents stop first.
    auto order = cabin::compose::start_order(p);
    auto rank = [&](const storage::ContainerRecord& r) {
      return std::find(order.begin(), order.end(), ec::label(r, ec::kServiceLabel)) - order.begin();
    };
    std::stable_sort(recs.begin(), recs.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    if (act != Act::Start) std::reverse(recs.begin(), recs.end());
    int sig = act == Act::Kill ? parse_signal(o->signal) : 0;
    std::optional<std::chrono::seconds> timeout;
    if (o->timeout) timeout = std::chrono::seconds(*o->timeout);
    auto stop = [&](const storage::ContainerRecord& r) { ec::stop_one(containers, g.paths, r, timeout); };
    if (act == Act::Start || act == Act::Restart) enter_userns(g);
    if (act == Act::Restart)
      for (const auto& r : recs) stop(r);
    if (act == Act::Restart) std::reverse(recs.begin(), recs.end());
    for (const auto& r : recs) {
      switch (act) {
        case Act::Start:
        case Act::Restart:
          engine::start_detached(containers, g.paths, r);
          ec::say("Container", r.name, "Started");
          break;
        case Act::Stop:
          stop(r);
          break;
        case Act::Kill:
          if (engine::signal_container(containers, g.paths, r.id, sig)) ec::say("Container", r.name, "Killed");
          break;
        case Act::Pause:
        case Act::Unpause:
          engine::freeze_container(containers, g.paths, r, act == Act::Pause);
          break;
        case Act::Rm:
          if (engine::current_state(containers, g.paths, r.id).running()) {
            if (!o->stop) continue;  // Compose removes only stopped containers
            stop(r);
          }
          ec::remove_one(containers, g.paths, r, o->volumes);
          break;
      }
    }
    return 0;
  };
}

Runner exec_cmd(CLI::App& app, Globals& g) {
  auto o = std::make_shared<engine::ExecOptions>();
  auto index = std::make_shared<int>(1);
  auto no_tty = std::make_shared<bool>(false);
  app.prefix_command();  // the command's own flags are its own
  set_usage(app, "SERVICE COMMAND [ARGS...]");
  app.fallthrough(false);
  app.add_flag("-d,--detach", o->detach, "Detached mode: Run command in the background");
  app.add_option("-e,--env", o->env, "Set environment variables")->allow_extra_args(false);
  app.add_option("-u,--user", o->user, "Run the command as this user")->allow_extra_args(false);
  app.add_option("-w,--workdir", o->workdir, "Path to workdir directory for this command")->allow_extra_args(false);
  app.add_option("--index", *index, "Index of the container if service has multiple replicas")->allow_extra_args(false);
  app.add_flag("-T,--no-TTY", *no_tty, "Disable pseudo-TTY allocation");
  app.add_flag("--privileged", o->privileged, "Give extended privileges to the process");
  return [o, index, no_tty, &g, &app] {
    auto args = app.remaining();
    if (args.size() < 2) fail("requires at least 2 arg(s), only received {}", args.size());
    auto p = load();
    check_services(p, {args[0]});
    storage::ContainerStore containers(g.paths);
    std::string name = ec::container_name(p, p.services.at(args[0]), *index);
    auto recs = containers_of(containers, p, {args[0]});
    auto it = std::find_if(recs.begin(), recs.end(), [&](const auto& r) { return r.name == name; });
    if (it == recs.end()) fail("service {:?} is not running container #{}", args[0], *index);
    o->command.assign(args.begin() + 1, args.end());
    bool tty = !*no_tty && ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
    o->tty = tty;
    o->interactive = !o->detach;
    return engine::exec_container(containers, g.paths, *it, *o);
  };
}

// compose run: a one-off container of a service (PROJECT-SERVICE-run-ID),
// its dependencies brought up first; the service's ports only with
// --service-ports.
Runner run_cmd(CLI::App& app, Globals& g) {
  struct O {
    bool detach = false, rm = false, no_deps = false, service_ports = false, build = false, no_tty = false;
    std::vector<std::string> env;
    std::string name, user, workdir;
    std::optional<std::string> entrypoint;
  };
  auto o = std::make_shared<O>();
  app.prefix_command();  // the command's own flags are its own
  set_usage(app, "SERVICE [COMMAND [ARGS...]]");
  app.fallthrough(false);
  app.add_flag("-d,--detach", o->detach, "Run container in background and print container ID");
  app.add_flag("--rm", o->rm, "Automatically remove the container when it exits");
  app.add_flag("--no-deps", o->no_deps, "Don't start linked services");
  app.add_flag("--service-ports", o->service_ports, "Run command with all service's ports enabled and mapped to the host");
  app.add_flag("--build", o->build, "Build image before starting container");
  app.add_flag("-T,--no-TTY", o->no_tty, "Disable pseudo-TTY allocation (default: auto-detected)");
  app.add_option("-e,--env", o->env, "Set environment variables")->allow_extra_args(false);
  app.add_option("--name", o->name, "Assign a name to the container")->allow_extra_args(false);
  app.add_option("-u,--user", o->user, "Run as specified username or uid")->allow_extra_args(false);
  app.add_option("-w,--workdir", o->workdir, "Working directory inside the container")->allow_extra_args(false);
  app.add_option("--entrypoint", o->entrypoint, "Override the entrypoint of the image")->allow_extra_args(false);
  return [o, &g, &app] {
    auto args = app.remaining();
    if (args.empty()) fail("requires at least 1 arg(s), only received 0");
    auto p = load({args[0]});
    check_services(p, {args[0]});
    const auto& s = p.services.at(args[0]);
    auto store = open_store(g);
    if (!o->no_deps && !s.depends_on.empty()) {
      ec::UpOptions up;
      for (const auto& [dep, _] : s.depends_on) up.services.push_back(dep);
      ec::up(store, g.paths, p, up);
      storage::ContainerStore containers(g.paths);
      ec::wait_dependencies(containers, g.paths, p, s);
    }
    ec::ensure_resources(g.paths, p, {s.name});
    auto opts = ec::service_options(p, s, 1, ec::ensure_image(store, g.paths, p, s, o->build, false, true));
    std::erase_if(opts.labels, [](const std::string& l) { return l.starts_with(std::string(ec::kOneoffLabel) + "="); });
    opts.labels.push_back(std::string(ec::kOneoffLabel) + "=True");
    opts.name = !o->name.empty() ? o->name : fmt::format("{}-{}-run-{}", p.name, s.name, fs::random_suffix());
    if (!o->service_ports) opts.run.publish.clear();
    opts.run.env.insert(opts.run.env.end(), o->env.begin(), o->env.end());
    if (!o->user.empty()) opts.run.user = o->user;
    if (!o->workdir.empty()) opts.run.workdir = o->workdir;
    if (o->entrypoint) opts.run.entrypoint = *o->entrypoint;
    opts.restart.clear();
    opts.rm = o->rm;
    opts.run.interactive = !o->detach;
    opts.run.tty = !o->no_tty && !o->detach && ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
    ec::apply_containers_conf(s, opts);
    std::vector<std::string> command(args.begin() + 1, args.end());
    if (command.empty() && s.command) command = *s.command;
    storage::ContainerStore containers(g.paths);
    auto created = engine::create_container(store, g.paths, opts, ec::service_image(p, s), command);
    const auto& rec = created.record;
    if (o->detach) {
      engine::start_detached(containers, g.paths, rec);
      fmt::print("{}\n", rec.name);
      return 0;
    }
    if (opts.run.tty) {
      auto r = engine::start_attached(containers, g.paths, rec, engine::AttachOptions{});
      return r.exit_code.value_or(0);
    }
    return engine::run_foreground(containers, g.paths, rec, created.config, true);
  };
}

// compose port SERVICE PRIVATE_PORT: where it is published.
Runner port_cmd(CLI::App& app, Globals& g) {
  struct O {
    std::vector<std::string> args;
    std::string protocol = "tcp";
    int index = 1;
  };
  auto o = std::make_shared<O>();
  app.add_option("args", o->args, "SERVICE PRIVATE_PORT");
  app.add_option("--protocol", o->protocol, "tcp or udp");
  app.add_option("--index", o->index, "Index of the container if service has multiple replicas");
  return [o, &g] {
    check_args(o->args, 2, 2);
    auto p = load();
    check_services(p, {o->args[0]});
    storage::ContainerStore containers(g.paths);
    std::string name = ec::container_name(p, p.services.at(o->args[0]), o->index);
    for (const auto& r : containers_of(containers, p, {o->args[0]})) {
      if (r.name != name) continue;
      for (const auto& port : engine::load_start_config(containers, r.id).net.ports)
        if (std::to_string(port.container_port) == o->args[1] && port.protocol == o->protocol) {
          fmt::print("{}:{}\n", port.host_ip.empty() ? "0.0.0.0" : port.host_ip, port.host_port);
          return 0;
        }
      fail("no port {}/{} for container {}", o->args[1], o->protocol, name);
    }
    fail("service {:?} is not running container #{}", o->args[0], o->index);
  };
}

// compose top: each running container's processes, under its name.
Runner top_cmd(CLI::App& app, Globals& g) {
  auto services = std::make_shared<std::vector<std::string>>();
  app.add_option("service", *services, "Services");
  return [services, &g] {
    auto p = load();
    storage::ContainerStore containers(g.paths);
    bool first = true;
    for (const auto& r : containers_of(containers, p, *services)) {
      auto st = engine::current_state(containers, g.paths, r.id);
      if (!st.running()) continue;
      fmt::print("{}{}\n", first ? "" : "\n", r.name);
      first = false;
      runtime::print_top(stdout, runtime::top(st.pid, {}));
    }
    return 0;
  };
}

// compose images: the images the project's containers were made from.
Runner images_cmd(CLI::App& app, Globals& g) {
  auto services = std::make_shared<std::vector<std::string>>();
  auto quiet = std::make_shared<bool>(false);
  auto fmt_text = std::make_shared<std::string>();
  app.add_option("service", *services, "Services");
  app.add_flag("-q,--quiet", *quiet, "Only display IDs");
  app.add_option("--format", *fmt_text, "Format the output: table (default), json, or a Go template");
  return [services, quiet, fmt_text, &g] {
    auto p = load();
    storage::ContainerStore containers(g.paths);
    auto store = storage::Store(g.paths);
    std::vector<nlohmann::json> rows;
    nlohmann::json json_rows = nlohmann::json::array();
    for (const auto& r : containers_of(containers, p, *services)) {
      if (*quiet) {
        fmt::print("{}\n", r.image_id);
        continue;
      }
      auto ref = image::parse_reference(r.image).ref;
      auto img = store.find_image(r.image_id);
      nlohmann::json row = {{"ContainerName", r.name},
                            {"Repository", ref.domain.empty() ? ref.path : ref.domain + "/" + ref.path},
                            {"Tag", ref.tag.empty() ? "latest" : ref.tag},
                            {"ID", r.image_id.substr(0, 12)},
                            {"Size", img ? format::human_size(static_cast<double>(img->size)) : ""}};
      rows.push_back(row);
      json_rows.push_back(row);
    }
    if (*quiet) return 0;
    format::ListOptions lo;
    lo.format = *fmt_text;
    lo.default_format = "table {{.ContainerName}}\t{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}";
    lo.headers = {{"ContainerName", "CONTAINER"}, {"Repository", "REPOSITORY"}, {"Tag", "TAG"}, {"ID", "IMAGE ID"}, {"Size", "SIZE"}};
    format::print_list(stdout, lo, rows, json_rows);
    return 0;
  };
}

Runner version_cmd(CLI::App& app, Globals&) {
  auto short_form = std::make_shared<bool>(false);
  app.add_flag("--short", *short_form, "Shows only Compose's version number");
  return [short_form] {
    fmt::print("{}\n", *short_form ? std::string(CABIN_VERSION) : fmt::format("cabin compose version {}", CABIN_VERSION));
    return 0;
  };
}

}  // namespace

Runner bind_compose(CLI::App& app, Globals&) {
  auto& f = flags();
  app.add_option("-f,--file", f.files, "Compose configuration files")->allow_extra_args(false);
  app.add_option("-p,--project-name", f.project_name, "Project name")->allow_extra_args(false);
  app.add_option("--project-directory", f.project_directory, "Specify an alternate working directory (default: the path of the first specified Compose file)")->allow_extra_args(false);
  app.add_option("--env-file", f.env_files, "Specify an alternate environment file")->allow_extra_args(false);
  app.add_option("--profile", f.profiles, "Specify a profile to enable")->allow_extra_args(false);
  return [] {
    fail("missing command 'cabin compose COMMAND'");
    return 0;
  };
}

Runner bind_compose_config(CLI::App& app, Globals& g) { return config_cmd(app, g); }
Runner bind_compose_up(CLI::App& app, Globals& g) { return up_cmd(app, g); }
Runner bind_compose_down(CLI::App& app, Globals& g) { return down_cmd(app, g); }
Runner bind_compose_ps(CLI::App& app, Globals& g) { return ps_cmd(app, g); }
Runner bind_compose_logs(CLI::App& app, Globals& g) { return logs_cmd(app, g); }
Runner bind_compose_build(CLI::App& app, Globals& g) { return build_cmd(app, g); }
Runner bind_compose_pull(CLI::App& app, Globals& g) { return pull_cmd(app, g); }
Runner bind_compose_start(CLI::App& app, Globals& g) { return act_cmd(app, g, Act::Start); }
Runner bind_compose_stop(CLI::App& app, Globals& g) { return act_cmd(app, g, Act::Stop); }
Runner bind_compose_restart(CLI::App& app, Globals& g) { return act_cmd(app, g, Act::Restart); }
Runner bind_compose_kill(CLI::App& app, Globals& g) { return act_cmd(app, g, Act::Kill); }
Runner bind_compose_rm(CLI::App& app, Globals& g) { return act_cmd(app, g, Act::Rm); }
Runner bind_compose_exec(CLI::App& app, Globals& g) { return exec_cmd(app, g); }
Runner bind_compose_version(CLI::App& app, Globals& g) { return version_cmd(app, g); }
Runner bind_compose_run(CLI::App& app, Globals& g) { return run_cmd(app, g); }
Runner bind_compose_port(CLI::App& app, Globals& g) { return port_cmd(app, g); }
Runner bind_compose_top(CLI::App& app, Globals& g) { return top_cmd(app, g); }
Runner bind_compose_images(CLI::App& app, Globals& g) { return images_cmd(app, g); }
Runner bind_compose_push(CLI::App& app, Globals& g) { return push_cmd(app, g); }
Runner bind_compose_pause(CLI::App& app, Globals& g) { return act_cmd(app, g, Act::Pause); }
Runner bind_compose_unpause(CLI::App& app, Globals& g) { return act_cmd(app, g, Act::Unpause); }

}  // namespace cabin::cmd
