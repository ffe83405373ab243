#include "compose/output.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include <fmt/format.h>

#include "compose/fields.h"
#include "util/digest.h"

namespace cabin::compose {
namespace {

struct YEntry;

// A YAML value to print: maps keep the order entries are added in.
struct Y {
  enum Kind { Null, Scalar, Seq, Map } kind = Null;
  std::string text;  // already quoted where needed
  std::vector<Y> seq;
  // Not std::pair<std::string, Y>: clang instantiates that pair while Y is
  // still incomplete, and then refuses it.
  std::vector<YEntry> map;

  static Y map_();
  static Y seq_();
  Y& add(std::string key, Y value);
};

struct YEntry {
  std::string first;
  Y second;
};

Y Y::map_() {
  Y y;
  y.kind = Map;
  return y;
}
Y Y::seq_() {
  Y y;
  y.kind = Seq;
  return y;
}
Y& Y::add(std::string key, Y value) {
  map.push_back(YEntry{std::move(key), std::move(value)});
  return map.back().second;
}

// What YAML 1.1 or 1.2 would read as a number: such a string is quoted.
bool looks_numeric(std::string_view s) {
  static const std::regex kNumber(
      R"([-+]?(\.[0-9_]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o[0-7]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  return std::regex_match(s.begin(), s.end(), kNumber);
}

// A string as go-yaml prints it: plain when YAML would read it back as the
// same string, else double-quoted ("8080", "true", "", "a: b").
std::string quote(std::string_view s) {
  static const std::vector<std::string_view> kWords = {"null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"};
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool plain = !s.empty() && std::find(kWords.begin(), kWords.end(), lower) == kWords.end() && !looks_numeric(s) &&
               std::string_view("[]{}#&*!|>'\"%@`,?:").find(s[0]) == std::string_view::npos &&
               !(s[0] == '-' && (s.size() == 1 || s[1] == ' ')) && s.front() != ' ' && s.back() != ' ' &&
               s.back() != ':' && s.find(": ") == std::string_view::npos && s.find(" #") == std::string_view::npos;
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20) plain = false;
  if (plain) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\x{:02x}", c);
        else out += c;
    }
  }
  return out + "\"";
}

Y str(std::string_view s) {
  Y y;
  y.kind = Y::Scalar;
  y.text = quote(s);
  return y;
}

template <typename T>
Y num(T v) {
  Y y;
  y.kind = Y::Scalar;
  y.text = fmt::format("{}", v);
  return y;
}

Y boolean(bool b) {
  Y y;
  y.kind = Y::Scalar;
  y.text = b ? "true" : "false";
  return y;
}

// Go's time.Duration.String(): "1m30s", "500ms", "1h0m0s", "0s".
std::string go_duration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  auto frac = [](uint64_t v, uint64_t unit) {
    std::string s = std::to_string(v / unit);
    if (uint64_t rest = v % unit) {
      std::string f = fmt::format("{:0{}}", rest, std::to_string(unit).size() - 1);
      while (f.back() == '0') f.pop_back();
      s += "." + f;
    }
    return s;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + frac(u, 1000) + "µs";
  if (u < 1000000000) return sign + frac(u, 1000000) + "ms";
  uint64_t h = u / 3600000000000ULL, m = u / 60000000000ULL % 60;
  std::string s = frac(u % 60000000000ULL, 1000000000) + "s";
  if (h) return sign + fmt::format("{}h{}m{}", h, m, s);
  if (m) return sign + fmt::format("{}m{}", m, s);
  return sign + s;
}

Y strings(const std::vector<std::string>& v) {
  Y y = Y::seq_();
  for (const auto& s : v) y.seq.push_back(str(s));
  return y;
}

template <typename M>
Y string_map(const M& m) {
  Y y = Y::map_();
  for (const auto& [k, v] : m) {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) y.add(k, str(v));
    else y.add(k, v ? str(*v) : Y{});
  }
  return y;
}

void write(std::string& out, const Y& y, int indent);

// The value after "key:" or "- ": inline for scalars and empty
// collections, else on the following lines.
void write_value(std::string& out, const Y& v, int indent) {
  if (v.kind == Y::Null) out += " null\n";
  else if (v.kind == Y::Scalar) out += " " + v.text + "\n";
  else if (v.kind == Y::Map && v.map.empty()) out += " {}\n";
  else if (v.kind == Y::Seq && v.seq.empty()) out += " []\n";
  else {
    out += "\n";
    write(out, v, indent);
  }
}

void write(std::string& out, const Y& y, int indent) {
  std::string pad(indent, ' ');
  if (y.kind == Y::Map) {
    for (const auto& [k, v] : y.map) {
      out += pad + quote(k) + ":";
      write_value(out, v, indent + 2);
    }
    return;
  }
  for (const auto& item : y.seq) {
    out += pad + "-";
    if (item.kind == Y::Map && !item.map.empty()) {
      // The first entry on the dash's line, the others under it.
      std::string sub;
      write(sub, item, indent + 2);
      out += " " + sub.substr(indent + 2);
    } else {
      write_value(out, item, indent + 2);
    }
  }
}

Y port(const Port& p) {
  Y y = Y::map_();
  if (!p.name.empty()) y.add("name", str(p.name));
  y.add("mode", str(p.mode));
  if (!p.host_ip.empty()) y.add("host_ip", str(p.host_ip));
  y.add("target", num(p.target));
  if (!p.published.empty()) {
    Y pub;
    pub.kind = Y::Scalar;
    pub.text = fmt::format("\"{}\"", p.published);  // always a string, as Compose prints it
    y.add("published", pub);
  }
  y.add("protocol", str(p.protocol));
  if (!p.app_protocol.empty()) y.add("app_protocol", str(p.app_protocol));
  return y;
}

Y mount(const Mount& m) {
  Y y = Y::map_();
  y.add("type", str(m.type));
  if (!m.source.empty()) y.add("source", str(m.source));
  y.add("target", str(m.target));
  if (m.read_only) y.add("read_only", boolean(true));
  if (!m.consistency.empty()) y.add("consistency", str(m.consistency));
  if (m.bind) {
    Y& b = y.add("bind", Y::map_());
    if (!m.bind->selinux.empty()) b.add("selinux", str(m.bind->selinux));
    if (!m.bind->propagation.empty()) b.add("propagation", str(m.bind->propagation));
    if (m.bind->create_host_path) b.add("create_host_path", boolean(*m.bind->create_host_path));
  }
  if (m.volume) {
    Y& v = y.add("volume", Y::map_());
    if (m.volume->nocopy) v.add("nocopy", boolean(true));
    if (!m.volume->subpath.empty()) v.add("subpath", str(m.volume->subpath));
  }
  if (m.tmpfs) {
    Y& t = y.add("tmpfs", Y::map_());
    if (m.tmpfs->size) t.add("size", num(*m.tmpfs->size));
    if (m.tmpfs->mode) t.add("mode", num(*m.tmpfs->mode));
  }
  return y;
}

Y file_refs(const std::vector<FileRef>& refs) {
  Y y = Y::seq_();
  for (const auto& r : refs) {
    Y& e = y.seq.emplace_back(Y::map_());
    e.add("source", str(r.source));
    if (!r.target.empty()) e.add("target", str(r.target));
    if (!r.uid.empty()) e.add("uid", str(r.uid));
    if (!r.gid.empty()) e.add("gid", str(r.gid));
    if (r.mode) e.add("mode", num(*r.mode));  // decimal, as Compose prints it
  }
  return y;
}

Y healthcheck(const Healthcheck& h) {
  Y y = Y::map_();
  if (!h.test.empty()) y.add("test", strings(h.test));
  if (h.timeout) y.add("timeout", str(go_duration(*h.timeout)));
  if (h.interval) y.add("interval", str(go_duration(*h.interval)));
  if (h.retries) y.add("retries", num(*h.retries));
  if (h.start_period) y.add("start_period", str(go_duration(*h.start_period)));
  if (h.start_interval) y.add("start_interval", str(go_duration(*h.start_interval)));
  if (h.disable) y.add("disable", boolean(true));
  return y;
}

// compose-go prints a service's keys in its struct's order: alphabetical
// but for profiles, first, and healthcheck, after hostname.
struct KeyOrder {
  static std::string_view rank(std::string_view k) {
    if (k == "profiles") return "";
    if (k == "healthcheck") return "hostname~";
    return k;
  }
  bool operator()(const std::string& a, const std::string& b) const { return rank(a) < rank(b); }
};

// A service's keys in order; replicas only when asked (not for the hash).
Y service(const Service& s, bool with_replicas) {
  std::map<std::string, Y, KeyOrder> keys;
  for (const auto& [k, f] : detail::string_fields())
    if (!(s.*f).empty()) keys[std::string(k)] = str(s.*f);
  for (const auto& [k, f] : detail::bool_fields())
    if (s.*f) keys[std::string(k)] = boolean(true);
  for (const auto& [k, f] : detail::list_fields())
    if (!(s.*f).empty()) keys[std::string(k)] = strings(s.*f);
  if (s.build) {
    Y& b = keys["build"] = Y::map_();
    b.add("context", str(s.build->context));
    if (!s.build->dockerfile.empty()) b.add("dockerfile", str(s.build->dockerfile));
    if (!s.build->args.empty()) b.add("args", string_map(s.build->args));
    if (!s.build->labels.empty()) b.add("labels", string_map(s.build->labels));
    if (!s.build->target.empty()) b.add("target", str(s.build->target));
  }
  if (s.command) keys["command"] = strings(*s.command);
  if (s.entrypoint) keys["entrypoint"] = strings(*s.entrypoint);
  if (!s.environment.empty()) keys["environment"] = string_map(s.environment);
  if (!s.labels.empty()) keys["labels"] = string_map(s.labels);
  if (!s.sysctls.empty()) keys["sysctls"] = string_map(s.sysctls);
  if (!s.ports.empty()) {
    Y& y = keys["ports"] = Y::seq_();
    for (const auto& p : s.ports) y.seq.push_back(port(p));
  }
  if (!s.volumes.empty()) {
    Y& y = keys["volumes"] = Y::seq_();
    for (const auto& m : s.volumes) y.seq.push_back(mount(m));
  }
  if (!s.networks.empty()) {
    Y& y = keys["networks"] = Y::map_();
    for (const auto& [name, n] : s.networks) {
      Y& e = y.add(name, n ? Y::map_() : Y{});
      if (!n) continue;
      if (n->priority) e.add("priority", num(*n->priority));
      if (!n->aliases.empty()) e.add("aliases", strings(n->aliases));
      if (!n->ipv4_address.empty()) e.add("ipv4_address", str(n->ipv4_address));
      if (!n->ipv6_address.empty()) e.add("ipv6_address", str(n->ipv6_address));
    }
  }
  if (!s.depends_on.empty()) {
    Y& y = keys["depends_on"] = Y::map_();
    for (const auto& [name, d] : s.depends_on) {
      Y& e = y.add(name, Y::map_());
      e.add("condition", str(d.condition));
      if (d.restart) e.add("restart", boolean(true));
      e.add("required", boolean(d.required));
    }
  }
  if (s.healthcheck) keys["healthcheck"] = healthcheck(*s.healthcheck);
  if (s.init) keys["init"] = boolean(*s.init);
  if (s.stop_grace_period) keys["stop_grace_period"] = str(go_duration(*s.stop_grace_period));
  if (!s.ulimits.empty()) {
    Y& y = keys["ulimits"] = Y::map_();
    for (const auto& [name, u] : s.ulimits) {
      if (u.single) {
        y.add(name, num(*u.single));
        continue;
      }
      Y& e = y.add(name, Y::map_());
      e.add("soft", num(u.soft));
      e.add("hard", num(u.hard));
    }
  }
  if (!s.extra_hosts.empty()) {
    Y& y = keys["extra_hosts"] = Y::seq_();
    for (const auto& [host, addr] : s.extra_hosts) y.seq.push_back(str(host + "=" + addr));
  }
  if (!s.secrets.empty()) keys["secrets"] = file_refs(s.secrets);
  if (!s.configs.empty()) keys["configs"] = file_refs(s.configs);
  if (with_replicas && s.replicas != 1) keys["scale"] = num(s.replicas);
  Y y = Y::map_();
  for (auto& [k, v] : keys) y.add(k, std::move(v));
  return y;
}

void add_common(Y& y, const std::string& name, const std::string& driver, const StringMap& driver_opts) {
  y.add("name", str(name));
  if (!driver.empty()) y.add("driver", str(driver));
  if (!driver_opts.empty()) y.add("driver_opts", string_map(driver_opts));
}

Y network(const Network& n) {
  Y y = Y::map_();
  add_common(y, n.name, n.driver, n.driver_opts);
  if (!n.ipam_driver.empty() || !n.ipam_config.empty()) {
    Y& ipam = y.add("ipam", Y::map_());
    if (!n.ipam_driver.empty()) ipam.add("driver", str(n.ipam_driver));
    if (!n.ipam_config.empty()) {
      Y& cfg = ipam.add("config", Y::seq_());
      for (const auto& c : n.ipam_config) {
        Y& e = cfg.seq.emplace_back(Y::map_());
        if (!c.subnet.empty()) e.add("subnet", str(c.subnet));
        if (!c.gateway.empty()) e.add("gateway", str(c.gateway));
        if (!c.ip_range.empty()) e.add("ip_range", str(c.ip_range));
      }
    }
  }
  if (n.external) y.add("external", boolean(true));
  if (n.internal) y.add("internal", boolean(true));
  if (n.attachable) y.add("attachable", boolean(true));
  if (!n.labels.empty()) y.add("labels", string_map(n.labels));
  if (n.enable_ipv6) y.add("enable_ipv6", boolean(*n.enable_ipv6));
  return y;
}

Y volume(const Volume& v) {
  Y y = Y::map_();
  add_common(y, v.name, v.driver, v.driver_opts);
  if (v.external) y.add("external", boolean(true));
  if (!v.labels.empty()) y.add("labels", string_map(v.labels));
  return y;
}

Y file_object(const FileObject& o) {
  Y y = Y::map_();
  y.add("name", str(o.name));
  if (!o.file.empty()) y.add("file", str(o.file));
  if (!o.environment.empty()) y.add("environment", str(o.environment));
  if (!o.content.empty()) y.add("content", str(o.content));
  if (o.external) y.add("external", boolean(true));
  return y;
}

template <typename T, typename F>
void add_section(Y& root, const char* key, const std::map<std::string, T>& items, F each) {
  if (items.empty()) return;
  Y& y = root.add(key, Y::map_());
  for (const auto& [name, item] : items) y.add(name, each(item));
}

}  // namespace

std::string to_yaml(const Project& project) {
  Y root = Y::map_();
  root.add("name", str(project.name));
  root.add("services", Y::map_());
  for (const auto& [name, s] : project.services) root.map.back().second.add(name, service(s, true));
  add_section(root, "networks", project.networks, network);
  add_section(root, "volumes", project.volumes, volume);
  add_section(root, "secrets", project.secrets, file_object);
  add_section(root, "configs", project.configs, file_object);
  std::string out;
  write(out, root, 0);
  return out;
}

std::vector<std::string> service_names(const Project& project) {
  std::vector<std::string> names;
  for (const auto& [name, s] : project.services) names.push_back(name);
  return names;
}

std::vector<std::string> volume_names(const Project& project) {
  std::vector<std::string> names;
  for (const auto& [name, v] : project.volumes) names.push_back(name);
  return names;
}

std::string config_hash(const Service& s) {
  std::string text;
  write(text, service(s, false), 0);
  return std::string(digest_hex(sha256_digest(text)));
}

}  // namespace cabin::compose
