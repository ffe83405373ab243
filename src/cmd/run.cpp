// cabin run: create a container and run it, in the foreground or detached
// (podman-run(1)).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "cmd/create_flags.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "runtime/attach.h"
#include "storage/containers.h"
#include "util/error.h"
#include "util/log.h"
#include "util/signals.h"

namespace cabin::cmd {
namespace {

struct RunCmdOptions {
  engine::CreateOptions create;
  bool detach = false;
  std::string detach_keys{runtime::kDefaultDetachKeys};
};

// --preserve-fds N: fds 3..3+N-1 must be open now, before cabin opens any
// of its own (one it opened over a gap would leak into the container).
void check_preserved_fds(const RunCmdOptions& o) {
  int n = o.create.run.preserve_fds;
  if (n == 0) return;
  if (o.detach) fail("--preserve-fds cannot be used with --detach: the fds stay with this process");
  for (int fd = 3; fd < 3 + n; ++fd)
    if (::fcntl(fd, F_GETFD) < 0)
      fail("file descriptor {} is not available - the preserve-fds option requires that file descriptors must be "
           "passed",
           fd);
}

int run_run(const Globals& g, const CLI::App& app, RunCmdOptions& o, const std::vector<std::string>& args) {
  check_preserved_fds(o);
  auto what = image_and_command("run", args);
  if (!what) return kExitError;
  apply_config_defaults(app, o.create);
  if (!o.create.stop_signal.empty()) parse_signal(o.create.stop_signal);
  runtime::parse_detach_keys(o.detach_keys);
  storage::ContainerStore containers(g.paths);
  bool made_pod = o.create.pod.starts_with("new:");
  enter_userns_to_start(g, containers, prepare_pod(g, o.create));
  auto store = open_store(g);
  auto created = engine::create_container(store, g.paths, o.create, what->image, what->command);
  const auto& rec = created.record;
  // A container that cannot start is not kept, nor its --cidfile.
  ScopeGuard remove([&] {
    if (!o.create.cidfile.empty()) ::unlink(o.create.cidfile.c_str());
    try {
      containers.remove(rec.id);
    } catch (const Error& e) {
      log::warn("removing container {}: {}", rec.id, e.what());
    }
  });
  if (o.detach) {
    engine::start_detached(containers, g.paths, rec);
    remove.dismiss();
    fmt::print("{}\n", rec.id);
    return 0;
  }
  if (o.create.run.interactive && o.create.run.tty && ::isatty(STDIN_FILENO) && o.create.run.preserve_fds == 0) {
    // At a terminal, -it goes through a monitor with cabin attached, as
    // Podman's conmon does: the detach keys then leave the container running.
    engine::AttachOptions a;
    a.detach_keys = o.detach_keys;
    auto r = engine::start_attached(containers, g.paths, rec, a);
    remove.dismiss();
    if (r.detached) return 0;
    // A --rm container is gone when run returns, as in the foreground.
    if (created.config.rm)
      for (int i = 0; i < 500 && containers.find(rec.id); ++i) ::usleep(10000);
    return r.exit_code.value_or(0);
  }
  int code = engine::run_foreground(containers, g.paths, rec, created.config, o.create.run.interactive);
  remove.dismiss();
  if (made_pod && o.create.rm) {
    // --rm with --pod new:NAME removes the pod it made too, as Podman does.
    auto pod = engine::PodStore(g.paths).get(o.create.pod);
    engine::stop_pod(containers, g.paths, pod, std::nullopt);
    engine::remove_pod(containers, g.paths, pod);
  }
  return code;
}

}  // namespace

Runner bind_run(CLI::App& app, Globals& g) {
  auto o = std::make_shared<RunCmdOptions>();
  bind_create_flags(app, o->create);
  app.add_flag("-d,--detach", o->detach, "Run container in background and print container ID")->allow_extra_args(false);
  app.add_option("--preserve-fds", o->create.run.preserve_fds,
                 "Pass a number of additional file descriptors into the container")
      ->check(CLI::Range(0, 1 << 20))
      ->allow_extra_args(false);
  app.add_option("--detach-keys", o->detach_keys, "Override the key sequence for detaching a container")
      ->allow_extra_args(false);
  return [o, &g, &app] { return run_run(g, app, *o, app.remaining()); };
}

}  // namespace cabin::cmd
