#include "engine/compose.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compose/load.h"
#include "compose/output.h"
#include "engine/build.h"
#include "engine/create.h"
#include "engine/health.h"
#include "engine/lifecycle.h"
#include "engine/secrets.h"
#include "engine/volumes.h"
#include "format/units.h"
#include "net/store.h"
#include "storage/events.h"
#include "storage/pull.h"
#include "storage/secrets.h"
#include "storage/volumes.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/signals.h"

namespace cabin::engine::compose {
using cabin::compose::Project;
using cabin::compose::Service;

void say(std::string_view what, std::string_view name, std::string_view done) {
  fmt::print(stderr, " {} {}  {}\n", what, name, done);
}

std::string label(const storage::ContainerRecord& r, const char* key) {
  auto it = r.labels.find(key);
  return it == r.labels.end() ? "" : it->second;
}

namespace {

int number_of(const storage::ContainerRecord& r) { return std::atoi(label(r, kNumberLabel).c_str()); }

}  // namespace

void apply_containers_conf(const cabin::compose::Service& s, CreateOptions& o) {
  apply_containers_conf(config::containers_conf(), o, [&](std::string_view flag) {
    return flag == "--pull" || (flag == "--init" && s.init) || (flag == "--read-only" && s.read_only) ||
           (flag == "--dns" && !s.dns.empty()) || (flag == "--dns-search" && !s.dns_search.empty()) ||
           (flag == "--dns-option" && !s.dns_opt.empty());
  });
}

CreateOptions service_options(const Project& p, const Service& s, int n, const std::string& image_id) {
  CreateOptions o;
  auto& r = o.run;
  o.name = container_name(p, s, n);
  o.pull = "never";  // up has pulled or built it
  o.quiet = true;
  for (const auto& [k, v] : s.labels) o.labels.push_back(k + "=" + v);
  std::string config_files;
  for (const auto& f : p.config_files) config_files += (config_files.empty() ? "" : ",") + f;
  for (const auto& [k, v] : std::map<std::string, std::string>{{kProjectLabel, p.name},
                                                               {kServiceLabel, s.name},
                                                               {kNumberLabel, std::to_string(n)},
                                                               {kHashLabel, cabin::compose::config_hash(s)},
                                                               {kImageLabel, image_id},
                                                               {kOneoffLabel, "False"},
                                                               {kWorkingDirLabel, p.working_dir},
                                                               {kConfigFilesLabel, config_files}})
    o.labels.push_back(k + "=" + v);
  if (s.entrypoint) r.entrypoint = json_text(nlohmann::json(*s.entrypoint));
  for (const auto& [k, v] : s.environment)
    if (v) r.env.push_back(k + "=" + *v);
  r.workdir = s.working_dir;
  r.user = s.user;
  r.hostname = s.hostname;
  for (const auto& port : s.ports) {
    std::string spec = port.host_ip.empty() ? "" : port.host_ip + ":";
    if (!port.published.empty()) spec += port.published + ":";
    else if (!port.host_ip.empty()) spec += ":";
    r.publish.push_back(spec + std::to_string(port.target) + "/" + port.protocol);
  }
  r.tty = s.tty;
  r.interactive = s.stdin_open;
  r.read_only = s.read_only;
  r.privileged = s.privileged;
  r.init = s.init.value_or(false);
  for (const auto& m : s.volumes) {
    std::string ro = m.read_only ? ":ro" : "";
    if (m.type == "bind") {
      // The short syntax makes a missing host directory, as Compose does.
      if (m.bind && m.bind->create_host_path.value_or(false) && !fs::exists(m.source)) fs::mkdir_p(m.source, 0755);
      r.volumes.push_back(m.source + ":" + m.target + ro);
    } else if (m.type == "volume") {
      if (m.source.empty()) {
        r.volumes.push_back(m.target);
      } else {
        auto it = p.volumes.find(m.source);
        r.volumes.push_back((it != p.volumes.end() ? it->second.name : m.source) + ":" + m.target + ro);
      }
    } else if (m.type == "tmpfs") {
      std::string opts;
      if (m.tmpfs && m.tmpfs->size) opts += fmt::format("size={}", *m.tmpfs->size);
      if (m.tmpfs && m.tmpfs->mode) opts += fmt::format("{}mode={:o}", opts.empty() ? "" : ",", *m.tmpfs->mode);
      r.tmpfs.push_back(m.target + (opts.empty() ? "" : ":" + opts));
    } else {
      fail("services.{}.volumes: type {} is not supported", s.name, m.type);
    }
  }
  r.tmpfs.insert(r.tmpfs.end(), s.tmpfs.begin(), s.tmpfs.end());
  if (s.network_mode.empty()) {
    // Each container is known by its service's name on every network.
    r.network_aliases.push_back(s.name);
    for (const auto& [key, sn] : s.networks) {
      r.networks.push_back(p.networks.at(key).name);
      if (!sn) continue;
      for (const auto& a : sn->aliases)
        if (std::find(r.network_aliases.begin(), r.network_aliases.end(), a) == r.network_aliases.end())
          r.network_aliases.push_back(a);
      if (!sn->ipv4_address.empty()) r.ip = sn->ipv4_address;
    }
  } else if (s.network_mode.starts_with("service:")) {
    const auto& other = p.services.at(s.network_mode.substr(8));
    r.networks.push_back("container:" + container_name(p, other, 1));
  } else {
    r.networks.push_back(s.network_mode);
  }
  if (s.restart != "no") o.restart = s.restart;
  o.stop_signal = s.stop_signal;
  if (s.stop_grace_period)
    o.stop_timeout = static_cast<int>(std::ceil(std::chrono::duration<double>(*s.stop_grace_period).count()));
  r.cap_add = s.cap_add;
  r.cap_drop = s.cap_drop;
  r.security_opts = s.security_opt;
  for (const auto& [name, u] : s.ulimits)
    r.ulimits.push_back(u.single ? fmt::format("{}={}", name, *u.single) : fmt::format("{}={}:{}", name, u.soft, u.hard));
  for (const auto& [host, ip] : s.extra_hosts) r.add_hosts.push_back(host + ":" + ip);
  r.dns = s.dns;
  r.dns_search = s.dns_search;
  r.dns_options = s.dns_opt;
  if (const auto& h = s.healthcheck) {
    if (h->disable) {
      o.health.disabled = true;
    } else {
      if (h->test.size() == 2 && h->test[0] == "CMD-SHELL") o.health.cmd = h->test[1];
      else if (h->test.size() > 1 && h->test[0] == "CMD")
        o.health.cmd = json_text(nlohmann::json(std::vector<std::string>(h->test.begin() + 1, h->test.end())));
      if (h->interval) o.health.interval = format::go_duration(*h->interval);
      if (h->timeout) o.health.timeout = format::go_duration(*h->timeout);
      if (h->start_period) o.health.start_period = format::go_duration(*h->start_period);
      if (h->start_interval) o.health.start_interval = format::go_duration(*h->start_interval);
      if (h->retries) o.health.retries = static_cast<int>(*h->retries);
    }
  }
  // Secrets are the store's (ensure_secrets put them there), given as
  // --secret; file-based configs are bind-mounted read-only.
  for (const auto& f : s.secrets) {
    std::string target = f.target.empty() ? "/run/secrets/" + f.source : f.target;
    std::string use = p.secrets.at(f.source).name + ",target=" + target;
    if (!f.uid.empty()) use += ",uid=" + f.uid;
    if (!f.gid.empty()) use += ",gid=" + f.gid;
    if (f.mode) use += fmt::format(",mode={:o}", *f.mode);
    o.secrets.push_back(use);
  }
  auto files = [&](const std::vector<cabin::compose::FileRef>& refs, const std::map<std::string, cabin::compose::FileObject>& top,
                   const char* kind, const std::string& dir) {
    for (const auto& f : refs) {
      const auto& obj = top.at(f.source);
      if (obj.file.empty())
        fail("services.{}.{}: {} {:?} is not a file: only file-based {} are supported", s.name, kind, kind, f.source, kind);
      std::string target = f.target.empty() ? dir + f.source : f.target.front() == '/' ? f.target : dir + f.target;
      r.volumes.push_back(obj.file + ":" + target + ":ro");
    }
  };
  files(s.configs, p.configs, "configs", "/");
  o.platform = s.platform;
  return o;
}

void stop_one(storage::ContainerStore& containers, const config::StorePaths& paths, const storage::ContainerRecord& r,
              std::optional<std::chrono::seconds> timeout) {
  if (!current_state(containers, paths, r.id).running()) return;
  auto cfg = load_start_config(containers, r.id);
  stop_container(containers, paths, r.id, parse_signal(cfg.stop_signal), timeout.value_or(std::chrono::seconds(cfg.stop_timeout)));
  say("Container", r.name, "Stopped");
}

void remove_one(storage::ContainerStore& containers, const config::StorePaths& paths, const storage::ContainerRecord& r,
                bool volumes) {
  containers.remove(r.id);
  container_event(paths, r, "remove");
  if (volumes) remove_anonymous_volumes(paths, containers, r);
  say("Container", r.name, "Removed");
}

namespace {

// The project's networks the services use, made when missing.
void ensure_networks(const config::StorePaths& paths, const Project& p, const std::vector<std::string>& order) {
  std::set<std::string> used;
  for (const auto& name : order)
    for (const auto& [key, _] : p.services.at(name).networks) used.insert(key);
  net::NetworkStore store(paths);
  auto lock = store.lock();
  for (const auto& key : used) {
    const auto& n = p.networks.at(key);
    if (store.find(n.name)) continue;
    if (n.external) fail("network {} declared as external, but could not be found", n.name);
    net::Network made;
    made.name = n.name;
    made.internal = n.internal;
    made.labels = n.labels;
    made.labels[kProjectLabel] = p.name;
    made.labels[kNetworkLabel] = key;
    if (!n.ipam_config.empty()) {
      made.subnet = n.ipam_config.front().subnet;
      made.gateway = n.ipam_config.front().gateway;
      made.range_start = n.ipam_config.front().ip_range;
    }
    store.create(made);
    say("Network", n.name, "Created");
  }
}

// The project's named volumes the services use, made when missing.
void ensure_volumes(const config::StorePaths& paths, const Project& p, const std::vector<std::string>& order) {
  std::set<std::string> used;
  for (const auto& name : order)
    for (const auto& m : p.services.at(name).volumes)
      if (m.type == "volume" && !m.source.empty() && p.volumes.count(m.source)) used.insert(m.source);
  storage::VolumeStore store(paths);
  auto lock = store.lock();
  for (const auto& key : used) {
    const auto& v = p.volumes.at(key);
    if (store.find(v.name)) continue;
    if (v.external) fail("external volume {:?} not found", v.name);
    storage::Volume made;
    made.name = v.name;
    if (!v.driver.empty()) made.driver = v.driver;
    made.options = v.driver_opts;
    made.labels = v.labels;
    made.labels[kProjectLabel] = p.name;
    made.labels[kVolumeLabel] = key;
    store.create(made);
    say("Volume", fmt::format("{:?}", v.name), "Created");
  }
}

}  // namespace

void wait_dependencies(storage::ContainerStore& containers, const config::StorePaths& paths, const Project& p,
                       const Service& s) {
  for (const auto& [dep, d] : s.depends_on) {
    if (d.condition == "service_started") continue;
    for (const auto& r : project_containers(containers, p.name, {dep})) {
      bool healthy = d.condition == "service_healthy";
      if (healthy && !load_start_config(containers, r.id).health)
        fail("dependency failed to start: container {} has no healthcheck configured", r.name);
      say("Container", r.name, "Waiting");
      for (;;) {
        auto st = current_state(containers, paths, r.id);
        if (healthy) {
          auto h = health_status(containers, r.id);
          if (st.running() && h == "healthy") break;
          if (st.running() && h == "unhealthy") fail("dependency failed to start: container {} is unhealthy", r.name);
          if (!st.active() && st.status != "created")
            fail("dependency failed to start: container {} exited ({})", r.name, st.exit_code);
        } else if (!st.active() && st.status == "exited") {
          if (st.exit_code != 0) fail("service {:?} didn't complete successfully: exit {}", dep, st.exit_code);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      say("Container", r.name, healthy ? "Healthy" : "Exited");
    }
  }
}

namespace {

// Compose's warning for containers of services the files no longer have.
void warn_orphans(const std::vector<std::string>& names) {
  if (names.empty()) return;
  log::warn("Found orphan containers ({}) for this project. If you removed or renamed this service in your compose "
            "file, you can run this command with the --remove-orphans flag to clean it up.",
            fmt::join(names, ", "));
}

std::string image_id_of(storage::Store& store, const std::string& image) {
  auto rec = store.find_image(image);
  if (!rec) fail("image {} is not in the store", image);
  return rec->id;
}

// Creates (or keeps, starts, recreates, removes) the service's containers
// so that its replicas run with its configuration and image (image_id).
void converge(storage::Store& store, storage::ContainerStore& containers, const config::StorePaths& paths,
              const Project& p, const Service& s, const std::string& image_id, int replicas, const UpOptions& o,
              std::vector<storage::ContainerRecord>& out) {
  if (!s.container_name.empty() && replicas > 1)
    fail("services.{}: container_name {:?} cannot be used with {} replicas: a container name must be unique", s.name,
         s.container_name, replicas);
  std::string image = service_image(p, s);
  std::string hash = cabin::compose::config_hash(s);
  auto existing = project_containers(containers, p.name, {s.name});
  for (const auto& r : existing)
    if (number_of(r) > replicas || number_of(r) < 1) {
      stop_one(containers, paths, r, o.timeout);
      remove_one(containers, paths, r, true);
    }
  for (int n = 1; n <= replicas; ++n) {
    auto it = std::find_if(existing.begin(), existing.end(), [&](const auto& r) { return number_of(r) == n; });
    if (it != existing.end()) {
      bool changed = label(*it, kHashLabel) != hash || label(*it, kImageLabel) != image_id;
      if (!(changed || o.force_recreate) || o.no_recreate) {
        if (current_state(containers, paths, it->id).running()) {
          say("Container", it->name, "Running");
        } else {
          start_detached(containers, paths, *it);
          say("Container", it->name, "Started");
        }
        out.push_back(*it);
        continue;
      }
      say("Container", it->name, "Recreate");
      stop_one(containers, paths, *it, o.timeout);
      containers.remove(it->id);
      container_event(paths, *it, "remove");
      remove_anonymous_volumes(paths, containers, *it);
    }
    auto opts = service_options(p, s, n, image_id);
    apply_containers_conf(s, opts);
    std::vector<std::string> command = s.command.value_or(std::vector<std::string>{});
    auto created = create_container(store, paths, opts, image, command);
    say("Container", created.record.name, it != existing.end() ? "Recreated" : "Created");
    try {
      start_detached(containers, paths, created.record);
    } catch (const Error& e) {
      fail("container {}: {}", created.record.name, e.what());
    }
    say("Container", created.record.name, "Started");
    out.push_back(created.record);
  }
}

}  // namespace

std::string service_image(const Project& project, const Service& s) {
  return !s.image.empty() ? s.image : project.name + "-" + s.name;
}

std::string container_name(const Project& project, const Service& s, int n) {
  return !s.container_name.empty() ? s.container_name : fmt::format("{}-{}-{}", project.name, s.name, n);
}

std::vector<storage::ContainerRecord> project_containers(const storage::ContainerStore& containers,
                                                         const std::string& project,
                                                         const std::vector<std::string>& services, bool oneoff) {
  std::vector<storage::ContainerRecord> out;
  for (auto& r : containers.list()) {
    if (label(r, kProjectLabel) != project) continue;
    if (!oneoff && label(r, kOneoffLabel) == "True") continue;
    if (!services.empty() && std::find(services.begin(), services.end(), label(r, kServiceLabel)) == services.end())
      continue;
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::pair(label(a, kServiceLabel), number_of(a)) < std::pair(label(b, kServiceLabel), number_of(b));
  });
  return out;
}

void build(storage::Store& store, const config::StorePaths& paths, const Project& project,
           const std::vector<std::string>& services, bool quiet, bool no_cache) {
  for (const auto& [name, s] : project.services) {
    if (!s.build || (!services.empty() && std::find(services.begin(), services.end(), name) == services.end())) continue;
    BuildOptions b;
    b.context = s.build->context;
    if (!s.build->dockerfile.empty())
      b.file = s.build->dockerfile.front() == '/' ? s.build->dockerfile : fs::join(b.context, s.build->dockerfile);
    b.tags = {storage::normalize_image_name(service_image(project, s))};
    for (const auto& [k, v] : s.build->args)
      if (v) b.build_args[k] = *v;
    b.target = s.build->target;
    for (const auto& [k, v] : s.build->labels) b.labels.push_back(k + "=" + v);
    b.quiet = quiet;
    b.no_cache = no_cache;
    with_context(fmt::format("building service {:?}", name), [&] { build_image(store, paths, b); });
    say("Service", name, "Built");
  }
}

void pull(storage::Store& store, const Project& project, const std::vector<std::string>& services, bool quiet) {
  for (const auto& [name, s] : project.services) {
    if (s.image.empty() || (!services.empty() && std::find(services.begin(), services.end(), name) == services.end()))
      continue;
    storage::PullOptions po;
    po.quiet = quiet;
    storage::pull_image(store, s.image, po);
    say("Service", name, "Pulled");
  }
}

// The project's secrets the services use, stored (or replaced, so that an
// edited file is what the next start gets) from their files or variables;
// external ones must exist.
void ensure_secrets(const config::StorePaths& paths, const Project& p, const std::vector<std::string>& order) {
  std::set<std::string> used;
  for (const auto& name : order)
    for (const auto& f : p.services.at(name).secrets) used.insert(f.source);
  if (used.empty()) return;
  storage::SecretStore store(paths);
  auto lock = store.lock();
  for (const auto& key : used) {
    const auto& obj = p.secrets.at(key);
    if (obj.external) {
      if (!store.find(obj.name)) fail("secret {:?} declared as external, but could not be found: no such secret", obj.name);
      continue;
    }
    std::string value = with_context(fmt::format("secrets.{}", key), [&] {
      if (!obj.file.empty()) return fs::read_file(obj.file);
      if (obj.environment.empty()) fail("only file and environment secrets are supported");
      auto it = p.environment.find(obj.environment);
      if (it == p.environment.end()) fail("environment variable {} is not set", obj.environment);
      return it->second;
    });
    storage::Secret made;
    made.name = obj.name;
    made.labels[kProjectLabel] = p.name;
    made.labels[kSecretLabel] = key;
    store.create(made, value, true);
  }
}

void ensure_resources(const config::StorePaths& paths, const Project& p, const std::vector<std::string>& services) {
  ensure_secrets(paths, p, services);  // first: a file or variable missing stops it before anything is made
  ensure_networks(paths, p, services);
  ensure_volumes(paths, p, services);
}

std::string ensure_image(storage::Store& store, const config::StorePaths& paths, const Project& p, const Service& s,
                         bool build_it, bool no_build, bool quiet_pull) {
  std::string image = service_image(p, s);
  bool have = store.find_image(image).has_value();
  if (s.build && !no_build && (build_it || !have || s.pull_policy == "build")) {
    build(store, paths, p, {s.name}, true, false);
  } else if (s.image.empty() && !have) {
    fail("service {:?} has neither an image nor a build context specified: invalid compose project", s.name);
  } else if (s.pull_policy == "always" || (!have && s.pull_policy != "never")) {
    storage::PullOptions po;
    po.quiet = quiet_pull;
    with_context(fmt::format("pulling the image of service {:?}", s.name), [&] { storage::pull_image(store, image, po); });
  } else if (!have) {
    fail("service {:?}: image {} is not in the store and pull_policy is never", s.name, image);
  }
  return image_id_of(store, image);
}

std::vector<storage::ContainerRecord> up(storage::Store& store, const config::StorePaths& paths, const Project& p,
                                         const UpOptions& o) {
  for (const auto& [name, _] : o.scale)
    if (!p.services.count(name)) fail("no such service: {}", name);
  std::vector<std::string> order;
  if (o.no_deps) {
    for (const auto& name : o.services)
      if (!p.services.count(name)) fail("no such service: {}", name);
    order = o.services.empty() ? cabin::compose::start_order(p) : o.services;
  } else {
    order = cabin::compose::start_order(p, o.services);
  }
  storage::ContainerStore containers(paths);
  std::vector<std::string> orphans;
  for (const auto& r : project_containers(containers, p.name))
    if (!p.services.count(label(r, kServiceLabel))) {
      if (o.remove_orphans) {
        stop_one(containers, paths, r, o.timeout);
        remove_one(containers, paths, r, true);
      } else {
        orphans.push_back(r.name);
      }
    }
  warn_orphans(orphans);
  ensure_resources(paths, p, order);
  std::map<std::string, std::string> image_ids;
  for (const auto& name : order)
    image_ids[name] = ensure_image(store, paths, p, p.services.at(name), o.build, o.no_build, o.quiet_pull);
  std::vector<storage::ContainerRecord> out;
  for (const auto& name : order) {
    const auto& s = p.services.at(name);
    wait_dependencies(containers, paths, p, s);
    auto sc = o.scale.find(name);
    converge(store, containers, paths, p, s, image_ids.at(name), sc != o.scale.end() ? sc->second : s.replicas, o, out);
  }
  return out;
}

void down(storage::Store& store, const config::StorePaths& paths, const Project& p, const DownOptions& o) {
  storage::ContainerStore containers(paths);
  // Dependents first: the reverse of the start order.
  std::vector<std::string> order = cabin::compose::start_order(p);
  std::reverse(order.begin(), order.end());
  auto all = project_containers(containers, p.name, {}, true);
  std::vector<std::string> orphans;
  for (const auto& r : all) {
    std::string service = label(r, kServiceLabel);
    if (p.services.count(service)) continue;
    if (!o.remove_orphans) orphans.push_back(r.name);
    else if (std::find(order.begin(), order.end(), service) == order.end()) order.push_back(service);
  }
  warn_orphans(orphans);
  for (const auto& name : order)
    for (const auto& r : all)
      if (label(r, kServiceLabel) == name) {
        stop_one(containers, paths, r, o.timeout);
        remove_one(containers, paths, r, o.volumes);
      }
  {
    net::NetworkStore networks(paths);
    auto lock = networks.lock();
    for (const auto& [key, n] : p.networks) {
      if (n.external || !networks.find(n.name)) continue;
      networks.remove(n.name);
      say("Network", n.name, "Removed");
    }
  }
  {
    // The project's secrets go with its containers: they are copies of its
    // files and variables.
    storage::SecretStore secrets(paths);
    auto lock = secrets.lock();
    for (const auto& [key, sec] : p.secrets) {
      auto found = secrets.find(sec.name);
      if (sec.external || !found || found->labels[kProjectLabel] != p.name || !secret_users(containers, sec.name).empty())
        continue;
      secrets.remove(*found);
    }
  }
  if (o.volumes) {
    storage::VolumeStore volumes(paths);
    auto lock = volumes.lock();
    for (const auto& [key, v] : p.volumes) {
      if (v.external || !volumes.find(v.name)) continue;
      volumes.remove(v.name);
      say("Volume", v.name, "Removed");
    }
  }
  if (!o.rmi.empty()) {
    if (o.rmi != "local" && o.rmi != "all") fail("invalid --rmi option {:?}: use local or all", o.rmi);
    std::set<std::string> done;
    for (const auto& [name, s] : p.services) {
      if (o.rmi == "local" && !s.image.empty()) continue;  // local: only what compose built under its own name
      std::string image = service_image(p, s);
      auto rec = store.find_image(image);
      if (!rec || !done.insert(rec->id).second) continue;
      store.remove_image(rec->id);
      storage::record_image_event(paths, "remove", rec->id, image);
      say("Image", image, "Removed");
    }
    store.garbage_collect();
  }
}

}  // namespace cabin::engine::compose
