// cabin start: start created or stopped containers (podman-start(1)).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "runtime/attach.h"
#include "util/error.h"

namespace cabin::cmd {
namespace {

struct StartOptions {
  std::vector<std::string> names;
  bool attach = false, interactive = false, all = false;
  std::string detach_keys{runtime::kDefaultDetachKeys};
  std::optional<bool> sig_proxy;
};

int run_start(const Globals& g, const StartOptions& o) {
  storage::ContainerStore containers(g.paths);
  std::vector<std::string> names = o.names;
  if (o.all) {
    if (!names.empty()) fail("--all and container names cannot be used together");
    for (const auto& r : containers.list()) names.push_back(r.id);
  } else if (names.empty()) {
    fail("start requires at least one argument");
  }
  if (o.attach || o.interactive) {
    if (names.size() != 1) fail("you cannot start and attach multiple containers at once");
    auto rec = find_container(containers, names[0]);
    engine::AttachOptions a;
    a.stdin = o.interactive;
    a.detach_keys = o.detach_keys;
    a.sig_proxy = o.sig_proxy.value_or(true);
    // A running container is attached to, as Podman does.
    bool running = engine::current_state(containers, g.paths, rec.id).running();
    if (!running) enter_userns_to_start(g, containers, network_mode_of(rec));
    auto r = running ? engine::attach_container(containers, g.paths, rec, a)
                     : engine::start_attached(containers, g.paths, rec, a);
    if (r.detached || !r.exit_code) return 0;
    return *r.exit_code;
  }
  for (const auto& name : names) {
    auto rec = find_container(containers, name);
    if (!engine::current_state(containers, g.paths, rec.id).running())
      enter_userns_to_start(g, containers, network_mode_of(rec));
    engine::start_detached(containers, g.paths, rec);
    fmt::print("{}\n", o.all ? rec.id : name);
  }
  return 0;
}

}  // namespace

Runner bind_start(CLI::App& app, Globals& g) {
  auto o = std::make_shared<StartOptions>();
  app.add_option("container", o->names, "Containers to start");
  app.add_flag("-a,--attach", o->attach, "Attach container's STDOUT and STDERR");
  app.add_flag("-i,--interactive", o->interactive, "Make STDIN available to the contained process");
  app.add_option("--detach-keys", o->detach_keys, "Select the key sequence for detaching a container");
  app.add_flag("--all", o->all, "Start all containers regardless of their state or configuration");
  add_bool_flag(app, "--sig-proxy", o->sig_proxy, "Proxy received signals to the process (default true if attaching, false otherwise)");
  return [o, &g] { return run_start(g, *o); };
}

}  // namespace cabin::cmd
