// cabin create: a container, not started (podman-create(1)).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "cmd/create_flags.h"
#include "util/error.h"
#include "util/signals.h"

namespace cabin::cmd {

Runner bind_create(CLI::App& app, Globals& g) {
  auto o = std::make_shared<engine::CreateOptions>();
  bind_create_flags(app, *o);
  return [o, &g, &app] {
    auto what = image_and_command("create", app.remaining());
    if (!what) return kExitError;
    apply_config_defaults(app, *o);
    if (!o->stop_signal.empty()) parse_signal(o->stop_signal);
    prepare_pod(g, *o);
    auto store = open_store(g);
    auto created = engine::create_container(store, g.paths, *o, what->image, what->command);
    fmt::print("{}\n", created.record.id);
    return 0;
  };
}

}  // namespace cabin::cmd
