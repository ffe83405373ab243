#include "security/caps.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace cabin::security {
namespace {

// capabilities(7) names without the CAP_ prefix, by number.
constexpr std::array<std::string_view, kLastKnownCap + 1> kNames = {
    "CHOWN",             "DAC_OVERRIDE",      "DAC_READ_SEARCH",   "FOWNER",            // 0
    "FSETID",            "KILL",              "SETGID",            "SETUID",            // 4
    "SETPCAP",           "LINUX_IMMUTABLE",   "NET_BIND_SERVICE",  "NET_BROADCAST",     // 8
    "NET_ADMIN",         "NET_RAW",           "IPC_LOCK",          "IPC_OWNER",         // 12
    "SYS_MODULE",        "SYS_RAWIO",         "SYS_CHROOT",        "SYS_PTRACE",        // 16
    "SYS_PACCT",         "SYS_ADMIN",         "SYS_BOOT",          "SYS_NICE",          // 20
    "SYS_RESOURCE",      "SYS_TIME",          "SYS_TTY_CONFIG",    "MKNOD",             // 24
    "LEASE",             "AUDIT_WRITE",       "AUDIT_CONTROL",     "SETFCAP",           // 28
    "MAC_OVERRIDE",      "MAC_ADMIN",         "SYSLOG",            "WAKE_ALARM",        // 32
    "BLOCK_SUSPEND",     "AUDIT_READ",        "PERFMON",           "BPF",               // 36
    "CHECKPOINT_RESTORE",                                                               // 40
};
static_assert(!kNames.back().empty(), "one name per capability number");

// The kernel's last capability, at most the last one we can name. Kernels
// before 3.2 have no cap_last_cap: assume CAP_BLOCK_SUSPEND (36), as
// containers/common does.
int last_cap() {
  static const int last = [] {
    int n = 36;
    if (auto text = fs::read_file_if_exists("/proc/sys/kernel/cap_last_cap")) {
      if (auto v = parse_number<int>(trim(*text)); v && *v >= 0) n = *v;
    }
    return std::min(n, kLastKnownCap);
  }();
  return last;
}

// "net_admin" / "CAP_NET_ADMIN" → "CAP_NET_ADMIN", as Podman normalizes.
std::string normalize(std::string_view name) {
  std::string up(name);
  for (char& c : up) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  if (up != "ALL" && !up.starts_with("CAP_")) up.insert(0, "CAP_");
  return up;
}

bool is_all(std::string_view name) { return normalize(name) == "ALL"; }

// Parses names ("ALL" → all_set); throws on unknown ones.
CapSet parse_list(const std::vector<std::string>& names, const CapSet& all_set, bool& has_all) {
  CapSet out;
  has_all = false;
  for (const auto& n : names) {
    if (is_all(n)) {
      has_all = true;
      out.bits |= all_set.bits;
    } else {
      out.add(parse_cap(n));
    }
  }
  return out;
}

}  // namespace

CapSet default_caps() {
  CapSet s;
  for (int c : {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_SETFCAP,
                CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT})
    s.add(c);
  return s;
}

CapSet all_caps() {
  CapSet s;
  for (int c = 0; c <= last_cap(); ++c) s.add(c);
  return s;
}

CapSet bounding_set() {
  CapSet s;
  for (int c = 0; c <= last_cap(); ++c)
    if (::prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) s.add(c);
  return s;
}

int parse_cap(std::string_view name) {
  std::string full = normalize(name);
  std::string_view bare = std::string_view(full).substr(full.starts_with("CAP_") ? 4 : 0);
  for (int c = 0; c <= last_cap(); ++c)
    if (kNames[c] == bare) return c;
  fail("\"{}\": unknown capability", full);
}

std::string cap_name(int cap) {
  if (cap >= 0 && cap <= kLastKnownCap) return fmt::format("CAP_{}", kNames[cap]);
  return fmt::format("CAP_{}", cap);
}

std::vector<std::string> cap_names(const CapSet& set) {
  std::vector<std::string> out;
  for (int c = 0; c < 64; ++c)
    if (set.has(c)) out.push_back(cap_name(c));
  return out;
}

CapSet adjust_caps(CapSet base, const std::vector<std::string>& add, const std::vector<std::string>& drop,
                   const CapSet& available) {
  bool add_all, drop_all;
  // Podman validates the drops before the adds.
  CapSet dropped = parse_list(drop, available, drop_all);
  CapSet added = parse_list(add, available, add_all);
  if (drop_all) {
    if (add_all) fail("adding all caps and removing all caps not allowed");
    return added & available;
  }
  if (add_all) {
    base = available;
  } else {
    for (int c = 0; c < 64; ++c)
      if (added.has(c) && dropped.has(c)) fail("capability \"{}\" cannot be dropped and added", cap_name(c));
  }
  return CapSet{(base.bits & ~dropped.bits) | (add_all ? 0 : added.bits)} & available;
}

CapSet adjust_caps(CapSet base, const std::vector<std::string>& add, const std::vector<std::string>& drop) {
  return adjust_caps(base, add, drop, bounding_set());
}

ProcessCaps process_caps(const CapSet& set, bool user_is_root, const std::vector<std::string>& added) {
  ProcessCaps p;
  p.bounding = set;
  if (user_is_root) {
    p.effective = p.permitted = set;
    return p;
  }
  bool all;
  CapSet user = parse_list(added, set, all) & set;
  p.effective = p.permitted = p.inheritable = p.ambient = user;
  return p;
}

int drop_bounding(const ProcessCaps& caps) {
  // Up to the kernel's last capability: PR_CAPBSET_READ fails with EINVAL
  // past it. Already-dropped ones are skipped (dropping needs CAP_SETPCAP).
  for (int c = 0; c < 64; ++c) {
    int in_set = ::prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (in_set < 0) {
      if (errno == EINVAL) break;
      return -errno;
    }
    if (in_set == 1 && !caps.bounding.has(c) && ::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) return -errno;
  }
  return 0;
}

int apply_caps(const ProcessCaps& caps) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};  // _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set
  auto put = [&](const CapSet& set, __u32 __user_cap_data_struct::*field) {
    data[0].*field = static_cast<__u32>(set.bits);
    data[1].*field = static_cast<__u32>(set.bits >> 32);
  };
  put(caps.effective, &__user_cap_data_struct::effective);
  put(caps.permitted, &__user_cap_data_struct::permitted);
  put(caps.inheritable, &__user_cap_data_struct::inheritable);
  if (::syscall(SYS_capset, &hdr, data) < 0) return -errno;

  // Ambient capabilities need the capability permitted and inheritable,
  // which the capset above arranged. EINVAL: a kernel before 4.3.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
    return -errno;
  for (int c = 0; c < 64; ++c)
    if (caps.ambient.has(c) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EINVAL &&
        errno != EPERM)
      return -errno;
  return 0;
}

}  // namespace cabin::security
