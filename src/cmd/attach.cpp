// cabin attach: attach to a running container (podman-attach(1)).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/lifecycle.h"
#include "util/error.h"

namespace cabin::cmd {
namespace {

struct AttachCmdOptions {
  std::vector<std::string> names;
  bool no_stdin = false, latest = false;
  std::optional<bool> sig_proxy;
  engine::AttachOptions attach;
};

int run_attach(const Globals& g, const AttachCmdOptions& o) {
  if (o.names.size() > 1) fail("`cabin attach` accepts at most one argument");
  if (o.names.empty() && !o.latest) fail("attach requires the name or id of one running container or the latest flag");
  if (!o.names.empty() && o.latest) fail("--latest and containers cannot be used together");
  storage::ContainerStore containers(g.paths);
  storage::ContainerRecord rec;
  if (o.latest) {
    auto all = containers.list();
    if (all.empty()) fail("no containers to attach to");
    rec = all.back();
  } else {
    rec = find_container(containers, o.names[0]);
  }
  auto a = o.attach;
  a.stdin = !o.no_stdin;
  a.sig_proxy = o.sig_proxy.value_or(true);
  engine::attach_container(containers, g.paths, rec, a);
  return 0;  // as Podman: the container's end is not attach's failure
}

}  // namespace

Runner bind_attach(CLI::App& app, Globals& g) {
  auto o = std::make_shared<AttachCmdOptions>();
  app.add_option("container", o->names, "The container to attach to");
  app.add_option("--detach-keys", o->attach.detach_keys,
                 "Select the key sequence for detaching a container. Format is a single character [a-Z] or a comma "
                 "separated sequence of `ctrl-<value>`, where `<value>` is one of: a-z, @, ^, [, \\, ], or _");
  app.add_flag("-l,--latest", o->latest, "Act on the latest container podman is aware of");
  app.add_flag("--no-stdin", o->no_stdin, "Do not attach STDIN. The default is false");
  add_bool_flag(app, "--sig-proxy", o->sig_proxy, "Proxy received signals to the process");
  return [o, &g] { return run_attach(g, *o); };
}

}  // namespace cabin::cmd
