// A running container's membership of its user-defined networks, held by
// its waiter: an address from each network's subnet, a record in the
// network's member directory (locked while the waiter lives, so a killed
// waiter's record is known stale), and the names of all members in every
// member's /etc/hosts, rewritten in place whenever one joins or leaves, so
// containers started later are found by name without restarting the others.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/paths.h"
#include "net/config.h"
#include "util/fd.h"

namespace cabin::net {

class NetworkStore;

struct Link {
  std::string network, dir;  // dir: the members directory (relay sockets)
  Cidr subnet;
  in_addr_t ip = 0;
  uint8_t mac[6] = {};
  bool internal = false;
};

struct JoinRequest {
  std::string id, name, hostname;
  std::string hosts;  // the container's /etc/hosts file
};

class Membership {
 public:
  // Fills in the addresses, records the container on each network of c
  // (Bridge mode) and rewrites the /etc/hosts files of the container and
  // its peers. Throws when an address asked for is taken or a subnet full.
  static std::unique_ptr<Membership> join(const config::StorePaths& paths, const NetConfig& c,
                                          const JoinRequest& who);
  ~Membership();  // leaves: records removed, peers' /etc/hosts rewritten

  // While the container runs (network connect/disconnect): joins one more
  // network, or leaves one; the hosts files are rewritten as in join.
  const Link& add(const Attachment& a);
  void remove(const std::string& network);

  const std::vector<Link>& links() const { return links_; }
  // Whether any network gives the container outbound access.
  bool outbound() const;

 private:
  Membership(const config::StorePaths& paths, JoinRequest who) : paths_(paths), who_(std::move(who)) {}
  // Under the store's lock: an address on a (throws when none is free or
  // the one asked for is taken) and the record, locked.
  void add_locked(const NetworkStore& store, const Attachment& a);
  // Every record names all our networks: written again in place (a new
  // file would lose the lock that marks it live).
  void rewrite_records() const;
  std::vector<std::string> networks() const;

  config::StorePaths paths_;
  JoinRequest who_;
  std::vector<Link> links_;             // parallel: one record per link
  std::vector<std::vector<std::string>> aliases_;
  std::vector<UniqueFd> records_;       // locked while we live
  std::vector<std::string> record_paths_;
};

// The /etc/hosts section that lists a container's network peers, after
// its own lines: rewritten in place, everything from this marker on.
inline constexpr char kHostsMarker[] = "# cabin network members\n";

}  // namespace cabin::net
