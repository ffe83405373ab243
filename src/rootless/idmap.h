// User and group id mappings for the user namespace, from /etc/subuid and
// /etc/subgid (see subuid(5)).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cabin::rootless {

struct IdRange {
  uint32_t container_id;  // first id inside
  uint32_t host_id;       // first id outside
  uint32_t size;
  bool operator==(const IdRange&) const = default;
};

struct IdMapping {
  std::vector<IdRange> uids;
  std::vector<IdRange> gids;
  // True when there were no subordinate ranges (or no newuidmap): only the
  // user's own id is mapped, to 0.
  bool single_id() const { return uids.size() <= 1 && gids.size() <= 1; }
  // Total number of ids mapped.
  uint64_t uid_count() const;
  uint64_t gid_count() const;
};

// Subordinate ranges for a user from subuid(5)-format text; entries may name
// the user or its numeric id.
std::vector<IdRange> parse_subid(std::string_view text, std::string_view user, uid_t id);

// The mapping cabin uses for the calling user: 0 → uid, then 1.. → the
// subordinate ranges in file order.
IdMapping mapping_for(uid_t uid, gid_t gid, std::string_view user,
                      std::string_view subuid_text, std::string_view subgid_text);

// The current user's mapping from /etc/subuid and /etc/subgid.
IdMapping current_mapping();

// Maps an id inside to the host; returns -1 when unmapped.
int64_t to_host(const std::vector<IdRange>& ranges, uint32_t inside);

// The uid_map file text for ranges: "0 1000 1\n1 100000 65536\n".
std::string map_text(const std::vector<IdRange>& ranges);

std::string current_user_name();

}  // namespace cabin::rootless
