// CDI, the Container Device Interface (github.com/cncf-tags/container-device-interface):
// vendors describe their devices in spec files (/etc/cdi, /var/run/cdi,
// JSON or YAML) and a container asks for one by name, vendor.com/class=name
// (`--device nvidia.com/gpu=0`). The spec's edits say what that takes:
// device nodes, mounts, environment, extra groups, hooks.
//
// cabin applies them rootless: device nodes are bound from the host (a user
// namespace cannot mknod them), mounts are bind mounts. OCI hooks are not
// run (cabin runs no OCI runtime): a spec that has some gets a warning.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cabin::cdi {

struct DeviceNode {
  std::string host, container;  // host: hostPath, or path when the spec gives none
  std::string perms = "rwm";
};

struct Mount {
  std::string host, container;
  bool read_only = false;
};

struct Edits {
  std::vector<std::string> env;  // KEY=VALUE
  std::vector<DeviceNode> device_nodes;
  std::vector<Mount> mounts;
  std::vector<uint32_t> additional_gids;
  size_t hooks = 0;  // not run
};

// /etc/cdi, then /var/run/cdi (a later directory's spec of a kind wins).
std::vector<std::string> default_spec_dirs();

// The edits for the named devices (vendor.com/class=name), each device's
// with its spec's common ones, in the order asked. Throws for a spec file
// that cannot be read or is not a CDI spec (naming the file), a malformed
// name, and Podman's "unresolvable CDI devices …" for names no spec has.
Edits resolve(const std::vector<std::string>& names, const std::vector<std::string>& spec_dirs);

}  // namespace cabin::cdi
