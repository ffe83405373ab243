#include "net/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "format/units.h"
#include "net/config.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"
#include "util/fd.h"

namespace cabin::net {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Podman's default network (its ID too), always there, never in a file.
Network default_network() {
  Network n;
  n.name = kDefaultNetwork;
  n.id = "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9";
  n.interface = "cabin0";
  n.subnet = "10.88.0.0/16";
  n.gateway = "10.88.0.1";
  n.dns_enabled = false;
  n.created = format::rfc3339_nano(std::chrono::system_clock::now());
  return n;
}

std::vector<std::string> dir_names(const std::string& dir, const char* suffix) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  std::string_view sfx(suffix);
  while (dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name.size() > sfx.size() && name.substr(name.size() - sfx.size()) == sfx && name[0] != '.')
      out.emplace_back(name.substr(0, name.size() - sfx.size()));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool overlaps(const Cidr& a, const Cidr& b) {
  int p = std::min(a.prefix, b.prefix);
  uint32_t mask = p == 0 ? 0 : ~uint32_t{0} << (32 - p);
  return (ntohl(a.network) & mask) == (ntohl(b.network) & mask);
}

}  // namespace

ordered_json to_json(const Network& n) {
  ordered_json subnet = {{"subnet", n.subnet}, {"gateway", n.gateway}};
  if (!n.range_start.empty()) subnet["lease_range"] = {{"start_ip", n.range_start}, {"end_ip", n.range_end}};
  ordered_json j = {{"name", n.name},
                    {"id", n.id},
                    {"driver", n.driver},
                    {"network_interface", n.interface},
                    {"created", n.created},
                    {"subnets", ordered_json::array({subnet})},
                    {"ipv6_enabled", false},
                    {"internal", n.internal},
                    {"dns_enabled", n.dns_enabled}};
  if (!n.labels.empty()) j["labels"] = n.labels;
  if (!n.options.empty()) j["options"] = n.options;
  j["ipam_options"] = {{"driver", "host-local"}};
  return j;
}

json template_fields(const Network& n) {
  json labels = json::object();
  for (const auto& [k, v] : n.labels) labels[k] = v;
  return {{"Name", n.name},         {"ID", n.id.substr(0, 12)}, {"Id", n.id},
          {"Driver", n.driver},     {"Labels", labels},         {"Internal", n.internal},
          {"Created", n.created},   {"NetworkInterface", n.interface},
          {"Subnets", json::array({{{"Subnet", n.subnet}, {"Gateway", n.gateway}}})},
          {"DNSEnabled", n.dns_enabled}, {"IPv6Enabled", false}};
}

json inspect_view(const Network& n) {
  json view = to_json(n);
  json fields = template_fields(n);
  for (auto it = fields.begin(); it != fields.end(); ++it) view[it.key()] = it.value();
  return view;
}

Network network_from_json(const json& j) {
  Network n;
  n.name = j.at("name").get<std::string>();
  n.id = j.at("id").get<std::string>();
  n.driver = j.value("driver", "bridge");
  n.interface = j.value("network_interface", "");
  n.created = j.value("created", "");
  const auto& s = j.at("subnets").at(0);
  n.subnet = s.at("subnet").get<std::string>();
  n.gateway = s.value("gateway", "");
  if (s.contains("lease_range")) {
    n.range_start = s["lease_range"].value("start_ip", "");
    n.range_end = s["lease_range"].value("end_ip", "");
  }
  n.internal = j.value("internal", false);
  n.dns_enabled = j.value("dns_enabled", true);
  if (j.contains("labels")) n.labels = j["labels"].get<std::map<std::string, std::string>>();
  if (j.contains("options")) n.options = j["options"].get<std::map<std::string, std::string>>();
  return n;
}

NetworkStore::NetworkStore(const config::StorePaths& paths)
    : dir_(fs::join(paths.graphroot, "networks")), run_dir_(fs::join(paths.runroot, "networks")) {}

fs::FileLock NetworkStore::lock() const {
  fs::mkdir_p(dir_, 0700);
  return fs::FileLock::acquire(fs::join(dir_, ".lock"), fs::FileLock::Mode::Exclusive);
}

std::vector<Network> NetworkStore::list() const {
  std::vector<Network> out{default_network()};
  for (const auto& name : dir_names(dir_, ".json")) {
    auto text = fs::read_file_if_exists(fs::join(dir_, name + ".json"));
    if (!text) continue;
    auto j = json::parse(*text, nullptr, false);
    try {
      if (!j.is_discarded()) out.push_back(network_from_json(j));
    } catch (const json::exception&) {
    }
  }
  return out;
}

std::optional<Network> NetworkStore::find(const std::string& key) const {
  if (key.empty()) return std::nullopt;
  auto all = list();
  for (const auto& n : all)
    if (n.name == key || n.id == key) return n;
  std::optional<Network> found;
  for (const auto& n : all)
    if (n.id.rfind(key, 0) == 0) {
      if (found) fail("more than one result for network ID {}", key);
      found = n;
    }
  return found;
}

Network NetworkStore::get(const std::string& key) const {
  auto n = find(key);
  if (!n) fail("unable to find network with name or ID {}: network not found", key);
  return *n;
}

Network NetworkStore::create(Network n) {
  if (!valid_name(n.name))
    fail("network name {} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument", n.name);
  if (n.driver != "bridge")
    fail("unsupported driver {}: cabin's networks are user-mode bridges (--driver bridge)", n.driver);
  if (n.subnet.empty() && (!n.gateway.empty() || !n.range_start.empty()))
    fail("cannot set gateway or range without subnet");
  auto all = list();
  for (const auto& o : all)
    if (o.name == n.name) fail("network name {} already used: network already exists", n.name);
  std::vector<Cidr> used;
  for (const auto& o : all) used.push_back(parse_cidr(o.subnet));
  if (n.subnet.empty()) {
    // Podman's choice: the first free 10.89.N.0/24.
    for (uint32_t i = 0; i < 256 && n.subnet.empty(); ++i) {
      Cidr c{htonl((10u << 24) | (89u << 16) | (i << 8)), 24};
      if (std::none_of(used.begin(), used.end(), [&](const Cidr& u) { return overlaps(u, c); }))
        n.subnet = fmt::format("{}/24", ip_text(c.network));
    }
    if (n.subnet.empty()) fail("could not find a free subnet in 10.89.0.0/16: remove unused networks");
  } else {
    Cidr c = parse_cidr(n.subnet);
    if (c.prefix > 30) fail("subnet {} is too small for a network", n.subnet);
    for (const auto& u : used)
      if (overlaps(u, c)) fail("subnet {} is already used on the host or by another config", n.subnet);
    n.subnet = fmt::format("{}/{}", ip_text(c.network), c.prefix);
  }
  Cidr c = parse_cidr(n.subnet);
  auto inside = [&](in_addr_t a) { return (a & c.netmask()) == c.network; };
  if (n.gateway.empty()) {
    n.gateway = ip_text(c.host(1));
  } else if (!inside(parse_ipv4(n.gateway))) {
    fail("gateway {} is not in subnet {}", n.gateway, n.subnet);
  }
  if (!n.range_start.empty()) {
    Cidr r = parse_cidr(n.range_start);
    if (!inside(r.network) || r.prefix < c.prefix) fail("ip range {} is not in subnet {}", n.range_start, n.subnet);
    // Podman's lease range: the range's first host to its last address.
    uint32_t size = r.prefix == 32 ? 1 : (1u << (32 - r.prefix));
    n.range_start = ip_text(r.host(r.prefix >= 31 ? 0 : 1));
    n.range_end = ip_text(r.host(size - 1));
  }
  n.id = random_id();
  n.created = format::rfc3339_nano(std::chrono::system_clock::now());
  for (int i = 1;; ++i) {
    std::string name = fmt::format("cabin{}", i);
    if (std::none_of(all.begin(), all.end(), [&](const Network& o) { return o.interface == name; })) {
      n.interface = name;
      break;
    }
  }
  fs::mkdir_p(dir_, 0700);
  fs::write_file_atomic(fs::join(dir_, n.name + ".json"), json_text(to_json(n), 5) + "\n", 0600);
  return n;
}

void NetworkStore::remove(const std::string& name) {
  if (name == kDefaultNetwork) fail("default network {} cannot be removed", name);
  if (::unlink(fs::join(dir_, name + ".json").c_str()) != 0 && errno != ENOENT) throw_errno("remove network {}", name);
  fs::remove_all(members_dir(name));
}

std::string NetworkStore::members_dir(const std::string& network) const { return fs::join(run_dir_, network); }

std::vector<Member> NetworkStore::members(const std::string& network) const {
  std::vector<Member> out;
  std::string dir = members_dir(network);
  for (const auto& id : dir_names(dir, ".json")) {
    std::string path = fs::join(dir, id + ".json");
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) continue;
    // Its waiter holds the record locked while the container runs.
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) {
      ::unlink(path.c_str());
      continue;
    }
    auto text = fs::read_file_if_exists(path);
    auto j = json::parse(text.value_or(""), nullptr, false);
    if (j.is_discarded()) continue;
    Member m;
    m.container_id = id;
    try {
      m.name = j.value("name", "");
      m.hostname = j.value("hostname", "");
      m.ip = j.value("ip", "");
      m.mac = j.value("mac", "");
      m.hosts = j.value("hosts", "");
      if (j.contains("aliases")) m.aliases = j["aliases"].get<std::vector<std::string>>();
      if (j.contains("networks")) m.networks = j["networks"].get<std::vector<std::string>>();
    } catch (const json::exception&) {
      continue;
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace cabin::net
