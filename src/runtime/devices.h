// --device: host device nodes given to a container. Rootless, a device
// cannot be made (mknod) in the container's user namespace, so it is bound
// from the host (as rootless Podman does); the permissions (rwm) would need
// a device cgroup, which an unprivileged user does not have: they are
// checked, kept and shown, not enforced.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/spec.h"

namespace cabin::runtime {

struct DeviceRequest {
  std::string host;       // the host path as given
  std::string container;  // where it appears (the host path when not given)
  std::string perms = "rwm";
};

// HOST[:CONTAINER][:PERMISSIONS], Podman's rules: a second field made of
// r, w and m is the permissions. Throws for a malformed value.
DeviceRequest parse_device(const std::string& text);

// A CDI device name (vendor.com/class=name), not a path.
bool is_cdi_name(std::string_view text);

// The bind mounts that give the container the device: the host path with
// its symlinks resolved; a directory gives every device node below it, at
// the same place under the container path. Throws when the host path does
// not exist, or is (or holds) no device node.
std::vector<MountSpec> device_mounts(const DeviceRequest& d);

}  // namespace cabin::runtime
