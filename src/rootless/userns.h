// Entering cabin's user namespace (see podman-unshare(1)).
#pragma once

#include <string>

#include "rootless/idmap.h"

namespace cabin::rootless {

struct UsernsState {
  IdMapping mapping;         // in effect
  bool entered = false;      // false when cabin runs as real root
  std::string single_id_reason;  // why only one id is mapped (empty otherwise)
  std::string user_name;         // the real user, for messages
};

// Moves the calling process — which must still be single-threaded — into a
// new user and mount namespace in which it is root. With subordinate ranges
// and newuidmap/newgidmap the whole mapping is installed; otherwise, or if
// those tools fail, only the user's own uid and gid are mapped to 0.
// As real root this does nothing. Throws cabin::Error with a diagnosis when
// user namespaces cannot be created.
const UsernsState& enter_user_namespace();

// The state after enter_user_namespace (or the host's when not entered).
const UsernsState& userns_state();

// Writes setgroups "deny", then uid_map and gid_map under proc_dir (e.g.
// "/proc/self"), in that order: an unprivileged writer may only map its own
// gid after denying setgroups. proc_dir is a parameter so tests can use a
// plain directory.
void write_single_id_maps(const std::string& proc_dir, uid_t uid, gid_t gid);

// Records the mapping in graphroot/idmap.json the first time a store is used
// and warns once (per store) about a single-id mapping, or when the mapping
// differs from the recorded one.
void note_mapping_for_store(const std::string& graphroot, const UsernsState& state);

}  // namespace cabin::rootless
