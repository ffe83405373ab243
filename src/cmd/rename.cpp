// cabin rename, cabin port, cabin pause/unpause: small container commands
// (podman-rename(1), podman-port(1), podman-pause(1)).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/lifecycle.h"
#include "util/error.h"

namespace cabin::cmd {

Runner bind_rename(CLI::App& app, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  app.add_option("names", *args, "CONTAINER NEW-NAME");
  return [args, &g] {
    check_args(*args, 2, 2);
    const std::string& name = (*args)[1];
    if (!storage::valid_container_name(name)) fail("names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
    storage::ContainerStore containers(g.paths);
    auto rec = find_container(containers, (*args)[0]);
    containers.rename(rec.id, name);
    rec.name = name;
    engine::container_event(g.paths, rec, "rename");
    return 0;
  };
}

// Published ports arrive with user-mode networking: none yet.
Runner bind_port(CLI::App& app, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto all = std::make_shared<bool>(false);
  app.add_option("args", *args, "CONTAINER [PORT]");
  app.add_flag("-a,--all", *all, "Display port information for all containers");
  return [args, all, &g] {
    check_args(*args, *all ? 0 : 1, *all ? 0 : 2);
    storage::ContainerStore containers(g.paths);
    if (!*all) find_container(containers, (*args)[0]);
    return 0;
  };
}

namespace {
Runner bind_freeze(CLI::App& app, Globals& g, bool pause) {
  auto names = std::make_shared<std::vector<std::string>>();
  app.add_option("container", *names, "Containers");
  return [names, &g, pause] {
    if (names->empty()) fail("you must provide at least one container name or id");
    storage::ContainerStore containers(g.paths);
    for (const auto& n : *names) {
      auto rec = find_container(containers, n);
      auto st = engine::current_state(containers, g.paths, rec.id);
      if (!st.running())
        fail("{:?} is not {}, can't {}: container state improper", st.status, pause ? "running" : "paused",
             pause ? "pause" : "unpause");
      fail("{} needs the container in a cgroup with a freezer; rootless containers get one only on a cgroup v2 host "
           "with a subtree delegated to the user, and cabin does not set up cgroups yet",
           pause ? "pause" : "unpause");
    }
    return 0;
  };
}
}  // namespace

Runner bind_pause(CLI::App& app, Globals& g) { return bind_freeze(app, g, true); }
Runner bind_unpause(CLI::App& app, Globals& g) { return bind_freeze(app, g, false); }

}  // namespace cabin::cmd
