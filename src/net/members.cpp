#include "net/members.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "net/store.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strings.h"

namespace cabin::net {
namespace {

using nlohmann::json;

std::string mac_text(const uint8_t* m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void parse_mac(const std::string& text, uint8_t* out) {
  auto parts = split(text, ':');
  for (size_t i = 0; i < 6 && i < parts.size(); ++i) out[i] = parse_number<uint8_t>(parts[i], 16).value_or(0);
}

// A random locally administered unicast address.
void random_mac(uint8_t* out) {
  std::string hex = random_id();
  for (int i = 0; i < 6; ++i) out[i] = parse_number<uint8_t>(std::string_view(hex).substr(i * 2, 2), 16).value_or(0);
  out[0] = static_cast<uint8_t>((out[0] & 0xfe) | 0x02);
}

// Writes over the file in place: it is bind-mounted into its container, so
// a rename would not be seen there.
void rewrite_in_place(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return;  // the container is being removed
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    log::warn("rewrite {}: {}", path, std::strerror(errno));
}

// Every member of the networks gets its peers' names in /etc/hosts.
void refresh_hosts(const NetworkStore& store, const std::vector<std::string>& networks) {
  std::map<std::string, std::vector<Member>> by_network;
  auto members_of = [&](const std::string& n) -> const std::vector<Member>& {
    auto it = by_network.find(n);
    if (it == by_network.end()) it = by_network.emplace(n, store.members(n)).first;
    return it->second;
  };
  std::map<std::string, Member> targets;  // by container ID
  for (const auto& n : networks)
    for (const auto& m : members_of(n)) targets.emplace(m.container_id, m);
  for (const auto& [id, m] : targets) {
    if (m.hosts.empty()) continue;
    std::string own, peers;
    std::set<std::string> seen;
    for (const auto& n : m.networks)
      for (const auto& p : members_of(n)) {
        if (p.container_id == id) {
          if (own.empty()) own = fmt::format("{}\t{} {}\n", p.ip, m.hostname, m.name);
          continue;
        }
        std::string line = fmt::format("{}\t{}", p.ip, p.name);
        for (const auto& a : p.aliases) line += " " + a;
        line += " " + p.container_id.substr(0, 12) + "\n";
        if (seen.insert(line).second) peers += line;
      }
    std::string text = fs::read_file_if_exists(m.hosts).value_or("");
    if (auto at = text.find(kHostsMarker); at != std::string::npos) text.resize(at);
    rewrite_in_place(m.hosts, text + kHostsMarker + own + peers);
  }
}

}  // namespace

std::unique_ptr<Membership> Membership::join(const config::StorePaths& paths, const NetConfig& c,
                                             const JoinRequest& who) {
  std::unique_ptr<Membership> self(new Membership(paths, who));
  NetworkStore store(paths);
  auto lock = store.lock();
  for (const auto& a : c.networks) self->add_locked(store, a);
  self->rewrite_records();
  refresh_hosts(store, self->networks());
  return self;
}

void Membership::add_locked(const NetworkStore& store, const Attachment& a) {
  auto n = store.get(a.network);
  Link l;
  l.network = n.name;
  l.dir = store.members_dir(n.name);
  l.subnet = parse_cidr(n.subnet);
  l.internal = n.internal;
  fs::mkdir_p(l.dir, 0700);
  std::map<uint32_t, std::string> used;  // address → container
  for (const auto& m : store.members(n.name))
    if (m.container_id != who_.id) used[ntohl(parse_ipv4(m.ip))] = m.container_id;
  uint32_t gateway = ntohl(parse_ipv4(n.gateway));
  if (!a.ip.empty()) {
    uint32_t want = ntohl(parse_ipv4(a.ip));
    if (auto it = used.find(want); it != used.end())
      fail("IPAM error: requested ip address {} is already allocated to container ID {}", a.ip, it->second);
    if (want == gateway) fail("IPAM error: requested ip address {} is the gateway of network {}", a.ip, n.name);
    l.ip = htonl(want);
  } else {
    uint32_t size = l.subnet.prefix == 32 ? 1 : 1u << (32 - l.subnet.prefix);
    uint32_t first = ntohl(l.subnet.host(1)), last = ntohl(l.subnet.host(size - 2));
    if (!n.range_start.empty()) {
      first = std::max(first, ntohl(parse_ipv4(n.range_start)));
      last = std::min(last, ntohl(parse_ipv4(n.range_end)));
    }
    for (uint32_t x = first; x <= last && l.ip == 0; ++x)
      if (x != gateway && !used.count(x)) l.ip = htonl(x);
    if (l.ip == 0) fail("IPAM error: failed to get ip address in subnet {}: no free address left", n.subnet);
  }
  if (!a.mac.empty()) parse_mac(a.mac, l.mac);
  else random_mac(l.mac);
  std::string path = fs::join(l.dir, who_.id + ".json");
  fs::write_file_atomic(path, "{}\n", 0600);  // rewrite_records fills it in
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd || ::flock(fd.get(), LOCK_EX) != 0) throw_errno("lock {}", path);
  records_.push_back(std::move(fd));
  record_paths_.push_back(path);
  links_.push_back(l);
  aliases_.push_back(a.aliases);
}

std::vector<std::string> Membership::networks() const {
  std::vector<std::string> out;
  for (const auto& l : links_) out.push_back(l.network);
  return out;
}

void Membership::rewrite_records() const {
  auto names = networks();
  for (size_t i = 0; i < links_.size(); ++i) {
    const Link& l = links_[i];
    json rec = {{"name", who_.name}, {"hostname", who_.hostname}, {"ip", ip_text(l.ip)}, {"mac", mac_text(l.mac)},
                {"aliases", aliases_[i]}, {"hosts", who_.hosts}, {"networks", names}};
    std::string text = json_text(rec) + "\n";
    UniqueFd fd(::open(record_paths_[i].c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw_errno("write {}", record_paths_[i]);
  }
}

const Link& Membership::add(const Attachment& a) {
  NetworkStore store(paths_);
  auto lock = store.lock();
  add_locked(store, a);
  rewrite_records();
  refresh_hosts(store, networks());
  return links_.back();
}

void Membership::remove(const std::string& network) {
  NetworkStore store(paths_);
  auto lock = store.lock();
  for (size_t i = 0; i < links_.size(); ++i) {
    if (links_[i].network != network) continue;
    ::unlink(record_paths_[i].c_str());
    links_.erase(links_.begin() + static_cast<ptrdiff_t>(i));
    aliases_.erase(aliases_.begin() + static_cast<ptrdiff_t>(i));
    records_.erase(records_.begin() + static_cast<ptrdiff_t>(i));
    record_paths_.erase(record_paths_.begin() + static_cast<ptrdiff_t>(i));
    rewrite_records();
    auto names = networks();
    names.push_back(network);  // its members lose our name
    refresh_hosts(store, names);
    return;
  }
}

Membership::~Membership() {
  try {
    NetworkStore store(paths_);
    auto lock = store.lock();
    for (const auto& p : record_paths_) ::unlink(p.c_str());
    records_.clear();
    refresh_hosts(store, networks());
  } catch (const Error& e) {
    log::warn("leave networks: {}", e.what());
  }
}

bool Membership::outbound() const {
  return std::any_of(links_.begin(), links_.end(), [](const Link& l) { return !l.internal; });
}

}  // namespace cabin::net
