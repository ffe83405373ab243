// cabin stats / cabin container stats: containers' resource figures, once or
// redrawn every interval (podman-stats(1)).
#include <unistd.h>

#include <map>
#include <thread>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "format/output.h"
#include "runtime/procstat.h"
#include "util/error.h"

namespace cabin::cmd {
namespace {

struct StatsOptions {
  std::vector<std::string> names;
  bool all = false, latest = false, no_reset = false, no_stream = false, no_trunc = false;
  std::string format;
  int interval = 5;
  bool pods = false;  // pod stats: names are pods (none: every pod), each row its container's
};

// The default table's fields, in the order of runtime::stats_headers().
const std::vector<std::string> kDefaultFields = {"ID",     "Name",    "CPUPerc", "MemUsage", "MemPerc",
                                                 "NetIO",  "BlockIO", "PIDS",    "UpTime",   "AVGCPU"};

format::Headers stats_header_map() {
  const auto& h = runtime::stats_headers();
  format::Headers headers;
  for (size_t i = 0; i < kDefaultFields.size() && i < h.size(); ++i) headers[kDefaultFields[i]] = h[i];
  headers["MemUsageBytes"] = headers["MemUsage"];
  return headers;
}

std::string default_format() {
  std::string f = "table ";
  for (size_t i = 0; i < kDefaultFields.size(); ++i) f += (i ? "\t{{." : "{{.") + kDefaultFields[i] + "}}";
  return f;
}

// go-units BytesSize: "%.4g" with binary units, as MemUsageBytes shows.
std::string bytes_size(double size) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  size_t i = 0;
  while (size >= 1024 && i + 1 < std::size(kUnits)) size /= 1024, ++i;
  return fmt::format("{:.4g}{}", size, kUnits[i]);
}

// Which containers a frame shows: the named ones (looked up again each
// frame, as Podman does), the latest, or all of them. Podman 4.3 lists every
// container when none is named, with or without --all; those not running
// show zeros.
std::vector<storage::ContainerRecord> query(const storage::ContainerStore& containers, const Globals& g,
                                           const StatsOptions& o) {
  std::vector<storage::ContainerRecord> recs;
  if (o.pods) {
    engine::PodStore pods(g.paths);
    std::vector<engine::PodRecord> which;
    for (const auto& n : o.names) which.push_back(pods.get(n));
    if (o.names.empty()) which = pods.list();
    for (const auto& p : which)
      for (auto& r : engine::pod_containers(containers, p)) recs.push_back(r);
    return recs;
  }
  if (!o.names.empty()) {
    for (const auto& n : o.names) {
      try {
        recs.push_back(find_container(containers, n));
      } catch (Error& e) {
        e.add_context(fmt::format("unable to look up container {}", n));
        throw e.add_context("unable to get list of containers");
      }
    }
  } else {
    recs = containers.list();
    if (o.latest) {
      if (recs.empty()) fail("unable to get list of containers: no containers to show stats of");
      recs.erase(recs.begin(), recs.end() - 1);
    }
  }
  return recs;
}

class StatsFrame {
 public:
  // Samples every container of the frame; keeps the samples for the next
  // frame's CPU %.
  void sample(storage::ContainerStore& containers, const Globals& g, const std::vector<storage::ContainerRecord>& recs,
              bool no_trunc) {
    rows_.clear();
    json_ = nlohmann::ordered_json::array();
    std::map<std::string, runtime::StatsSample> next;
    for (const auto& r : recs) {
      auto st = engine::current_state(containers, g.paths, r.id);
      runtime::StatsSample s;
      if (st.running() && st.pid > 0) {
        s = runtime::sample_stats(st.pid);
      } else {
        s.at = std::chrono::steady_clock::now();
      }
      auto prev = previous_.find(r.id);
      const runtime::StatsSample* p = prev == previous_.end() ? nullptr : &prev->second;
      add(r, s, p, no_trunc);
      next[r.id] = s;
    }
    previous_ = std::move(next);
  }

  const std::vector<nlohmann::json>& rows() const { return rows_; }
  const nlohmann::ordered_json& json() const { return json_; }

 private:
  void add(const storage::ContainerRecord& r, const runtime::StatsSample& s, const runtime::StatsSample* p,
           bool no_trunc) {
    auto c = runtime::stats_columns(p, s);
    std::string id = no_trunc ? r.id : r.id.substr(0, 12);
    // The fields of Podman's containerStats: define.ContainerStats and the
    // methods that format it.
    rows_.push_back({{"ID", id},
                     {"CID", r.id.substr(0, 12)},
                     {"Pod", engine::pod_of(r).substr(0, 12)},
                     {"ContainerID", r.id},
                     {"Name", r.name},
                     {"CPU", runtime::cpu_percent(p, s)},
                     {"CPUNano", s.cpu_ns},
                     {"CPUSystemNano", 0},
                     {"SystemNano", std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count()},
                     {"AvgCPU", runtime::avg_cpu_percent(s)},
                     {"MemUsage", c.mem_usage},
                     {"MemLimit", s.mem_limit},
                     {"MemPerc", c.mem_perc},
                     {"NetInput", s.net_rx},
                     {"NetOutput", s.net_tx},
                     {"BlockInput", s.block_read},
                     {"BlockOutput", s.block_write},
                     {"PIDs", s.pids},
                     {"PIDS", c.pids},
                     {"UpTime", c.cpu_time},
                     {"Up", c.cpu_time},
                     {"Duration", s.cpu_ns},
                     {"CPUPerc", c.cpu_perc},
                     {"AVGCPU", c.avg_cpu},
                     {"NetIO", c.net_io},
                     {"BlockIO", c.block_io},
                     {"MemUsageBytes", bytes_size(static_cast<double>(s.mem_bytes)) + " / " +
                                           bytes_size(static_cast<double>(s.mem_limit))}});
    nlohmann::ordered_json j;
    j["id"] = id;
    j["name"] = r.name;
    j["cpu_time"] = c.cpu_time;
    j["cpu_percent"] = c.cpu_perc;
    j["avg_cpu"] = c.avg_cpu;
    j["mem_usage"] = c.mem_usage;
    j["mem_percent"] = c.mem_perc;
    j["net_io"] = c.net_io;
    j["block_io"] = c.block_io;
    j["pids"] = c.pids;
    json_.push_back(std::move(j));
  }

  std::map<std::string, runtime::StatsSample> previous_;
  std::vector<nlohmann::json> rows_;
  nlohmann::ordered_json json_;
};

int run_stats(const Globals& g, const StatsOptions& o) {
  if (int(o.all) + int(o.latest) + int(!o.names.empty()) > 1)
    fail("--all, --latest and containers cannot be used together");
  if (o.interval < 1) fail("invalid interval, must be a positive number greater zero");
  storage::ContainerStore containers(g.paths);
  format::ListOptions lo;
  lo.format = o.format;
  lo.headers = stats_header_map();
  lo.json_indent = 1;
  lo.name = "stats";
  lo.default_format = default_format();
  if (o.pods) {
    lo.headers["Pod"] = "POD";
    lo.headers["CID"] = "CID";
    lo.default_format =
        "table {{.Pod}}\t{{.CID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}";
  }
  // Podman clears the screen before each frame (goterm), unless --no-reset;
  // only on a terminal, so that redirected output stays plain text.
  bool reset = !o.no_reset && isatty(STDOUT_FILENO);
  StatsFrame frame;
  for (;;) {
    frame.sample(containers, g, query(containers, g, o), o.no_trunc);
    if (reset) std::fputs("\033[2J\033[1;1H", stdout);
    format::print_list(stdout, lo, frame.rows(), frame.json());
    std::fflush(stdout);
    if (o.no_stream) return 0;
    std::this_thread::sleep_for(std::chrono::seconds(o.interval));
  }
}

}  // namespace

// cabin pod stats [POD…]: the figures of the pods' containers.
Runner bind_pod_stats(CLI::App& app, Globals& g) {
  auto o = std::make_shared<StatsOptions>();
  o->pods = true;
  app.add_option("pod", o->names, "Pods");
  app.add_flag("-a,--all", o->all, "Provide stats for all pods");
  app.add_option("--format", o->format, "Pretty-print container statistics to JSON or using a Go template");
  app.add_flag("--no-reset", o->no_reset, "Disable resetting the screen when streaming");
  app.add_flag("--no-stream", o->no_stream, "Disable streaming stats and only pull the first result");
  return [o, &g] {
    if (o->all && !o->names.empty()) fail("--all, --latest and containers cannot be used together");
    return run_stats(g, *o);
  };
}

Runner bind_stats(CLI::App& app, Globals& g) {
  auto o = std::make_shared<StatsOptions>();
  app.add_option("container", o->names, "Containers");
  app.add_flag("-a,--all", o->all,
               "Show all containers. Only running containers are shown by default. The default is false");
  app.add_option("--format", o->format, "Pretty-print container statistics to JSON or using a Go template");
  app.add_option("-i,--interval", o->interval, "Time in seconds between stats reports");
  app.add_flag("-l,--latest", o->latest, "Act on the latest container podman is aware of");
  app.add_flag("--no-reset", o->no_reset, "Disable resetting the screen between intervals");
  app.add_flag("--no-stream", o->no_stream,
               "Disable streaming stats and only pull the first result, default setting is false");
  app.add_flag("--no-trunc", o->no_trunc, "Do not truncate output");
  return [o, &g] { return run_stats(g, *o); };
}

}  // namespace cabin::cmd
