// cabin wait: block until containers reach a condition, print exit codes
// (podman-wait(1)).
#include <algorithm>
#include <thread>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/create.h"
#include "engine/health.h"
#include "engine/lifecycle.h"
#include "util/error.h"

namespace cabin::cmd {
namespace {

struct WaitOptions {
  std::vector<std::string> names;
  std::vector<std::string> conditions;
  std::string interval = "250ms";
};

// health: the container's health status (engine::health_status).
bool reached(const storage::ContainerState& st, const std::string& condition, const std::string& health) {
  if (condition == "healthy" || condition == "unhealthy") return st.running() && health == condition;
  if (condition == "running") return st.running();
  if (condition == "created" || condition == "configured") return st.status == "created";
  return !st.active() && st.status != "created";  // stopped, exited (and not restarting)
}

int run_wait(const Globals& g, const WaitOptions& o) {
  if (o.names.empty()) fail("you must provide at least one container name or id");
  std::vector<std::string> conditions = o.conditions.empty() ? std::vector<std::string>{"stopped"} : o.conditions;
  for (const auto& c : conditions)
    if (c != "running" && c != "created" && c != "configured" && c != "stopped" && c != "exited" && c != "healthy" &&
        c != "unhealthy")
      fail("{:?} is not a valid container state", c);
  auto health_condition =
      std::find_if(conditions.begin(), conditions.end(), [](const auto& c) { return c.ends_with("healthy"); });
  bool health = health_condition != conditions.end();
  storage::ContainerStore containers(g.paths);
  for (const auto& name : o.names) {
    auto rec = find_container(containers, name);
    if (health && !engine::load_start_config(containers, rec.id).health)
      fail("cannot use condition {:?} because container {} does not have a healthcheck", *health_condition, rec.id);
    for (auto pause = std::chrono::milliseconds(2);; pause = std::min(pause * 2, std::chrono::milliseconds(100))) {
      if (!containers.find(rec.id)) fail("no container with name or ID {:?} found: no such container", name);
      auto st = engine::current_state(containers, g.paths, rec.id);
      bool done = false;
      std::string status = health ? engine::health_status(containers, rec.id) : "";
      for (const auto& c : conditions) done = done || reached(st, c, status);
      if (done) {
        fmt::print("{}\n", st.status == "exited" ? st.exit_code : -1);
        break;
      }
      std::this_thread::sleep_for(pause);
    }
  }
  return 0;
}

}  // namespace

Runner bind_wait(CLI::App& app, Globals& g) {
  auto o = std::make_shared<WaitOptions>();
  app.add_option("container", o->names, "Containers to wait for");
  app.add_option("--condition", o->conditions, "Condition to wait on")->allow_extra_args(false);
  app.add_option("-i,--interval", o->interval, "Time Interval to wait before polling for completion");
  return [o, &g] { return run_wait(g, *o); };
}

}  // namespace cabin::cmd
