// cabin top / cabin container top: a running container's processes
// (podman-top(1)).
#include <algorithm>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "runtime/procstat.h"
#include "util/error.h"

namespace cabin::cmd {
namespace {

struct TopOptions {
  std::vector<std::string> args;  // CONTAINER [DESCRIPTORS…]; only descriptors with --latest
  bool latest = false, list_descriptors = false;
};

int run_top(const Globals& g, const TopOptions& o) {
  if (o.list_descriptors) {
    for (const auto& d : runtime::top_descriptors()) fmt::print("{}\n", d);
    return 0;
  }
  storage::ContainerStore containers(g.paths);
  storage::ContainerRecord rec;
  std::vector<std::string> descriptors = o.args;
  if (o.latest) {
    auto all = containers.list();
    if (all.empty()) fail("no containers to top");
    rec = all.back();
  } else {
    if (o.args.empty()) fail("you must provide the name or id of a running container");
    try {
      rec = find_container(containers, o.args.front());
    } catch (Error& e) {
      throw e.add_context("unable to look up requested container");
    }
    descriptors.erase(descriptors.begin());
  }
  auto st = engine::current_state(containers, g.paths, rec.id);
  if (!st.running()) fail("top can only be used on running containers");
  // top() splits comma-separated descriptors and checks them all before
  // looking at a process: an unknown one is psgo's "'foo': unknown descriptor".
  runtime::print_top(stdout, runtime::top(st.pid, descriptors));
  return 0;
}

}  // namespace

// cabin pod top POD [DESCRIPTORS…]: the processes of the pod's running
// containers in one table (the infra's own only where it holds the PID
// namespace, and then the whole namespace once).
Runner bind_pod_top(CLI::App& app, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  app.add_option("args", *args, "POD [FORMAT-DESCRIPTORS|ARGS...]");
  return [args, &g] {
    if (args->empty()) fail("you must provide the name or id of a running pod");
    storage::ContainerStore containers(g.paths);
    auto pod = engine::PodStore(g.paths).get(args->front());
    std::vector<std::string> descriptors(args->begin() + 1, args->end());
    bool shared_pid = std::find(pod.share.begin(), pod.share.end(), "pid") != pod.share.end();
    runtime::TopTable all;
    bool any = false;
    for (const auto& r : engine::pod_containers(containers, pod)) {
      if (engine::is_infra(r) != shared_pid) continue;
      auto st = engine::current_state(containers, g.paths, r.id);
      if (!st.running()) continue;
      auto t = runtime::top(st.pid, descriptors);
      all.headers = t.headers;
      all.rows.insert(all.rows.end(), t.rows.begin(), t.rows.end());
      any = true;
    }
    if (!any) fail("pod top can only be used on pods with at least one running container");
    runtime::print_top(stdout, all);
    return 0;
  };
}

Runner bind_top(CLI::App& app, Globals& g) {
  auto o = std::make_shared<TopOptions>();
  app.add_option("args", o->args, "CONTAINER [FORMAT-DESCRIPTORS|ARGS...]");
  app.add_flag("-l,--latest", o->latest, "Act on the latest container podman is aware of");
  app.add_flag("--list-descriptors", o->list_descriptors, "List the supported format descriptors")
      ->group("");
  return [o, &g] { return run_top(g, *o); };
}

}  // namespace cabin::cmd
