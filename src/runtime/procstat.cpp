// Container processes from the host's /proc. The top part follows psgo
// v1.7.3, the version Podman 4.3 vendors (psgo.go, internal/proc,
// internal/process, internal/dev); the stats part follows Podman 4.3's
// libpod/stats_linux.go and cmd/podman/containers/stats.go, with /proc sums
// standing in for the cgroup's counters.
#include "runtime/procstat.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "format/output.h"
#include "format/units.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/strings.h"

namespace cabin::runtime {
namespace {

using std::chrono::nanoseconds;
using std::chrono::system_clock;

std::string proc_path(pid_t pid, std::string_view name) { return fmt::format("/proc/{}/{}", pid, name); }

std::optional<std::string> read_fd(int fd) {
  std::string out;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// A /proc file; nullopt on any error: the process is gone, or the caller may
// not look at it, and either way it is left out.
std::optional<std::string> read_proc_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  return read_fd(fd.get());
}

std::optional<std::string> read_link(const std::string& path) {
  char buf[256];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

// path opened under root as if root were "/": a symlink in the container's
// image cannot lead to the host's files.
UniqueFd open_in_root(int root, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd;
  do fd = ::syscall(SYS_openat2, root, path, &how, sizeof how);
  while (fd < 0 && errno == EINTR);
  return UniqueFd(fd < 0 ? -1 : static_cast<int>(fd));
}

// The names in a directory, in readdir order, without . and ..; nullopt
// when it cannot be read.
std::optional<std::vector<std::string>> list_dir(int dirfd) {
  int fd = ::dup(dirfd);
  if (fd < 0) return std::nullopt;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), ::closedir);
  if (!dir) {
    ::close(fd);
    return std::nullopt;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir.get())) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  return names;
}

uint64_t to_u64(std::string_view s) { return parse_number<uint64_t>(s).value_or(0); }

// Go's strings.Fields.
std::vector<std::string> fields(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

int64_t clock_ticks() {
  static const int64_t ticks = [] {
    long t = ::sysconf(_SC_CLK_TCK);
    return t > 0 ? static_cast<int64_t>(t) : int64_t{100};
  }();
  return ticks;
}

// ticks of CLK_TCK in nanoseconds, without overflowing for large counts.
uint64_t ticks_to_ns(uint64_t ticks) {
  auto hz = static_cast<uint64_t>(clock_ticks());
  return ticks / hz * 1000000000ULL + ticks % hz * 1000000000ULL / hz;
}

// /proc/PID/stat, split after the command name (which may hold blanks and
// parentheses, hence the last ')').
struct Stat {
  std::string comm;
  std::vector<std::string> rest;  // from field 3 (state) on
  // Field n as numbered in proc(5), n >= 3.
  const std::string& field(size_t n) const {
    static const std::string empty;
    return n >= 3 && n - 3 < rest.size() ? rest[n - 3] : empty;
  }
  uint64_t num(size_t n) const { return to_u64(field(n)); }
};

std::optional<Stat> read_stat(pid_t pid) {
  auto data = read_proc_file(proc_path(pid, "stat"));
  if (!data) return std::nullopt;
  size_t open = data->find('(');
  size_t close = data->rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  Stat s;
  s.comm = data->substr(open + 1, close - open - 1);
  s.rest = fields(std::string_view(*data).substr(close + 1));
  return s;
}

// /proc/PID/status: each key ("Uid") with the fields after it.
using Status = std::map<std::string, std::vector<std::string>, std::less<>>;

std::optional<Status> read_status(pid_t pid) {
  auto data = read_proc_file(proc_path(pid, "status"));
  if (!data) return std::nullopt;
  Status s;
  for (const auto& line : split(*data, '\n')) {
    auto f = fields(line);
    if (f.size() < 2 || f[0].back() != ':') continue;
    std::string key = f[0].substr(0, f[0].size() - 1);
    f.erase(f.begin());
    s.emplace(std::move(key), std::move(f));
  }
  return s;
}

const std::vector<std::string>& status_fields(const Status& s, std::string_view key) {
  static const std::vector<std::string> none;
  auto it = s.find(key);
  return it == s.end() ? none : it->second;
}

std::string status_field(const Status& s, std::string_view key, size_t i = 0) {
  const auto& f = status_fields(s, key);
  return i < f.size() ? f[i] : std::string();
}

struct Process {
  pid_t host_pid = 0;
  Stat stat;
  Status status;
  std::vector<std::string> cmdline;
  // The pid and process group inside the container's PID namespace: the
  // last of NSpid and NSpgid.
  std::string ns_pid;
  std::string ns_pgid;
};

std::optional<Process> read_process(pid_t pid) {
  Process p;
  p.host_pid = pid;
  auto stat = read_stat(pid);
  auto status = read_status(pid);
  auto cmdline = read_proc_file(proc_path(pid, "cmdline"));
  if (!stat || !status || !cmdline) return std::nullopt;
  p.stat = std::move(*stat);
  p.status = std::move(*status);
  // Split as Go's bytes.Split: "a\0b\0" gives "a", "b", "" (so args ends in
  // a blank, as psgo's does), "" gives one empty string.
  p.cmdline = split(*cmdline, '\0');
  const auto& nspid = status_fields(p.status, "NSpid");
  p.ns_pid = nspid.empty() ? std::to_string(pid) : nspid.back();
  const auto& nspgid = status_fields(p.status, "NSpgid");
  p.ns_pgid = nspgid.empty() ? p.stat.field(5) : nspgid.back();
  return p;
}

// ---- ids and names ----

struct IdRange {
  int64_t inside = 0, outside = 0, count = 0;
};

std::vector<IdRange> read_id_map(const std::string& path) {
  std::vector<IdRange> out;
  auto data = read_proc_file(path);
  if (!data) return out;
  for (const auto& line : split(*data, '\n')) {
    auto f = fields(line);
    if (f.size() != 3) continue;
    auto a = parse_number<int64_t>(f[0]), b = parse_number<int64_t>(f[1]), c = parse_number<int64_t>(f[2]);
    if (a && b && c) out.push_back({*a, *b, *c});
  }
  return out;
}

bool is_identity(const std::vector<IdRange>& map) {
  return map.size() == 1 && map[0].inside == 0 && map[0].outside == 0 && map[0].count == 4294967295LL;
}

std::string overflow_id(const char* path) {
  auto data = read_proc_file(path);
  std::string v = data ? std::string(trim(*data)) : std::string();
  return v.empty() ? "65534" : v;
}

// The id inside a user namespace of an id the caller sees (psgo's
// mapStatusField: idtools.RawToContainer, the overflow id when unmapped).
std::string to_inside(const std::string& id, const std::vector<IdRange>& map, const std::string& overflow) {
  auto v = parse_number<int64_t>(id);
  if (!v) return overflow;
  for (const auto& r : map)
    if (*v >= r.outside && *v < r.outside + r.count) return std::to_string(r.inside + (*v - r.outside));
  return overflow;
}

// The reverse, through the caller's own map (psgo's findID), nullopt when
// unmapped.
std::optional<std::string> to_outside(const std::string& id, const std::vector<IdRange>& map) {
  auto v = parse_number<int64_t>(id);
  if (!v) return std::nullopt;
  for (const auto& r : map)
    if (*v >= r.inside && *v < r.inside + r.count) return std::to_string(r.outside + (*v - r.inside));
  return std::nullopt;
}

// The names of a passwd or group file by id, the first line of an id
// winning, as runc's libcontainer/user (which psgo uses) returns the first
// match. Both formats have the id third: name:password:id:…
using Names = std::map<uint32_t, std::string>;

Names parse_names(std::string_view text) {
  Names out;
  for (const auto& raw : split(text, '\n')) {
    auto line = trim(raw);
    if (line.empty()) continue;
    auto parts = split(line, ':');
    if (parts.size() < 3) continue;
    // runc reads an unparsable id as 0; a comment line would then name
    // root. Such lines are skipped here.
    auto id = parse_number<uint32_t>(parts[2]);
    if (id) out.emplace(*id, parts[0]);
  }
  return out;
}

std::string name_or_id(const Names& names, const std::string& id) {
  auto v = parse_number<uint32_t>(id);
  if (!v) return id;
  auto it = names.find(*v);
  return it == names.end() ? id : it->second;
}

// ---- terminals ----

struct Tty {
  unsigned int major = 0, minor = 0;
  std::string path;  // under /dev: "pts/0", "tty1"
};

// psgo's dev.TTYs: /dev/tty* then /dev/pts/*, in the container; nullopt
// when either directory cannot be read (psgo then prints an empty TTY).
std::optional<std::vector<Tty>> list_ttys(int root) {
  std::vector<Tty> out;
  auto add = [&](const char* dir, bool only_tty) {
    UniqueFd fd = open_in_root(root, dir, O_RDONLY | O_DIRECTORY);
    if (!fd) return false;
    auto names = list_dir(fd.get());
    if (!names) return false;
    for (const auto& name : *names) {
      if (only_tty && name.rfind("tty", 0) != 0) continue;
      struct stat st;
      if (::fstatat(fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISCHR(st.st_mode)) continue;
      std::string_view sub = std::string_view(dir).substr(3);  // "" or "/pts"
      if (!sub.empty()) sub.remove_prefix(1);
      out.push_back({::major(st.st_rdev), ::minor(st.st_rdev), sub.empty() ? name : fmt::format("{}/{}", sub, name)});
    }
    return true;
  };
  if (!add("dev", true) || !add("dev/pts", false)) return std::nullopt;
  return out;
}

// ---- formats ----

// Go's strconv.FormatFloat(v, 'f', prec, 64).
std::string go_float(double v, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:.{}f}", v, prec);
}

// Go's time.Duration.Seconds().
double go_seconds(nanoseconds d) {
  int64_t ns = d.count();
  return static_cast<double>(ns / 1000000000) + static_cast<double>(ns % 1000000000) / 1e9;
}

// Go's fmtFrac: the digits of the last prec decimal places of v without
// trailing zeros (no point when all are zero); v keeps the rest.
std::string go_frac(uint64_t& v, int prec) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    auto digit = static_cast<char>('0' + v % 10);
    print = print || digit != '0';
    if (print) digits.insert(digits.begin(), digit);
    v /= 10;
  }
  return print ? "." + digits : std::string();
}

// ---- top ----

struct TopContext {
  // The container's processes by host pid → their pid inside, for PPID.
  std::map<pid_t, std::string> ns_pids;
  // psgo's joinUserNS: the container is in another user namespace than
  // the caller, so ids are mapped into it.
  bool map_ids = false;
  std::string overflow_uid, overflow_gid;
  // Podman's FillMappings (rootless): the caller's own map is not the
  // identity, and host ids go through it.
  bool rootless = false;
  std::vector<IdRange> self_uid_map, self_gid_map;
  Names users, groups;                          // the container's
  std::optional<Names> host_users, host_groups;  // the caller's, when asked
  std::optional<std::optional<std::vector<Tty>>> ttys;
  int64_t boot_time = 0;  // /proc/stat btime
  UniqueFd root;          // /proc/INIT/root

  const Names& host_names(bool group) {
    auto& names = group ? host_groups : host_users;
    if (!names) {
      auto text = read_proc_file(group ? "/etc/group" : "/etc/passwd");
      names = parse_names(text ? *text : std::string());
    }
    return *names;
  }
};

// A process's ids as psgo sees them inside the container: Uid, Gid
// (real, effective, saved, filesystem) and Groups of /proc/PID/status,
// mapped into the container's user namespace when it is not the caller's.
struct Ids {
  std::vector<std::string> uids, gids, groups;
};

Ids container_ids(const Process& p, const TopContext& ctx) {
  Ids ids{status_fields(p.status, "Uid"), status_fields(p.status, "Gid"), status_fields(p.status, "Groups")};
  ids.uids.resize(4);
  ids.gids.resize(4);
  if (ctx.map_ids) {
    auto uid_map = read_id_map(proc_path(p.host_pid, "uid_map"));
    auto gid_map = read_id_map(proc_path(p.host_pid, "gid_map"));
    for (auto& id : ids.uids) id = to_inside(id, uid_map, ctx.overflow_uid);
    for (auto& id : ids.gids) id = to_inside(id, gid_map, ctx.overflow_gid);
    for (auto& id : ids.groups) id = to_inside(id, gid_map, ctx.overflow_gid);
  }
  return ids;
}

// The start of p as psgo computes it: whole seconds since boot (the ticks
// truncated) after btime.
system_clock::time_point start_time(const Process& p, const TopContext& ctx) {
  int64_t since_boot = static_cast<int64_t>(p.stat.num(22)) / clock_ticks();
  return system_clock::time_point(std::chrono::seconds(since_boot + ctx.boot_time));
}

nanoseconds elapsed(const Process& p, const TopContext& ctx) {
  return std::chrono::duration_cast<nanoseconds>(system_clock::now() - start_time(p, ctx));
}

// utime + stime in whole seconds, as psgo's CPUTime.
int64_t cpu_seconds(const Process& p) {
  return static_cast<int64_t>(p.stat.num(14) + p.stat.num(15)) / clock_ticks();
}

// The host process of p exists in psgo's sense: p is in a PID namespace
// below the caller's.
bool has_host_view(const Process& p) { return status_fields(p.status, "NSpid").size() >= 2; }

// A host id as Podman shows it: through the caller's map when rootless
// (the overflow id when unmapped), else as is.
std::string host_id(const std::string& id, const TopContext& ctx, bool group) {
  if (!ctx.rootless) return id;
  auto out = to_outside(id, group ? ctx.self_gid_map : ctx.self_uid_map);
  return out ? *out : overflow_id(group ? "/proc/sys/fs/overflowgid" : "/proc/sys/fs/overflowuid");
}

// psgo's capabilities.TranslateMask names, bit by bit.
constexpr std::array<const char*, 41> kCapNames = {
    "CHOWN",           "DAC_OVERRIDE",  "DAC_READ_SEARCH", "FOWNER",           "FSETID",
    "KILL",            "SETGID",        "SETUID",          "SETPCAP",          "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",      "NET_RAW",          "IPC_LOCK",
    "IPC_OWNER",       "SYS_MODULE",    "SYS_RAWIO",       "SYS_CHROOT",       "SYS_PTRACE",
    "SYS_PACCT",       "SYS_ADMIN",     "SYS_BOOT",        "SYS_NICE",         "SYS_RESOURCE",
    "SYS_TIME",        "SYS_TTY_CONFIG", "MKNOD",          "LEASE",            "AUDIT_WRITE",
    "AUDIT_CONTROL",   "SETFCAP",       "MAC_OVERRIDE",    "MAC_ADMIN",        "SYSLOG",
    "WAKE_ALARM",      "BLOCK_SUSPEND", "AUDIT_READ",      "PERFMON",          "BPF",
    "CHECKPOINT_RESTORE",
};

// psgo's parseCAP: "full" for every capability psgo knows, "none" for
// none, else the names sorted and joined with commas ("unknown" for bits
// past the table).
std::string caps(const Process& p, std::string_view key) {
  uint64_t mask = 0;
  std::string hex = status_field(p.status, key);
  std::from_chars(hex.data(), hex.data() + hex.size(), mask, 16);
  if (mask == 0x1FFFFFFFFFFULL) return "full";
  std::vector<std::string> names;
  for (size_t bit = 0; bit < 64; ++bit)
    if ((mask >> bit) & 1) names.emplace_back(bit < kCapNames.size() ? kCapNames[bit] : "unknown");
  if (names.empty()) return "none";
  std::sort(names.begin(), names.end());
  return join(names, ",");
}

using DescriptorFn = std::string (*)(const Process&, TopContext&);

struct Descriptor {
  std::string_view code;    // "%C"; empty when there is none
  std::string_view normal;  // "pcpu"
  std::string_view header;  // "%CPU"
  DescriptorFn fn;
};

// psgo v1.7.3's aixFormatDescriptors, in its order.
const Descriptor kDescriptors[] = {
    {"%C", "pcpu", "%CPU",
     [](const Process& p, TopContext& ctx) {
       double cpu = static_cast<double>(cpu_seconds(p));
       return go_float(100 * cpu / go_seconds(elapsed(p, ctx)), 3);
     }},
    {"%G", "group", "GROUP",
     [](const Process& p, TopContext& ctx) { return name_or_id(ctx.groups, container_ids(p, ctx).gids[1]); }},
    {"", "groups", "GROUPS",
     [](const Process& p, TopContext& ctx) {
       std::vector<std::string> names;
       for (const auto& g : container_ids(p, ctx).groups) names.push_back(name_or_id(ctx.groups, g));
       return join(names, ",");
     }},
    {"%P", "ppid", "PPID",
     [](const Process& p, TopContext& ctx) {
       // Inside the container, a parent outside it shows as 0.
       auto ppid = parse_number<pid_t>(status_field(p.status, "PPid"));
       auto it = ppid ? ctx.ns_pids.find(*ppid) : ctx.ns_pids.end();
       return it == ctx.ns_pids.end() ? std::string("0") : it->second;
     }},
    {"%U", "user", "USER",
     [](const Process& p, TopContext& ctx) { return name_or_id(ctx.users, container_ids(p, ctx).uids[1]); }},
    {"%a", "args", "COMMAND",
     [](const Process& p, TopContext&) {
       // ps(1) shows "[name]" for an empty command line (kernel threads).
       if (p.cmdline.empty() || p.cmdline[0].empty()) return "[" + status_field(p.status, "Name") + "]";
       return join(p.cmdline, " ");
     }},
    {"%c", "comm", "COMMAND", [](const Process& p, TopContext&) { return p.stat.comm; }},
    {"%g", "rgroup", "RGROUP",
     [](const Process& p, TopContext& ctx) { return name_or_id(ctx.groups, container_ids(p, ctx).gids[0]); }},
    {"%n", "nice", "NI", [](const Process& p, TopContext&) { return p.stat.field(19); }},
    {"%p", "pid", "PID", [](const Process& p, TopContext&) { return p.ns_pid; }},
    {"%r", "pgid", "PGID", [](const Process& p, TopContext&) { return p.ns_pgid; }},
    {"%t", "etime", "ELAPSED", [](const Process& p, TopContext& ctx) { return go_duration(elapsed(p, ctx)); }},
    {"%u", "ruser", "RUSER",
     [](const Process& p, TopContext& ctx) { return name_or_id(ctx.users, container_ids(p, ctx).uids[0]); }},
    {"%x", "time", "TIME",
     [](const Process& p, TopContext&) { return go_duration(std::chrono::seconds(cpu_seconds(p))); }},
    {"%y", "tty", "TTY",
     [](const Process& p, TopContext& ctx) {
       if (!ctx.ttys) ctx.ttys = ctx.root ? list_ttys(ctx.root.get()) : std::nullopt;
       if (!*ctx.ttys) return std::string();
       // tty_nr as the kernel encodes a dev_t (new_encode_dev).
       uint64_t nr = p.stat.num(7);
       auto major = static_cast<unsigned int>((nr >> 8) & 0xfff);
       auto minor = static_cast<unsigned int>((nr & 0xff) | ((nr >> 12) & 0xfff00));
       for (const auto& t : **ctx.ttys)
         if (t.major == major && t.minor == minor) return t.path;
       return std::string("?");
     }},
    {"%z", "vsz", "VSZ", [](const Process& p, TopContext&) { return std::to_string(p.stat.num(23) / 1024); }},
    {"", "capamb", "AMBIENT CAPS", [](const Process& p, TopContext&) { return caps(p, "CapAmb"); }},
    {"", "capinh", "INHERITED CAPS", [](const Process& p, TopContext&) { return caps(p, "CapInh"); }},
    {"", "capprm", "PERMITTED CAPS", [](const Process& p, TopContext&) { return caps(p, "CapPrm"); }},
    {"", "capeff", "EFFECTIVE CAPS", [](const Process& p, TopContext&) { return caps(p, "CapEff"); }},
    {"", "capbnd", "BOUNDING CAPS", [](const Process& p, TopContext&) { return caps(p, "CapBnd"); }},
    {"", "seccomp", "SECCOMP",
     [](const Process& p, TopContext&) {
       std::string mode = status_field(p.status, "Seccomp");
       if (mode == "0") return std::string("disabled");
       if (mode == "1") return std::string("strict");
       if (mode == "2") return std::string("filter");
       return std::string("?");
     }},
    {"", "label", "LABEL",
     [](const Process& p, TopContext&) {
       auto label = read_proc_file(proc_path(p.host_pid, "attr/current"));
       if (!label) return std::string("?");
       std::string_view v = *label;
       while (!v.empty() && v.front() == '\n') v.remove_prefix(1);
       while (!v.empty() && v.back() == '\n') v.remove_suffix(1);
       return std::string(v);
     }},
    {"", "hpid", "HPID",
     [](const Process& p, TopContext&) { return has_host_view(p) ? std::to_string(p.host_pid) : std::string("?"); }},
    {"", "huser", "HUSER",
     [](const Process& p, TopContext& ctx) {
       if (!has_host_view(p)) return std::string("?");
       return name_or_id(ctx.host_names(false), host_id(status_field(p.status, "Uid", 1), ctx, false));
     }},
    {"", "hgroup", "HGROUP",
     [](const Process& p, TopContext& ctx) {
       if (!has_host_view(p)) return std::string("?");
       return name_or_id(ctx.host_names(true), host_id(status_field(p.status, "Gid", 1), ctx, true));
     }},
    {"", "hgroups", "HGROUPS",
     [](const Process& p, TopContext& ctx) {
       if (!has_host_view(p)) return std::string("?");
       // psgo names the groups only when it maps them (rootless Podman);
       // otherwise they are the numbers.
       std::vector<std::string> groups = status_fields(p.status, "Groups");
       if (ctx.rootless)
         for (auto& g : groups) g = name_or_id(ctx.host_names(true), host_id(g, ctx, true));
       return join(groups, ",");
     }},
    {"", "rss", "RSS",
     [](const Process& p, TopContext&) {
       std::string rss = status_field(p.status, "VmRSS");  // KiB; none for kernel threads
       return rss.empty() ? std::string("0") : rss;
     }},
    {"", "state", "STATE", [](const Process& p, TopContext&) { return status_field(p.status, "State"); }},
    {"", "stime", "STIME",
     [](const Process& p, TopContext& ctx) { return format::go_time_string(start_time(p, ctx)); }},
};

std::vector<const Descriptor*> translate(const std::vector<std::string>& args) {
  // Podman splits each argument at commas and drops empty parts; psgo
  // trims each and uses its defaults when none is left.
  std::vector<std::string> names;
  for (const auto& arg : args)
    for (auto& part : split(arg, ','))
      if (!part.empty()) names.push_back(std::move(part));
  if (names.empty()) names = {"user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args"};
  std::vector<const Descriptor*> out;
  for (const auto& name : names) {
    std::string_view d = trim(name);
    bool found = false;
    for (const auto& desc : kDescriptors) {
      if (d == desc.normal || (!desc.code.empty() && d == desc.code)) {
        out.push_back(&desc);
        found = true;
      }
    }
    if (!found) fail("'{}': unknown descriptor", d);
  }
  return out;
}

int64_t boot_time() {
  auto data = read_proc_file("/proc/stat");
  if (data)
    for (const auto& line : split(*data, '\n')) {
      auto f = fields(line);
      if (f.size() >= 2 && f[0] == "btime") return parse_number<int64_t>(f[1]).value_or(0);
    }
  fail("couldn't extract boot time from /proc/stat");
}

// ---- stats ----

nanoseconds boot_clock_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return std::chrono::seconds(ts.tv_sec) + nanoseconds(ts.tv_nsec);
}

uint64_t total_ram() {
  struct sysinfo si {};
  if (::sysinfo(&si) != 0) return 0;
  return static_cast<uint64_t>(si.totalram) * (si.mem_unit ? si.mem_unit : 1);
}

// Received and sent bytes of every interface but lo in /proc/PID/net/dev.
void add_net(pid_t pid, StatsSample& s) {
  auto data = read_proc_file(proc_path(pid, "net/dev"));
  if (!data) return;
  for (const auto& line : split(*data, '\n')) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (trim(std::string_view(line).substr(0, colon)) == "lo") continue;
    auto f = fields(std::string_view(line).substr(colon + 1));
    if (f.size() < 9) continue;  // the two header lines have no ':'
    s.net_rx += to_u64(f[0]);
    s.net_tx += to_u64(f[8]);
  }
}

void add_io(pid_t pid, StatsSample& s) {
  auto data = read_proc_file(proc_path(pid, "io"));
  if (!data) return;
  for (const auto& line : split(*data, '\n')) {
    auto f = fields(line);
    if (f.size() != 2) continue;
    if (f[0] == "read_bytes:") s.block_read += to_u64(f[1]);
    if (f[0] == "write_bytes:") s.block_write += to_u64(f[1]);
  }
}

}  // namespace

std::vector<pid_t> container_pids(pid_t init_pid) {
  auto ns = read_link(proc_path(init_pid, "ns/pid"));
  if (!ns) return {};
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc"), ::closedir);
  if (!dir) throw_errno("open /proc");
  std::vector<pid_t> out{init_pid};
  while (dirent* e = ::readdir(dir.get())) {
    auto pid = parse_number<pid_t>(e->d_name);
    if (!pid || *pid == init_pid) continue;
    if (read_link(proc_path(*pid, "ns/pid")) == ns) out.push_back(*pid);
  }
  std::sort(out.begin() + 1, out.end());
  return out;
}

TopTable top(pid_t init_pid, const std::vector<std::string>& descriptors) {
  auto descs = translate(descriptors);
  auto pids = container_pids(init_pid);
  if (pids.empty()) {
    // Gone, or not the caller's to look at.
    std::string link = proc_path(init_pid, "ns/pid");
    char c;
    if (::readlink(link.c_str(), &c, 1) < 0 && errno != ENOENT && errno != ESRCH) throw_errno("read {}", link);
  }
  std::vector<Process> procs;
  for (pid_t pid : pids)
    if (auto p = read_process(pid)) procs.push_back(std::move(*p));
  if (procs.empty() || procs.front().host_pid != init_pid) throw Error(ESRCH, fmt::format("process {}", init_pid));

  TopContext ctx;
  for (const auto& p : procs) ctx.ns_pids.emplace(p.host_pid, p.ns_pid);
  ctx.map_ids = read_link("/proc/self/ns/user") != read_link(proc_path(init_pid, "ns/user"));
  ctx.overflow_uid = overflow_id("/proc/sys/kernel/overflowuid");
  ctx.overflow_gid = overflow_id("/proc/sys/kernel/overflowgid");
  ctx.self_uid_map = read_id_map("/proc/self/uid_map");
  ctx.self_gid_map = read_id_map("/proc/self/gid_map");
  ctx.rootless = !is_identity(ctx.self_uid_map);
  ctx.boot_time = boot_time();
  ctx.root.reset(::open(proc_path(init_pid, "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (ctx.root) {
    // Unreadable files leave the numbers, as psgo's lookups do.
    auto read_names = [&](const char* path) {
      UniqueFd fd = open_in_root(ctx.root.get(), path, O_RDONLY);
      auto text = fd ? read_fd(fd.get()) : std::nullopt;
      return parse_names(text ? *text : std::string());
    };
    ctx.users = read_names("etc/passwd");
    ctx.groups = read_names("etc/group");
  }

  // psgo lists the container's /proc, in ascending pid order.
  std::stable_sort(procs.begin(), procs.end(), [](const Process& a, const Process& b) {
    return parse_number<int64_t>(a.ns_pid).value_or(0) < parse_number<int64_t>(b.ns_pid).value_or(0);
  });

  TopTable table;
  for (const auto* d : descs) table.headers.emplace_back(d->header);
  for (const auto& p : procs) {
    std::vector<std::string> row;
    row.reserve(descs.size());
    for (const auto* d : descs) row.push_back(d->fn(p, ctx));
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::vector<std::string> top_descriptors() {
  std::vector<std::string> out;
  for (const auto& d : kDescriptors) out.emplace_back(d.normal);
  std::sort(out.begin(), out.end());
  return out;
}

bool is_top_descriptor(std::string_view d) {
  d = trim(d);
  return std::any_of(std::begin(kDescriptors), std::end(kDescriptors), [&](const Descriptor& desc) {
    return d == desc.normal || (!desc.code.empty() && d == desc.code);
  });
}

void print_top(std::FILE* out, const TopTable& table) {
  format::TabWriter::Settings settings;
  settings.flags = 0;  // Podman's report.New(…).Init(os.Stdout, 12, 2, 2, ' ', 0)
  format::TabWriter w(out, settings);
  w.write(join(table.headers, "\t") + "\n");
  for (const auto& row : table.rows) w.write(join(row, "\t") + "\n");
  w.flush();
}

std::string go_duration(nanoseconds d) {
  int64_t v = d.count();
  bool negative = v < 0;
  uint64_t u = negative ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string out;
  if (u < 1000000000) {
    // Under a second: the largest of ns, µs, ms that fits.
    if (u == 0) return "0s";
    if (u < 1000) {
      out = fmt::format("{}ns", u);
    } else if (u < 1000000) {
      std::string frac = go_frac(u, 3);
      out = fmt::format("{}{}µs", u, frac);
    } else {
      std::string frac = go_frac(u, 6);
      out = fmt::format("{}{}ms", u, frac);
    }
  } else {
    std::string frac = go_frac(u, 9);
    out = fmt::format("{}{}s", u % 60, frac);
    u /= 60;
    if (u > 0) {
      out = fmt::format("{}m{}", u % 60, out);
      u /= 60;
      if (u > 0) out = fmt::format("{}h{}", u, out);
    }
  }
  return negative ? "-" + out : out;
}

StatsSample sample_stats(pid_t init_pid) {
  StatsSample s;
  s.at = std::chrono::steady_clock::now();
  auto pids = container_pids(init_pid);
  auto init = pids.empty() ? std::nullopt : read_stat(init_pid);
  if (!init) return s;
  s.mem_limit = total_ram();
  uint64_t ticks = 0;
  for (pid_t pid : pids) {
    auto stat = pid == init_pid ? init : read_stat(pid);
    auto status = read_status(pid);
    if (!stat || !status) continue;  // gone meanwhile
    // utime, stime, cutime, cstime
    ticks += stat->num(14) + stat->num(15) + stat->num(16) + stat->num(17);
    s.mem_bytes += to_u64(status_field(*status, "VmRSS")) * 1024;
    s.pids += std::max<uint64_t>(to_u64(status_field(*status, "Threads")), 1);
    add_io(pid, s);
  }
  s.cpu_ns = ticks_to_ns(ticks);
  auto running = boot_clock_now() - nanoseconds(ticks_to_ns(init->num(22)));
  s.running = std::max(running, nanoseconds(0));
  auto net_ns = read_link(proc_path(init_pid, "ns/net"));
  if (net_ns && net_ns != read_link("/proc/self/ns/net")) add_net(init_pid, s);
  return s;
}

double cpu_percent(const StatsSample* previous, const StatsSample& current) {
  if (!previous) return avg_cpu_percent(current);
  // A total below the previous one means other processes (Podman: a new
  // cgroup after a restart); Podman then measures from 0 at the epoch,
  // which rounds to 0.
  if (current.cpu_ns <= previous->cpu_ns) return 0;
  auto wall = std::chrono::duration_cast<nanoseconds>(current.at - previous->at).count();
  if (wall <= 0) return 0;
  return static_cast<double>(current.cpu_ns - previous->cpu_ns) / static_cast<double>(wall) * 100;
}

double avg_cpu_percent(const StatsSample& s) {
  if (s.cpu_ns == 0 || s.running.count() <= 0) return 0;
  return static_cast<double>(s.cpu_ns) / static_cast<double>(s.running.count()) * 100;
}

double mem_percent(const StatsSample& s) {
  // Podman leaves MEM % at 0 for a container that is not running.
  if (s.mem_limit == 0) return 0;
  return static_cast<double>(s.mem_bytes) / static_cast<double>(s.mem_limit) * 100;
}

std::string percent_string(double value) {
  if (std::isnan(value)) return "NaN%";
  if (std::isinf(value)) return value > 0 ? "+Inf%" : "-Inf%";
  // utils.RemoveScientificNotationFromFloat: strconv.FormatFloat(v, 'g',
  // -1, 64) uses an exponent when it is < -4 or >= 6 (precision 6 for the
  // shortest form); what precedes the 'e' is kept.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = sci.find('e');
  if (value != 0 && e != std::string_view::npos) {
    int exp = 0;
    std::string_view ex = sci.substr(e + 1);
    if (!ex.empty() && ex.front() == '+') ex.remove_prefix(1);
    std::from_chars(ex.data(), ex.data() + ex.size(), exp);
    if (exp < -4 || exp >= 6) {
      std::string_view mantissa = sci.substr(0, e);
      std::from_chars(mantissa.data(), mantissa.data() + mantissa.size(), value);
    }
  }
  return fmt::format("{:.2f}%", value);
}

StatsColumns stats_columns(const StatsSample* previous, const StatsSample& current) {
  auto pair = [](uint64_t a, uint64_t b) {
    return format::go_human_size(static_cast<double>(a), 4) + " / " + format::go_human_size(static_cast<double>(b), 4);
  };
  StatsColumns c;
  c.cpu_perc = percent_string(cpu_percent(previous, current));
  c.mem_usage = pair(current.mem_bytes, current.mem_limit);
  c.mem_perc = percent_string(mem_percent(current));
  // Received / sent, as Podman 4.4 and later print it; 4.3 swapped them
  // (NetInput took the interface's TxBytes, fixed by "Fix swapped
  // NetInput/-Output stats").
  c.net_io = pair(current.net_rx, current.net_tx);
  c.block_io = pair(current.block_read, current.block_write);
  c.pids = std::to_string(current.pids);
  c.cpu_time = go_duration(nanoseconds(current.cpu_ns));
  c.avg_cpu = percent_string(avg_cpu_percent(current));
  return c;
}

const std::vector<std::string>& stats_headers() {
  // cmd/podman/containers/stats.go: report.Headers upper-cases the
  // overrides, so "Avg CPU %" becomes "AVG CPU %".
  static const std::vector<std::string> headers = {
      "ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET IO", "BLOCK IO", "PIDS", "CPU TIME", "AVG CPU %",
  };
  return headers;
}

}  // namespace cabin::runtime
