// cabin rm: remove containers (podman-rm(1)).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "engine/prune.h"
#include "engine/volumes.h"
#include "util/error.h"
#include "util/signals.h"

namespace cabin::cmd {
namespace {

struct RmOptions {
  std::vector<std::string> names;
  bool force = false, all = false, ignore = false, volumes = false, depend = false;
  std::optional<int> time;
};

// Podman's exit codes for rm.
constexpr int kExitNoSuchContainer = 1;
constexpr int kExitRunning = 2;

int run_rm(const Globals& g, const RmOptions& o) {
  storage::ContainerStore containers(g.paths);
  std::vector<std::pair<std::string, storage::ContainerRecord>> todo;
  if (o.all) {
    if (!o.names.empty()) fail("--all, --latest, and --cidfile cannot be used together with arguments");
    // Infra containers go with their pods (pod rm).
    for (auto& r : containers.list())
      if (!engine::is_infra(r)) todo.emplace_back(r.id, r);
  } else if (o.names.empty()) {
    fail("you must provide at least one name or id");
  }
  for (const auto& n : o.names) {
    auto r = containers.find(n);
    if (!r) {
      if (o.ignore) continue;
      throw Error(fmt::format("no container with name or ID {:?} found: no such container", n), kExitNoSuchContainer);
    }
    if (engine::is_infra(*r))
      fail("container {} is the infra container of pod {} and cannot be removed without removing the pod", r->id,
           engine::pod_of(*r));
    todo.emplace_back(n, *r);
  }
  // Running ones are refused, or stopped from the host's side with --force.
  for (const auto& [name, rec] : todo) {
    if (!engine::current_state(containers, g.paths, rec.id).running()) continue;
    if (!o.force)
      throw Error(fmt::format("cannot remove container {} as it is running - running or paused containers cannot be "
                              "removed without force: container state improper",
                              rec.id),
                  kExitRunning);
    auto cfg = engine::load_start_config(containers, rec.id);
    engine::stop_container(containers, g.paths, rec.id, parse_signal(cfg.stop_signal),
                           std::chrono::seconds(o.time ? *o.time : cfg.stop_timeout));
  }
  // Their files may belong to subordinate ids.
  enter_userns(g);
  for (const auto& [name, rec] : todo) {
    {
      auto lock = containers.lock(rec.id);
      if (engine::repair_locked(containers, g.paths, rec.id, containers.state(rec.id)).running())
        throw Error(fmt::format("cannot remove container {} as it is running - running or paused containers cannot be "
                                "removed without force: container state improper",
                                rec.id),
                    kExitRunning);
    }
    containers.remove(rec.id);
    engine::container_event(g.paths, rec, "remove");
    if (o.volumes) engine::remove_anonymous_volumes(g.paths, containers, rec);
    fmt::print("{}\n", o.all ? rec.id : name);
  }
  return 0;
}

// podman container prune: every container that is not running.
int run_prune(const Globals& g, bool force) {
  if (!force && !confirm("WARNING! This will remove all non running containers.\nAre you sure you want to continue?"))
    return 0;
  storage::ContainerStore containers(g.paths);
  enter_userns(g);
  for (const auto& id : engine::prune_containers(containers, g.paths).names) fmt::print("{}\n", id);
  return 0;
}

}  // namespace

Runner bind_container_prune(CLI::App& app, Globals& g) {
  auto force = std::make_shared<bool>(false);
  app.add_flag("-f,--force", *force, "Do not prompt for confirmation");
  app.add_option("--filter", [](const std::vector<std::string>&) { return true; }, "Provide filter values");
  return [force, &g] { return run_prune(g, *force); };
}

Runner bind_rm(CLI::App& app, Globals& g) {
  auto o = std::make_shared<RmOptions>();
  app.add_option("container", o->names, "Containers to remove");
  app.add_flag("-f,--force", o->force, "Force removal of a running or unusable container");
  app.add_flag("-a,--all", o->all, "Remove all containers");
  app.add_flag("-i,--ignore", o->ignore, "Ignore errors when a specified container is missing");
  app.add_flag("-v,--volumes", o->volumes, "Remove anonymous volumes associated with the container");
  app.add_flag("--depend", o->depend, "Remove container and all containers that depend on the selected container");
  app.add_option("-t,--time", o->time, "Seconds to wait for stop before killing the container");
  return [o, &g] { return run_rm(g, *o); };
}

}  // namespace cabin::cmd
