// cabin logs: a container's output from its k8s-file log (podman-logs(1)).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "format/units.h"
#include "runtime/logfile.h"
#include "util/error.h"
#include "util/fs.h"

namespace cabin::cmd {
namespace {

struct LogsOptions {
  std::vector<std::string> names;
  bool follow = false, timestamps = false, names_prefix = false, latest = false;
  std::string since, until;
  int64_t tail = -1;
};

int print_logs(const Globals& g, const LogsOptions& o, storage::ContainerStore& containers,
               const std::vector<storage::ContainerRecord>& recs) {
  runtime::LogReadOptions ro;
  auto now = std::chrono::system_clock::now();
  auto time_of = [&](const std::string& text, bool since) {
    try {
      return format::parse_input_time(text, since, now);
    } catch (const Error&) {
      fail("invalid time value {:?}: use RFC 3339, a Unix time or a duration such as 10m", text);
    }
  };
  if (!o.since.empty()) ro.since = time_of(o.since, true);
  if (!o.until.empty()) ro.until = time_of(o.until, false);
  if (o.tail >= 0) ro.tail = static_cast<size_t>(o.tail);
  ro.timestamps = o.timestamps;
  for (const auto& rec : recs) {
    // Several containers: each line says whose it is, as Podman does.
    std::string prefix = o.names_prefix ? rec.name + " " : recs.size() > 1 ? rec.id.substr(0, 12) + " " : "";
    auto print = [&](runtime::LogStream s, std::string_view text) {
      std::FILE* f = s == runtime::LogStream::Stderr ? stderr : stdout;
      std::fwrite(prefix.data(), 1, prefix.size(), f);
      std::fwrite(text.data(), 1, text.size(), f);
      std::fflush(f);
    };
    std::string path = fs::join(containers.dir(rec.id), "userdata/ctr.log");
    if (o.follow) {
      runtime::follow_log(path, ro, print, [&] {
        return containers.find(rec.id) && engine::current_state(containers, g.paths, rec.id).running();
      });
    } else {
      runtime::read_log(path, ro, print);
    }
  }
  return 0;
}

int run_logs(const Globals& g, const LogsOptions& o) {
  storage::ContainerStore containers(g.paths);
  std::vector<storage::ContainerRecord> recs;
  if (o.latest) {
    auto all = containers.list();
    if (all.empty()) fail("no containers to show logs of");
    recs.push_back(all.back());
  } else {
    if (o.names.empty()) fail("requires at least 1 arg(s), only received 0");
    for (const auto& n : o.names) recs.push_back(find_container(containers, n));
  }
  return print_logs(g, o, containers, recs);
}

void bind_log_flags(CLI::App& app, LogsOptions& o) {
  app.add_flag("-f,--follow", o.follow, "Follow log output");
  app.add_flag("-t,--timestamps", o.timestamps, "Output the timestamps in the log");
  app.add_flag("-n,--names", o.names_prefix, "Output the container name in the log");
  app.add_flag("-l,--latest", o.latest, "Act on the latest container podman is aware of");
  app.add_option("--since", o.since, "Show logs since TIMESTAMP");
  app.add_option("--until", o.until, "Show logs until TIMESTAMP");
  app.add_option("--tail", o.tail, "Output the specified number of LINES at the end of the logs");
}

}  // namespace

// cabin pod logs POD: its containers' logs (not the infra's), one after the
// other, each line with its container's ID, as Podman prints them.
Runner bind_pod_logs(CLI::App& app, Globals& g) {
  auto o = std::make_shared<LogsOptions>();
  auto only = std::make_shared<std::string>();
  app.add_option("pod", o->names, "Pod");
  app.add_option("-c,--container", *only, "Filter logs by container name or id which belongs to pod");
  bind_log_flags(app, *o);
  return [o, only, &g] {
    check_args(o->names, 1, 1);
    storage::ContainerStore containers(g.paths);
    auto pod = engine::PodStore(g.paths).get(o->names.front());
    std::vector<storage::ContainerRecord> recs;
    for (auto& r : engine::pod_containers(containers, pod)) {
      if (engine::is_infra(r)) continue;
      if (!only->empty() && r.name != *only && r.id.rfind(*only, 0) != 0) continue;
      recs.push_back(r);
    }
    if (!only->empty() && recs.empty())
      fail("no container with name or ID {:?} found in pod {}: no such container", *only, pod.name);
    return print_logs(g, *o, containers, recs);
  };
}

Runner bind_logs(CLI::App& app, Globals& g) {
  auto o = std::make_shared<LogsOptions>();
  app.add_option("container", o->names, "Containers");
  bind_log_flags(app, *o);
  return [o, &g] { return run_logs(g, *o); };
}

}  // namespace cabin::cmd
