// cabin healthcheck run: a container's healthcheck, once, now
// (podman-healthcheck-run(1)): exit 0 when it passed, 1 (and "unhealthy")
// when it failed.
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/create.h"
#include "engine/health.h"
#include "format/units.h"
#include "util/error.h"

namespace cabin::cmd {

Runner bind_healthcheck_run(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  app.add_option("container", *names, "Container to run the healthcheck of");
  return [names, &g] {
    check_args(*names, 1, 1);
    const std::string& name = names->front();
    storage::ContainerStore containers(g.paths);
    auto rec = containers.find(name);
    if (!rec)
      fail("unable to look up {} to perform a health check: no container with name or ID {:?} found: no such container",
           name, name);
    auto cfg = engine::load_start_config(containers, rec->id);
    if (!cfg.health) fail("container {} has no defined healthcheck", rec->id);
    auto out = engine::run_health_check(containers, g.paths, *rec, *cfg.health);
    if (out.result.exit_code == -1)
      fail("healthcheck command exceeded timeout of {}", format::go_duration(cfg.health->timeout));
    if (out.result.exit_code == 0) return 0;
    fmt::print("unhealthy\n");
    return 1;
  };
}

}  // namespace cabin::cmd
