// cabin exec: run a process in a running container (podman-exec(1)).
#include <CLI/CLI.hpp>

#include "cmd/cli.h"
#include "cmd/common.h"
#include "engine/lifecycle.h"
#include "runtime/attach.h"
#include "util/error.h"

namespace cabin::cmd {

Runner bind_exec(CLI::App& app, Globals& g) {
  auto o = std::make_shared<engine::ExecOptions>();
  app.prefix_command();  // the command's own flags are its own
  set_usage(app, "CONTAINER COMMAND [ARG...]");
  app.fallthrough(false);
  app.add_flag("-i,--interactive", o->interactive, "Keep STDIN open even if not attached");
  app.add_flag("-t,--tty", o->tty, "Allocate a pseudo-TTY. The default is false");
  app.add_flag("-d,--detach", o->detach, "Run the exec session in detached mode (backgrounded)");
  app.add_option("-e,--env", o->env, "Set environment variables");
  app.add_option("--env-file", o->env_files, "Read in a file of environment variables");
  app.add_option("-u,--user", o->user, "Sets the username or UID used and optionally the groupname or GID for the specified command");
  app.add_option("-w,--workdir", o->workdir, "Working directory inside the container");
  app.add_flag("--privileged", o->privileged, "Give the process extended Linux capabilities inside the container");
  auto detach_keys = std::make_shared<std::string>(runtime::kDefaultDetachKeys);
  app.add_option("--detach-keys", *detach_keys, "Select the key sequence for detaching a container");
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
  return [o, detach_keys, &g, &app] {
    o->detach_keys = runtime::parse_detach_keys(*detach_keys);
    auto args = app.remaining();
    if (args.empty()) fail("requires at least 2 arg(s), only received 0");
    if (args[0].size() > 1 && args[0][0] == '-') {
      fmt::print(stderr, "Error: unknown flag: {}\nSee 'cabin exec --help'\n", args[0].substr(0, args[0].find('=')));
      return kExitError;
    }
    if (args.size() < 2) fail("requires at least 2 arg(s), only received 1");
    storage::ContainerStore containers(g.paths);
    auto rec = find_container(containers, args[0]);
    o->command.assign(args.begin() + 1, args.end());
    int code = engine::exec_container(containers, g.paths, rec, *o);
    if (o->detach) fmt::print("{}\n", rec.id);
    return code;
  };
}

}  // namespace cabin::cmd
