// cabin unshare: a command inside cabin's user namespace (podman-unshare(1)).
#include <unistd.h>

#include <cstdlib>

#include <CLI/CLI.hpp>

#include "cmd/cli.h"
#include "cmd/common.h"
#include "util/error.h"

namespace cabin::cmd {

struct UnshareOptions {
  std::vector<std::string> command;
  bool rootless_netns = false;
};

static int run_unshare(const Globals& g, const UnshareOptions& o) {
  if (o.rootless_netns) fail("--rootless-netns is not supported: cabin has no shared network namespace");
  std::vector<std::string> argv = o.command;
  if (argv.empty()) {
    const char* shell = std::getenv("SHELL");
    argv.push_back(shell && *shell ? shell : "/bin/sh");
  }
  ::setenv("CONTAINERS_GRAPHROOT", g.paths.graphroot.c_str(), 1);
  ::setenv("CONTAINERS_RUNROOT", g.paths.runroot.c_str(), 1);
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::fflush(stdout);
  ::execvp(cargv[0], cargv.data());
  int err = errno;
  throw Error(err, fmt::format("exec {}", argv[0]), err == ENOENT ? kExitNotFound : kExitCannotInvoke);
}

Runner bind_unshare(CLI::App& app, Globals& g) {
  auto o = std::make_shared<UnshareOptions>();
  // Everything after the first argument belongs to the command.
  app.prefix_command();
  set_usage(app, "[COMMAND [ARG...]]");
  app.fallthrough(false);
  app.add_flag("--rootless-netns", o->rootless_netns, "Join the rootless network namespace used for netavark networking");
  return [o, &g, &app] {
    o->command = app.remaining();
    return run_unshare(g, *o);
  };
}

}  // namespace cabin::cmd
