// cabin ps / cabin container ls: list containers (podman-ps(1)).
#include <algorithm>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "config/mode.h"
#include "engine/health.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "engine/volumes.h"
#include "format/output.h"
#include "format/units.h"
#include "image/reference.h"
#include "net/config.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

struct PsOptions {
  bool all = false, quiet = false, no_trunc = false, latest = false, noheading = false, size = false, pod = false;
  int last = -1;
  std::string format;
  std::vector<std::string> filters;
};

const format::Headers kPsHeaders = {
    {"ID", "CONTAINER ID"}, {"Image", "IMAGE"},         {"Command", "COMMAND"}, {"CreatedHuman", "CREATED"},
    {"CreatedAt", "CREATED AT"}, {"Status", "STATUS"},  {"Ports", "PORTS"},     {"Names", "NAMES"},
    {"Size", "SIZE"},       {"Labels", "LABELS"},       {"State", "STATE"},     {"Pid", "PID"},
    {"Pod", "POD ID"},      {"PodName", "PODNAME"},
};

using Clock = std::chrono::system_clock;

Clock::time_point time_of(const std::string& rfc3339) {
  return rfc3339.empty() ? Clock::time_point{} : format::parse_rfc3339(rfc3339);
}

int64_t unix_of(const std::string& rfc3339) {
  // Go's zero time, as Podman reports a time that never happened.
  if (rfc3339.empty()) return -62135596800;
  return std::chrono::duration_cast<std::chrono::seconds>(time_of(rfc3339).time_since_epoch()).count();
}

// Podman 4.3's STATUS column; health: the running container's ("" for none).
std::string status_text(const storage::ContainerState& st, const std::string& health) {
  if (st.running()) return "Up " + format::time_ago(time_of(st.started_at)) + (health.empty() ? "" : " (" + health + ")");
  if (st.status == "exited") return fmt::format("Exited ({}) {}", st.exit_code, format::time_ago(time_of(st.finished_at)));
  return "Created";
}

// Docker's COMMAND: the command line quoted as Go's strconv.Quote does,
// and cut to 20 characters with an ellipsis unless --no-trunc.
std::string docker_command(const std::vector<std::string>& command, bool no_trunc) {
  std::string q = "\"";
  for (char c : join(command, " ")) {
    if (c == '"' || c == '\\') q += '\\';
    if (c == '\n') {
      q += "\\n";
      continue;
    }
    q += c;
  }
  q += '"';
  if (no_trunc || q.size() <= 20) return q;
  size_t cut = 19;
  while (cut > 0 && (static_cast<unsigned char>(q[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return q.substr(0, cut) + "…";
}

// The fields where `docker ps` differs from `podman ps`: Image in Docker's
// short form, State as one word, Labels and Networks as text, RunningFor.
void dockerize_row(nlohmann::json& row, const storage::ContainerRecord& r, const storage::ContainerState& st,
                   bool no_trunc) {
  row["Image"] = image::docker_familiar_name(r.image);
  row["Command"] = docker_command(r.command, no_trunc);
  row["State"] = st.running() ? "running" : st.status == "stopped" ? "exited" : st.status;
  row["RunningFor"] = row["CreatedHuman"];
  // time.Unix(created, 0).String(): whole seconds.
  row["CreatedAt"] = format::go_time_string(std::chrono::floor<std::chrono::seconds>(time_of(r.created)));
  std::vector<std::string> labels;
  for (const auto& [k, v] : r.labels) labels.push_back(k + "=" + v);
  row["Labels"] = join(labels, ",");
  std::vector<std::string> networks;
  if (row["Networks"].is_array())
    for (const auto& n : row["Networks"])
      if (n.is_string()) networks.push_back(n.get<std::string>());
  row["Networks"] = join(networks, ",");
  row["Mounts"] = "";
  row["LocalVolumes"] = "0";
}

struct Entry {
  storage::ContainerRecord rec;
  storage::ContainerState st;
  std::string health;  // a running container's health status; "" for none
  std::string pod_id, pod_name;  // its pod's, if any
};

// --filter KEY=VALUE: the same key ORs, different keys AND, as Podman.
class PsFilter {
 public:
  PsFilter(const std::vector<std::string>& filters, const std::vector<Entry>& all) {
    static const std::vector<std::string> kKeys = {"id", "name", "label", "status", "ancestor", "exited", "before",
                                                   "since", "volume", "health", "pod"};
    for (const auto& f : filters) {
      auto eq = f.find('=');
      std::string key = f.substr(0, eq);
      if (eq == std::string::npos || std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end())
        fail("{} is an invalid filter", key);
      std::string value = f.substr(eq + 1);
      if (key == "status") {
        static const std::vector<std::string> kStatus = {"created", "running", "paused", "stopped", "exited", "unknown"};
        if (std::find(kStatus.begin(), kStatus.end(), value) == kStatus.end())
          fail("{} is not a valid status", value);
      }
      if (key == "health" && value != "starting" && value != "healthy" && value != "unhealthy" && value != "none")
        fail("{} is not a valid health status", value);
      if (key == "before" || key == "since") {
        const Entry* e = nullptr;
        for (const auto& x : all)
          if (x.rec.id == value || x.rec.name == value || (value.size() >= 3 && x.rec.id.rfind(value, 0) == 0)) e = &x;
        if (!e) fail("no container with name or ID {:?} found: no such container", value);
        value = e->rec.created;
      }
      by_key_[key].push_back(value);
    }
  }

  bool matches(const Entry& e) const {
    for (const auto& [key, values] : by_key_) {
      bool any = false;
      for (const auto& v : values) any = any || one(key, v, e);
      if (!any) return false;
    }
    return true;
  }

 private:
  static bool one(const std::string& key, const std::string& v, const Entry& e) {
    const auto& r = e.rec;
    if (key == "id") return r.id.rfind(v, 0) == 0;
    if (key == "name") return r.name.find(v) != std::string::npos;
    if (key == "label") {
      auto eq = v.find('=');
      auto it = r.labels.find(v.substr(0, eq));
      return it != r.labels.end() && (eq == std::string::npos || it->second == v.substr(eq + 1));
    }
    if (key == "status") {
      std::string s = e.st.running() ? "running" : e.st.status;
      return s == v || (v == "stopped" && s == "exited");
    }
    if (key == "ancestor") return r.image == v || r.image_id.rfind(v, 0) == 0 || r.image.rfind(v + ":", 0) == 0;
    if (key == "health") return e.health == v || (v == "none" && e.health.empty());
    if (key == "exited") return e.st.status == "exited" && std::to_string(e.st.exit_code) == v;
    if (key == "volume") {  // a volume's name or where it is mounted
      auto names = engine::volumes_of(r), dests = engine::volume_destinations(r);
      return std::find(names.begin(), names.end(), v) != names.end() || std::find(dests.begin(), dests.end(), v) != dests.end();
    }
    if (key == "pod") return !e.pod_id.empty() && (e.pod_name == v || (v.size() >= 3 && e.pod_id.rfind(v, 0) == 0));
    if (key == "before") return time_of(r.created) < time_of(v);
    if (key == "since") return time_of(r.created) > time_of(v);
    return false;
  }

  std::map<std::string, std::vector<std::string>> by_key_;
};

// Podman's SIZE: what the container wrote (its upper layer) and, as
// "virtual", that plus its image.
std::string size_text(const storage::ContainerStore& containers, const storage::Store* store,
                      const storage::ContainerRecord& r) {
  uint64_t rw = fs::tree_size(fs::join(containers.dir(r.id), "upper"));
  uint64_t image = 0;
  if (store)
    if (auto img = store->find_image(r.image_id)) image = img->size;
  return fmt::format("{} (virtual {})", format::go_human_size(static_cast<double>(rw), 3),
                     format::go_human_size(static_cast<double>(rw + image), 3));
}

int run_ps(const Globals& g, const PsOptions& o) {
  // Sizes count files of every owner in the container's layer: ours in
  // cabin's user namespace.
  std::optional<storage::Store> store;
  if (o.size) {
    enter_userns(g);
    store.emplace(open_store(g));
  }
  storage::ContainerStore containers(g.paths);
  std::vector<Entry> entries;
  std::map<std::string, std::string> pod_names;
  for (const auto& p : engine::PodStore(g.paths).list()) pod_names[p.id] = p.name;
  for (auto& r : containers.list()) {
    auto st = engine::current_state(containers, g.paths, r.id);
    std::string health = st.running() ? engine::health_status(containers, r.id) : "";
    std::string pod = engine::pod_of(r);
    std::string pod_name = pod_names.count(pod) ? pod_names[pod] : "";
    entries.push_back({std::move(r), std::move(st), std::move(health), pod, pod_name});
  }
  PsFilter filter(o.filters, entries);
  bool all = o.all || !o.filters.empty() || o.latest || o.last >= 0;
  std::vector<Entry> shown;
  for (auto& e : entries)
    if ((all || e.st.running()) && filter.matches(e)) shown.push_back(std::move(e));
  if (o.latest || o.last >= 0) {
    std::stable_sort(shown.begin(), shown.end(),
                     [](const Entry& a, const Entry& b) { return time_of(a.rec.created) > time_of(b.rec.created); });
    size_t keep = o.latest ? 1 : static_cast<size_t>(o.last);
    if (shown.size() > keep) shown.resize(keep);
  }

  std::vector<nlohmann::json> rows;
  nlohmann::ordered_json json_rows = nlohmann::ordered_json::array();
  for (const auto& [r, st, health, pod_id, pod_name] : shown) {
    std::string pod_short = o.no_trunc ? pod_id : pod_id.substr(0, 12);
    std::string command = join(r.command, " ");
    if (!o.no_trunc && command.size() > 20) command = command.substr(0, 17) + "...";
    std::string status = status_text(st, health);
    nlohmann::json labels = r.labels.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.labels);
    std::string created_human = format::time_ago(time_of(r.created));
    std::string size = o.size ? size_text(containers, store ? &*store : nullptr, r) : "";
    std::vector<net::PortMapping> ports = net::record_ports(r.config);
    nlohmann::json networks = nlohmann::json::array(), ports_json = nlohmann::json::array();
    if (r.config.is_object() && r.config.contains("networks")) networks = r.config["networks"];
    for (const auto& p : ports)
      ports_json.push_back({{"host_ip", p.host_ip},
                            {"container_port", p.container_port},
                            {"host_port", p.host_port},
                            {"range", 1},
                            {"protocol", p.protocol}});
    std::string ports_text = net::ports_summary(ports);
    rows.push_back({{"ID", o.no_trunc ? r.id : r.id.substr(0, 12)},
                    {"Image", r.image},
                    {"ImageID", r.image_id},
                    {"Command", command},
                    {"CreatedHuman", created_human},
                    {"CreatedAt", created_human},
                    {"Created", format::go_time_string(time_of(r.created))},
                    {"Status", status},
                    {"State", status},
                    {"Ports", ports_text},
                    {"Names", r.name},
                    {"Labels", labels},
                    {"Pid", st.pid},
                    {"ExitCode", st.exit_code},
                    {"Exited", st.status == "exited"},
                    {"ExitedAt", unix_of(st.finished_at)},
                    {"StartedAt", unix_of(st.started_at)},
                    {"Size", size},
                    {"Pod", pod_short},
                    {"PodName", pod_name},
                    {"Networks", networks},
                    {"Mounts", nlohmann::json::array()},
                    {"AutoRemove", false},
                    {"IsInfra", engine::is_infra(r)}});
    if (config::docker_mode()) dockerize_row(rows.back(), r, st, o.no_trunc);
    nlohmann::ordered_json j;
    j["AutoRemove"] = false;
    j["Command"] = r.command;
    j["CreatedAt"] = created_human;
    j["Exited"] = st.status == "exited";
    j["ExitedAt"] = unix_of(st.finished_at);
    j["ExitCode"] = st.exit_code;
    j["Id"] = r.id;
    j["Image"] = r.image;
    j["ImageID"] = r.image_id;
    j["IsInfra"] = engine::is_infra(r);
    j["Labels"] = labels;
    j["Mounts"] = nlohmann::json::array();
    j["Names"] = {r.name};
    j["Namespaces"] = nlohmann::json::object();
    j["Networks"] = networks;
    j["Pid"] = st.pid;
    j["Pod"] = pod_id;
    j["PodName"] = pod_name;
    j["Ports"] = ports_json.empty() ? nlohmann::json(nullptr) : ports_json;
    j["Size"] = nullptr;
    j["StartedAt"] = unix_of(st.started_at);
    j["State"] = st.running() ? "running" : st.status;
    j["Status"] = status;
    j["Created"] = unix_of(r.created);
    json_rows.push_back(std::move(j));
  }
  if (o.quiet) {
    for (const auto& row : rows) fmt::print("{}\n", row["ID"].get<std::string>());
    return 0;
  }
  format::ListOptions lo;
  lo.format = o.format;
  lo.headers = kPsHeaders;
  lo.noheading = o.noheading;
  lo.json_indent = 2;
  lo.name = "ps";
  lo.docker_json_keys = {"Command", "CreatedAt", "ID",    "Image",      "Labels", "LocalVolumes", "Mounts",
                         "Names",   "Networks",  "Ports", "RunningFor", "Size",   "State",        "Status"};
  lo.default_format = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
  if (o.size) lo.default_format += "\t{{.Size}}";
  if (o.pod) lo.default_format += "\t{{.Pod}}\t{{.PodName}}";
  format::print_list(stdout, lo, rows, json_rows);
  return 0;
}

}  // namespace

Runner bind_ps(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PsOptions>();
  app.add_flag("-a,--all", o->all, "Show all the containers, default is only running containers");
  app.add_flag("-q,--quiet", o->quiet, "Print the numeric IDs of the containers only");
  app.add_flag("--no-trunc", o->no_trunc, "Display the extended information");
  app.add_flag("-l,--latest", o->latest, "Act on the latest container podman is aware of");
  app.add_option("-n,--last", o->last, "Print the n last created containers (all states)");
  app.add_flag("--noheading", o->noheading, "Do not print headers");
  app.add_flag("-s,--size", o->size, "Display the total file sizes");
  app.add_flag("-p,--pod", o->pod, "Print the ID and name of the pod the containers are associated with");
  app.add_option("--format", o->format, "Pretty-print containers to JSON or using a Go template");
  app.add_option("-f,--filter", o->filters, "Filter output based on conditions given");
  return [o, &g] { return run_ps(g, *o); };
}

}  // namespace cabin::cmd
