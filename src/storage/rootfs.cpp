#include "storage/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"

namespace cabin::storage {

std::string driver_name(Driver d) {
  switch (d) {
    case Driver::Overlay: return "overlay";
    case Driver::FuseOverlayfs: return "fuse-overlayfs";
    case Driver::Vfs: return "vfs";
  }
  return "overlay";
}

Driver parse_driver(const std::string& name) {
  if (name == "overlay" || name == "overlay2") return Driver::Overlay;
  if (name == "fuse-overlayfs") return Driver::FuseOverlayfs;
  if (name == "vfs") return Driver::Vfs;
  fail("unknown storage driver {:?}: cabin supports overlay, fuse-overlayfs and vfs", name);
}

Driver choose_driver(const std::string& /*graphroot*/, const std::string& requested) {
  return requested.empty() ? Driver::Overlay : parse_driver(requested);
}

std::string reported_driver(const std::string& /*graphroot*/, const std::string& requested) {
  return requested.empty() ? "overlay" : driver_name(parse_driver(requested));
}

MountedRootfs::MountedRootfs(MountedRootfs&& o) noexcept
    : path_(std::move(o.path_)), helper_(std::exchange(o.helper_, -1)), mounted_(std::exchange(o.mounted_, false)) {}

MountedRootfs& MountedRootfs::operator=(MountedRootfs&& o) noexcept {
  if (this != &o) {
    this->~MountedRootfs();
    new (this) MountedRootfs(std::move(o));
  }
  return *this;
}

MountedRootfs::~MountedRootfs() {
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  if (helper_ > 0) {
    int status;
    while (::waitpid(helper_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

namespace {

// The kernel's overlay, mounted in our user namespace with userxattr, each
// layer added with "lowerdir+" (Linux 6.8) so the number of layers is not
// limited by the page-sized option string.
void mount_overlay(const RootfsRequest& r) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) throw_errno("overlay: fsopen");
  auto set = [&](const char* key, const std::string& value) {
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0)
      throw_errno("overlay: {} {}", key, value);
  };
  for (const auto& dir : r.lower_dirs) set("lowerdir+", dir);
  set("upperdir", r.upper_dir);
  set("workdir", r.work_dir);
  if (::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, 0) != 0) throw_errno("overlay: userxattr");
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) throw_errno("overlay: mount");
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) throw_errno("overlay: fsmount");
  if (::move_mount(mnt.get(), "", AT_FDCWD, r.target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    throw_errno("overlay: mount on {}", r.target);
}

}  // namespace

MountedRootfs mount_rootfs(Driver driver, const RootfsRequest& request) {
  if (driver != Driver::Overlay || request.shift) fail("storage driver {} is not supported yet", driver_name(driver));
  MountedRootfs m;
  mount_overlay(request);
  m.path_ = request.target;
  m.mounted_ = true;
  return m;
}

}  // namespace cabin::storage
