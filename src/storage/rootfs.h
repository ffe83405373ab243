// Assembling a container's root filesystem from image layers: the storage
// drivers. Runs in cabin's user and mount namespace (entered by main), before
// the container is cloned; the mount lives in cabin's private mount
// namespace, so it disappears with the last process in it.
//
//   overlay         the kernel's overlay with userxattr, layers added with
//                   fsconfig "lowerdir+" (Linux 6.8+; on older kernels the
//                   probe finds it unusable): O(1) in image size
//   fuse-overlayfs  the fuse-overlayfs program, where native overlay cannot
//                   be mounted in a user namespace; also the keep-id driver,
//                   since it can present file owners shifted (uidmapping=)
//   vfs             a full copy of the layers into the container directory
//
// The layers are the same for all three (overlay's whiteouts: 0/0 character
// devices and user.overlay.opaque, see extract.cpp); only the containers'
// directories differ, so a store keeps the driver it started with.
#pragma once

#include <sys/types.h>

#include <memory>
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

// What choose_driver picks for a store that has no driver yet: the first
// that works here, and why the ones before it do not (empty for native
// overlay). Probes a mount in graphroot/tmp; records nothing. Must run inside
// cabin's user namespace.
struct DriverChoice {
  Driver driver;
  std::string why;
};
DriverChoice probe_driver(const std::string& graphroot);
// Why the store has the driver it has, as recorded when it was chosen
// ("requested", or why native overlay could not be used); empty when native
// overlay was chosen or nothing is recorded.
std::string recorded_driver_reason(const std::string& graphroot);

// Where choose_driver remembers the store's driver: {"driver": NAME, ...}.
std::string driver_record_path(const std::string& graphroot);

// Why fuse-overlayfs cannot be used here, naming the fix; empty when it can
// (the program is in $PATH and /dev/fuse opens read-write).
std::string fuse_overlayfs_unusable();

// The value of fuse-overlayfs's uidmapping=/gidmapping= options for a shift
// (ranges: container id -> id in cabin's namespace): "0:1:1000:1000:0:1".
// fuse-overlayfs reads STORED:SHOWN:COUNT, presenting a file stored with
// owner STORED+i as owned by SHOWN+i and storing SHOWN+i as STORED+i (ids
// outside every range show as the overflow id, 65534) -- found by experiment
// with fuse-overlayfs 1.10; containers/storage passes the same triples.
std::string fuse_overlayfs_mapping(const std::vector<rootless::IdRange>& ranges);

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
  // The upper dir dies with the container (run --rm): overlay's "volatile"
  // skips the sync of the whole upper filesystem that unmounting otherwise
  // does (tens of milliseconds on a busy disk), as Podman does for --rm.
  bool volatile_upper = false;
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
  // Keeps `below` (the mount this one's layers come from: a squashfs file's)
  // mounted while this one is, and unmounts it after this one.
  void keep_below(MountedRootfs below);

 private:
  friend MountedRootfs mount_rootfs(Driver, const RootfsRequest&);
  friend MountedRootfs mount_squashfs(const std::string&, const std::string&);
  std::string path_;
  pid_t helper_ = -1;
  bool mounted_ = false;
  std::unique_ptr<MountedRootfs> below_;
};

// Mounts (or, for vfs, copies) the layers at request.target. With a shift,
// overlay falls back to fuse-overlayfs (and vfs copies with chown). Throws
// cabin::Error naming the driver and the cause.
MountedRootfs mount_rootfs(Driver driver, const RootfsRequest& request);

// ---- single-file images: squashfs ---------------------------------------------
// `cabin image export --squashfs` writes an image's root as one squashfs
// file (its config in /.cabin/config.json inside); `run --rootfs FILE` mounts
// it read-only as the lower layer of an overlay whose upper dir is the
// container's. The kernel's squashfs cannot be mounted in a user namespace:
// squashfuse (FUSE) can.

// Where the image's config lives in a squashfs file cabin wrote.
inline constexpr const char* kSquashfsConfigPath = ".cabin/config.json";

// True when path is a regular file starting with squashfs's magic ("hsqs").
bool is_squashfs_file(const std::string& path);

// Why squashfuse cannot be used here, naming the fix; empty when it can.
std::string squashfuse_unusable();

// Mounts the squashfs file read-only at target (an existing directory) with
// squashfuse, a helper kept as our child until the mount is dropped. Call in
// cabin's user namespace. Throws cabin::Error naming the cause.
MountedRootfs mount_squashfs(const std::string& file, const std::string& target);

}  // namespace cabin::storage
