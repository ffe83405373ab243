#include "compose/parse.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <functional>
#include <set>

#include "compose/fields.h"
#include "format/units.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strings.h"

namespace cabin::compose::detail {
namespace {

using YAML::Node;

struct Entry {
  std::string key;
  Node key_node, value;
};

// Keys Compose knows that the model does not carry yet: ignored without the
// unknown-key warning (a debug message says so).
const std::set<std::string_view> kUnmodelled = {
    "blkio_config", "cgroup", "cgroup_parent", "cpu_count", "cpu_percent", "cpu_period",
    "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus", "cpuset",
    "credential_spec", "develop", "device_cgroup_rules", "external_links", "gpus",
    "isolation", "links", "logging", "mac_address", "mem_limit", "mem_reservation",
    "mem_swappiness", "memswap_limit", "oom_kill_disable", "oom_score_adj", "pids_limit",
    "post_start", "pre_stop", "runtime", "storage_opt", "userns_mode", "uts", "volumes_from",
    "annotations", "attach", "models", "provider", "use_api_socket", "label_file"};

// Service keys whose mappings may reset an entry with "!reset".
const std::set<std::string_view> kResettableMaps = {"environment", "labels", "sysctls", "networks",
                                                    "depends_on", "ulimits"};

// mattn/go-shellwords' split, which Compose applies to a string command:
// blanks separate, quotes group, a backslash escapes; no expansion (the
// value is already interpolated, and a "$" left is for the container).
std::optional<std::vector<std::string>> shell_split(std::string_view s) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0; else word += c;
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < s.size() && std::string_view("\"\\$`").find(s[i + 1]) != std::string_view::npos) {
        word += s[++i];
      } else {
        word += c;
      }
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      in_word = true;
      if (c == '\'' || c == '"') quote = c;
      else if (c == '\\' && i + 1 < s.size()) word += s[++i];
      else word += c;
    }
  }
  if (quote) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  return words;
}

class Parser {
 public:
  explicit Parser(const ParseContext& ctx) : ctx_(ctx) {}

  [[noreturn]] void error(const Node& n, std::string_view path, std::string_view msg) const {
    fail("{}: {} ({})", path, msg, where(n));
  }

  std::string where(const Node& n) const {
    int line = n.Mark().line;
    return line < 0 ? ctx_.display : fmt::format("{}:{}", ctx_.display, line + 1);
  }

  void unknown(const Entry& e, std::string_view path) const {
    if (e.key.starts_with("x-")) return;
    log::warn("{}.{}: unknown key, ignored ({})", path, e.key, where(e.key_node));
  }

  // A mapping's entries, with YAML merge keys ("<<: *anchor") expanded:
  // explicit keys win over merged ones, and earlier merged maps over later.
  std::vector<Entry> entries(const Node& n, std::string_view path) const {
    if (!n.IsMap()) error(n, path, "must be a mapping");
    std::vector<Entry> out, merged;
    std::map<std::string, int> seen;  // key, line
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) error(kv.first, path, "keys must be strings");
      std::string key = kv.first.Scalar();
      if (key == "<<") {
        std::vector<Node> sources;
        if (kv.second.IsSequence()) {
          for (const auto& m : kv.second) sources.push_back(m);
        } else {
          sources.push_back(kv.second);
        }
        for (const auto& m : sources)
          for (auto& e : entries(m, path)) merged.push_back(std::move(e));
        continue;
      }
      // go-yaml refuses a key given twice, and so does Compose.
      int line = kv.first.Mark().line + 1;
      if (auto [it, fresh] = seen.emplace(key, line); !fresh)
        error(kv.first, path.empty() ? key : fmt::format("{}.{}", path, key),
              fmt::format("mapping key \"{}\" already defined at line {}", key, it->second));
      // "!reset" clears what earlier files set: nothing to read here (the
      // service level records it, see service()).
      if (kv.second.Tag() == "!reset") continue;
      out.push_back({key, kv.first, kv.second});
    }
    for (auto& e : merged)
      if (seen.emplace(e.key, 0).second) out.push_back(std::move(e));
    return out;
  }

  // fn(item, "path[i]") for each item of a list.
  template <typename F>
  void each(const Node& n, std::string_view path, F fn) const {
    if (!n.IsSequence()) error(n, path, "must be a list");
    for (size_t i = 0; i < n.size(); ++i) fn(n[i], fmt::format("{}[{}]", path, i));
  }

  std::string str(const Node& n, std::string_view path) const {
    if (n.IsNull()) return "";
    if (!n.IsScalar()) error(n, path, "must be a string");
    try {
      return interpolate(n.Scalar(), ctx_.env, ctx_.on_unset);
    } catch (const Error& e) {
      error(n, path, e.message());
    }
  }

  int64_t integer(const Node& n, std::string_view path) const {
    std::string s = str(n, path);
    int base = 10;
    std::string_view digits = s;
    // YAML's octal forms, for file modes: 0o440 and 0440.
    if (digits.starts_with("0o")) { digits.remove_prefix(2); base = 8; }
    else if (digits.size() > 1 && digits[0] == '0') { digits.remove_prefix(1); base = 8; }
    auto v = parse_number<int64_t>(digits, base);
    if (!v) error(n, path, fmt::format("must be an integer, not \"{}\"", s));
    return *v;
  }

  bool boolean(const Node& n, std::string_view path) const {
    std::string s = str(n, path);
    std::string lower = to_lower(s);
    if (lower == "true") return true;
    if (lower == "false") return false;
    error(n, path, fmt::format("must be a boolean, not \"{}\"", s));
  }

  Duration duration(const Node& n, std::string_view path) const {
    std::string s = str(n, path);
    if (auto d = format::parse_duration(s)) return *d;
    error(n, path, fmt::format("invalid duration \"{}\"", s));
  }

  // go-units' RAMInBytes: "64m", "1g", "512k", "1024", "1.5GiB"; 1024-based.
  int64_t bytes(const Node& n, std::string_view path) const {
    std::string s = str(n, path);
    try {
      return static_cast<int64_t>(format::parse_size(trim(s), 1024));
    } catch (const Error&) {
      error(n, path, fmt::format("invalid size \"{}\"", s));
    }
  }

  // A list of strings; a single string when allow_scalar (dns: 8.8.8.8).
  std::vector<std::string> strings(const Node& n, std::string_view path, bool allow_scalar = false) const {
    if (n.IsScalar() && allow_scalar) return {str(n, path)};
    if (n.IsNull()) return {};
    if (!n.IsSequence() && allow_scalar) error(n, path, "must be a string or a list");
    std::vector<std::string> out;
    each(n, path, [&](const Node& item, const std::string& p) { out.push_back(str(item, p)); });
    return out;
  }

  // command and entrypoint: a list, or a string split as a shell would.
  std::vector<std::string> command(const Node& n, std::string_view path) const {
    if (!n.IsScalar()) return strings(n, path);
    std::string s = str(n, path);
    auto words = shell_split(s);
    if (!words) error(n, path, fmt::format("unterminated quote in \"{}\"", s));
    return *words;
  }

  // environment, labels, build.args...: a list of "KEY=VALUE" (or "KEY")
  // or a mapping whose values are scalars or null.
  OptionalStringMap list_or_map(const Node& n, std::string_view path) const {
    OptionalStringMap out;
    if (n.IsNull()) return out;
    if (n.IsSequence()) {
      each(n, path, [&](const Node& node, const std::string& p) {
        std::string item = str(node, p);
        size_t eq = item.find('=');
        if (eq == 0) error(node, p, fmt::format("invalid entry \"{}\"", item));
        if (eq == std::string::npos) out[item] = std::nullopt;
        else out[item.substr(0, eq)] = item.substr(eq + 1);
      });
      return out;
    }
    if (!n.IsMap()) error(n, path, "must be a list or a mapping");
    for (const auto& e : entries(n, path)) {
      std::string p = fmt::format("{}.{}", path, e.key);
      if (e.value.IsNull()) out[e.key] = std::nullopt;
      else out[e.key] = str(e.value, p);
    }
    return out;
  }

  StringMap string_map(const Node& n, std::string_view path) const {
    StringMap out;
    for (auto& [k, v] : list_or_map(n, path)) out[k] = v.value_or("");
    return out;
  }

  std::string path_value(const Node& n, std::string_view path) const {
    return absolute_path(str(n, path), ctx_.base_dir, ctx_.home);
  }

  FileModel file(const Node& root) const;

 private:
  ServiceDef service(const std::string& name, const Node& n) const;
  void service_key(ServiceDef& def, const Entry& e, const std::string& path) const;
  Build build(const Node& n, const std::string& path, ServiceDef& def) const;
  std::vector<Port> ports(const Node& n, const std::string& path) const;
  std::vector<Port> short_port(const Node& n, const std::string& path) const;
  Mount volume(const Node& n, const std::string& path) const;
  Mount short_volume(const Node& n, const std::string& path) const;
  Healthcheck healthcheck(const Node& n, const std::string& path, ServiceDef& def) const;
  std::map<std::string, Dependency> depends_on(const Node& n, const std::string& path) const;
  std::map<std::string, std::optional<ServiceNetwork>> networks(const Node& n, const std::string& path) const;
  std::vector<FileRef> file_refs(const Node& n, const std::string& path) const;
  std::vector<EnvFile> env_files(const Node& n, const std::string& path) const;
  template <typename T>
  bool resource_key(T& r, const Entry& e, const std::string& kp) const;
  Network network(const Node& n, const std::string& path) const;
  Volume top_volume(const Node& n, const std::string& path) const;
  FileObject file_object(const Node& n, const std::string& path) const;
  std::vector<std::string> includes(const Node& n, const std::string& path) const;

  const ParseContext& ctx_;
};

uint16_t port_number(const Parser& p, const Node& n, const std::string& path, std::string_view s) {
  auto v = parse_number<uint16_t>(s);
  if (!v || *v == 0) p.error(n, path, fmt::format("invalid port \"{}\"", s));
  return *v;
}

// "80" or "8000-8001": first and last.
std::pair<uint16_t, uint16_t> port_range(const Parser& p, const Node& n, const std::string& path,
                                         std::string_view s) {
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) {
    uint16_t v = port_number(p, n, path, s);
    return {v, v};
  }
  uint16_t a = port_number(p, n, path, s.substr(0, dash));
  uint16_t b = port_number(p, n, path, s.substr(dash + 1));
  if (b < a) p.error(n, path, fmt::format("invalid port range \"{}\"", s));
  return {a, b};
}

// Docker's port spec: [[ip:]published:]target[/protocol], with ranges;
// IPv6 addresses in brackets. A range of targets becomes one port each.
std::vector<Port> Parser::short_port(const Node& n, const std::string& path) const {
  std::string spec = str(n, path);
  std::string rest = spec, protocol = "tcp", ip;
  if (size_t slash = rest.rfind('/'); slash != std::string::npos) {
    protocol = to_lower(rest.substr(slash + 1));
    rest.resize(slash);
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
      error(n, path, fmt::format("invalid protocol \"{}\" in \"{}\"", protocol, spec));
  }
  if (rest.starts_with("[")) {
    size_t close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      error(n, path, fmt::format("invalid port \"{}\"", spec));
    ip = rest.substr(1, close - 1);
    rest = rest.substr(close + 2);
  }
  std::vector<std::string> parts = split(rest, ':');
  if (parts.size() > 3 || (parts.size() == 3 && !ip.empty())) error(n, path, fmt::format("invalid port \"{}\"", spec));
  if (parts.size() == 3) {
    ip = parts[0];
    parts.erase(parts.begin());
  }
  std::string published = parts.size() == 2 ? parts[0] : "";
  auto [first, last] = port_range(*this, n, path, parts.back());
  std::vector<Port> out;
  if (published.empty() || first == last) {
    if (!published.empty()) port_range(*this, n, path, published);  // validated, kept as written
    for (unsigned t = first; t <= last; ++t) out.push_back({static_cast<uint16_t>(t), published, ip, protocol});
    return out;
  }
  auto [pfirst, plast] = port_range(*this, n, path, published);
  if (plast - pfirst != last - first)
    error(n, path, fmt::format("invalid port \"{}\": the ranges differ in size", spec));
  for (unsigned t = first; t <= last; ++t)
    out.push_back({static_cast<uint16_t>(t), std::to_string(pfirst + (t - first)), ip, protocol});
  return out;
}

std::vector<Port> Parser::ports(const Node& n, const std::string& path) const {
  std::vector<Port> out;
  each(n, path, [&](const Node& item, const std::string& p) {
    if (item.IsScalar()) {
      for (auto& port : short_port(item, p)) out.push_back(std::move(port));
      return;
    }
    Port port;
    bool has_target = false;
    for (const auto& e : entries(item, p)) {
      std::string kp = p + "." + e.key;
      if (e.key == "target") {
        port.target = port_number(*this, e.value, kp, str(e.value, kp));
        has_target = true;
      } else if (e.key == "published") {
        port.published = str(e.value, kp);
        if (!port.published.empty()) port_range(*this, e.value, kp, port.published);
      } else if (e.key == "host_ip") {
        port.host_ip = str(e.value, kp);
      } else if (e.key == "protocol") {
        port.protocol = str(e.value, kp);
      } else if (e.key == "mode") {
        port.mode = str(e.value, kp);
      } else if (e.key == "name") {
        port.name = str(e.value, kp);
      } else if (e.key == "app_protocol") {
        port.app_protocol = str(e.value, kp);
      } else {
        unknown(e, p);
      }
    }
    if (!has_target) error(item, p, "target is required");
    out.push_back(std::move(port));
  });
  return out;
}

bool is_file_path(std::string_view s) {
  return s.starts_with(".") || s.starts_with("/") || s.starts_with("~");
}

// "target", "source:target" or "source:target:options"; a source that looks
// like a path is a bind (created when missing, as Compose does), else a named
// volume.
Mount Parser::short_volume(const Node& n, const std::string& path) const {
  std::string spec = str(n, path);
  std::vector<std::string> parts = split(spec, ':');
  if (spec.empty() || parts.size() > 3) error(n, path, fmt::format("invalid volume \"{}\"", spec));
  Mount m;
  if (parts.size() == 1) {
    m.type = "volume";
    m.target = parts[0];
    m.volume.emplace();
    return m;
  }
  m.target = parts[1];
  if (m.target.empty() || parts[0].empty()) error(n, path, fmt::format("invalid volume \"{}\"", spec));
  if (is_file_path(parts[0])) {
    m.type = "bind";
    m.source = absolute_path(parts[0], ctx_.base_dir, ctx_.home);
    m.bind.emplace().create_host_path = true;
  } else {
    m.type = "volume";
    m.source = parts[0];
    m.volume.emplace();
  }
  if (parts.size() == 3) {
    for (const auto& opt : split(parts[2], ',')) {
      if (opt == "ro") m.read_only = true;
      else if (opt == "rw") m.read_only = false;
      else if (opt == "z" || opt == "Z") { if (m.bind) m.bind->selinux = opt; }
      else if (opt == "nocopy") { if (m.volume) m.volume->nocopy = true; }
      else if (opt == "shared" || opt == "rshared" || opt == "slave" || opt == "rslave" ||
               opt == "private" || opt == "rprivate") { if (m.bind) m.bind->propagation = opt; }
      else if (opt == "cached" || opt == "delegated" || opt == "consistent") m.consistency = opt;
      else error(n, path, fmt::format("invalid volume option \"{}\" in \"{}\"", opt, spec));
    }
  }
  return m;
}

Mount Parser::volume(const Node& n, const std::string& path) const {
  if (n.IsScalar()) return short_volume(n, path);
  Mount m;
  for (const auto& e : entries(n, path)) {
    std::string kp = path + "." + e.key;
    if (e.key == "type") m.type = str(e.value, kp);
    else if (e.key == "source") m.source = str(e.value, kp);
    else if (e.key == "target") m.target = str(e.value, kp);
    else if (e.key == "read_only") m.read_only = boolean(e.value, kp);
    else if (e.key == "consistency") m.consistency = str(e.value, kp);
    else if (e.key == "bind") {
      auto& b = m.bind.emplace();
      for (const auto& o : entries(e.value, kp)) {
        std::string op = kp + "." + o.key;
        if (o.key == "propagation") b.propagation = str(o.value, op);
        else if (o.key == "create_host_path") b.create_host_path = boolean(o.value, op);
        else if (o.key == "selinux") b.selinux = str(o.value, op);
        else unknown(o, kp);
      }
    } else if (e.key == "volume") {
      auto& v = m.volume.emplace();
      if (e.value.IsNull()) continue;
      for (const auto& o : entries(e.value, kp)) {
        std::string op = kp + "." + o.key;
        if (o.key == "nocopy") v.nocopy = boolean(o.value, op);
        else if (o.key == "subpath") v.subpath = str(o.value, op);
        else unknown(o, kp);
      }
    } else if (e.key == "tmpfs") {
      auto& t = m.tmpfs.emplace();
      for (const auto& o : entries(e.value, kp)) {
        std::string op = kp + "." + o.key;
        if (o.key == "size") t.size = bytes(o.value, op);
        else if (o.key == "mode") t.mode = static_cast<uint32_t>(integer(o.value, op));
        else unknown(o, kp);
      }
    } else {
      unknown(e, path);
    }
  }
  static const std::set<std::string> kTypes = {"volume", "bind", "tmpfs", "npipe", "cluster", "image"};
  if (m.type.empty()) error(n, path, "type is required");
  if (!kTypes.count(m.type)) error(n, path, fmt::format("invalid volume type \"{}\"", m.type));
  if (m.target.empty()) error(n, path, "target is required");
  if (m.type == "bind") {
    if (m.source.empty()) error(n, path, "source is required for a bind mount");
    m.source = absolute_path(m.source, ctx_.base_dir, ctx_.home);
  }
  return m;
}

Build Parser::build(const Node& n, const std::string& path, ServiceDef& def) const {
  Build b;
  if (n.IsScalar()) {
    b.context = str(n, path);
    def.present.insert("build.context");
  } else {
    for (const auto& e : entries(n, path)) {
      std::string kp = path + "." + e.key;
      if (e.key == "context") b.context = str(e.value, kp);
      else if (e.key == "dockerfile") b.dockerfile = str(e.value, kp);
      else if (e.key == "target") b.target = str(e.value, kp);
      else if (e.key == "args") b.args = list_or_map(e.value, kp);
      else if (e.key == "labels") b.labels = string_map(e.value, kp);
      else if (kUnmodelled.count(e.key) || e.key == "cache_from" || e.key == "cache_to" ||
               e.key == "network" || e.key == "shm_size" || e.key == "extra_hosts" ||
               e.key == "ssh" || e.key == "secrets" || e.key == "platforms" || e.key == "no_cache" ||
               e.key == "pull" || e.key == "tags" || e.key == "additional_contexts" ||
               e.key == "dockerfile_inline" || e.key == "privileged" || e.key == "ulimits") {
        log::debug("{}: not supported, ignored ({})", kp, where(e.key_node));
        continue;
      } else {
        unknown(e, path);
        continue;
      }
      def.present.insert("build." + e.key);
    }
  }
  if (b.context.empty()) b.context = ".";
  // A remote context (git URL) is passed on as written.
  if (b.context.find("://") == std::string::npos && !b.context.starts_with("git@"))
    b.context = absolute_path(b.context, ctx_.base_dir, ctx_.home);
  return b;
}

Healthcheck Parser::healthcheck(const Node& n, const std::string& path, ServiceDef& def) const {
  Healthcheck h;
  for (const auto& e : entries(n, path)) {
    std::string kp = path + "." + e.key;
    if (e.key == "test") {
      if (e.value.IsScalar()) h.test = {"CMD-SHELL", str(e.value, kp)};
      else h.test = strings(e.value, kp);
      if (!h.test.empty() && h.test[0] != "CMD" && h.test[0] != "CMD-SHELL" && h.test[0] != "NONE")
        error(e.value, kp, fmt::format("must start with CMD, CMD-SHELL or NONE, not \"{}\"", h.test[0]));
      if (h.test == std::vector<std::string>{"NONE"}) h.disable = true;
    } else if (e.key == "interval") h.interval = duration(e.value, kp);
    else if (e.key == "timeout") h.timeout = duration(e.value, kp);
    else if (e.key == "start_period") h.start_period = duration(e.value, kp);
    else if (e.key == "start_interval") h.start_interval = duration(e.value, kp);
    else if (e.key == "retries") h.retries = static_cast<uint64_t>(integer(e.value, kp));
    else if (e.key == "disable") h.disable = boolean(e.value, kp);
    else {
      unknown(e, path);
      continue;
    }
    def.present.insert("healthcheck." + e.key);
  }
  return h;
}

std::map<std::string, Dependency> Parser::depends_on(const Node& n, const std::string& path) const {
  std::map<std::string, Dependency> out;
  if (n.IsSequence()) {
    for (auto& name : strings(n, path)) out[name] = {};
    return out;
  }
  for (const auto& e : entries(n, path)) {
    std::string kp = path + "." + e.key;
    Dependency& d = out[e.key];
    if (e.value.IsNull()) continue;
    for (const auto& o : entries(e.value, kp)) {
      std::string op = kp + "." + o.key;
      if (o.key == "condition") {
        d.condition = str(o.value, op);
        if (d.condition != "service_started" && d.condition != "service_healthy" &&
            d.condition != "service_completed_successfully")
          error(o.value, op, fmt::format("invalid condition \"{}\"", d.condition));
      } else if (o.key == "restart") d.restart = boolean(o.value, op);
      else if (o.key == "required") d.required = boolean(o.value, op);
      else unknown(o, kp);
    }
  }
  return out;
}

std::map<std::string, std::optional<ServiceNetwork>> Parser::networks(const Node& n, const std::string& path) const {
  std::map<std::string, std::optional<ServiceNetwork>> out;
  if (n.IsSequence()) {
    for (auto& name : strings(n, path)) out[name] = std::nullopt;
    return out;
  }
  for (const auto& e : entries(n, path)) {
    std::string kp = path + "." + e.key;
    auto& slot = out[e.key];
    if (e.value.IsNull()) continue;
    auto& net = slot.emplace();
    for (const auto& o : entries(e.value, kp)) {
      std::string op = kp + "." + o.key;
      if (o.key == "aliases") net.aliases = strings(o.value, op);
      else if (o.key == "ipv4_address") net.ipv4_address = str(o.value, op);
      else if (o.key == "ipv6_address") net.ipv6_address = str(o.value, op);
      else if (o.key == "priority") net.priority = integer(o.value, op);
      else if (o.key == "link_local_ips" || o.key == "mac_address" || o.key == "driver_opts" ||
               o.key == "gw_priority" || o.key == "interface_name") log::debug("{}: not supported, ignored", op);
      else unknown(o, kp);
    }
  }
  return out;
}

std::vector<FileRef> Parser::file_refs(const Node& n, const std::string& path) const {
  std::vector<FileRef> out;
  each(n, path, [&](const Node& item, const std::string& p) {
    FileRef r;
    if (item.IsScalar()) {
      r.source = str(item, p);
    } else {
      for (const auto& e : entries(item, p)) {
        std::string kp = p + "." + e.key;
        if (e.key == "source") r.source = str(e.value, kp);
        else if (e.key == "target") r.target = str(e.value, kp);
        else if (e.key == "uid") r.uid = str(e.value, kp);
        else if (e.key == "gid") r.gid = str(e.value, kp);
        else if (e.key == "mode") r.mode = static_cast<uint32_t>(integer(e.value, kp));
        else unknown(e, p);
      }
    }
    if (r.source.empty()) error(item, p, "source is required");
    out.push_back(std::move(r));
  });
  return out;
}

std::vector<EnvFile> Parser::env_files(const Node& n, const std::string& path) const {
  if (n.IsScalar()) return {{path_value(n, path), true}};
  if (!n.IsSequence()) error(n, path, "must be a string or a list");
  std::vector<EnvFile> out;
  for (size_t i = 0; i < n.size(); ++i) {
    std::string p = fmt::format("{}[{}]", path, i);
    if (n[i].IsScalar()) {
      out.push_back({path_value(n[i], p), true});
      continue;
    }
    EnvFile f;
    for (const auto& e : entries(n[i], p)) {
      std::string kp = p + "." + e.key;
      if (e.key == "path") f.path = path_value(e.value, kp);
      else if (e.key == "required") f.required = boolean(e.value, kp);
      else if (e.key == "format") log::debug("{}: not supported, ignored", kp);
      else unknown(e, p);
    }
    if (f.path.empty()) error(n[i], p, "path is required");
    out.push_back(std::move(f));
  }
  return out;
}

void Parser::service_key(ServiceDef& def, const Entry& e, const std::string& path) const {
  Service& s = def.service;
  const Node& v = e.value;
  const std::string& k = e.key;
  std::string kp = path + "." + k;
  if (auto sf = string_field(k)) {
    s.*sf = str(v, kp);
  } else if (auto bf = bool_field(k)) {
    s.*bf = boolean(v, kp);
  } else if (auto lf = list_field(k)) {
    s.*lf = strings(v, kp, k == "dns" || k == "dns_search" || k == "tmpfs");
  } else if (k == "build") {
    s.build = build(v, kp, def);
  } else if (k == "command") {
    s.command = command(v, kp);
  } else if (k == "entrypoint") {
    s.entrypoint = command(v, kp);
  } else if (k == "environment") {
    s.environment = list_or_map(v, kp);
  } else if (k == "env_file") {
    s.env_files = env_files(v, kp);
  } else if (k == "ports") {
    s.ports = ports(v, kp);
  } else if (k == "volumes") {
    each(v, kp, [&](const Node& item, const std::string& p) { s.volumes.push_back(volume(item, p)); });
  } else if (k == "networks") {
    s.networks = networks(v, kp);
  } else if (k == "depends_on") {
    s.depends_on = depends_on(v, kp);
  } else if (k == "healthcheck") {
    s.healthcheck = healthcheck(v, kp, def);
  } else if (k == "labels") {
    s.labels = string_map(v, kp);
  } else if (k == "sysctls") {
    s.sysctls = string_map(v, kp);
  } else if (k == "scale") {
    s.replicas = static_cast<int>(integer(v, kp));
  } else if (k == "deploy") {
    for (const auto& d : entries(v, kp)) {
      if (d.key == "replicas") {
        s.replicas = static_cast<int>(integer(d.value, kp + ".replicas"));
        def.present.insert("deploy.replicas");
      } else {
        log::debug("{}.{}: not supported, ignored", kp, d.key);
      }
    }
  } else if (k == "init") {
    s.init = boolean(v, kp);
  } else if (k == "stop_grace_period") {
    s.stop_grace_period = duration(v, kp);
  } else if (k == "ulimits") {
    for (const auto& u : entries(v, kp)) {
      std::string up = kp + "." + u.key;
      Ulimit& lim = s.ulimits[u.key];
      if (u.value.IsScalar()) {
        lim.single = integer(u.value, up);
        continue;
      }
      bool soft = false, hard = false;
      for (const auto& o : entries(u.value, up)) {
        if (o.key == "soft") lim.soft = integer(o.value, up + ".soft"), soft = true;
        else if (o.key == "hard") lim.hard = integer(o.value, up + ".hard"), hard = true;
        else unknown(o, up);
      }
      if (!soft || !hard) error(u.value, up, "soft and hard are required");
    }
  } else if (k == "extra_hosts") {
    if (v.IsMap()) {
      for (const auto& h : entries(v, kp)) {
        std::string hp = kp + "." + h.key;
        for (auto& addr : strings(h.value, hp, true)) s.extra_hosts.emplace_back(h.key, addr);
      }
    } else {
      auto list = strings(v, kp);
      for (size_t i = 0; i < list.size(); ++i) {
        // "host=ip", or the older "host:ip" (an IPv6 address has colons too).
        size_t sep = list[i].find('=');
        if (sep == std::string::npos) sep = list[i].find(':');
        if (sep == std::string::npos || sep == 0)
          error(v[i], fmt::format("{}[{}]", kp, i), fmt::format("invalid extra host \"{}\"", list[i]));
        std::string addr = list[i].substr(sep + 1);
        if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
        s.extra_hosts.emplace_back(list[i].substr(0, sep), addr);
      }
    }
  } else if (k == "secrets") {
    s.secrets = file_refs(v, kp);
  } else if (k == "configs") {
    s.configs = file_refs(v, kp);
  } else if (k == "extends") {
    Extends ext;
    ext.origin = where(v);
    if (v.IsScalar()) {
      ext.service = str(v, kp);
    } else {
      for (const auto& o : entries(v, kp)) {
        if (o.key == "service") ext.service = str(o.value, kp + ".service");
        else if (o.key == "file") ext.file = path_value(o.value, kp + ".file");
        else unknown(o, kp);
      }
    }
    if (ext.service.empty()) error(v, kp, "service is required");
    def.extends = std::move(ext);
    return;
  } else if (kUnmodelled.count(k)) {
    log::debug("{}: not supported, ignored ({})", kp, where(e.key_node));
    return;
  } else {
    unknown(e, path);
    return;
  }
  def.present.insert(k);
  if (v.Tag() == "!override") def.replace.insert(k);
  // "FOO: !reset" in a mapping keyed by name removes FOO from what the
  // earlier files gave (entries() leaves it out of the mapping itself).
  if (v.IsMap() && kResettableMaps.count(k))
    for (const auto& kv : v)
      if (kv.second.Tag() == "!reset") def.reset.insert(k + "." + kv.first.Scalar());
}

ServiceDef Parser::service(const std::string& name, const Node& n) const {
  ServiceDef def;
  def.service.name = name;
  def.service.origin = where(n);
  std::string path = "services." + name;
  if (n.IsNull()) return def;
  if (n.IsMap())
    for (const auto& kv : n)
      if (kv.second.Tag() == "!reset") {
        def.present.insert(kv.first.Scalar());
        def.reset.insert(kv.first.Scalar());
      }
  for (const auto& e : entries(n, path)) service_key(def, e, path);
  return def;
}

// The keys top-level networks and volumes share; false for another key.
template <typename T>
bool Parser::resource_key(T& r, const Entry& e, const std::string& kp) const {
  if (e.key == "name") r.name = str(e.value, kp);
  else if (e.key == "driver") r.driver = str(e.value, kp);
  else if (e.key == "driver_opts") r.driver_opts = string_map(e.value, kp);
  else if (e.key == "labels") r.labels = string_map(e.value, kp);
  else if (e.key != "external") return false;
  else if (!e.value.IsMap()) r.external = boolean(e.value, kp);
  else {
    // The legacy form external: {name: x}.
    r.external = true;
    for (const auto& o : entries(e.value, kp))
      if (o.key == "name") r.name = str(o.value, kp + ".name");
  }
  return true;
}

Network Parser::network(const Node& n, const std::string& path) const {
  Network net;
  if (n.IsNull()) return net;
  for (const auto& e : entries(n, path)) {
    std::string kp = path + "." + e.key;
    if (resource_key(net, e, kp)) continue;
    if (e.key == "internal") net.internal = boolean(e.value, kp);
    else if (e.key == "attachable") net.attachable = boolean(e.value, kp);
    else if (e.key == "enable_ipv6") net.enable_ipv6 = boolean(e.value, kp);
    else if (e.key == "ipam") {
      for (const auto& o : entries(e.value, kp)) {
        std::string op = kp + "." + o.key;
        if (o.key == "driver") {
          net.ipam_driver = str(o.value, op);
        } else if (o.key == "config") {
          each(o.value, op, [&](const Node& item, const std::string& cp) {
            IpamConfig c;
            for (const auto& f : entries(item, cp)) {
              if (f.key == "subnet") c.subnet = str(f.value, cp + ".subnet");
              else if (f.key == "gateway") c.gateway = str(f.value, cp + ".gateway");
              else if (f.key == "ip_range") c.ip_range = str(f.value, cp + ".ip_range");
              else if (f.key == "aux_addresses") log::debug("{}.aux_addresses: not supported, ignored", cp);
              else unknown(f, cp);
            }
            net.ipam_config.push_back(std::move(c));
          });
        } else if (o.key == "options") {
          log::debug("{}: not supported, ignored", op);
        } else {
          unknown(o, kp);
        }
      }
    } else unknown(e, path);
  }
  return net;
}

Volume Parser::top_volume(const Node& n, const std::string& path) const {
  Volume vol;
  if (n.IsNull()) return vol;
  for (const auto& e : entries(n, path))
    if (!resource_key(vol, e, path + "." + e.key)) unknown(e, path);
  return vol;
}

FileObject Parser::file_object(const Node& n, const std::string& path) const {
  FileObject obj;
  for (const auto& e : entries(n, path)) {
    std::string kp = path + "." + e.key;
    if (e.key == "name") obj.name = str(e.value, kp);
    else if (e.key == "file") obj.file = path_value(e.value, kp);
    else if (e.key == "environment") obj.environment = str(e.value, kp);
    else if (e.key == "content") obj.content = str(e.value, kp);
    else if (e.key == "external") obj.external = boolean(e.value, kp);
    else if (e.key == "labels" || e.key == "driver" || e.key == "driver_opts" || e.key == "template_driver")
      log::debug("{}: not supported, ignored", kp);
    else unknown(e, path);
  }
  if (obj.file.empty() && obj.environment.empty() && obj.content.empty() && !obj.external)
    error(n, path, "one of file, environment, content or external is required");
  return obj;
}

std::vector<std::string> Parser::includes(const Node& n, const std::string& path) const {
  if (!n.IsSequence()) error(n, path, "must be a list");
  std::vector<std::string> out;
  for (size_t i = 0; i < n.size(); ++i) {
    std::string p = fmt::format("{}[{}]", path, i);
    if (n[i].IsScalar()) {
      out.push_back(path_value(n[i], p));
      continue;
    }
    for (const auto& e : entries(n[i], p)) {
      if (e.key == "path") {
        for (auto& f : strings(e.value, p + ".path", true)) out.push_back(absolute_path(f, ctx_.base_dir, ctx_.home));
      } else if (e.key == "project_directory" || e.key == "env_file") {
        error(e.key_node, p + "." + e.key, "not supported");
      } else {
        unknown(e, p);
      }
    }
  }
  return out;
}

FileModel Parser::file(const Node& root) const {
  FileModel f;
  if (root.IsNull()) return f;
  if (!root.IsMap()) error(root, "(root)", "a compose file must be a mapping");
  for (const auto& e : entries(root, "")) {
    const std::string& k = e.key;
    if (k == "name") {
      f.name = str(e.value, k);
    } else if (k == "version") {
      // Obsolete: Compose warns and ignores it.
      log::warn("{}: the attribute `version` is obsolete, it will be ignored ({})", k, where(e.key_node));
    } else if (k == "services") {
      if (e.value.IsNull()) continue;
      for (const auto& s : entries(e.value, k)) f.services[s.key] = service(s.key, s.value);
    } else if (k == "networks" || k == "volumes" || k == "secrets" || k == "configs") {
      if (e.value.IsNull()) continue;
      for (const auto& o : entries(e.value, k)) {
        std::string p = k + "." + o.key;
        if (k == "networks") f.networks[o.key] = network(o.value, p);
        else if (k == "volumes") f.volumes[o.key] = top_volume(o.value, p);
        else if (k == "secrets") f.secrets[o.key] = file_object(o.value, p);
        else f.configs[o.key] = file_object(o.value, p);
      }
    } else if (k == "include") {
      f.includes = includes(e.value, k);
    } else if (!k.starts_with("x-")) {
      log::warn("{}: unknown key, ignored ({})", k, where(e.key_node));
    }
  }
  return f;
}

}  // namespace

std::string absolute_path(const std::string& path, const std::string& base, const std::string& home) {
  std::string p = path;
  if (p == "~" || p.starts_with("~/")) p = home + p.substr(1);
  if (!p.starts_with("/")) p = base + "/" + p;
  std::vector<std::string> parts;
  for (auto& part : split(p, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  return "/" + join(parts, "/");
}

FileModel parse_file(const std::string& path, const ParseContext& ctx) {
  std::string text;
  try {
    text = fs::read_file(path);
  } catch (const Error& e) {
    fail("{}", e.what());
  }
  if (auto line = yaml_non_utf8_line(text)) fail("invalid YAML: invalid UTF-8 ({}:{})", ctx.display, line);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail("invalid YAML: {} ({}:{})", e.msg, ctx.display, e.mark.line + 1);
  }
  FileModel f = Parser(ctx).file(root);
  f.path = path;
  return f;
}

}  // namespace cabin::compose::detail
