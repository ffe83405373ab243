// Entering cabin's user namespace (see podman-unshare(1)).
#pragma once

#include <sys/types.h>

#include <string>

#include "rootless/idmap.h"
#include "util/fd.h"

namespace cabin::rootless {

struct UsernsState {
  IdMapping mapping;         // in effect
  bool entered = false;      // false when cabin runs as real root
  std::string single_id_reason;  // why only one id is mapped (empty otherwise)
  std::string single_id_fix;     // what would map the whole range (rootless/fixes.h)
  std::string user_name;         // the real user, for messages
};

// Moves the calling process — which must still be single-threaded — into a
// new user and mount namespace in which it is root. With subordinate ranges
// and newuidmap/newgidmap the whole mapping is installed; otherwise, or if
// those tools fail, only the user's own uid and gid are mapped to 0.
// As real root this does nothing. Throws cabin::Error with a diagnosis when
// user namespaces cannot be created.
const UsernsState& enter_user_namespace();

// The user namespace to be in to join the namespace at ns_path (a
// /proc/PID/ns/net, or a file one is mounted on): the one that owns it, or
// the ancestor of that (a --userns=keep-id container's) whose parent is ours.
// An empty fd when that is ours already. Throws cabin::Error when it is not
// below ours (another cabin invocation's namespace, while we are in our own).
UniqueFd user_namespace_owning(const std::string& ns_path);

// Like enter_user_namespace, but joins the user namespace fd (from
// user_namespace_owning) instead of making one, then makes a mount namespace of
// its own. The calling process must be single-threaded and in the host's
// user namespace.
const UsernsState& join_user_namespace(int fd);

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
