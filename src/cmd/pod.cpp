// cabin pod create|ps|inspect|exists|start|stop|restart|kill|pause|unpause|
// rm|prune (podman-pod(1)); pod logs, top and stats live beside their
// container commands. The logic is engine/pod.cpp's.
#include <algorithm>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "format/output.h"
#include "format/units.h"
#include "util/error.h"
#include "util/signals.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

struct PodsOptions {
  std::vector<std::string> names;
  bool all = false, force = false, ignore = false;
  std::optional<int> time;
  std::string signal = "KILL";
};

// The named pods (every pod with --all).
std::vector<engine::PodRecord> target_pods(const Globals& g, const PodsOptions& o) {
  engine::PodStore pods(g.paths);
  if (o.all) {
    if (!o.names.empty()) fail("when using the --all switch, you may not pass any pods names or IDs");
    return pods.list();
  }
  if (o.names.empty()) fail("you must provide at least one name or id");
  std::vector<engine::PodRecord> out;
  for (const auto& n : o.names) {
    auto p = pods.find(n);
    if (!p && o.ignore) continue;
    out.push_back(p ? *p : pods.get(n));
  }
  return out;
}

void start_pod(const Globals& g, storage::ContainerStore& containers, const engine::PodRecord& pod) {
  auto members = engine::pod_containers(containers, pod);
  // The infra first: the others join its namespaces (and so its user namespace).
  if (!pod.infra_id.empty()) enter_userns_to_start(g, containers, "container:" + pod.infra_id);
  for (const auto& r : members) {
    if (engine::current_state(containers, g.paths, r.id).running()) continue;
    if (pod.infra_id.empty()) enter_userns_to_start(g, containers, network_mode_of(r));
    engine::start_detached(containers, g.paths, r);
  }
}

void add_names(CLI::App& app, PodsOptions& o, const char* all_help) {
  app.add_option("pod", o.names, "Pods");
  app.add_flag("-a,--all", o.all, all_help);
}

// Pod ps rows: Podman's ListPodsReport fields.
json ps_row(storage::ContainerStore& containers, const Globals& g, const engine::PodRecord& p, bool no_trunc) {
  auto members = engine::pod_containers(containers, p);
  std::vector<std::string> names, ids, statuses;
  for (const auto& r : members) {
    auto status = engine::container_status(containers, g.paths, r.id);
    names.push_back(r.name);
    ids.push_back(no_trunc ? r.id : r.id.substr(0, 12));
    statuses.push_back(status);
  }
  auto trunc = [&](const std::string& id) { return no_trunc ? id : id.substr(0, 12); };
  return {{"ID", trunc(p.id)},
          {"Id", p.id},
          {"Name", p.name},
          {"Status", engine::pod_status(containers, g.paths, p)},
          {"Created", format::time_ago(format::parse_rfc3339(p.created))},
          {"CreatedAt", p.created},
          {"InfraID", trunc(p.infra_id)},
          {"InfraId", trunc(p.infra_id)},
          {"NumberOfContainers", members.size()},
          {"ContainerNames", join(names, ",")},
          {"ContainerIds", join(ids, ",")},
          {"ContainerStatuses", join(statuses, ",")},
          {"Labels", p.labels},
          {"Networks", ""},
          {"Namespace", ""},
          {"Cgroup", ""}};
}

ordered_json ps_json(storage::ContainerStore& containers, const Globals& g, const engine::PodRecord& p) {
  ordered_json ctrs = ordered_json::array();
  for (const auto& r : engine::pod_containers(containers, p))
    ctrs.push_back({{"Id", r.id}, {"Names", r.name}, {"Status", engine::container_status(containers, g.paths, r.id)},
                    {"RestartCount", containers.state(r.id).restart_count}});
  ordered_json j;
  j["Cgroup"] = "";
  j["Containers"] = ctrs;
  j["Created"] = p.created;
  j["Id"] = p.id;
  j["InfraId"] = p.infra_id;
  j["Name"] = p.name;
  j["Namespace"] = "";
  j["Networks"] = json::array();
  j["Status"] = engine::pod_status(containers, g.paths, p);
  j["Labels"] = p.labels;
  return j;
}

bool ps_matches(const Filters& f, const json& row, const engine::PodRecord& p) {
  auto list_has = [](const std::string& joined, const std::string& v) {
    for (const auto& x : split(joined, ','))
      if (x == v) return true;
    return false;
  };
  return f.matches([&](const std::string& k, const std::string& v) {
    if (k == "id") return p.id.rfind(v, 0) == 0;
    if (k == "name") return p.name.find(v) != std::string::npos;
    if (k == "label") return label_matches(p.labels, v);
    if (k == "status") return to_lower(row["Status"].get<std::string>()) == to_lower(v);
    if (k == "ctr-names") return list_has(row["ContainerNames"].get<std::string>(), v);
    if (k == "ctr-ids") {
      for (const auto& x : split(row["ContainerIds"].get<std::string>(), ','))
        if (x.rfind(v, 0) == 0) return true;
      return false;
    }
    if (k == "ctr-status") return list_has(row["ContainerStatuses"].get<std::string>(), v);
    return std::to_string(row["NumberOfContainers"].get<size_t>()) == v;  // ctr-number
  });
}

}  // namespace

Runner bind_pod_create(CLI::App& app, Globals& g) {
  auto o = std::make_shared<engine::PodCreateOptions>();
  auto infra = std::make_shared<std::optional<bool>>();
  app.add_option("--name,-n", o->name, "Assign a name to the pod");
  app.add_option("-p,--publish", o->publish, "Publish a container's port, or a range of ports, to the host");
  app.add_option("--network,--net", o->networks, "Connect the pod to a network");
  app.add_option("--share", o->share, "A comma delimited list of kernel namespaces the pod will share");
  add_bool_flag(app, "--infra", *infra, "Create an infra container associated with the pod to share namespaces with");
  app.add_option("--infra-name", o->infra_name, "Name used for the pod's infra container");
  app.add_option("-l,--label", o->labels, "Set metadata on pod");
  app.add_option("--hostname", o->hostname, "Set the pod's hostname");
  app.add_option("--add-host", o->add_hosts, "Add a custom host-to-IP mapping (host:ip)");
  app.add_option("--dns", o->dns, "Set custom DNS servers");
  app.add_option("--userns", o->userns, "User namespace to use");
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
  return [o, infra, &g, &app] {
    check_args(app.remaining(), 0, 0);
    if (*infra) o->infra = **infra;
    auto store = open_store(g);
    fmt::print("{}\n", engine::create_pod(store, g.paths, *o).id);
    return 0;
  };
}

Runner bind_pod_exists(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  app.add_option("pod", *names, "Pod to look for");
  return [names, &g] {
    check_args(*names, 1, 1);
    return engine::PodStore(g.paths).find(names->front()) ? 0 : 1;
  };
}

Runner bind_pod_inspect(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto fmt_ = std::make_shared<std::string>();
  app.add_option("pod", *names, "Pods to inspect");
  app.add_option("-f,--format", *fmt_, "Format the output to a Go template or json");
  return [names, fmt_, &g] {
    check_args(*names, 1, kAnyArgs);
    engine::PodStore pods(g.paths);
    storage::ContainerStore containers(g.paths);
    ordered_json objs = ordered_json::array();
    json tmpl = json::array();
    for (const auto& n : *names) {
      auto p = pods.get(n);
      auto members = engine::pod_containers(containers, p);
      ordered_json ctrs = ordered_json::array();
      for (const auto& r : members)
        ctrs.push_back({{"Id", r.id}, {"Name", r.name}, {"State", engine::container_status(containers, g.paths, r.id)}});
      ordered_json j;
      j["Id"] = p.id;
      j["Name"] = p.name;
      j["Created"] = p.created;
      j["ExitPolicy"] = "continue";
      j["State"] = engine::pod_status(containers, g.paths, p);
      j["Hostname"] = p.hostname;
      j["Labels"] = p.labels;
      j["CreateCgroup"] = false;
      j["CreateInfra"] = p.infra;
      if (!p.infra_id.empty()) j["InfraContainerId"] = p.infra_id;
      j["SharedNamespaces"] = p.share;
      j["NumContainers"] = members.size();
      j["Containers"] = ctrs;
      // Templates use Go's field names.
      json t = json(j);
      t["ID"] = p.id;
      t["InfraContainerID"] = p.infra_id;
      t.erase("InfraContainerId");
      objs.push_back(std::move(j));
      tmpl.push_back(std::move(t));
    }
    format::print_inspect(stdout, *fmt_, objs, tmpl);
    return 0;
  };
}

Runner bind_pod_ps(CLI::App& app, Globals& g) {
  struct Opts {
    std::string format;
    std::vector<std::string> filters;
    bool quiet = false, noheading = false, no_trunc = false, ctr_names = false, ctr_ids = false, ctr_status = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--format", o->format, "Pretty-print pods to JSON or using a Go template");
  app.add_option("-f,--filter", o->filters, "Filter output based on conditions given");
  app.add_flag("-q,--quiet", o->quiet, "Print the numeric IDs of the pods only");
  app.add_flag("--noheading", o->noheading, "Do not print headers");
  app.add_flag("--no-trunc", o->no_trunc, "Do not truncate pod and container IDs");
  app.add_flag("--ctr-names", o->ctr_names, "Display the container names");
  app.add_flag("--ctr-ids", o->ctr_ids, "Display the container UUIDs. If no-trunc is not set they will be truncated");
  app.add_flag("--ctr-status", o->ctr_status, "Display the container status");
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
  return [o, &g, &app] {
    check_args(app.remaining(), 0, 0);
    auto f = Filters::parse(o->filters, {"id", "name", "label", "status", "ctr-names", "ctr-ids", "ctr-status", "ctr-number"},
                            [](const std::string& k) { return fmt::format("{} is an invalid filter", k); });
    storage::ContainerStore containers(g.paths);
    std::vector<json> rows;
    ordered_json objs = ordered_json::array();
    for (const auto& p : engine::PodStore(g.paths).list()) {
      auto row = ps_row(containers, g, p, o->no_trunc);
      if (!ps_matches(f, row, p)) continue;
      rows.push_back(row);
      objs.push_back(ps_json(containers, g, p));
    }
    format::ListOptions lo;
    lo.format = o->quiet && o->format.empty() ? "{{.ID}}" : o->format;
    lo.headers = {{"ID", "POD ID"},       {"InfraID", "INFRA ID"},      {"NumberOfContainers", "# OF CONTAINERS"},
                  {"ContainerNames", "NAMES"}, {"ContainerIds", "IDS"}, {"ContainerStatuses", "STATUS"}};
    lo.noheading = o->noheading;
    lo.json_indent = 2;
    lo.name = "list";
    std::string cols = "table {{.ID}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}";
    if (o->ctr_ids) cols += "\t{{.ContainerIds}}";
    if (o->ctr_names) cols += "\t{{.ContainerNames}}";
    if (o->ctr_status) cols += "\t{{.ContainerStatuses}}";
    if (!o->ctr_ids && !o->ctr_names && !o->ctr_status) cols += "\t{{.NumberOfContainers}}";
    lo.default_format = cols;
    format::print_list(stdout, lo, rows, objs);
    return 0;
  };
}

Runner bind_pod_start(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PodsOptions>();
  add_names(app, *o, "Start all pods");
  return [o, &g] {
    storage::ContainerStore containers(g.paths);
    for (const auto& p : target_pods(g, *o)) {
      start_pod(g, containers, p);
      fmt::print("{}\n", p.id);
    }
    return 0;
  };
}

Runner bind_pod_stop(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PodsOptions>();
  add_names(app, *o, "Stop all running pods");
  app.add_flag("-i,--ignore", o->ignore, "Ignore errors when a specified pod is missing");
  app.add_option("-t,--time", o->time, "Seconds to wait for pod stop before killing the container");
  return [o, &g] {
    storage::ContainerStore containers(g.paths);
    for (const auto& p : target_pods(g, *o)) {
      engine::stop_pod(containers, g.paths, p, o->time);
      fmt::print("{}\n", p.id);
    }
    return 0;
  };
}

Runner bind_pod_restart(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PodsOptions>();
  add_names(app, *o, "Restart all running pods");
  return [o, &g] {
    storage::ContainerStore containers(g.paths);
    auto all = target_pods(g, *o);
    // Stopped from the host's side, then started in the infra's user namespace.
    for (const auto& p : all) engine::stop_pod(containers, g.paths, p, std::nullopt);
    for (const auto& p : all) {
      start_pod(g, containers, p);
      fmt::print("{}\n", p.id);
    }
    return 0;
  };
}

Runner bind_pod_kill(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PodsOptions>();
  add_names(app, *o, "Kill all running pods");
  app.add_option("-s,--signal", o->signal, "Signal to send to the containers in the pod");
  return [o, &g] {
    int sig = parse_signal(o->signal);
    storage::ContainerStore containers(g.paths);
    for (const auto& p : target_pods(g, *o)) {
      bool any = false;
      auto members = engine::pod_containers(containers, p);
      std::reverse(members.begin(), members.end());
      for (const auto& r : members)
        if (engine::signal_container(containers, g.paths, r.id, sig)) {
          engine::container_event(g.paths, r, "kill");
          any = true;
        }
      if (!any && !o->all) fail("pod {} is not running: no containers to kill", p.name);
      fmt::print("{}\n", p.id);
    }
    return 0;
  };
}

namespace {

// pause and unpause: every container of the pods (cabin has no cgroup
// freezer yet, so freeze_container says why it cannot).
Runner bind_pod_freeze(CLI::App& app, Globals& g, bool pause) {
  auto o = std::make_shared<PodsOptions>();
  add_names(app, *o, pause ? "Pause all running pods" : "Unpause all paused pods");
  return [o, &g, pause] {
    storage::ContainerStore containers(g.paths);
    for (const auto& p : target_pods(g, *o)) {
      for (const auto& r : engine::pod_containers(containers, p)) engine::freeze_container(containers, g.paths, r, pause);
      fmt::print("{}\n", p.id);
    }
    return 0;
  };
}

}  // namespace

Runner bind_pod_pause(CLI::App& app, Globals& g) { return bind_pod_freeze(app, g, true); }
Runner bind_pod_unpause(CLI::App& app, Globals& g) { return bind_pod_freeze(app, g, false); }

Runner bind_pod_rm(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PodsOptions>();
  add_names(app, *o, "Remove all pods");
  app.add_flag("-f,--force", o->force, "Force removal of a running pod by first stopping all containers, then removing all containers in the pod");
  app.add_flag("-i,--ignore", o->ignore, "Ignore errors when a specified pod is missing");
  app.add_option("-t,--time", o->time, "Seconds to wait for pod stop before killing the container");
  return [o, &g] {
    storage::ContainerStore containers(g.paths);
    std::vector<engine::PodRecord> pods;
    try {
      pods = target_pods(g, *o);
    } catch (Error& e) {
      // Podman's exit code for a pod that is not there.
      if (std::string_view(e.what()).find("no such pod") != std::string_view::npos) throw Error(e.what(), 1);
      throw;
    }
    // Stopped from the host's side; their files may belong to subordinate ids.
    for (const auto& p : pods) {
      if (!o->force) engine::check_pod_removable(containers, g.paths, p);
      engine::stop_pod(containers, g.paths, p, o->time);
    }
    enter_userns(g);
    for (const auto& p : pods) {
      engine::remove_pod(containers, g.paths, p);
      fmt::print("{}\n", p.id);
    }
    return 0;
  };
}

Runner bind_pod_prune(CLI::App& app, Globals& g) {
  auto force = std::make_shared<bool>(false);
  app.add_flag("-f,--force", *force, "Do not prompt for confirmation.  The default is false");
  return [force, &g] {
    if (!*force && !confirm("WARNING! This will remove all stopped/exited pods..\nAre you sure you want to continue?"))
      return 0;
    storage::ContainerStore containers(g.paths);
    auto gone = engine::prunable_pods(containers, g.paths);
    enter_userns(g);
    for (const auto& p : gone) {
      engine::remove_pod(containers, g.paths, p);
      fmt::print("{}\n", p.id);
    }
    return 0;
  };
}

}  // namespace cabin::cmd
