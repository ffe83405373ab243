// containers.conf: which files, in which order, and the keys cabin honours.
// The rules follow containers-config(5) and containers.conf(5).
#include "config/containers_conf.h"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <set>

#include <cpptoml.h>

#include "config/paths.h"
#include "config/toml.h"
#include "format/units.h"
#include "runtime/plan.h"
#include "security/caps.h"
#include "storage/pull.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strings.h"

namespace cabin::config {
namespace {

constexpr std::array<std::string_view, 17> kContainersKeys = {
    "default_capabilities", "default_ulimits", "env", "env_host", "dns_servers", "dns_searches", "dns_options",
    "annotations", "init", "read_only", "userns", "log_driver", "log_size_max", "pids_limit", "umask", "tz",
    "shm_size"};
constexpr std::array<std::string_view, 2> kEngineKeys = {"pull_policy", "cdi_spec_dirs"};

// Podman's log drivers; cabin writes k8s-file (json-file is its alias).
constexpr std::array<std::string_view, 6> kLogDrivers = {"k8s-file", "json-file", "journald",
                                                         "none",     "passthrough", "passthrough-tty"};

std::string env_var(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The system directories' files, as containers-config(5) lists them for
// each of /usr/share/containers and /etc/containers.
void add_system_dir(std::vector<ContainersConfSource>& out, const std::string& dir, unsigned uid) {
  out.push_back({dir + "/containers.conf"});
  out.push_back({dir + "/containers.conf.d", true});
  if (uid == 0) {
    out.push_back({dir + "/containers.rootful.conf.d", true});
  } else {
    out.push_back({dir + "/containers.rootless.conf.d", true});
    out.push_back({fmt::format("{}/containers.rootless.conf.d/{}", dir, uid), true});
  }
}

// The attribute containers.conf(5) allows as an array's last element,
// `["x", {append=true}]`: `{append=true}` there, or nullopt.
std::optional<bool> append_attribute(std::string_view text, size_t& end) {
  auto skip = [&](size_t i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    return i;
  };
  auto word = [&](size_t i, std::string_view w) { return text.substr(i, w.size()) == w ? i + w.size() : std::string_view::npos; };
  size_t i = word(skip(end + 1), "append");
  if (i == std::string_view::npos) return std::nullopt;
  i = word(skip(i), "=");
  if (i == std::string_view::npos) return std::nullopt;
  i = skip(i);
  bool value = text.substr(i, 4) == "true";
  i = word(i, value ? "true" : "false");
  if (i == std::string_view::npos) return std::nullopt;
  i = word(skip(i), "}");
  if (i == std::string_view::npos) return std::nullopt;
  end = i;
  return value;
}

// cpptoml wants arrays of one type, so the append attributes are taken out
// before parsing (they hold no newline: line numbers stay right). The keys
// marked {append=true} go into `appended`: they extend the value the files
// before set. (Podman also appends in the files after; cabin in this one.)
std::string strip_append_attributes(std::string_view text, std::set<std::string>& appended) {
  std::string out;
  size_t copied = 0;
  for (size_t pos = text.find('{'); pos != std::string_view::npos; pos = text.find('{', pos + 1)) {
    size_t line = text.rfind('\n', pos);
    line = line == std::string_view::npos ? 0 : line + 1;
    std::string_view before = trim(text.substr(line, pos - line));
    if (before.starts_with("#")) continue;
    size_t end = pos;
    auto value = append_attribute(text, end);
    if (!value) continue;
    // The key: the last "KEY = [" before it, at the start of a line.
    std::string key;
    for (size_t l = line;; l = text.rfind('\n', l - 2) + 1) {
      std::string_view start = trim(text.substr(l, text.find('\n', l) - l));
      auto eq = start.find('=');
      if (eq != std::string_view::npos && trim(start.substr(eq + 1)).starts_with("[")) {
        key = std::string(trim(start.substr(0, eq)));
        break;
      }
      if (l < 2) break;
    }
    if (*value) appended.insert(key);
    else appended.erase(key);
    // Out goes the attribute and a comma after it; one before it is then
    // a trailing comma, which TOML allows.
    size_t after = end;
    while (after < text.size() && (text[after] == ' ' || text[after] == '\t')) ++after;
    if (after < text.size() && text[after] == ',') end = after + 1;
    out.append(text.substr(copied, pos - copied));
    copied = end;
  }
  out.append(text.substr(copied));
  return out;
}

void merge_file(ContainersConf& conf, const std::string& path, bool required) {
  auto text = fs::read_file_if_exists(path);
  if (!text) {
    if (required) throw Error(ENOENT, fmt::format("containers.conf {}", path));
    return;
  }
  log::debug("loading containers configuration {}", path);
  conf.merge_text(*text, path);
}

}  // namespace

std::vector<ContainersConfSource> ContainersConf::sources(unsigned uid) {
  std::vector<ContainersConfSource> out;
  if (auto only = env_var("CONTAINERS_CONF"); !only.empty()) {
    out.push_back({only, false, true});
  } else {
    add_system_dir(out, "/usr/share/containers", uid);
    add_system_dir(out, "/etc/containers", uid);
    out.push_back({"/etc/cabin/containers.conf"});
    std::string user = user_config_dir();
    out.push_back({fs::join(user, "containers/containers.conf")});
    out.push_back({fs::join(user, "containers/containers.conf.d"), true});
    out.push_back({fs::join(user, "cabin/containers.conf")});
  }
  if (auto last = env_var("CONTAINERS_CONF_OVERRIDE"); !last.empty()) out.push_back({last, false, true});
  return out;
}

ContainersConf ContainersConf::load(const std::vector<ContainersConfSource>& sources) {
  ContainersConf conf;
  for (const auto& s : sources) {
    if (!s.dropin_dir) {
      merge_file(conf, s.path, s.required);
      continue;
    }
    for (const auto& file : toml::dropin_files(s.path, "containers.conf.d")) merge_file(conf, file, false);
  }
  return conf;
}

void ContainersConf::merge_text(std::string_view text, std::string_view origin) {
  // Into a copy: a file with an error changes nothing.
  ContainersConf next = *this;
  with_context(fmt::format("containers.conf {}", origin), [&] { next.merge_keys(text, origin); });
  next.files_read.emplace_back(origin);
  *this = std::move(next);
}

void ContainersConf::merge_keys(std::string_view text, std::string_view origin) {
  std::set<std::string> appended;
  auto root = toml::parse(text.find('{') == std::string_view::npos ? std::string(text)
                                                                  : strip_append_attributes(text, appended));
  // A list a file marked {append=true} extends the one before it.
  auto merge_list = [&](std::optional<std::vector<std::string>>& into, std::vector<std::string> v, const char* key) {
    if (appended.count(key) && into) v.insert(v.begin(), into->begin(), into->end());
    into = std::move(v);
  };
  if (auto t = toml::get_table(*root, "containers")) {
    const std::string_view w = "[containers] ";
    toml::note_unknown_keys(*t, kContainersKeys, w, "containers.conf", origin);
    if (auto v = toml::get_strings(*t, "default_capabilities", w)) {
      with_context("[containers] default_capabilities", [&] {
        for (const auto& c : *v) security::parse_cap(c);
      });
      merge_list(default_capabilities, *v, "default_capabilities");
    }
    if (auto v = toml::get_strings(*t, "default_ulimits", w)) {
      with_context("[containers] default_ulimits", [&] {
        for (const auto& u : *v) runtime::parse_ulimit(u);
      });
      merge_list(default_ulimits, *v, "default_ulimits");
    }
    if (auto v = toml::get_strings(*t, "env", w)) merge_list(env, *v, "env");
    if (auto v = toml::get_optional_bool(*t, "env_host", w)) env_host = v;
    if (auto v = toml::get_strings(*t, "dns_servers", w)) merge_list(dns_servers, *v, "dns_servers");
    if (auto v = toml::get_strings(*t, "dns_searches", w)) merge_list(dns_searches, *v, "dns_searches");
    if (auto v = toml::get_strings(*t, "dns_options", w)) merge_list(dns_options, *v, "dns_options");
    if (auto v = toml::get_strings(*t, "annotations", w)) {
      for (const auto& a : *v)
        if (a.find('=') == std::string::npos || a[0] == '=')
          fail("[containers] annotations: {:?} must be formatted KEY=VALUE", a);
      merge_list(annotations, *v, "annotations");
    }
    if (auto v = toml::get_optional_bool(*t, "init", w)) init = v;
    if (auto v = toml::get_optional_bool(*t, "read_only", w)) read_only = v;
    if (auto v = toml::get_string(*t, "userns", w)) {
      // Podman's other modes (auto, private, nomap, ns:…) cabin cannot
      // give: said once, not fatal, as the file is shared with Podman.
      if (v->empty() || *v == "host" || v->starts_with("keep-id")) {
        with_context("[containers] userns", [&] { runtime::parse_keep_id(*v, {}); });
        userns = v;
      }
      else
        log::warn("containers.conf {}: [containers] userns {:?} is not supported by cabin, ignored", origin, *v);
    }
    if (auto v = toml::get_string(*t, "log_driver", w)) {
      if (!v->empty() && std::find(kLogDrivers.begin(), kLogDrivers.end(), *v) == kLogDrivers.end())
        fail("[containers] log_driver: unknown log driver {:?}", *v);
      if (!v->empty() && *v != "k8s-file" && *v != "json-file")
        log::debug("containers.conf {}: log_driver {} read, cabin writes k8s-file logs", origin, *v);
      log_driver = v;
    }
    if (auto v = toml::get_int(*t, "log_size_max", w)) {
      if (*v > 0 && *v < 8192) fail("[containers] log_size_max: {} is below 8192 (negative: no limit)", *v);
      log_size_max = *v < 0 ? 0 : static_cast<uint64_t>(*v);
    }
    if (auto v = toml::get_int(*t, "pids_limit", w)) {
      if (*v < 0) fail("[containers] pids_limit: {} is negative (0: no limit)", *v);
      pids_limit = v;
    }
    if (auto v = toml::get_string(*t, "umask", w)) {
      if (!runtime::parse_umask(*v))
        fail("[containers] umask: {:?} is not an octal mode such as 0022", *v);
      umask = v;
    }
    if (auto v = toml::get_string(*t, "tz", w)) tz = v;  // checked where it is used (run --tz)
    if (auto v = toml::get_string(*t, "shm_size", w)) {
      with_context("[containers] shm_size", [&] { format::parse_size(*v, 1024); });
      shm_size = v;
    }
  }
  if (auto t = toml::get_table(*root, "engine")) {
    const std::string_view w = "[engine] ";
    toml::note_unknown_keys(*t, kEngineKeys, w, "containers.conf", origin);
    if (auto v = toml::get_string(*t, "pull_policy", w)) {
      with_context("[engine] pull_policy", [&] { storage::parse_pull_policy(*v); });
      pull_policy = v;
    }
    if (auto v = toml::get_strings(*t, "cdi_spec_dirs", w)) {
      for (const auto& d : *v)
        if (d.empty() || d[0] != '/') fail("[engine] cdi_spec_dirs: {:?} is not an absolute path", d);
      cdi_spec_dirs = v;
    }
  }
}

const ContainersConf& containers_conf() {
  static const ContainersConf conf = ContainersConf::load(ContainersConf::sources(host_uid()));
  return conf;
}

}  // namespace cabin::config
