#include "net/config.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "rootless/fixes.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "net/members.h"
#include "net/store.h"
#include "util/strings.h"

namespace cabin::net {
namespace {

using nlohmann::json;

struct PortRange {
  uint16_t first = 0;
  uint32_t count = 0;  // 0: not given
};

uint16_t port_number(const std::string& text) {
  auto n = parse_number<long>(text);
  if (!n) fail("invalid port number: strconv.Atoi: parsing {:?}: invalid syntax", text);
  long v = *n;
  if (v < 1 || v > 65535) fail("port numbers must be between 1 and 65535 (inclusive), got {}", v);
  return static_cast<uint16_t>(v);
}

// "80" or "8000-8010"; "" is no range (count 0).
PortRange port_range(const std::string& text, const char* what) {
  return with_context(fmt::format("parsing {} port", what), [&] {
    PortRange r;
    if (text.empty()) return r;
    auto dash = text.find('-');
    r.first = port_number(text.substr(0, dash));
    r.count = 1;
    if (dash != std::string::npos) {
      uint16_t last = port_number(text.substr(dash + 1));
      if (last <= r.first)
        fail("the end port of a range must be higher than the start port - {} is not higher than {}", last, r.first);
      r.count = last - r.first + 1u;
    }
    return r;
  });
}

bool parse_bool(const std::string& key, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  fail("invalid value {:?} for network option {}: use true or false", value, key);
}

SlirpOptions slirp_options(const std::string& text) {
  SlirpOptions o;
  if (text.empty()) return o;
  for (const auto& opt : split(text, ',')) {
    auto eq = opt.find('=');
    std::string key = opt.substr(0, eq), value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    if (key == "allow_host_loopback") o.allow_host_loopback = parse_bool(key, value);
    else if (key == "enable_ipv6") o.enable_ipv6 = parse_bool(key, value);
    else if (key == "mtu") {
      auto mtu = parse_number<decltype(o.mtu)>(value);
      if (!mtu || *mtu < 1280 || *mtu > 65521)
        fail("invalid slirp4netns mtu {:?}: use a number from 1280 to 65521", value);
      o.mtu = *mtu;
    } else if (key == "cidr") {
      auto c = parse_cidr(value);
      if (c.prefix > 25) fail("slirp4netns cidr {:?} is too small: use a prefix of 25 bits or fewer", value);
      o.cidr = value;
    } else if (key == "port_handler") {
      if (value != "rootlesskit" && value != "slirp4netns")
        fail("unknown port_handler for slirp4netns: {:?} (use rootlesskit or slirp4netns)", value);
      o.port_handler = value;
    } else if (key == "outbound_addr") {
      parse_ipv4(value);
      o.outbound_addr = value;
    } else if (key == "outbound_addr6" || key == "enable_sandbox" || key == "enable_seccomp") {
      continue;  // accepted for compatibility: no separate slirp4netns process to confine
    } else {
      fail("unknown slirp4netns option {:?}", key);
    }
  }
  return o;
}


void check_mac(const std::string& mac) {
  auto parts = split(mac, ':');
  bool ok = parts.size() == 6;
  for (const auto& p : parts) ok = ok && p.size() == 2 && std::isxdigit(static_cast<unsigned char>(p[0])) &&
                                   std::isxdigit(static_cast<unsigned char>(p[1]));
  if (!ok) fail("invalid MAC address {:?}", mac);
}

Attachment attachment(const std::string& value) {
  auto colon = value.find(':');
  Attachment a;
  a.network = value.substr(0, colon);
  if (!valid_name(a.network)) fail("invalid network name {:?}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", a.network);
  if (colon == std::string::npos) return a;
  for (const auto& opt : split(value.substr(colon + 1), ',')) {
    auto eq = opt.find('=');
    std::string key = opt.substr(0, eq), v = eq == std::string::npos ? "" : opt.substr(eq + 1);
    if (key == "alias") a.aliases.push_back(v);
    else if (key == "ip") {
      parse_ipv4(v);
      a.ip = v;
    } else if (key == "mac") {
      check_mac(v);
      a.mac = v;
    } else if (key == "interface_name") {
      continue;
    } else {
      fail("unknown network option {:?} for network {}", key, a.network);
    }
  }
  return a;
}

}  // namespace

in_addr_t Cidr::host(uint32_t n) const { return htonl(ntohl(network) + n); }
in_addr_t Cidr::netmask() const { return prefix == 0 ? 0 : htonl(~uint32_t{0} << (32 - prefix)); }

in_addr_t parse_ipv4(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) fail("{:?} is not an IPv4 address", text);
  return a.s_addr;
}

std::string ip_text(in_addr_t a) {
  char buf[INET_ADDRSTRLEN];
  in_addr in{a};
  ::inet_ntop(AF_INET, &in, buf, sizeof buf);
  return buf;
}

Cidr parse_cidr(const std::string& text) {
  auto slash = text.find('/');
  Cidr c;
  in_addr a{};
  if (slash == std::string::npos || ::inet_pton(AF_INET, text.substr(0, slash).c_str(), &a) != 1)
    fail("invalid CIDR address: {}", text);
  std::string p = text.substr(slash + 1);
  auto prefix = parse_number<decltype(c.prefix)>(p);
  if (!prefix || *prefix < 0 || *prefix > 32) fail("invalid CIDR address: {}", text);
  c.prefix = *prefix;
  c.network = a.s_addr & c.netmask();
  return c;
}

std::vector<PortMapping> parse_publish(const std::string& text) {
  std::string spec = text, proto = "tcp";
  if (auto slash = spec.rfind('/'); slash != std::string::npos) {
    proto = to_lower(spec.substr(slash + 1));
    spec.resize(slash);
    if (proto == "sctp") fail("sctp ports cannot be published by a rootless container: use tcp or udp");
    if (proto != "tcp" && proto != "udp") fail("unrecognized protocol {:?} in port mapping", proto);
  }
  std::string ip, host, container;
  if (!spec.empty() && spec[0] == '[') {  // [IPv6]:host:container
    auto close = spec.find("]:");
    if (close == std::string::npos) fail("invalid port mapping {:?}", text);
    ip = spec.substr(1, close - 1);
    spec = spec.substr(close + 2);
    auto colon = spec.find(':');
    if (colon == std::string::npos) fail("invalid port mapping {:?}", text);
    host = spec.substr(0, colon);
    container = spec.substr(colon + 1);
    in6_addr a6{};
    if (::inet_pton(AF_INET6, ip.c_str(), &a6) != 1) fail("cannot parse {:?} as an IP address", ip);
  } else {
    auto parts = split(spec, ':');
    if (parts.size() == 1) container = parts[0];
    else if (parts.size() == 2) host = parts[0], container = parts[1];
    else ip = parts[0], host = parts[1], container = parts[2];
    if (parts.size() > 3) fail("cannot parse {:?} as an IP address", spec.substr(0, spec.rfind(':', spec.rfind(':') - 1)));
    in_addr a{};
    if (parts.size() == 3 && ::inet_pton(AF_INET, ip.c_str(), &a) != 1) fail("cannot parse {:?} as an IP address", ip);
  }
  if (ip == "0.0.0.0") ip.clear();
  auto c = port_range(container, "container");
  if (c.count == 0) fail("parsing container port: invalid port number: strconv.Atoi: parsing \"\": invalid syntax");
  auto h = port_range(host, "host");
  if (h.count != 0 && h.count != c.count)
    fail("host and container port ranges have different lengths: {} vs {}", h.count, c.count);
  std::vector<PortMapping> out;
  for (uint32_t i = 0; i < c.count; ++i)
    out.push_back({ip, static_cast<uint16_t>(h.count ? h.first + i : 0), static_cast<uint16_t>(c.first + i), proto});
  return out;
}

std::vector<PortMapping> exposed_ports(const json& image_config) {
  std::vector<PortMapping> out;
  const json* c = image_config.contains("config") ? &image_config["config"] : nullptr;
  if (!c || !c->is_object() || !c->contains("ExposedPorts") || !(*c)["ExposedPorts"].is_object()) return out;
  for (const auto& [key, _] : (*c)["ExposedPorts"].items()) {
    auto slash = key.find('/');
    std::string proto = slash == std::string::npos ? "tcp" : to_lower(key.substr(slash + 1));
    if (proto != "tcp" && proto != "udp") continue;
    auto r = port_range(key.substr(0, slash), "exposed");
    for (uint32_t i = 0; i < r.count; ++i) out.push_back({"", 0, static_cast<uint16_t>(r.first + i), proto});
  }
  return out;
}

std::vector<PortMapping> parse_expose(const std::string& text) {
  return with_context(fmt::format("invalid range format for --expose: {}", text), [&] {
    auto slash = text.find('/');
    std::string proto = slash == std::string::npos ? "tcp" : to_lower(text.substr(slash + 1));
    if (proto != "tcp" && proto != "udp") fail("protocol {:?} is not allowed: use tcp or udp", proto);
    auto r = port_range(text.substr(0, slash), "exposed");
    if (r.count == 0) fail("no port given");
    std::vector<PortMapping> out;
    for (uint32_t i = 0; i < r.count; ++i) out.push_back({"", 0, static_cast<uint16_t>(r.first + i), proto});
    return out;
  });
}

std::vector<PortMapping> record_ports(const json& config) {
  std::vector<PortMapping> out;
  if (!config.is_object() || !config.contains("ports")) return out;
  for (const auto& p : config["ports"])
    out.push_back({p.value("host_ip", ""), p.value("host_port", uint16_t{0}), p.value("container_port", uint16_t{0}),
                   p.value("protocol", "tcp")});
  return out;
}

std::string ports_summary(const std::vector<PortMapping>& ports) {
  std::string out;
  for (size_t i = 0; i < ports.size();) {
    const auto& p = ports[i];
    size_t j = i + 1;
    while (j < ports.size() && ports[j].host_ip == p.host_ip && ports[j].protocol == p.protocol &&
           ports[j].host_port == p.host_port + (j - i) && ports[j].container_port == p.container_port + (j - i))
      ++j;
    std::string ip = p.host_ip.empty() ? "0.0.0.0" : p.host_ip;
    if (!out.empty()) out += ", ";
    if (j - i == 1)
      out += fmt::format("{}:{}->{}/{}", ip, p.host_port, p.container_port, p.protocol);
    else
      out += fmt::format("{}:{}-{}->{}-{}/{}", ip, p.host_port, ports[j - 1].host_port, p.container_port,
                         ports[j - 1].container_port, p.protocol);
    i = j;
  }
  return out;
}

json port_bindings(const std::vector<PortMapping>& ports) {
  json out = json::object();
  for (const auto& p : ports)
    out[fmt::format("{}/{}", p.container_port, p.protocol)].push_back(
        {{"HostIp", p.host_ip}, {"HostPort", std::to_string(p.host_port)}});
  return out;
}

std::string port_line(const PortMapping& p) {
  return fmt::format("{}/{} -> {}:{}", p.container_port, p.protocol, p.host_ip.empty() ? "0.0.0.0" : p.host_ip,
                     p.host_port);
}

socklen_t host_sockaddr(const PortMapping& p, sockaddr_storage* out) {
  *out = {};
  if (p.host_ip.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(out);
    a->sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, p.host_ip.c_str(), &a->sin6_addr);
    a->sin6_port = htons(p.host_port);
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in*>(out);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = p.host_ip.empty() ? INADDR_ANY : parse_ipv4(p.host_ip);
  a->sin_port = htons(p.host_port);
  return sizeof *a;
}

void publish_failed(const PortMapping& p, int err) {
  std::string where = p.host_ip.empty() ? "0.0.0.0" : p.host_ip.find(':') != std::string::npos ? "[" + p.host_ip + "]" : p.host_ip;
  if (err == 0) err = EADDRINUSE;
  std::string why;
  if (err == EADDRINUSE) why = " (another process or container holds that host port)";
  if (err == EACCES)
    why = fmt::format(" (ports below net.ipv4.ip_unprivileged_port_start, {}, need root; fix: {})",
                      std::string(trim(fs::read_file_if_exists("/proc/sys/net/ipv4/ip_unprivileged_port_start")
                                           .value_or("1024"))),
                      rootless::fix::unprivileged_port(p.host_port));
  fail("cannot publish port {}:{} -> {}/{}: bind: {}{}", where, p.host_port, p.container_port, p.protocol,
       std::strerror(err), why);
}

void choose_host_ports(std::vector<PortMapping>& ports) {
  std::vector<UniqueFd> held;  // so that no two get the same port
  for (auto& p : ports) {
    if (p.host_port != 0) continue;
    sockaddr_storage ss;
    socklen_t len = host_sockaddr(p, &ss);
    bool v6 = ss.ss_family == AF_INET6;
    UniqueFd s(::socket(ss.ss_family, (p.protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("choose a free host port");
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0)
      throw_errno("choose a free host port on {}", p.host_ip.empty() ? "0.0.0.0" : p.host_ip);
    p.host_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    held.push_back(std::move(s));
  }
}

NetConfig parse_network(const std::vector<std::string>& values, const std::vector<std::string>& aliases,
                        const std::string& ip, const std::string& mac) {
  NetConfig c;
  for (const auto& v : values) {
    auto single = [&](Mode m) {
      if (values.size() > 1)
        fail("cannot set multiple networks without bridge network mode, selected mode {}: invalid argument",
             v.substr(0, v.find(':')));
      c.mode = m;
    };
    auto colon = v.find(':');
    std::string head = v.substr(0, colon), rest = colon == std::string::npos ? "" : v.substr(colon + 1);
    if (v == "none") single(Mode::None);
    else if (v == "host") single(Mode::Host);
    else if (v == "private" || v.empty()) single(Mode::Slirp);
    else if (head == "slirp4netns") {
      single(Mode::Slirp);
      c.slirp = slirp_options(rest);
    } else if (head == "pasta") {
      fail("pasta is not supported: cabin's user-mode networking is built in (use --network slirp4netns[:OPTIONS])");
    } else if (head == "container") {
      single(Mode::Container);
      if (rest.empty()) fail("invalid network mode {:?}: name the container (container:NAME)", v);
      c.target = rest;
    } else if (head == "ns") {
      single(Mode::Ns);
      if (rest.empty() || rest[0] != '/') fail("invalid network mode {:?}: use ns:/path/to/netns", v);
      c.target = rest;
    } else {
      c.mode = Mode::Bridge;
      c.networks.push_back(attachment(head == "bridge" ? "podman" + (colon == std::string::npos ? "" : v.substr(colon)) : v));
    }
  }
  if (!aliases.empty() || !ip.empty() || !mac.empty()) {
    if (c.mode != Mode::Bridge)
      fail("{} can only be set for a container on a network (--network NAME)",
           !aliases.empty() ? "--network-alias" : !ip.empty() ? "--ip" : "--mac-address");
    if (c.networks.size() > 1 && (!ip.empty() || !mac.empty()))
      fail("{} can only be set for a single network: use --network NAME:{}=…", !ip.empty() ? "--ip" : "--mac-address",
           !ip.empty() ? "ip" : "mac");
    auto& a = c.networks.front();
    for (auto& n : c.networks) n.aliases.insert(n.aliases.end(), aliases.begin(), aliases.end());
    if (!ip.empty()) {
      parse_ipv4(ip);
      a.ip = ip;
    }
    if (!mac.empty()) {
      check_mac(mac);
      a.mac = mac;
    }
  }
  return c;
}

SlirpAddresses slirp_addresses(const SlirpOptions& o) {
  auto c = parse_cidr(o.cidr);
  return {c.network, c.netmask(), c.host(2), c.host(3), c.host(100)};
}

std::vector<runtime::TapSpec> tap_specs(const NetConfig& c, const std::vector<Link>& links) {
  std::vector<runtime::TapSpec> out;
  bool outbound = c.mode == Mode::Slirp ||
                  std::any_of(links.begin(), links.end(), [](const Link& l) { return !l.internal; });
  if (outbound) {
    auto a = slirp_addresses(c.slirp);
    runtime::TapSpec t;
    std::strcpy(t.name, "tap0");
    t.address = a.container;
    t.netmask = a.netmask;
    t.gateway = a.gateway;
    t.mtu = c.slirp.mtu;
    if (c.slirp.enable_ipv6) {  // the stack's fixed prefix (slirp_stack.cpp)
      t.ipv6 = true;
      ::inet_pton(AF_INET6, kSlirpContainer6, &t.address6);
      ::inet_pton(AF_INET6, kSlirpGateway6, &t.gateway6);
    }
    out.push_back(t);
  }
  for (size_t i = 0; i < links.size(); ++i) {
    const auto& l = links[i];
    runtime::TapSpec t;
    std::snprintf(t.name, sizeof t.name, "eth%u", static_cast<unsigned>(i % 1000));
    t.address = l.ip;
    t.netmask = l.subnet.netmask();
    std::memcpy(t.mac, l.mac, 6);
    t.has_mac = true;
    t.mtu = 65520;
    out.push_back(t);
  }
  return out;
}

std::string mode_name(const NetConfig& c) {
  switch (c.mode) {
    case Mode::Slirp: return "slirp4netns";
    case Mode::None: return "none";
    case Mode::Host: return "host";
    case Mode::Container: return "container:" + c.target;
    case Mode::Ns: return "ns:" + c.target;
    case Mode::Bridge: return "bridge";
  }
  return "";
}

json to_json(const NetConfig& c) {
  json ports = json::array(), nets = json::array();
  for (const auto& p : c.ports)
    ports.push_back({{"host_ip", p.host_ip}, {"host_port", p.host_port}, {"container_port", p.container_port},
                     {"protocol", p.protocol}});
  for (const auto& a : c.networks)
    nets.push_back({{"network", a.network}, {"aliases", a.aliases}, {"ip", a.ip}, {"mac", a.mac}});
  const auto& s = c.slirp;
  return {{"mode", mode_name(c)},
          {"slirp",
           {{"allow_host_loopback", s.allow_host_loopback},
            {"enable_ipv6", s.enable_ipv6},
            {"mtu", s.mtu},
            {"cidr", s.cidr},
            {"port_handler", s.port_handler},
            {"outbound_addr", s.outbound_addr}}},
          {"networks", nets},
          {"ports", ports}};
}

NetConfig net_config_from_json(const json& j) {
  NetConfig c;
  std::string mode = j.at("mode").get<std::string>();
  auto colon = mode.find(':');
  std::string head = mode.substr(0, colon);
  c.mode = head == "none" ? Mode::None : head == "host" ? Mode::Host : head == "container" ? Mode::Container
         : head == "ns" ? Mode::Ns : head == "bridge" ? Mode::Bridge : Mode::Slirp;
  if (colon != std::string::npos) c.target = mode.substr(colon + 1);
  const auto& s = j.at("slirp");
  c.slirp.allow_host_loopback = s.at("allow_host_loopback").get<bool>();
  c.slirp.enable_ipv6 = s.at("enable_ipv6").get<bool>();
  c.slirp.mtu = s.at("mtu").get<uint32_t>();
  c.slirp.cidr = s.at("cidr").get<std::string>();
  c.slirp.port_handler = s.at("port_handler").get<std::string>();
  c.slirp.outbound_addr = s.at("outbound_addr").get<std::string>();
  for (const auto& a : j.at("networks"))
    c.networks.push_back({a.at("network").get<std::string>(), a.at("aliases").get<std::vector<std::string>>(),
                          a.at("ip").get<std::string>(), a.at("mac").get<std::string>()});
  for (const auto& p : j.at("ports"))
    c.ports.push_back({p.at("host_ip").get<std::string>(), p.at("host_port").get<uint16_t>(),
                       p.at("container_port").get<uint16_t>(), p.at("protocol").get<std::string>()});
  return c;
}

}  // namespace cabin::net
