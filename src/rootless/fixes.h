// What to do about each known rootless obstacle, in one place: `cabin system
// doctor` prints these as its "fix:" lines, and the errors and warnings that
// meet the same obstacle (userns.cpp, the executor's /dev/net/tun, create's
// cgroup flags, the storage drivers, port publishing) name the same fix with
// the same words. Each returns the fix alone ("sudo sysctl -w ..."), without
// the diagnosis, so callers can put it after their own "what went wrong".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cabin::rootless::fix {

// ---- user namespaces
std::string max_user_namespaces();
std::string unprivileged_userns_clone();
// Ubuntu 23.10+ (kernel.apparmor_restrict_unprivileged_userns=1): load the
// profile cabin installs (contrib/apparmor/cabin).
std::string apparmor_userns();
// Where meson install puts that profile.
inline constexpr std::string_view kAppArmorProfile = "/etc/apparmor.d/cabin";

// ---- subordinate ids
// One subid(5) entry of any user: START:COUNT.
struct SubidSpan {
  uint64_t start = 0, count = 0;
};
// Every entry of subuid(5)-format text, whoever it is for.
std::vector<SubidSpan> all_subid_spans(std::string_view text);
// The lowest START >= from such that START..START+count-1 overlaps none of
// taken (tried at from, then just after each entry, as usermod's own search
// does): where a new range fits without sharing ids with another user's.
uint64_t free_subid_start(const std::vector<SubidSpan>& taken, uint64_t count = 65536, uint64_t from = 100000);
// "sudo usermod --add-subuids A-B --add-subgids A-B USER" with a range that
// is free in both given files' texts.
std::string add_subids(std::string_view user, std::string_view subuid_text, std::string_view subgid_text);
// The same, reading /etc/subuid and /etc/subgid.
std::string add_subids(std::string_view user);
// What cabin's single-id fallback (no ranges) cannot do.
std::string single_id_limits();

// newuidmap/newgidmap (path: the program found, or empty when missing).
std::string install_uidmap();
std::string setuid_idmap_tool(std::string_view path, std::string_view cap);

// ---- devices
std::string open_tun();
std::string install_fuse_overlayfs();
std::string install_squashfuse();
std::string install_squashfs_tools();
std::string load_fuse();
std::string open_fuse();

// ---- cgroups
std::string cgroup_v2();
std::string cgroup_delegation();

// ---- sessions, storage, network
std::string runtime_dir();
std::string enable_linger(std::string_view user);
std::string local_storage();
std::string unprivileged_port(unsigned port);
std::string ping_group();

}  // namespace cabin::rootless::fix
