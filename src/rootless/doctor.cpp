// The checks of `cabin system doctor`, in the order a rootless user meets
// them: the user namespace (and what may forbid it), the id mapping tools and
// ranges, devices, cgroups, storage, the session, the network's sysctls.
#include "rootless/doctor.h"

#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rootless/fixes.h"
#include "rootless/idmap.h"
#include "rootless/userns.h"
#include "runtime/cgroups.h"
#include "storage/rootfs.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/process.h"
#include "util/strings.h"

namespace cabin::rootless {
namespace {

using Status = CheckStatus;
using nlohmann::json;

constexpr int kCapSetgid = 6, kCapSetuid = 7;

// A /proc/sys value, trimmed; nullopt when the file does not exist (the
// kernel has no such knob).
std::optional<std::string> sysctl(const char* name) {
  std::string path = "/proc/sys/" + std::string(name);
  std::replace(path.begin() + 10, path.end(), '.', '/');
  auto text = fs::read_file_if_exists(path);
  if (!text) return std::nullopt;
  return std::string(trim(*text));
}

long sysctl_num(const char* name, long fallback) {
  auto v = sysctl(name);
  if (!v || v->empty()) return fallback;
  return std::strtol(v->c_str(), nullptr, 10);
}

// ---- what only a child in a user namespace can find out

// A child enters cabin's user namespace exactly as every command does (with
// newuidmap, or the single-id fallback), then, for a store with no driver
// yet, probes the storage driver the way the first container will. It
// reports in JSON on a pipe; the parent is left as it was.
struct Trial {
  bool ran = false;          // the child reported
  std::string error;         // entering failed: why
  uint64_t uids = 0, gids = 0;
  std::string single_id_reason, single_id_fix;
  bool probed = false;       // the driver was probed
  std::string driver, driver_why, probe_error;
};

Trial try_user_namespace(const config::StorePaths& paths, bool probe) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    rd.reset();
    json out;
    try {
      if (::geteuid() == 0) {
        // Real root: no user namespace, but probe in a mount namespace of
        // our own so nothing shows in the host's.
        if (::unshare(CLONE_NEWNS) != 0) throw_errno("make a mount namespace");
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) throw_errno("make mounts private");
      }
      const auto& st = enter_user_namespace();
      out["uids"] = st.mapping.uid_count();
      out["gids"] = st.mapping.gid_count();
      out["single_id_reason"] = st.single_id_reason;
      out["single_id_fix"] = st.single_id_fix;
      if (probe) {
        try {
          auto c = storage::probe_driver(paths.graphroot);
          out["driver"] = storage::driver_name(c.driver);
          out["driver_why"] = c.why;
        } catch (const std::exception& e) {
          out["probe_error"] = e.what();
        }
      }
    } catch (const std::exception& e) {
      out["error"] = e.what();
    }
    write_all(wr.get(), json_text(out));
    _exit(0);
  }
  wr.reset();
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(rd.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) text.append(buf, static_cast<size_t>(n));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  Trial t;
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    t.error = "the trial process ended without a report";
    return t;
  }
  t.ran = true;
  t.error = j.value("error", "");
  t.uids = j.value("uids", uint64_t{0});
  t.gids = j.value("gids", uint64_t{0});
  t.single_id_reason = j.value("single_id_reason", "");
  t.single_id_fix = j.value("single_id_fix", "");
  t.probed = j.contains("driver") || j.contains("probe_error");
  t.driver = j.value("driver", "");
  t.driver_why = j.value("driver_why", "");
  t.probe_error = j.value("probe_error", "");
  return t;
}

Check make(std::string id, std::string name, Status s, std::string detail, std::string fix = "") {
  return Check{std::move(id), std::move(name), s, std::move(detail), std::move(fix)};
}

bool rootless_user() { return ::geteuid() != 0; }

// ---- the checks

Check check_userns(const Trial& t) {
  std::string id = "userns", name = "user namespaces";
  if (!rootless_user()) return make(id, name, Status::NotApplicable, "running as root: no user namespace is needed");
  long max = sysctl_num("user.max_user_namespaces", -1);
  if (max == 0)
    return make(id, name, Status::Fail, "disabled: user.max_user_namespaces is 0", fix::max_user_namespaces());
  if (sysctl_num("kernel.unprivileged_userns_clone", -1) == 0)
    return make(id, name, Status::Fail, "unprivileged ones are disabled: kernel.unprivileged_userns_clone is 0",
                fix::unprivileged_userns_clone());
  if (!t.error.empty()) {
    if (sysctl_num("kernel.apparmor_restrict_unprivileged_userns", 0) == 1)
      return make(id, name, Status::Fail,
                  "AppArmor forbids them (kernel.apparmor_restrict_unprivileged_userns is 1): " + t.error,
                  fix::apparmor_userns());
    return make(id, name, Status::Fail, t.error,
                "see the checks below; cabin's own error names the fix when it knows one");
  }
  return make(id, name, Status::Ok,
              fmt::format("created one as cabin does: {} uids and {} gids mapped{}", t.uids, t.gids,
                          max > 0 ? fmt::format(" (user.max_user_namespaces is {})", max) : ""));
}

Check check_apparmor(const Trial& t) {
  std::string id = "apparmor", name = "AppArmor";
  auto v = sysctl("kernel.apparmor_restrict_unprivileged_userns");
  if (!v) return make(id, name, Status::NotApplicable, "this kernel does not restrict user namespaces by AppArmor");
  if (*v != "1")
    return make(id, name, Status::Ok, "kernel.apparmor_restrict_unprivileged_userns is " + *v + ": no restriction");
  if (!rootless_user()) return make(id, name, Status::NotApplicable, "running as root: the restriction does not apply");
  if (t.error.empty())
    return make(id, name, Status::Ok,
                "kernel.apparmor_restrict_unprivileged_userns is 1, and a profile allows cabin user namespaces");
  return make(id, name, Status::Fail,
              "kernel.apparmor_restrict_unprivileged_userns is 1 and no AppArmor profile allows cabin user "
              "namespaces (uid_map: Operation not permitted)",
              fix::apparmor_userns());
}

// Setuid root, or the capability in the file's permitted set: what lets
// newuidmap/newgidmap write another process's map.
std::string tool_problem(const std::string& path, int cap) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fmt::format("{}: {}", path, std::strerror(errno));
  if ((st.st_mode & S_ISUID) && st.st_uid == 0) return "";
  std::string caps(64, '\0');
  ssize_t n = ::getxattr(path.c_str(), "security.capability", caps.data(), caps.size());
  if (n > 0 && file_caps_permit(std::string_view(caps.data(), static_cast<size_t>(n)), cap)) return "";
  return fmt::format("{} is neither setuid root nor has {} in its file capabilities", path,
                     cap == kCapSetuid ? "cap_setuid" : "cap_setgid");
}

Check check_idmap_tools(const Trial& t, bool have_ranges) {
  std::string id = "idmap-tools", name = "newuidmap/newgidmap";
  if (!rootless_user()) return make(id, name, Status::NotApplicable, "running as root: cabin writes id maps itself");
  std::string u = find_in_path("newuidmap"), g = find_in_path("newgidmap");
  Status missing = have_ranges ? Status::Warn : Status::Note;
  std::string without = have_ranges ? ": cabin falls back to a single-id map" : "";
  if (u.empty() || g.empty())
    return make(id, name, missing, fmt::format("{} not found{}", u.empty() ? "newuidmap" : "newgidmap", without),
                fix::install_uidmap());
  std::vector<std::string> problems, fixes;
  if (auto p = tool_problem(u, kCapSetuid); !p.empty()) {
    problems.push_back(p);
    fixes.push_back(fix::setuid_idmap_tool(u, "cap_setuid"));
  }
  if (auto p = tool_problem(g, kCapSetgid); !p.empty()) {
    problems.push_back(p);
    fixes.push_back(fix::setuid_idmap_tool(g, "cap_setgid"));
  }
  if (!problems.empty()) return make(id, name, missing, join(problems, "; ") + without, join(fixes, "; "));
  // Present and privileged, yet the trial fell back: say what they printed.
  if (have_ranges && t.error.empty() && !t.single_id_reason.empty())
    return make(id, name, Status::Warn, t.single_id_reason + ": cabin fell back to a single-id map", t.single_id_fix);
  return make(id, name, Status::Ok, fmt::format("{} and {} can map ids", u, g));
}

Check check_subids(bool& have_ranges) {
  std::string id = "subids", name = "subordinate ids";
  have_ranges = false;
  if (!rootless_user()) return make(id, name, Status::NotApplicable, "running as root: every id is yours");
  std::string user = current_user_name();
  auto subuid = fs::read_file_if_exists("/etc/subuid").value_or("");
  auto subgid = fs::read_file_if_exists("/etc/subgid").value_or("");
  auto uids = parse_subid(subuid, user, ::getuid());
  auto gids = parse_subid(subgid, user, ::getuid());
  std::string source = nsswitch_subid_source(fs::read_file_if_exists("/etc/nsswitch.conf").value_or(""));
  std::string nss = source.empty() ? ""
                                   : fmt::format(" (/etc/nsswitch.conf has 'subid: {}': newuidmap asks libsubid "
                                                 "(SSSD, FreeIPA) for ranges, but cabin reads /etc/subuid and "
                                                 "/etc/subgid, so ranges must be there too)",
                                                 source);
  auto count = [](const std::vector<IdRange>& rs) {
    uint64_t n = 0;
    for (const auto& r : rs) n += r.size;
    return n;
  };
  if (!uids.empty() && !gids.empty()) {
    have_ranges = true;
    return make(id, name, Status::Ok,
                fmt::format("{} has {} subordinate uids and {} gids (first: {}:{}){}", user, count(uids), count(gids),
                            uids[0].host_id, uids[0].size, nss));
  }
  std::string missing = uids.empty() && gids.empty() ? "/etc/subuid and /etc/subgid"
                        : uids.empty()               ? "/etc/subuid"
                                                     : "/etc/subgid";
  return make(id, name, Status::Warn,
              fmt::format("no ranges for {} in {}{}: cabin still works with a single-id map, but {}", user, missing,
                          nss, fix::single_id_limits()),
              fix::add_subids(user, subuid, subgid));
}

Check check_tun() {
  std::string id = "tun", name = "/dev/net/tun";
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (fd) return make(id, name, Status::Ok, "opens read-write: containers get user-mode networking");
  int err = errno;
  return make(id, name, Status::Fail,
              fmt::format("cannot open /dev/net/tun: {}: containers' default network (user-mode networking) needs "
                          "it, so only --network none and --network host work",
                          std::strerror(err)),
              fix::open_tun());
}

// fuse-overlayfs: the driver where native overlay cannot mount, and the one
// --userns=keep-id uses.
Check check_fuse() {
  std::string id = "fuse", name = "/dev/fuse";
  std::string why = storage::fuse_overlayfs_unusable();
  if (why.empty()) return make(id, name, Status::Ok, "fuse-overlayfs is installed and /dev/fuse opens read-write");
  // The fix is in the reason's "(fix: …)": split it off.
  std::string fix_text;
  if (auto pos = why.rfind(" (fix: "); pos != std::string::npos && why.back() == ')') {
    fix_text = why.substr(pos + 7, why.size() - pos - 8);
    why.resize(pos);
  }
  return make(id, name, Status::Warn,
              why + ": fuse-overlayfs cannot be used (--userns=keep-id needs it, and so does a store where native "
                    "overlay cannot mount)",
              fix_text);
}

Check check_cgroups() {
  std::string id = "cgroups", name = "cgroups";
  auto host = runtime::detect_cgroups();
  std::string flags = "resource limits (--memory, --cpus, --pids-limit)";
  if (!rootless_user())
    return make(id, name, Status::Ok, fmt::format("cgroup {} (root needs no delegation)", host.mode_name()));
  if (host.mode != runtime::CgroupHost::Mode::V2)
    return make(id, name, Status::Warn,
                fmt::format("cgroup {}: {} cannot be applied rootless, since cgroup v1 cannot be delegated to a "
                            "user safely",
                            host.mode_name(), flags),
                fix::cgroup_v2());
  if (!host.delegated)
    return make(id, name, Status::Warn,
                fmt::format("cgroup v2, not delegated to you ({} is not writable): {} cannot be applied", host.own_dir,
                            flags),
                fix::cgroup_delegation());
  return make(id, name, Status::Ok,
              fmt::format("cgroup v2, delegated to you ({}); cabin does not apply {} yet", host.own_dir, flags));
}

// The graphroot, or the nearest directory above it that exists.
std::string existing_ancestor(std::string path) {
  while (!path.empty() && path != "/" && !fs::exists(path)) {
    auto slash = path.rfind('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
  return path.empty() ? "/" : path;
}

Check check_storage_fs(const config::StorePaths& paths, bool& network) {
  std::string id = "storage-fs", name = "storage filesystem";
  std::string at = existing_ancestor(paths.graphroot);
  struct statfs sfs {};
  network = false;
  if (::statfs(at.c_str(), &sfs) != 0)
    return make(id, name, Status::Warn, fmt::format("statfs {}: {}", at, std::strerror(errno)));
  auto magic = static_cast<uint64_t>(sfs.f_type);
  network = network_filesystem(magic);
  if (network)
    return make(id, name, Status::Warn,
                fmt::format("{} is on {}: a network or cluster filesystem cannot hold a rootless store (the server "
                            "checks ids cabin maps, user xattrs and locks may not work)",
                            paths.graphroot, filesystem_name(magic)),
                fix::local_storage());
  return make(id, name, Status::Ok, fmt::format("{} is on {}", paths.graphroot, filesystem_name(magic)));
}

Check check_storage_driver(const config::StorePaths& paths, const Trial& t, bool network) {
  std::string id = "storage-driver", name = "storage driver";
  std::string driver, why, whence;
  if (!paths.driver.empty()) {
    driver = storage::reported_driver(paths.graphroot, paths.driver);
    whence = "requested (--storage-driver or storage.conf)";
  } else if (fs::exists(storage::driver_record_path(paths.graphroot))) {
    driver = storage::reported_driver(paths.graphroot, "");
    why = storage::recorded_driver_reason(paths.graphroot);
    whence = "chosen when this store was first used";
  } else if (t.probed && t.probe_error.empty()) {
    driver = t.driver;
    why = t.driver_why;
    whence = "what the first container will choose";
  } else {
    return make(id, name, Status::Warn,
                "could not probe: " + (t.probe_error.empty() ? t.error : t.probe_error));
  }
  std::string detail = fmt::format("{}, {}", driver, whence);
  if (driver == "overlay") return make(id, name, Status::Ok, detail + ": native overlay in the user namespace");
  if (!why.empty() && why != "requested") detail += ": " + why;
  std::string fix_text = network ? fix::local_storage()
                                 : "native overlay needs Linux 6.8 or later and a local filesystem with user "
                                   "extended attributes (ext4, xfs, btrfs, tmpfs)";
  if (driver == "fuse-overlayfs")
    return make(id, name, Status::Ok, detail + " (layers are shared; a little slower than native overlay)");
  return make(id, name, Status::Warn, detail + " (vfs copies every layer into each container)", fix_text);
}

Check check_runtime_dir() {
  std::string id = "runtime-dir", name = "XDG_RUNTIME_DIR";
  if (!rootless_user()) return make(id, name, Status::NotApplicable, "running as root: cabin uses /run/cabin");
  std::string fallback = fmt::format("cabin uses /tmp/cabin-run-{} instead", ::getuid());
  const char* x = std::getenv("XDG_RUNTIME_DIR");
  if (!x || !*x) return make(id, name, Status::Warn, "not set: " + fallback, fix::runtime_dir());
  struct stat st {};
  if (::stat(x, &st) != 0)
    return make(id, name, Status::Warn, fmt::format("{}: {}: {}", x, std::strerror(errno), fallback), fix::runtime_dir());
  if (!S_ISDIR(st.st_mode))
    return make(id, name, Status::Warn, fmt::format("{} is not a directory: {}", x, fallback), fix::runtime_dir());
  if (st.st_uid != ::getuid())
    return make(id, name, Status::Warn, fmt::format("{} is owned by uid {}, not by you: {}", x, st.st_uid, fallback),
                fix::runtime_dir());
  if ((st.st_mode & 07777) != 0700)
    return make(id, name, Status::Warn,
                fmt::format("{} has mode {:04o}, not 0700: others may reach cabin's sockets and state there", x,
                            st.st_mode & 07777),
                fmt::format("chmod 0700 {}", x));
  return make(id, name, Status::Ok, fmt::format("{}, yours, mode 0700", x));
}

Check check_linger() {
  std::string id = "linger", name = "systemd linger";
  if (!rootless_user()) return make(id, name, Status::NotApplicable, "running as root");
  // sd_booted(3): systemd is PID 1 when /run/systemd/system exists.
  if (!fs::is_dir("/run/systemd/system"))
    return make(id, name, Status::NotApplicable,
                "systemd is not PID 1: nothing stops detached containers when you log out");
  std::string user = current_user_name();
  if (fs::exists("/var/lib/systemd/linger/" + user))
    return make(id, name, Status::Ok, "enabled: detached containers outlive your login session");
  return make(id, name, Status::Warn,
              "not enabled: systemd ends your processes at logout, detached containers (run -d) included",
              fix::enable_linger(user));
}

Check check_ports() {
  std::string id = "ports", name = "privileged ports";
  if (!rootless_user()) return make(id, name, Status::NotApplicable, "running as root: any port can be published");
  long start = sysctl_num("net.ipv4.ip_unprivileged_port_start", 1024);
  if (start <= 0) return make(id, name, Status::Ok, "net.ipv4.ip_unprivileged_port_start is 0: any port can be published");
  return make(id, name, Status::Note,
              fmt::format("net.ipv4.ip_unprivileged_port_start is {}: host ports below {} cannot be published "
                          "rootless (-p 80:80 fails; -p 8080:80 works)",
                          start, start),
              fix::unprivileged_port(80));
}

Check check_ping() {
  std::string id = "ping", name = "ping";
  if (!rootless_user()) return make(id, name, Status::NotApplicable, "running as root");
  std::string range = sysctl("net.ipv4.ping_group_range").value_or("");
  unsigned long lo = 1, hi = 0;
  std::sscanf(range.c_str(), "%lu %lu", &lo, &hi);
  std::vector<gid_t> groups(static_cast<size_t>(std::max(::getgroups(0, nullptr), 0)) + 1);
  int n = ::getgroups(static_cast<int>(groups.size() - 1), groups.data());
  groups.resize(static_cast<size_t>(std::max(n, 0)));
  groups.push_back(::getgid());
  bool in = std::any_of(groups.begin(), groups.end(), [&](gid_t g) { return g >= lo && g <= hi; });
  std::string shown = range;
  std::replace(shown.begin(), shown.end(), '\t', ' ');
  if (in) return make(id, name, Status::Ok, fmt::format("net.ipv4.ping_group_range ({}) includes your groups", shown));
  return make(id, name, Status::Note,
              fmt::format("net.ipv4.ping_group_range ({}) excludes your groups: ping works in containers with a "
                          "network of their own (cabin sets the range there), not with --network host",
                          shown),
              fix::ping_group());
}

}  // namespace

std::string_view status_name(CheckStatus s) {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::Note: return "note";
    case Status::Warn: return "warn";
    case Status::Fail: return "fail";
    case Status::NotApplicable: return "n/a";
  }
  return "ok";
}

bool DoctorReport::can_run() const {
  return std::none_of(checks.begin(), checks.end(), [](const Check& c) { return c.status == Status::Fail; });
}

DoctorReport run_doctor(const config::StorePaths& paths) {
  bool probe = paths.driver.empty() && !fs::exists(storage::driver_record_path(paths.graphroot));
  // The probe makes the store's directory where there is none yet: take away
  // what it made, so that looking changes nothing.
  std::string made;
  if (probe && !fs::exists(paths.graphroot)) {
    std::string above = existing_ancestor(paths.graphroot);
    auto next = paths.graphroot.find('/', above.size() + (above == "/" ? 0 : 1));
    made = paths.graphroot.substr(0, next);
  }
  Trial trial = try_user_namespace(paths, probe);
  if (!made.empty()) fs::remove_all(made);
  DoctorReport r;
  bool have_ranges = false, network = false;
  r.checks.push_back(check_userns(trial));
  r.checks.push_back(check_apparmor(trial));
  r.checks.push_back(check_subids(have_ranges));
  r.checks.push_back(check_idmap_tools(trial, have_ranges));
  r.checks.push_back(check_tun());
  r.checks.push_back(check_fuse());
  r.checks.push_back(check_cgroups());
  Check storage_fs = check_storage_fs(paths, network);
  r.checks.push_back(check_storage_driver(paths, trial, network));
  r.checks.push_back(std::move(storage_fs));
  r.checks.push_back(check_runtime_dir());
  r.checks.push_back(check_linger());
  r.checks.push_back(check_ports());
  r.checks.push_back(check_ping());
  return r;
}

bool file_caps_permit(std::string_view xattr, int cap) {
  // struct vfs_cap_data: le32 magic_etc, then {le32 permitted, le32
  // inheritable} for bits 0-31 and (revisions 2 and 3) 32-63.
  auto le32 = [&](size_t off) -> uint32_t {
    if (xattr.size() < off + 4) return 0;
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(xattr[off + i])); };
    return b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24;
  };
  if (xattr.size() < 12 || cap < 0 || cap > 63) return false;
  uint32_t revision = le32(0) & 0xFF000000u;
  if (revision != 0x01000000u && revision != 0x02000000u && revision != 0x03000000u) return false;
  if (cap >= 32 && (revision == 0x01000000u || xattr.size() < 20)) return false;
  uint32_t permitted = cap < 32 ? le32(4) : le32(12);
  return (permitted >> (cap % 32)) & 1u;
}

std::string filesystem_name(uint64_t magic) {
  switch (magic) {
    case 0xEF53: return "extfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x6969: return "nfs";
    case 0x794c7630: return "overlayfs";
    case 0x0BD00BD0: return "lustre";
    case 0x47504653: return "gpfs";
    case 0x19830326: return "beegfs";
    case 0xFF534D42: return "cifs";
    case 0xFE534D42: return "smb2";
    case 0x00C36400: return "ceph";
    case 0x65735546: return "fuse";
    default: return fmt::format("0x{:x}", magic);
  }
}

bool network_filesystem(uint64_t magic) {
  switch (magic) {
    case 0x6969:        // NFS
    case 0x0BD00BD0:    // Lustre
    case 0x47504653:    // GPFS (IBM Storage Scale)
    case 0x19830326:    // BeeGFS
    case 0xFF534D42:    // CIFS
    case 0xFE534D42:    // SMB2
    case 0x00C36400:    // CephFS
      return true;
    default:
      return false;
  }
}

std::string nsswitch_subid_source(std::string_view nsswitch) {
  for (const auto& raw : split(nsswitch, '\n')) {
    std::string_view line = trim(raw);
    if (!line.starts_with("subid:")) continue;
    std::string_view rest = trim(line.substr(6));
    auto hash = rest.find('#');
    if (hash != std::string_view::npos) rest = trim(rest.substr(0, hash));
    return std::string(rest);
  }
  return "";
}

}  // namespace cabin::rootless
