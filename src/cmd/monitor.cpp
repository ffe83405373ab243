// cabin __monitor ID: a detached container's waiter (see engine/lifecycle.h).
// Internal: started by `cabin start` and `cabin run -d`, with fd 3 the pipe
// on which it reports that the container runs.
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/lifecycle.h"

namespace cabin::cmd {

Runner bind_monitor(CLI::App& app, Globals& g) {
  auto id = std::make_shared<std::string>();
  app.add_option("id", *id)->required();
  return [id, &g] { return engine::monitor_main(g.paths, *id, 3); };
}

}  // namespace cabin::cmd
