// cabin stop, kill and restart: signals to running containers
// (podman-stop(1), podman-kill(1), podman-restart(1)).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "util/error.h"
#include "util/signals.h"

namespace cabin::cmd {
namespace {

struct SignalOptions {
  std::vector<std::string> names;
  bool all = false, ignore = false, running = false;
  std::optional<int> time;
  std::string signal = "KILL";
};

// The named containers (all of them with --all), as given and as found.
std::vector<std::pair<std::string, storage::ContainerRecord>> targets(const storage::ContainerStore& containers,
                                                                      const SignalOptions& o) {
  std::vector<std::pair<std::string, storage::ContainerRecord>> out;
  if (o.all) {
    if (!o.names.empty()) fail("--all, --latest, and --cidfile cannot be used together with arguments");
    for (auto& r : containers.list()) out.emplace_back(r.id, r);
    return out;
  }
  if (o.names.empty()) fail("you must provide at least one container name or ID");
  for (const auto& n : o.names) {
    auto r = containers.find(n);
    if (!r && o.ignore) continue;
    out.emplace_back(n, r ? *r : find_container(containers, n));
  }
  return out;
}

void stop_one(storage::ContainerStore& containers, const Globals& g, const storage::ContainerRecord& r,
              std::optional<int> time) {
  auto cfg = engine::load_start_config(containers, r.id);
  engine::stop_container(containers, g.paths, r.id, parse_signal(cfg.stop_signal),
                         std::chrono::seconds(time ? *time : cfg.stop_timeout));
}

int run_stop(const Globals& g, const SignalOptions& o) {
  storage::ContainerStore containers(g.paths);
  for (const auto& [name, rec] : targets(containers, o)) {
    stop_one(containers, g, rec, o.time);
    engine::container_event(g.paths, rec, "stop");
    fmt::print("{}\n", name);
  }
  return 0;
}

int run_kill(const Globals& g, const SignalOptions& o) {
  int sig = parse_signal(o.signal);
  storage::ContainerStore containers(g.paths);
  auto all = targets(containers, o);
  for (const auto& [name, rec] : all) {
    if (engine::signal_container(containers, g.paths, rec.id, sig)) {
      engine::container_event(g.paths, rec, "kill");
      fmt::print("{}\n", name);
    } else if (!o.all) {
      fail("can only kill running containers. {} is in state {}: container state improper", rec.id,
           containers.state(rec.id).status);
    }
  }
  return 0;
}

int run_restart(const Globals& g, const SignalOptions& o) {
  storage::ContainerStore containers(g.paths);
  auto all = targets(containers, o);
  std::vector<std::pair<std::string, storage::ContainerRecord>> todo;
  // Stopped from the host's side (the containers' namespaces are not ours),
  // then started from cabin's user namespace.
  for (const auto& t : all) {
    bool running = engine::current_state(containers, g.paths, t.second.id).running();
    if (o.running && !running) continue;
    if (running) stop_one(containers, g, t.second, o.time);
    todo.push_back(t);
  }
  for (const auto& [name, rec] : todo) {
    enter_userns_to_start(g, containers, network_mode_of(rec));
    engine::start_detached(containers, g.paths, rec);
    fmt::print("{}\n", rec.id);
  }
  return 0;
}

void common_flags(CLI::App& app, SignalOptions& o) {
  app.add_option("container", o.names, "Containers");
  app.add_flag("-a,--all", o.all, "Apply to all containers");
}

}  // namespace

Runner bind_stop(CLI::App& app, Globals& g) {
  auto o = std::make_shared<SignalOptions>();
  common_flags(app, *o);
  app.add_flag("-i,--ignore", o->ignore, "Ignore errors when a specified container is missing");
  app.add_option("-t,--time", o->time, "Seconds to wait for stop before killing the container");
  return [o, &g] { return run_stop(g, *o); };
}

Runner bind_kill(CLI::App& app, Globals& g) {
  auto o = std::make_shared<SignalOptions>();
  common_flags(app, *o);
  app.add_option("-s,--signal", o->signal, "Signal to send to the container");
  return [o, &g] { return run_kill(g, *o); };
}

Runner bind_restart(CLI::App& app, Globals& g) {
  auto o = std::make_shared<SignalOptions>();
  common_flags(app, *o);
  app.add_flag("--running", o->running, "Restart only running containers");
  app.add_option("-t,--time", o->time, "Seconds to wait for stop before killing the container");
  return [o, &g] { return run_restart(g, *o); };
}

}  // namespace cabin::cmd
