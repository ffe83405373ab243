// A container's start plan as plain data: built and validated by cabin in
// the parent (src/runtime/plan.cpp), carried out by the executor in the
// child (src/runtime/executor.cpp), which only applies it.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rootless/idmap.h"
#include "runtime/netdev.h"
#include "security/caps.h"

namespace cabin::runtime {

// A mount made inside the container's root, in order. Destinations are
// absolute container paths, resolved under the root without following
// symlinks out of it.
struct MountSpec {
  enum class Kind { Bind, Tmpfs };
  Kind kind = Kind::Bind;
  std::string source;       // host path (Bind)
  std::string destination;  // container path
  bool read_only = false;
  bool recursive = true;    // rbind (Bind)
  std::string data;         // tmpfs options ("size=…,mode=…")
  uint64_t flags = 0;       // MS_NOSUID | MS_NODEV | MS_NOEXEC for tmpfs
  bool copy_up = false;     // tmpfs: starts with what the root has there (tmpcopyup);
                            // volume: filled from the image when fresh (not nocopy)
  std::string volume;       // a volume's name: source and kind come from it at start
  bool anonymous = false;   // -v /path or an image VOLUME: a volume made for this container
  bool chown = false;       // :U: the content's owner becomes the container's user
  // Set at start, for a fresh volume (not kept): fill it from what the root
  // has at the destination; give its top directory that directory's owner
  // and mode (or the container user's, when the root has none there).
  bool fill = false, init_owner = false;
  // --device: a host device node bound in; its permissions (r, w, m) are
  // kept and shown but not enforced (that needs a device cgroup). "" for
  // every other mount.
  std::string device;
};

struct UserSpec {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
  // --group-add keep-groups: setgroups is not called, so the process keeps
  // the groups of the user who ran cabin (host groups show as nogroup).
  bool keep_groups = false;
};

struct Rlimit {
  int resource = 0;
  rlimit value{};
};

struct ContainerSpec {
  // Root filesystem: a directory cabin has assembled (storage/rootfs.h) or
  // the user gave (--rootfs); bound onto itself in the container.
  std::string rootfs;
  bool read_only = false;  // --read-only

  // Process
  std::vector<std::string> args;  // args[0] resolved in PATH inside when not absolute
  std::vector<std::string> env;   // KEY=VALUE
  std::string cwd = "/";
  bool create_cwd = true;
  UserSpec user;
  std::vector<Rlimit> rlimits;
  mode_t umask = 022;      // --umask
  bool terminal = false;   // -t
  // The pty's first window size (OCI's process.consoleSize): rows, columns.
  // Unset: that of cabin's stdin or stdout, when a terminal.
  std::optional<std::pair<unsigned short, unsigned short>> console_size;
  bool stdin_open = false; // -i; without it (and -t) stdin is /dev/null
  bool init = false;       // --init: cabin is PID 1
  // run --preserve-fds N: cabin's fds 3..3+N-1 stay open in the command.
  // Not kept in start.json: a later start has none to pass.
  int preserve_fds = 0;

  // Isolation
  // A user namespace of the container's own inside cabin's (keep-id): its
  // mapping, container ids -> ids in cabin's namespace. Unset: cabin's.
  std::optional<rootless::IdMapping> userns;
  std::string hostname;
  bool new_netns = true;   // false for --network host
  // Set at each start, not kept in start.json: the tap devices made in the
  // new network namespace (their fds come back in Started::taps), or the
  // network namespace joined instead of a new one (container:, ns:).
  std::vector<TapSpec> taps;
  std::string join_netns;
  bool new_cgroupns = true;
  // IPC, UTS and PID namespaces: new ones (private), or none made (false:
  // --ipc/--uts/--pid host, the process stays in its waiter's), or joined
  // (set at each start, not kept: container:, ns:, a pod's infra).
  bool new_ipcns = true, new_utsns = true, new_pidns = true;
  // --sysctl: written in the container's network and IPC namespaces
  // before its /proc/sys is made read-only.
  std::vector<std::pair<std::string, std::string>> sysctls;
  uint64_t shm_size = 64 << 20;  // /dev/shm's size (--shm-size)
  std::string join_ipcns, join_utsns, join_pidns;
  // A pod's infra container: cabin's child holds the namespaces and waits
  // for a signal; nothing is exec'd (no pause image).
  bool infra = false;
  std::vector<MountSpec> mounts;  // user mounts (-v, --mount, --tmpfs) and /etc files
  std::vector<std::string> masked_paths, readonly_paths;
  bool mount_sysfs_ro = true;
  bool dev_from_host = false;  // --privileged: bind the host's /dev

  security::ProcessCaps caps;
  bool no_new_privileges = false;
  bool seccomp = true;  // the filter itself is passed separately (prepared)
};

// Podman's defaults (containers/common pkg/config default masked/read-only paths).
std::vector<std::string> default_masked_paths();
std::vector<std::string> default_readonly_paths();

}  // namespace cabin::runtime
