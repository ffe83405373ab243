// Assembling a container's root filesystem from image layers: the storage
// drivers. Runs in cabin's user and mount namespace (entered by main), before
// the container is cloned; the mount lives in cabin's private mount
// namespace, so it disappears with the last process in it.
//
//   overlay         the kernel's overlay with userxattr (Linux 5.11+), layers
//                   added with fsconfig "lowerdir+" (6.8+) or a lowerdir=
//                   option string on older kernels: O(1) in image size
//   fuse-overlayfs  the fuse-overlayfs program, where native overlay cannot
//                   be mounted in a user namespace; also the keep-id driver,
//                   since it can present file owners shifted (uidmapping=)
//   vfs             a full copy of the layers into the container directory
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "rootless/idmap.h"

namespace cabin::storage {

enum class Driver { Overlay, FuseOverlayfs, Vfs };
std::string driver_name(Driver d);   // "overlay", "fuse-overlayfs", "vfs"
Driver parse_driver(const std::string& name);  // throws for an unknown name

// The driver to use for the store: --storage-driver / storage.conf when set
// (validated: an unusable choice fails with the reason), else the first that
// works here, probed once per store and remembered in graphroot/driver.json.
// Must run inside cabin's user namespace.
Driver choose_driver(const std::string& graphroot, const std::string& requested);
// What `cabin info` shows: the remembered or requested driver, without
// probing (info runs outside the user namespace); "overlay" when unknown.
std::string reported_driver(const std::string& graphroot, const std::string& requested);

struct RootfsRequest {
  std::vector<std::string> lower_dirs;  // image layers, top first
  std::string upper_dir, work_dir;      // empty dirs in the container's directory
  std::string target;                   // where to mount (merged/); vfs copies here
  // For a container in its own user namespace inside cabin's
  // (--userns=keep-id): its mapping, container ids -> ids in cabin's
  // namespace (IdRange.host_id = the id in cabin's namespace). Layers are
  // stored as cabin's namespace sees a normal container's files (container
  // id == cabin's id), so with a shift the mounted root must present, in
  // cabin's namespace, a file stored with owner X as owned by map(X), and
  // store a file created with owner map(Y) as owner Y. Then inside the
  // container, image files keep their owners (root's files are root's) and
  // new files land in the upper dir as a normal run would store them. Only
  // fuse-overlayfs (uidmapping=/gidmapping=) does this without copying.
  std::optional<rootless::IdMapping> shift;
};

// Keeps the root mounted while alive (a fuse-overlayfs process is its
// child); unmounts (and reaps the helper) when destroyed.
class MountedRootfs {
 public:
  MountedRootfs() = default;
  MountedRootfs(MountedRootfs&&) noexcept;
  MountedRootfs& operator=(MountedRootfs&&) noexcept;
  ~MountedRootfs();
  const std::string& path() const { return path_; }

 private:
  friend MountedRootfs mount_rootfs(Driver, const RootfsRequest&);
  std::string path_;
  pid_t helper_ = -1;
  bool mounted_ = false;
};

// Mounts (or, for vfs, copies) the layers at request.target. With a shift,
// overlay falls back to fuse-overlayfs (and vfs copies with chown). Throws
// cabin::Error naming the driver and the cause.
MountedRootfs mount_rootfs(Driver driver, const RootfsRequest& request);

}  // namespace cabin::storage
