// cabin __monitor ID: a detached container's waiter (see engine/lifecycle.h).
// Internal: started by `cabin start` and `cabin run -d`, with fd 3 the pipe
// on which it reports that the container runs, and with --attached fd 4 an
// attach socket connected before the start (start -a).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/lifecycle.h"

namespace cabin::cmd {

Runner bind_monitor(CLI::App& app, Globals& g) {
  auto id = std::make_shared<std::string>();
  auto attached = std::make_shared<bool>(false);
  app.add_option("id", *id)->required();
  app.add_flag("--attached", *attached);
  return [id, attached, &g] { return engine::monitor_main(g.paths, *id, 3, *attached ? 4 : -1); };
}

}  // namespace cabin::cmd
