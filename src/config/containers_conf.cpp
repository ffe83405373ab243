// containers.conf: which files, in which order, and the keys cabin honours.
// The rules follow containers-config(5) and containers.conf(5).
#include "config/containers_conf.h"

#include <unistd.h>

#include <array>
#include <cstdlib>

#include <cpptoml.h>

#include "config/paths.h"
#include "config/toml.h"
#include "runtime/plan.h"
#include "security/caps.h"
#include "storage/pull.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace cabin::config {
namespace {

constexpr std::array<std::string_view, 14> kContainersKeys = {
    "default_capabilities", "default_ulimits", "env", "env_host", "dns_servers", "dns_searches", "dns_options",
    "annotations", "init", "read_only", "userns", "log_driver", "log_size_max", "pids_limit"};
constexpr std::array<std::string_view, 1> kEngineKeys = {"pull_policy"};

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
  auto root = toml::parse(text);
  if (auto t = toml::get_table(*root, "containers")) {
    const std::string_view w = "[containers] ";
    toml::note_unknown_keys(*t, kContainersKeys, w, "containers.conf", origin);
    if (auto v = toml::get_strings(*t, "default_capabilities", w)) {
      with_context("[containers] default_capabilities", [&] {
        for (const auto& c : *v) security::parse_cap(c);
      });
      default_capabilities = v;
    }
    if (auto v = toml::get_strings(*t, "default_ulimits", w)) {
      with_context("[containers] default_ulimits", [&] {
        for (const auto& u : *v) runtime::parse_ulimit(u);
      });
      default_ulimits = v;
    }
    if (auto v = toml::get_strings(*t, "env", w)) env = v;
    if (auto v = toml::get_optional_bool(*t, "env_host", w)) env_host = v;
    if (auto v = toml::get_strings(*t, "dns_servers", w)) dns_servers = v;
    if (auto v = toml::get_strings(*t, "dns_searches", w)) dns_searches = v;
    if (auto v = toml::get_strings(*t, "dns_options", w)) dns_options = v;
    if (auto v = toml::get_strings(*t, "annotations", w)) {
      for (const auto& a : *v)
        if (a.find('=') == std::string::npos || a[0] == '=')
          fail("[containers] annotations: {:?} must be formatted KEY=VALUE", a);
      annotations = v;
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
  }
  if (auto t = toml::get_table(*root, "engine")) {
    const std::string_view w = "[engine] ";
    toml::note_unknown_keys(*t, kEngineKeys, w, "containers.conf", origin);
    if (auto v = toml::get_string(*t, "pull_policy", w)) {
      with_context("[engine] pull_policy", [&] { storage::parse_pull_policy(*v); });
      pull_policy = v;
    }
  }
}

const ContainersConf& containers_conf() {
  static const ContainersConf conf = ContainersConf::load(ContainersConf::sources(host_uid()));
  return conf;
}

}  // namespace cabin::config
