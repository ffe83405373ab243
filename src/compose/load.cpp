#include "compose/load.h"

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <set>

#include "compose/fields.h"
#include "compose/interpolate.h"
#include "compose/parse.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strings.h"

extern char** environ;

namespace cabin::compose {
namespace {

using detail::FileModel;
using detail::ServiceDef;

constexpr const char* kFileNames[] = {"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"};
constexpr const char* kOverrideNames[] = {"compose.override.yml", "compose.override.yaml",
                                          "docker-compose.override.yml", "docker-compose.override.yaml"};

std::string dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The first of names that exists in dir, warning as Compose does when there
// are several.
std::string first_existing(const std::string& dir, const char* const* begin, const char* const* end) {
  std::vector<std::string> found;
  for (auto it = begin; it != end; ++it)
    if (fs::exists(dir + "/" + *it)) found.push_back(dir + "/" + *it);
  if (found.size() > 1) {
    log::warn("Found multiple config files with supported names: {}", join(found, ", "));
    log::warn("Using {}", found[0]);
  }
  return found.empty() ? "" : found[0];
}

template <typename T, typename Key>
void merge_by(std::vector<T>& a, const std::vector<T>& b, Key key) {
  for (const auto& x : b) {
    auto it = std::find_if(a.begin(), a.end(), [&](const T& y) { return key(y) == key(x); });
    if (it == a.end()) a.push_back(x);
    else *it = x;
  }
}

template <typename T>
void append_unique(std::vector<T>& a, const std::vector<T>& b) {
  for (const auto& x : b)
    if (std::find(a.begin(), a.end(), x) == a.end()) a.push_back(x);
}

template <typename M>
void merge_map(M& a, const M& b, bool replace) {
  if (replace) a.clear();
  for (const auto& [k, v] : b) a[k] = v;
}

std::string ref_key(const FileRef& r) { return r.target.empty() ? r.source : r.target; }

// Compose's merge rules for one key of a service (see the compose spec's
// merge.md): scalars and command, entrypoint and healthcheck.test are
// replaced, mappings merged by key, sequences appended without duplicates,
// volumes merged by target, secrets and configs by target. replace (the
// "!override" tag) takes the override's value whole.
void merge_key(Service& a, const ServiceDef& over, const std::string& k, bool replace) {
  const Service& b = over.service;
  auto has = [&](const char* sub) { return over.present.count(k + "." + sub) > 0; };
  if (auto sf = detail::string_field(k)) {
    a.*sf = b.*sf;
  } else if (auto bf = detail::bool_field(k)) {
    a.*bf = b.*bf;
  } else if (auto lf = detail::list_field(k)) {
    if (replace) a.*lf = b.*lf;
    else append_unique(a.*lf, b.*lf);
  } else if (k == "build") {
    if (replace || !a.build || !b.build) {
      a.build = b.build;
      return;
    }
    if (has("context")) a.build->context = b.build->context;
    if (has("dockerfile")) a.build->dockerfile = b.build->dockerfile;
    if (has("target")) a.build->target = b.build->target;
    if (has("args")) merge_map(a.build->args, b.build->args, false);
    if (has("labels")) merge_map(a.build->labels, b.build->labels, false);
  } else if (k == "healthcheck") {
    if (replace || !a.healthcheck || !b.healthcheck) {
      a.healthcheck = b.healthcheck;
      return;
    }
    Healthcheck& h = *a.healthcheck;
    const Healthcheck& o = *b.healthcheck;
    if (has("test")) h.test = o.test;
    if (has("interval")) h.interval = o.interval;
    if (has("timeout")) h.timeout = o.timeout;
    if (has("start_period")) h.start_period = o.start_period;
    if (has("start_interval")) h.start_interval = o.start_interval;
    if (has("retries")) h.retries = o.retries;
    if (has("disable") || has("test")) h.disable = o.disable;
  } else if (k == "command") {
    a.command = b.command;
  } else if (k == "entrypoint") {
    a.entrypoint = b.entrypoint;
  } else if (k == "environment") {
    merge_map(a.environment, b.environment, replace);
  } else if (k == "labels") {
    merge_map(a.labels, b.labels, replace);
  } else if (k == "sysctls") {
    merge_map(a.sysctls, b.sysctls, replace);
  } else if (k == "networks") {
    merge_map(a.networks, b.networks, replace);
  } else if (k == "depends_on") {
    merge_map(a.depends_on, b.depends_on, replace);
  } else if (k == "ulimits") {
    merge_map(a.ulimits, b.ulimits, replace);
  } else if (k == "env_file") {
    if (replace) a.env_files.clear();
    merge_by(a.env_files, b.env_files, [](const EnvFile& f) { return f.path; });
  } else if (k == "ports") {
    if (replace) a.ports = b.ports;
    else append_unique(a.ports, b.ports);
  } else if (k == "volumes") {
    if (replace) a.volumes.clear();
    merge_by(a.volumes, b.volumes, [](const Mount& m) { return m.target; });
  } else if (k == "secrets" || k == "configs") {
    auto& list = k == "secrets" ? a.secrets : a.configs;
    if (replace) list.clear();
    merge_by(list, k == "secrets" ? b.secrets : b.configs, ref_key);
  } else if (k == "extra_hosts") {
    if (replace) a.extra_hosts.clear();
    std::set<std::string> hosts;
    for (const auto& h : b.extra_hosts) hosts.insert(h.first);
    std::erase_if(a.extra_hosts, [&](const auto& h) { return hosts.count(h.first) > 0; });
    for (const auto& h : b.extra_hosts) a.extra_hosts.push_back(h);
  } else if (k == "scale" || k == "deploy") {
    if (k == "scale" || over.present.count("deploy.replicas")) a.replicas = b.replicas;
  } else if (k == "init") {
    a.init = b.init;
  } else if (k == "stop_grace_period") {
    a.stop_grace_period = b.stop_grace_period;
  }
}

// over's keys applied to base, as a later file (or the extending service)
// overrides an earlier one.
// "key.entry" reset: the entry removed from the service's mapping.
void reset_entry(Service& s, const std::string& key, const std::string& entry) {
  if (key == "environment") s.environment.erase(entry);
  else if (key == "labels") s.labels.erase(entry);
  else if (key == "sysctls") s.sysctls.erase(entry);
  else if (key == "networks") s.networks.erase(entry);
  else if (key == "depends_on") s.depends_on.erase(entry);
  else if (key == "ulimits") s.ulimits.erase(entry);
}

void merge_service(ServiceDef& base, const ServiceDef& over) {
  static const ServiceDef kEmpty;
  for (const auto& k : over.reset)
    if (size_t dot = k.find('.'); dot == std::string::npos) merge_key(base.service, kEmpty, k, true);
  for (const auto& k : over.present) {
    if (k.find('.') != std::string::npos || over.reset.count(k)) continue;
    merge_key(base.service, over, k, over.replace.count(k) > 0);
  }
  // After the merge: the override's own mapping has the reset entries too.
  for (const auto& k : over.reset)
    if (size_t dot = k.find('.'); dot != std::string::npos) reset_entry(base.service, k.substr(0, dot), k.substr(dot + 1));
  base.present.insert(over.present.begin(), over.present.end());
  base.service.origin = over.service.origin;
  if (over.extends) base.extends = over.extends;
}

class Loader {
 public:
  Loader(const LoadOptions& options, StringMap env) : options_(options), env_(std::move(env)) {
    auto it = options.environ.find("HOME");
    home_ = it == options.environ.end() ? "/" : it->second;
  }

  std::string display(const std::string& path) const {
    const std::string& cwd = options_.cwd;
    if (path.size() > cwd.size() && path.starts_with(cwd) && path[cwd.size()] == '/')
      return path.substr(cwd.size() + 1);
    return path;
  }

  FileModel parse(const std::string& path, const std::string& base_dir) {
    auto it = parsed_.find(path);
    if (it != parsed_.end()) return it->second;
    detail::ParseContext ctx;
    ctx.display = display(path);
    ctx.base_dir = base_dir;
    ctx.home = home_;
    ctx.env = [this](const std::string& name) -> std::optional<std::string> {
      auto v = env_.find(name);
      if (v == env_.end()) return std::nullopt;
      return v->second;
    };
    ctx.on_unset = [this](const std::string& name) {
      if (warned_.insert(name).second)
        log::warn("The \"{}\" variable is not set. Defaulting to a blank string.", name);
    };
    if (!fs::exists(path)) fail("open {}: no such file or directory", path);
    // Files extending each other's services would come back here for ever.
    if (!parsing_.insert(path).second) fail("circular reference with extends in {}", ctx.display);
    FileModel f = detail::parse_file(path, ctx);
    resolve_extends(f, base_dir);
    parsing_.erase(path);
    return parsed_[path] = f;
  }

  // Each service's extends: the base (resolved first, recursively) with
  // the service's own keys merged over it.
  void resolve_extends(FileModel& f, const std::string& base_dir) {
    for (auto& entry : f.services) resolve_service(f, entry.first, base_dir, {});
  }

  ServiceDef& resolve_service(FileModel& f, const std::string& name, const std::string& base_dir,
                              std::vector<std::string> chain) {
    ServiceDef& def = f.services.at(name);
    if (!def.extends) return def;
    detail::Extends ext = *def.extends;
    std::string key = f.path + ":" + name;
    if (std::find(chain.begin(), chain.end(), key) != chain.end())
      fail("services.{}.extends: circular reference with extends ({})", name, ext.origin);
    chain.push_back(key);
    ServiceDef base;
    if (ext.file.empty() || ext.file == f.path) {
      if (!f.services.count(ext.service))
        fail("services.{}.extends: cannot extend service \"{}\": service not found ({})", name, ext.service, ext.origin);
      base = resolve_service(f, ext.service, base_dir, chain);
    } else {
      // The other file's relative paths are relative to it.
      FileModel other = parse(ext.file, dirname(ext.file));
      if (!other.services.count(ext.service))
        fail("services.{}.extends: cannot extend service \"{}\": service not found in {} ({})", name,
             ext.service, display(ext.file), ext.origin);
      base = other.services.at(ext.service);
    }
    base.extends.reset();
    def.extends.reset();
    merge_service(base, def);
    base.service.name = name;
    def = std::move(base);
    return def;
  }

 private:
  const LoadOptions& options_;
  StringMap env_;
  std::string home_;
  std::map<std::string, FileModel> parsed_;
  std::set<std::string> parsing_;
  std::set<std::string> warned_;
};

// A later file's top-level resource merged over an earlier one's.
template <typename T>
void merge_resources(std::map<std::string, T>& a, const std::map<std::string, T>& b) {
  for (const auto& [k, v] : b) a[k] = v;
}

void merge_file(FileModel& a, const FileModel& b) {
  if (!b.name.empty()) a.name = b.name;
  for (const auto& [name, def] : b.services) {
    auto it = a.services.find(name);
    if (it == a.services.end()) a.services[name] = def;
    else merge_service(it->second, def);
  }
  merge_resources(a.networks, b.networks);
  merge_resources(a.volumes, b.volumes);
  merge_resources(a.secrets, b.secrets);
  merge_resources(a.configs, b.configs);
}

// include: each file's resources added to imported; one that the including
// file or another included file defines too is an error.
template <typename T>
void add_included(std::map<std::string, T>& imported, const std::map<std::string, T>& from,
                  const std::map<std::string, T>& own, std::string_view kind, const std::string& file) {
  for (const auto& [k, v] : from)
    if (own.count(k) || !imported.emplace(k, v).second)
      fail("{}.{}: imported from {} conflicts with a definition in the project", kind, k, file);
}

StringMap interpolation_env(const LoadOptions& options, const std::string& project_dir) {
  StringMap env;
  std::vector<std::string> files = options.env_files;
  if (files.empty() && fs::exists(project_dir + "/.env")) files.push_back(project_dir + "/.env");
  for (const auto& f : files) {
    std::string path = detail::absolute_path(f, options.cwd, "");
    if (!fs::exists(path)) fail("env file {} not found", path);
    for (auto& [k, v] : parse_env_file(path, options.environ)) env[k] = v;
  }
  // The process environment wins over .env.
  for (const auto& [k, v] : options.environ) env[k] = v;
  return env;
}

void resolve_environment(Service& s, const StringMap& env) {
  OptionalStringMap resolved;
  for (const auto& f : s.env_files) {
    if (!fs::exists(f.path)) {
      if (f.required) fail("services.{}.env_file: env file {} not found ({})", s.name, f.path, s.origin);
      continue;
    }
    for (auto& [k, v] : parse_env_file(f.path, env)) resolved[k] = v;
  }
  for (const auto& [k, v] : s.environment) {
    if (v) {
      resolved[k] = v;
    } else if (auto it = env.find(k); it != env.end()) {
      resolved[k] = it->second;
    } else if (!resolved.count(k)) {
      resolved[k] = std::nullopt;
    }
  }
  s.environment = std::move(resolved);
  if (s.build)
    for (auto& [k, v] : s.build->args)
      if (!v)
        if (auto it = env.find(k); it != env.end()) v = it->second;
}

bool enabled(const Service& s, const std::set<std::string>& profiles) {
  if (s.profiles.empty() || profiles.count("*")) return true;
  return std::any_of(s.profiles.begin(), s.profiles.end(), [&](const auto& p) { return profiles.count(p) > 0; });
}

template <typename T>
void name_resources(std::map<std::string, T>& resources, const std::string& project) {
  for (auto& [key, r] : resources)
    if (r.name.empty()) r.name = r.external ? key : project + "_" + key;
}

// References to undefined services, networks, volumes, secrets and configs,
// worded as Compose words them.
void validate(const Project& p) {
  // A service whose profiles are not active is undefined here, as in Compose.
  auto defined = [&](const std::string& name) { return p.services.count(name) > 0; };
  for (const auto& [name, s] : p.services) {
    for (const auto& [dep, d] : s.depends_on)
      if (!defined(dep) && d.required)
        fail("services.{}.depends_on: service \"{}\" depends on undefined service \"{}\" ({})", name, name, dep, s.origin);
    for (const auto& [net, cfg] : s.networks)
      if (!p.networks.count(net))
        fail("services.{}.networks: service \"{}\" refers to undefined network {} ({})", name, name, net, s.origin);
    for (const auto& m : s.volumes)
      if (m.type == "volume" && !m.source.empty() && !p.volumes.count(m.source))
        fail("services.{}.volumes: service \"{}\" refers to undefined volume {} ({})", name, name, m.source, s.origin);
    for (const auto& r : s.secrets)
      if (!p.secrets.count(r.source))
        fail("services.{}.secrets: service \"{}\" refers to undefined secret {} ({})", name, name, r.source, s.origin);
    for (const auto& r : s.configs)
      if (!p.configs.count(r.source))
        fail("services.{}.configs: service \"{}\" refers to undefined config {} ({})", name, name, r.source, s.origin);
    if (!s.network_mode.empty() && !s.networks.empty())
      fail("services.{}: service \"{}\" declares mutually exclusive `network_mode` and `networks` ({})", name,
           name, s.origin);
    if (s.network_mode.starts_with("service:") && !defined(s.network_mode.substr(8)))
      fail("services.{}.network_mode: service \"{}\" depends on undefined service \"{}\" ({})", name, name,
           s.network_mode.substr(8), s.origin);
    if (s.replicas < 0) fail("services.{}.deploy.replicas: must not be negative ({})", name, s.origin);
    if (s.replicas > 1 && !s.container_name.empty())
      fail("services.{}.deploy.replicas: can't set container_name and {} as container name must be unique ({})",
           name, name, s.origin);
  }
  start_order(p);  // a dependency cycle is an error
}

}  // namespace

std::vector<std::string> find_compose_files(const std::string& cwd) {
  for (std::string dir = cwd;; dir = dirname(dir)) {
    std::string winner = first_existing(dir, std::begin(kFileNames), std::end(kFileNames));
    if (!winner.empty()) {
      std::vector<std::string> files = {winner};
      std::string over = first_existing(dir, std::begin(kOverrideNames), std::end(kOverrideNames));
      if (!over.empty()) files.push_back(over);
      return files;
    }
    if (dir == "/") break;
  }
  fail("no configuration file provided: not found");
}

std::string normalize_project_name(std::string_view name) {
  std::string out;
  for (char c : to_lower(name))
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') out += c;
  if (out.empty()) fail("project name must not be empty");
  if (out[0] == '_' || out[0] == '-')
    fail("invalid project name \"{}\": it must contain only characters from [a-z0-9_-] and start with [a-z0-9]", name);
  return out;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) out.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

Project load_project(const LoadOptions& in) {
  LoadOptions options = in;
  if (options.cwd.empty()) {
    char buf[4096];
    if (!::getcwd(buf, sizeof buf)) throw_errno("getcwd");
    options.cwd = buf;
  }
  std::vector<std::string> files;
  if (options.files.empty()) {
    if (auto it = options.environ.find("COMPOSE_FILE"); it != options.environ.end() && !it->second.empty()) {
      auto sep = options.environ.find("COMPOSE_PATH_SEPARATOR");
      options.files = split(it->second, sep == options.environ.end() || sep->second.empty() ? ':' : sep->second[0]);
    }
  }
  if (options.files.empty()) {
    files = find_compose_files(options.cwd);
  } else {
    for (const auto& f : options.files) {
      if (f == "-") fail("reading a compose file from standard input is not supported");
      files.push_back(detail::absolute_path(f, options.cwd, ""));
    }
  }
  Project p;
  p.config_files = files;
  p.working_dir = options.project_directory.empty()
                      ? dirname(files[0])
                      : detail::absolute_path(options.project_directory, options.cwd, "");
  p.environment = interpolation_env(options, p.working_dir);

  Loader loader(options, p.environment);
  FileModel merged;
  for (const auto& f : files) {
    FileModel model = loader.parse(f, p.working_dir);
    FileModel imported;
    for (const auto& inc : model.includes) {
      FileModel sub = loader.parse(inc, dirname(inc));
      std::string shown = loader.display(inc);
      add_included(imported.services, sub.services, model.services, "services", shown);
      add_included(imported.networks, sub.networks, model.networks, "networks", shown);
      add_included(imported.volumes, sub.volumes, model.volumes, "volumes", shown);
      add_included(imported.secrets, sub.secrets, model.secrets, "secrets", shown);
      add_included(imported.configs, sub.configs, model.configs, "configs", shown);
    }
    merge_file(merged, imported);
    merge_file(merged, model);
  }

  auto env_name = p.environment.find("COMPOSE_PROJECT_NAME");
  if (!options.project_name.empty()) p.name = normalize_project_name(options.project_name);
  else if (env_name != p.environment.end() && !env_name->second.empty()) p.name = normalize_project_name(env_name->second);
  else if (!merged.name.empty()) p.name = normalize_project_name(merged.name);
  else p.name = normalize_project_name(basename(p.working_dir));

  std::set<std::string> profiles(options.profiles.begin(), options.profiles.end());
  if (profiles.empty())
    if (auto it = p.environment.find("COMPOSE_PROFILES"); it != p.environment.end())
      for (auto& prof : split(it->second, ','))
        if (!trim(prof).empty()) profiles.insert(std::string(trim(prof)));

  for (const auto& name : options.services)
    if (auto it = merged.services.find(name); it != merged.services.end())
      profiles.insert(it->second.service.profiles.begin(), it->second.service.profiles.end());
  p.profiles.assign(profiles.begin(), profiles.end());

  bool uses_default = false;
  for (auto& [name, def] : merged.services) {
    Service s = std::move(def.service);
    if (s.image.empty() && !s.build)
      fail("services.{}: service \"{}\" has neither an image nor a build context specified ({})", name, name, s.origin);
    if (s.networks.empty() && s.network_mode.empty()) s.networks["default"] = std::nullopt;
    resolve_environment(s, p.environment);
    if (!enabled(s, profiles)) {
      p.disabled_services[name] = std::move(s);
      continue;
    }
    uses_default |= s.networks.count("default") > 0;
    p.services[name] = std::move(s);
  }
  p.networks = std::move(merged.networks);
  if (uses_default && !p.networks.count("default")) p.networks["default"] = Network{};
  p.volumes = std::move(merged.volumes);
  p.secrets = std::move(merged.secrets);
  p.configs = std::move(merged.configs);
  name_resources(p.networks, p.name);
  name_resources(p.volumes, p.name);
  name_resources(p.secrets, p.name);
  name_resources(p.configs, p.name);
  validate(p);
  return p;
}

std::vector<std::string> start_order(const Project& project, const std::vector<std::string>& wanted) {
  auto find = [&](const std::string& name) -> const Service* {
    auto it = project.services.find(name);
    return it == project.services.end() ? nullptr : &it->second;
  };
  std::vector<std::string> order, stack;
  std::set<std::string> done;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (done.count(name)) return;
    if (auto it = std::find(stack.begin(), stack.end(), name); it != stack.end()) {
      std::vector<std::string> cycle(it, stack.end());
      cycle.push_back(name);
      fail("dependency cycle detected: {}", join(cycle, " -> "));
    }
    const Service* s = find(name);
    stack.push_back(name);
    std::set<std::string> deps;
    // A dependency that is not required may be missing (or disabled).
    for (const auto& [dep, d] : s->depends_on)
      if (find(dep)) deps.insert(dep);
    // network_mode: service:x needs x running first, as a dependency would.
    if (s->network_mode.starts_with("service:") && find(s->network_mode.substr(8)))
      deps.insert(s->network_mode.substr(8));
    for (const auto& dep : deps) visit(dep);
    stack.pop_back();
    done.insert(name);
    order.push_back(name);
  };
  std::set<std::string> roots(wanted.begin(), wanted.end());
  if (wanted.empty())
    for (const auto& [name, s] : project.services) roots.insert(name);
  for (const auto& name : roots) {
    if (!find(name)) fail("no such service: {}", name);
    visit(name);
  }
  return order;
}

}  // namespace cabin::compose
