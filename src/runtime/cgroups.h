// What the host's cgroups allow a container started by this user: read once
// by `cabin info`, `cabin system doctor`, and the resource-limit flags of
// create/run (which say why they cannot be applied).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cabin::runtime {

struct CgroupHost {
  enum class Mode { V1, Hybrid, V2 };
  Mode mode = Mode::V1;
  // The controllers the host has (v2: the root's cgroup.controllers; v1:
  // those /proc/cgroups lists as enabled).
  std::vector<std::string> controllers;
  // v2: our own cgroup's directory, and whether it is delegated to us (we
  // may write it, and are not root).
  std::string own_dir;
  bool delegated = false;
  std::string mode_name() const;  // "v1", "v1 (hybrid)", "v2"
};

// Reads /sys/fs/cgroup (statfs: cgroup2 at the top is v2; a cgroup2 mount at
// /sys/fs/cgroup/unified under a tmpfs is hybrid), /proc/cgroups and
// /proc/self/cgroup.
CgroupHost detect_cgroups();

// Why a resource-limit flag (--memory, --cpus, --pids-limit …) cannot be
// applied to a rootless container here, with the fix: one sentence for an
// error message.
std::string limits_unavailable(const CgroupHost& host, std::string_view flag);

}  // namespace cabin::runtime
