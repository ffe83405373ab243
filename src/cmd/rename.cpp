// cabin rename, cabin port, cabin pause/unpause: small container commands
// (podman-rename(1), podman-port(1), podman-pause(1)).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "net/config.h"
#include "util/error.h"
#include "util/strings.h"

namespace cabin::cmd {

Runner bind_rename(CLI::App& app, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  app.add_option("names", *args, "CONTAINER NEW-NAME");
  return [args, &g] {
    check_args(*args, 2, 2);
    const std::string& name = (*args)[1];
    if (!valid_name(name)) fail("names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
    storage::ContainerStore containers(g.paths);
    auto rec = find_container(containers, (*args)[0]);
    containers.rename(rec.id, name);
    rec.name = name;
    engine::container_event(g.paths, rec, "rename");
    return 0;
  };
}

// podman port: the published ports of running containers.
Runner bind_port(CLI::App& app, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto all = std::make_shared<bool>(false);
  app.add_option("args", *args, "CONTAINER [PORT]");
  app.add_flag("-a,--all", *all, "Display port information for all containers");
  return [args, all, &g] {
    if (*all && !args->empty()) fail("no arguments are needed with --all");
    if (!*all && args->empty()) fail("you must supply a running container name or id");
    check_args(*args, 0, 2);
    storage::ContainerStore containers(g.paths);
    std::vector<storage::ContainerRecord> recs;
    if (*all) recs = containers.list();
    else recs.push_back(find_container(containers, (*args)[0]));
    std::string want;
    if (args->size() == 2) {
      want = (*args)[1];
      if (want.find('/') == std::string::npos) want += "/tcp";
    }
    for (const auto& rec : recs) {
      if (!engine::current_state(containers, g.paths, rec.id).running()) continue;
      auto cfg = engine::load_start_config(containers, rec.id);
      bool found = false;
      for (const auto& p : cfg.net.ports) {
        if (!want.empty()) {
          if (fmt::format("{}/{}", p.container_port, p.protocol) != want) continue;
          fmt::print("{}:{}\n", p.host_ip.empty() ? "0.0.0.0" : p.host_ip, p.host_port);
          found = true;
          continue;
        }
        if (*all) fmt::print("{}\t", rec.id.substr(0, 12));
        fmt::print("{}\n", net::port_line(p));
      }
      if (!want.empty() && !found) fail("failed to find published port {:?}", (*args)[1]);
    }
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
    for (const auto& n : *names) engine::freeze_container(containers, g.paths, find_container(containers, n), pause);
    return 0;
  };
}
}  // namespace

Runner bind_pause(CLI::App& app, Globals& g) { return bind_freeze(app, g, true); }
Runner bind_unpause(CLI::App& app, Globals& g) { return bind_freeze(app, g, false); }

}  // namespace cabin::cmd
