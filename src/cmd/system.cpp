// cabin system check|df|doctor|prune|reset (podman-system(1); doctor is cabin's own).
#include <algorithm>
#include <cmath>
#include <chrono>
#include <optional>
#include <set>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/check.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/build.h"
#include "engine/pod.h"
#include "engine/prune.h"
#include "engine/volumes.h"
#include "format/output.h"
#include "format/units.h"
#include "net/store.h"
#include "rootless/doctor.h"
#include "image/filter.h"
#include "storage/volumes.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/signals.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

using nlohmann::json;

std::string size_text(uint64_t bytes) { return format::go_human_size(static_cast<double>(bytes), 4); }

std::string reclaimable_text(uint64_t bytes, uint64_t total) {
  long pct = total == 0 ? 0 : std::lround(100.0 * static_cast<double>(bytes) / static_cast<double>(total));
  return fmt::format("{} ({}%)", size_text(bytes), pct);
}

// What `system df` counts, read once.
struct Usage {
  struct Image {
    storage::ImageRecord rec;
    uint64_t shared = 0, unique = 0;
    int containers = 0;
  };
  struct Container {
    storage::ContainerRecord rec;
    storage::ContainerState state;
    uint64_t size = 0;
  };
  struct Volume {
    std::string name;
    int links = 0;
    uint64_t size = 0;
  };
  std::vector<Image> images;
  std::vector<Container> containers;
  std::vector<Volume> volumes;
  uint64_t image_bytes = 0, image_reclaimable = 0;
};

Usage measure(const Globals& g) {
  Usage u;
  auto store = open_store(g);
  storage::ContainerStore containers(g.paths);
  auto in_use = engine::images_in_use(containers);
  std::map<std::string, int> layer_users, layer_active;  // by diff_id
  auto images = store.images();
  for (const auto& rec : images) {
    bool active = std::find(in_use.begin(), in_use.end(), rec.id) != in_use.end();
    for (const auto& l : std::set<std::string>(rec.layers.begin(), rec.layers.end())) {
      ++layer_users[l];
      if (active) ++layer_active[l];
    }
  }
  auto layer_size = [&](const std::string& l) {
    auto info = store.layer_info(l);
    return info ? info->size : 0;
  };
  for (const auto& [l, n] : layer_users) {
    u.image_bytes += layer_size(l);
    if (layer_active[l] == 0) u.image_reclaimable += layer_size(l);
  }
  for (const auto& rec : images) {
    Usage::Image i{rec};
    for (const auto& l : std::set<std::string>(rec.layers.begin(), rec.layers.end()))
      (layer_users[l] > 1 ? i.shared : i.unique) += layer_size(l);
    i.containers = static_cast<int>(std::count(in_use.begin(), in_use.end(), rec.id));
    u.images.push_back(std::move(i));
  }
  for (const auto& rec : containers.list())
    u.containers.push_back({rec, engine::current_state(containers, g.paths, rec.id),
                            fs::tree_size(fs::join(containers.dir(rec.id), "upper"))});
  storage::VolumeStore volumes(g.paths);
  auto volume_links = engine::volume_links(containers);
  for (const auto& v : volumes.list()) {
    int links = volume_links.count(v.name) ? volume_links[v.name] : 0;
    uint64_t size = v.tmpfs() ? 0 : fs::tree_size(volumes.source(v));
    u.volumes.push_back({v.name, links, size});
  }
  return u;
}

void print_section(const std::string& title, const format::Headers& headers, const std::string& table,
                   const std::vector<json>& rows) {
  fmt::print("{}\n\n", title);
  format::ListOptions lo;
  lo.default_format = table;
  lo.headers = headers;
  format::print_list(stdout, lo, rows, json::array());
  fmt::print("\n");
}

int run_df(const Globals& g, bool verbose, const std::string& fmt_) {
  auto u = measure(g);
  if (verbose) {
    if (!fmt_.empty()) fail("cannot combine --format and --verbose flags");
    auto now = std::chrono::system_clock::now();
    auto ago = [&](const std::string& t) { return t.empty() ? "" : format::time_ago(format::parse_rfc3339(t), now); };
    std::vector<json> rows;
    for (const auto& i : u.images) {
      auto tags = i.rec.repo_tags();
      if (tags.empty()) tags.push_back("<none>:<none>");
      for (const auto& t : tags) {
        auto colon = t.rfind(':');
        rows.push_back({{"Repository", t.substr(0, colon)}, {"Tag", t.substr(colon + 1)},
                        {"ID", i.rec.id.substr(0, 12)}, {"Created", ago(i.rec.created)},
                        {"Size", size_text(i.shared + i.unique)}, {"SharedSize", size_text(i.shared)},
                        {"UniqueSize", size_text(i.unique)}, {"Containers", i.containers}});
      }
    }
    print_section("Images space usage:",
                  {{"ID", "IMAGE ID"}, {"SharedSize", "SHARED SIZE"}, {"UniqueSize", "UNIQUE SIZE"}},
                  "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
                  rows);
    rows.clear();
    for (const auto& c : u.containers)
      rows.push_back({{"ContainerID", c.rec.id.substr(0, 12)}, {"Image", c.rec.image_id.substr(0, 12)},
                      {"Command", join(c.rec.command, " ")},
                      {"LocalVolumes", engine::volumes_of(c.rec).size()}, {"Size", size_text(c.size)},
                      {"Created", ago(c.rec.created)}, {"Status", c.state.status}, {"Names", c.rec.name}});
    print_section("Containers space usage:", {{"ContainerID", "CONTAINER ID"}, {"LocalVolumes", "LOCAL VOLUMES"}},
                  "table {{.ContainerID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.Created}}\t{{.Status}}\t{{.Names}}",
                  rows);
    rows.clear();
    for (const auto& v : u.volumes)
      rows.push_back({{"VolumeName", v.name}, {"Links", v.links}, {"Size", size_text(v.size)}});
    print_section("Local Volumes space usage:", {{"VolumeName", "VOLUME NAME"}},
                  "table {{.VolumeName}}\t{{.Links}}\t{{.Size}}", rows);
    return 0;
  }
  int active_images = 0, running = 0, used_volumes = 0;
  uint64_t ctr_bytes = 0, ctr_reclaimable = 0, vol_bytes = 0, vol_reclaimable = 0;
  for (const auto& i : u.images) active_images += i.containers > 0;
  for (const auto& c : u.containers) {
    ctr_bytes += c.size;
    if (c.state.running()) ++running;
    else ctr_reclaimable += c.size;
  }
  for (const auto& v : u.volumes) {
    vol_bytes += v.size;
    if (v.links > 0) ++used_volumes;
    else vol_reclaimable += v.size;
  }
  auto row = [](const char* type, size_t total, int active, uint64_t size, uint64_t reclaimable) {
    return json{{"Type", type}, {"Total", total}, {"Active", active}, {"Size", size_text(size)},
                {"Reclaimable", reclaimable_text(reclaimable, size)}};
  };
  std::vector<json> rows = {
      row("Images", u.images.size(), active_images, u.image_bytes, u.image_reclaimable),
      row("Containers", u.containers.size(), running, ctr_bytes, ctr_reclaimable),
      row("Local Volumes", u.volumes.size(), used_volumes, vol_bytes, vol_reclaimable)};
  format::ListOptions lo;
  lo.format = fmt_;
  lo.json_indent = 2;
  lo.name = "df";
  lo.default_format = "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";
  format::print_list(stdout, lo, rows, json(rows));
  return 0;
}

struct PruneOpts {
  bool all = false, force = false, volumes = false;
  std::vector<std::string> filters;
};

void print_pruned(const char* what, const engine::Pruned& p) {
  if (p.names.empty()) return;
  fmt::print("Deleted {}\n", what);
  for (const auto& n : p.names) fmt::print("{}\n", n);
}

int run_system_prune(const Globals& g, const PruneOpts& o) {
  // The filters every kind of object has: label, label!, until (created before).
  std::vector<std::string> labels, not_labels;
  std::optional<int64_t> until;
  for (const auto& f : o.filters) {
    if (f.rfind("label=", 0) == 0) labels.push_back(f.substr(6));
    else if (f.rfind("label!=", 0) == 0) not_labels.push_back(f.substr(7));
    else if (f.rfind("until=", 0) == 0) until = image::parse_until(f.substr(6));
    else fail("invalid filter {:?}: system prune takes label=KEY[=VALUE], label!=KEY[=VALUE] and until=TIME", f);
  }
  auto take = [&](const std::map<std::string, std::string>& l, const std::string& created) {
    if (until && !created.empty() &&
        std::chrono::duration_cast<std::chrono::seconds>(format::parse_rfc3339(created).time_since_epoch()).count() >= *until)
      return false;
    return std::all_of(labels.begin(), labels.end(), [&](const auto& spec) { return label_matches(l, spec); }) &&
           std::none_of(not_labels.begin(), not_labels.end(), [&](const auto& spec) { return label_matches(l, spec); });
  };
  if (!o.force) {
    std::string q = "WARNING! This command removes:\n\t- all stopped containers\n\t- all networks not used by at least one container\n";
    if (o.volumes) q += "\t- all volumes not used by at least one container\n";
    q += o.all ? "\t- all images without at least one container associated with them\n" : "\t- all dangling images\n";
    q += "\t- all dangling build cache\n\nAre you sure you want to continue?";
    if (!confirm(q)) return 0;
  }
  auto store = open_store(g);
  storage::ContainerStore containers(g.paths);
  image::ImageFilter image_filter(o.filters, store);
  // Pods first, whatever the filters say (as Podman): their containers go with them.
  auto pods = engine::prunable_pods(containers, g.paths);
  if (!pods.empty()) {
    enter_userns(g);
    fmt::print("Deleted Pods\n");
    for (const auto& p : pods) {
      engine::remove_pod(containers, g.paths, p);
      fmt::print("{}\n", p.id);
    }
  }
  auto ctrs = engine::prune_containers(containers, g.paths, [&](const storage::ContainerRecord& r) { return take(r.labels, r.created); });
  print_pruned("Containers", ctrs);
  net::NetworkStore nets(g.paths);
  auto networks = engine::prune_networks(g.paths, containers, [&](const std::string& name) {
    auto n = nets.find(name);
    return n && take(n->labels, n->created);
  });
  print_pruned("Networks", networks);
  engine::Pruned vols;
  if (o.volumes) vols = engine::prune_volumes(g.paths, containers, [&](const storage::Volume& v) { return take(v.labels, v.created); });
  print_pruned("Volumes", vols);
  auto imgs = engine::prune_images(store, containers, o.all, [&](const storage::ImageRecord& r) { return image_filter.matches(r); });
  print_pruned("Images", imgs);
  uint64_t cache = engine::prune_build_cache(store, o.all);
  fmt::print("Total reclaimed space: {}\n", size_text(ctrs.bytes + vols.bytes + imgs.bytes + cache));
  return 0;
}

int run_reset(const Globals& g, bool force) {
  if (!force && !confirm("WARNING! This will remove:\n\t- all containers\n\t- all pods\n\t- all images\n\t- all networks\n"
                         "\t- all build cache\n\t- all machines\n\t- all volumes\nAre you sure you want to continue?"))
    return 0;
  storage::ContainerStore containers(g.paths);
  for (const auto& rec : containers.list()) {
    if (!engine::current_state(containers, g.paths, rec.id).running()) continue;
    auto cfg = engine::load_start_config(containers, rec.id);
    engine::stop_container(containers, g.paths, rec.id, parse_signal(cfg.stop_signal),
                           std::chrono::seconds(cfg.stop_timeout));
  }
  enter_userns(g);
  fs::remove_all(g.paths.graphroot);
  fs::remove_all(g.paths.runroot);
  return 0;
}

int run_check(const Globals& g, const engine::CheckOptions& o) {
  auto problems = engine::check_store(g.paths, o);
  size_t left = 0;
  for (const auto& p : problems) {
    fmt::print("{}{}\n", p.what, p.repaired ? " (repaired)" : "");
    left += !p.repaired;
  }
  if (problems.empty()) fmt::print("no problems found\n");
  else if (left == 0) fmt::print("{} problems found, all repaired\n", problems.size());
  else fmt::print("{} problems found, {} left{}\n", problems.size(), left, o.repair ? "" : " (--repair fixes what it can)");
  return left == 0 ? 0 : 1;
}

// Each check on a line (status, name, what was found), its fix on the next
// when it is not ok; then whether cabin can run containers here.
int run_doctor(const Globals& g, const std::string& format_) {
  auto report = rootless::run_doctor(g.paths);
  if (!format_.empty()) {
    nlohmann::ordered_json checks = nlohmann::ordered_json::array();
    for (const auto& c : report.checks)
      checks.push_back({{"ID", c.id}, {"Name", c.name}, {"Status", rootless::status_name(c.status)},
                        {"Detail", c.detail}, {"Fix", c.fix}});
    nlohmann::ordered_json out = {{"Checks", checks}, {"CanRunContainers", report.can_run()}};
    format::print_object(stdout, format_, out, 2, "doctor");
    return report.can_run() ? 0 : 1;
  }
  size_t width = 0;
  std::map<rootless::CheckStatus, int> counts;
  std::vector<std::string> failed;
  for (const auto& c : report.checks) width = std::max(width, c.name.size());
  for (const auto& c : report.checks) {
    fmt::print("{:<4}  {:<{}}  {}\n", rootless::status_name(c.status), c.name, width, c.detail);
    if (c.status != rootless::CheckStatus::Ok && !c.fix.empty()) fmt::print("      fix: {}\n", c.fix);
    ++counts[c.status];
    if (c.status == rootless::CheckStatus::Fail) failed.push_back(c.name);
  }
  auto plural = [](int n, const char* what) { return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s"); };
  std::string tally = fmt::format("{}, {}", plural(counts[rootless::CheckStatus::Warn], "warning"),
                                  plural(counts[rootless::CheckStatus::Note], "note"));
  if (report.can_run())
    fmt::print("\ncabin can run containers here ({})\n", tally);
  else
    fmt::print("\ncabin cannot run containers here: {} failed ({})\n", join(failed, ", "), tally);
  return report.can_run() ? 0 : 1;
}

}  // namespace

Runner bind_system_doctor(CLI::App& app, Globals& g) {
  auto fmt_ = std::make_shared<std::string>();
  app.add_option("-f,--format", *fmt_, "Change the output format to JSON or a Go template");
  return [fmt_, &g] { return run_doctor(g, *fmt_); };
}

Runner bind_system_check(CLI::App& app, Globals& g) {
  auto o = std::make_shared<engine::CheckOptions>();
  auto max = std::make_shared<std::string>();
  app.add_flag("-r,--repair", o->repair, "Remove inconsistent images, layers and records");
  app.add_flag("-f,--force", o->force, "With --repair, also remove containers damaged beyond use");
  app.add_flag("-q,--quick", o->quick, "Skip the slow check of layers' content against their diff IDs");
  app.add_option("-m,--max", *max, "Accepted for Podman's command lines");
  return [o, &g] { return run_check(g, *o); };
}

Runner bind_system_df(CLI::App& app, Globals& g) {
  auto verbose = std::make_shared<bool>(false);
  auto fmt_ = std::make_shared<std::string>();
  app.add_flag("-v,--verbose", *verbose, "Show detailed information on disk usage");
  app.add_option("--format", *fmt_, "Pretty-print images using a Go template");
  return [verbose, fmt_, &g] { return run_df(g, *verbose, *fmt_); };
}

Runner bind_system_prune(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PruneOpts>();
  app.add_flag("-a,--all", o->all, "Remove all unused data");
  app.add_flag("-f,--force", o->force, "Do not prompt for confirmation");
  app.add_flag("--volumes", o->volumes, "Prune volumes");
  app.add_option("--filter", o->filters, "Provide filter values (e.g. 'label=<key>=<value>')")->allow_extra_args(false);
  return [o, &g] { return run_system_prune(g, *o); };
}

Runner bind_system_reset(CLI::App& app, Globals& g) {
  auto force = std::make_shared<bool>(false);
  app.add_flag("-f,--force", *force, "Do not prompt for confirmation");
  return [force, &g] { return run_reset(g, *force); };
}

}  // namespace cabin::cmd
