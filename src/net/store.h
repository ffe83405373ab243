// User-defined networks: their definitions (graphroot/networks/NAME.json,
// in the shape `podman network inspect` prints) and, while containers use
// them, their members (runroot/networks/NAME/: one record and one relay
// socket per running container; see net/relay.h). A network has no process
// and no namespace of its own: it exists on disk, and carries traffic only
// while its members' waiters relay it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/paths.h"
#include "util/fs.h"

namespace cabin::net {

inline constexpr char kDefaultNetwork[] = "podman";

struct Network {
  std::string name, id, driver = "bridge", interface, created;
  std::string subnet, gateway;          // "10.89.0.0/24", "10.89.0.1"
  std::string range_start, range_end;   // --ip-range; "" = the whole subnet
  bool internal = false, dns_enabled = true;
  std::map<std::string, std::string> labels, options;
};

nlohmann::ordered_json to_json(const Network& n);
// The Go field names `--format` templates use (Name, ID, Internal, …).
nlohmann::json template_fields(const Network& n);
// to_json with those fields: what an inspect template sees.
nlohmann::json inspect_view(const Network& n);
Network network_from_json(const nlohmann::json& j);

// A running container on a network, as its waiter records it.
struct Member {
  std::string container_id, name, hostname, ip, mac;
  std::vector<std::string> aliases;
  std::string hosts;                  // its /etc/hosts file (userdata/hosts)
  std::vector<std::string> networks;  // every network it is on
};

class NetworkStore {
 public:
  explicit NetworkStore(const config::StorePaths& paths);

  // The default network first, then the others by name.
  std::vector<Network> list() const;
  // By name, full ID or unique ID prefix.
  std::optional<Network> find(const std::string& name_or_id) const;
  // Throws Podman's messages when not found.
  Network get(const std::string& name_or_id) const;
  // Fills the ID, the interface name, and a free subnet and gateway when
  // not given; validates the rest. Throws when the name or subnet is taken.
  Network create(Network n);
  void remove(const std::string& name);

  fs::FileLock lock() const;

  // Members, under runroot: their directory (relay sockets, records).
  std::string members_dir(const std::string& network) const;
  // The live ones (records whose waiter is gone are removed): call under lock().
  std::vector<Member> members(const std::string& network) const;

 private:
  std::string dir_, run_dir_;
};

}  // namespace cabin::net
