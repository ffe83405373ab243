// Linux capabilities of a container's process (capabilities(7)), set with
// the raw capset/prctl syscalls: no libcap.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cabin::security {

// The highest capability number cabin knows by name (CAP_CHECKPOINT_RESTORE).
inline constexpr int kLastKnownCap = 40;

// A set of capabilities as a bit mask over capability numbers (CAP_CHOWN = 0 …).
struct CapSet {
  uint64_t bits = 0;
  bool has(int cap) const { return cap >= 0 && cap < 64 && ((bits >> cap) & 1); }
  void add(int cap) { bits |= uint64_t{1} << cap; }
  void remove(int cap) { bits &= ~(uint64_t{1} << cap); }
  bool empty() const { return bits == 0; }
  CapSet operator&(const CapSet& o) const { return {bits & o.bits}; }
  bool operator==(const CapSet&) const = default;
};

// Podman's default set: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
// NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.
CapSet default_caps();
// Every capability the running kernel knows (/proc/sys/kernel/cap_last_cap),
// limited to the ones cabin knows by name.
CapSet all_caps();
// The calling process's bounding set (PR_CAPBSET_READ): what cabin can give.
CapSet bounding_set();

// "CAP_NET_ADMIN", "net_admin", "NET_ADMIN" → its number. A name the running
// kernel does not know is unknown too. Throws cabin::Error with Podman's text
// `"CAP_FOO": unknown capability` otherwise (uppercased, CAP_ prefixed).
int parse_cap(std::string_view name);
// 12 → "CAP_NET_ADMIN"; a number without a name → "CAP_41".
std::string cap_name(int cap);
// Names in number order: ["CAP_CHOWN", …].
std::vector<std::string> cap_names(const CapSet& set);

// Applies --cap-add/--cap-drop to base as Podman (containers/common
// MergeCapabilities) does: names are case-insensitive, with or without the
// CAP_ prefix; "ALL" in add starts from every capability cabin may give
// (before the drops apply); "ALL" in drop leaves exactly the added ones.
// The result is limited to `available`. Throws on unknown names and, as
// Podman, on `capability "CAP_X" cannot be dropped and added` and on
// "adding all caps and removing all caps not allowed".
CapSet adjust_caps(CapSet base, const std::vector<std::string>& add, const std::vector<std::string>& drop,
                   const CapSet& available);
// The same, limited to bounding_set(): the container's capability set.
CapSet adjust_caps(CapSet base, const std::vector<std::string>& add,
                   const std::vector<std::string>& drop);

// The five sets a container process gets, as Podman 4 computes them
// (podman pkg/specgen/generate/security_linux.go):
//   bounding = set, always;
//   uid 0: effective = permitted = set, inheritable = ambient = none;
//   other users: effective = permitted = inheritable = ambient = only the
//   capabilities explicitly added with --cap-add ("ALL" = all of set),
//   limited to set. So `--user 1000` runs without capabilities unless asked.
struct ProcessCaps {
  CapSet bounding, effective, permitted, inheritable, ambient;
};
ProcessCaps process_caps(const CapSet& set, bool user_is_root, const std::vector<std::string>& added);

// Applies caps to the calling process. Call order in the container child
// (as crun's set_required_caps):
//   drop_bounding(caps) while still root with full caps (needs CAP_SETPCAP),
//   prctl(PR_SET_KEEPCAPS, 1), setgroups/setresgid/setresuid to the user,
//   apply_caps(caps): capset effective/permitted/inheritable, then ambient.
// Both return 0 or -errno; no allocation, no throwing: they run in the child
// after clone. Ambient errors EINVAL/EPERM are ignored, as crun does (old
// kernels, SECBIT_NO_CAP_AMBIENT_RAISE).
int drop_bounding(const ProcessCaps& caps);
int apply_caps(const ProcessCaps& caps);

}  // namespace cabin::security
