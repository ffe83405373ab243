#include "runtime/cgroups.h"

#include <sys/statfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include "rootless/fixes.h"
#include "util/fs.h"
#include "util/strings.h"

namespace cabin::runtime {
namespace {

constexpr long kCgroup2Magic = 0x63677270;

bool is_cgroup2(const char* path) {
  struct statfs sfs {};
  return ::statfs(path, &sfs) == 0 && sfs.f_type == kCgroup2Magic;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& w : split(std::string(trim(text)), ' '))
    if (!w.empty()) out.push_back(w);
  return out;
}

}  // namespace

std::string CgroupHost::mode_name() const {
  switch (mode) {
    case Mode::V1: return "v1";
    case Mode::Hybrid: return "v1 (hybrid)";
    case Mode::V2: return "v2";
  }
  return "v1";
}

CgroupHost detect_cgroups() {
  CgroupHost h;
  if (is_cgroup2("/sys/fs/cgroup")) {
    h.mode = CgroupHost::Mode::V2;
    h.controllers = words(fs::read_file_if_exists("/sys/fs/cgroup/cgroup.controllers").value_or(""));
    std::string self = fs::read_file_if_exists("/proc/self/cgroup").value_or("");
    auto pos = self.find("0::");
    std::string path = pos == std::string::npos ? "" : std::string(trim(split(self.substr(pos + 3), '\n')[0]));
    h.own_dir = fs::join("/sys/fs/cgroup", path);
    h.delegated = ::geteuid() != 0 && ::access(h.own_dir.c_str(), W_OK) == 0;
    return h;
  }
  h.mode = is_cgroup2("/sys/fs/cgroup/unified") ? CgroupHost::Mode::Hybrid : CgroupHost::Mode::V1;
  for (const auto& line : split(fs::read_file_if_exists("/proc/cgroups").value_or(""), '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, '\t');
    if (f.size() >= 4 && trim(f[3]) == "1") h.controllers.push_back(f[0]);
  }
  return h;
}

std::string limits_unavailable(const CgroupHost& host, std::string_view flag) {
  if (host.mode != CgroupHost::Mode::V2)
    return fmt::format("{} needs cgroup v2: this host has cgroup {}, where a rootless container cannot get "
                       "resource limits (fix: {})",
                       flag, host.mode_name(), rootless::fix::cgroup_v2());
  if (!host.delegated)
    return fmt::format("{} needs a cgroup v2 subtree delegated to you: {} is not writable by you (fix: {}; or "
                       "run without {})",
                       flag, host.own_dir, rootless::fix::cgroup_delegation(), flag);
  return fmt::format("{} needs a cgroup of the container's own: cgroup v2 is delegated to you ({}), but cabin does "
                     "not set up cgroups yet, so run without {}",
                     flag, host.own_dir, flag);
}

}  // namespace cabin::runtime
