#include "runtime/plan.h"

#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "build/shell_words.h"
#include "format/units.h"
#include "runtime/devices.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strings.h"

namespace cabin::runtime {
namespace {

using nlohmann::json;

constexpr const char* kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::vector<std::string> strings_of(const json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

bool is_number(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// A user or group id: what is not a number below 2^32 is refused, as
// Podman's strconv.ParseUint(s, 10, 32) does.
uint32_t to_id(const std::string& s) {
  auto id = parse_number<uint32_t>(s);
  if (!id) fail("invalid user or group ID {:?}: want a number from 0 to 4294967295", s);
  return *id;
}

std::optional<std::string> get_env(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.compare(0, key.size() + 1, key + "=") == 0) return e.substr(key.size() + 1);
  return std::nullopt;
}

bool has_env(const std::vector<std::string>& env, const std::string& key) { return get_env(env, key).has_value(); }

// --env-merge NAME=VALUE, VALUE expanded against env (Docker's substitution
// rules, as Podman uses them); a variable env lacks expands to "".
std::string merged_env(const std::vector<std::string>& env, const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) fail("invalid --env-merge {:?}: it must be NAME=VALUE", text);
  return with_context(fmt::format("--env-merge {:?}", text), [&] {
    return text.substr(0, eq + 1) +
           build::expand_word(std::string_view(text).substr(eq + 1), [&](const std::string& k) { return get_env(env, k); });
  });
}

// "-e KEY": the host's value, or nothing when the host has none.
std::optional<std::string> env_entry(const std::string& text) {
  if (text.empty() || text[0] == '=') fail("invalid environment variable: {:?}", text);
  if (text.find('=') != std::string::npos) return text;
  if (const char* v = std::getenv(text.c_str())) return text + "=" + v;
  return std::nullopt;
}

void check_destination(const std::string& dst) {
  if (dst.empty() || dst[0] != '/') fail("invalid container path {:?}, must be an absolute path", dst);
}

// A container path without "." and ".." steps or a trailing slash, for
// comparing mount destinations.
std::string clean_path(const std::string& p) {
  std::string out = std::filesystem::path(p).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

void check_source(const std::string& src) {
  struct stat st {};
  if (::stat(src.c_str(), &st) != 0) throw_errno("statfs {}", src);
}

// tmpfs options as the kernel takes them, from Podman's spelling.
void apply_tmpfs_option(MountSpec& m, const std::string& opt) {
  if (opt == "ro") m.read_only = true;
  else if (opt == "rw") m.read_only = false;
  else if (opt == "noexec") m.flags |= MS_NOEXEC;
  else if (opt == "exec") m.flags &= ~static_cast<uint64_t>(MS_NOEXEC);
  else if (opt == "nosuid") m.flags |= MS_NOSUID;
  else if (opt == "suid") m.flags &= ~static_cast<uint64_t>(MS_NOSUID);
  else if (opt == "nodev") m.flags |= MS_NODEV;
  else if (opt == "dev") m.flags &= ~static_cast<uint64_t>(MS_NODEV);
  else if (opt == "tmpcopyup") m.copy_up = true;
  else if (opt == "notmpcopyup") m.copy_up = false;
  else if (opt == "z" || opt == "Z") return;
  else if (opt.rfind("size=", 0) == 0 || opt.rfind("mode=", 0) == 0 || opt.rfind("nr_inodes=", 0) == 0 ||
           opt.rfind("uid=", 0) == 0 || opt.rfind("gid=", 0) == 0)
    m.data += (m.data.empty() ? "" : ",") + opt;
  else fail("invalid mount option {:?}", opt);
}

MountSpec tmpfs_at(const std::string& dst) {
  check_destination(dst);
  MountSpec m;
  m.kind = MountSpec::Kind::Tmpfs;
  m.destination = dst;
  m.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  m.copy_up = true;  // Podman's default
  return m;
}

std::string read_text(const std::string& path) {
  auto t = fs::read_file_if_exists(path);
  return t ? *t : std::string();
}

// The host's first IPv4 address that is not loopback, for
// host.containers.internal ("" when it has none).
std::string host_address() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string out;
  for (ifaddrs* i = list; i && out.empty(); i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK))
      out = net::ip_text(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
  ::freeifaddrs(list);
  return out;
}

// /etc/hosts as Podman writes it: localhost, --add-host entries, the host
// as host.containers.internal, then the container's own names on its
// address (127.0.1.1 without one). With --network host, the host's file.
std::string hosts_file(const RunOptions& o, const net::NetConfig& n, const std::string& hostname,
                       const std::string& name) {
  std::string out;
  if (n.mode == net::Mode::Host) out = read_text("/etc/hosts");
  else
    out = "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
          "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n";
  for (const auto& h : o.add_hosts) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == h.size())
      fail("invalid value for --add-host {:?}: use HOST:IP", h);
    out += fmt::format("{}\t{}\n", h.substr(colon + 1), h.substr(0, colon));
  }
  if (n.mode == net::Mode::Slirp) {
    auto a = net::slirp_addresses(n.slirp);
    std::string host = n.slirp.allow_host_loopback ? net::ip_text(a.gateway) : host_address();
    if (!host.empty()) out += fmt::format("{}\thost.containers.internal\n", host);
    out += fmt::format("{}\t{} {}\n", net::ip_text(a.container), hostname, name);
  } else if (n.mode == net::Mode::Bridge) {
    // Its own address and its peers' come at each start (net/members.h).
    std::string host = host_address();
    if (!host.empty()) out += fmt::format("{}\thost.containers.internal\n", host);
  } else {
    out += fmt::format("127.0.1.1\t{} {}\n", hostname, name);
  }
  return out;
}

// The host's resolv.conf, with --dns, --dns-search and --dns-option
// replacing its parts. Behind the user-mode stack its DNS forwarder comes
// first; the host's loopback resolvers are unreachable from there.
std::string resolv_file(const RunOptions& o, const net::NetConfig& n) {
  std::string host = read_text("/etc/resolv.conf");
  std::vector<std::string> ns, search, opts;
  std::istringstream in(host);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, val;
    words >> key;
    if (key == "nameserver" && words >> val) ns.push_back(val);
    else if (key == "search" || key == "domain")
      while (words >> val) search.push_back(val);
    else if (key == "options")
      while (words >> val) opts.push_back(val);
  }
  if (n.mode == net::Mode::Slirp || n.mode == net::Mode::Bridge) {
    std::erase_if(ns, [](const std::string& a) { return a.rfind("127.", 0) == 0 || a == "::1"; });
    ns.insert(ns.begin(), net::ip_text(net::slirp_addresses(n.slirp).dns));
  }
  if (!o.dns.empty()) ns = o.dns;
  if (!o.dns_search.empty()) search = o.dns_search;
  if (!o.dns_options.empty()) opts = o.dns_options;
  std::string out;
  if (!search.empty() && search != std::vector<std::string>{"."}) out += "search " + join(search, " ") + "\n";
  for (const auto& a : ns) out += "nameserver " + a + "\n";
  if (!opts.empty()) out += "options " + join(opts, " ") + "\n";
  return out;
}

// Finds NAME in a passwd/group text: the fields of the first line whose
// key field (0 = name, 2 = id) equals value.
std::optional<std::vector<std::string>> find_entry(const std::string& text, size_t field, const std::string& value) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() > field && f[field] == value) return f;
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> default_masked_paths() {
  return {"/proc/acpi",        "/proc/kcore",      "/proc/keys",  "/proc/latency_stats",
          "/proc/timer_list",  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
          "/sys/firmware",     "/sys/fs/selinux",  "/sys/dev/block"};
}

std::vector<std::string> default_readonly_paths() {
  return {"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

ImageDefaults ImageDefaults::from_config(const json& config) {
  ImageDefaults d;
  const json& c = config.contains("config") && config["config"].is_object() ? config["config"] : json::object();
  d.entrypoint = strings_of(c.value("Entrypoint", json()));
  d.cmd = strings_of(c.value("Cmd", json()));
  d.env = strings_of(c.value("Env", json()));
  if (c.contains("WorkingDir") && c["WorkingDir"].is_string()) d.workdir = c["WorkingDir"];
  if (c.contains("User") && c["User"].is_string()) d.user = c["User"];
  if (c.contains("StopSignal") && c["StopSignal"].is_string()) d.stop_signal = c["StopSignal"];
  d.exposed = net::exposed_ports(config);
  if (c.contains("Volumes") && c["Volumes"].is_object())
    for (const auto& [path, _] : c["Volumes"].items()) d.volumes.push_back(path);
  if (c.contains("Healthcheck") && c["Healthcheck"].is_object()) d.healthcheck = c["Healthcheck"];
  return d;
}

std::vector<std::string> resolve_command(const ImageDefaults& image, const RunOptions& o) {
  std::vector<std::string> entrypoint = image.entrypoint;
  std::vector<std::string> cmd = image.cmd;
  if (o.entrypoint) {
    cmd.clear();
    const std::string& e = *o.entrypoint;
    auto j = json::parse(e, nullptr, false);
    if (!e.empty() && e[0] == '[' && !j.is_discarded() && j.is_array()) entrypoint = strings_of(j);
    else if (e.empty()) entrypoint.clear();
    else entrypoint = {e};
  }
  if (!o.command.empty()) cmd = o.command;
  entrypoint.insert(entrypoint.end(), cmd.begin(), cmd.end());
  if (entrypoint.empty()) fail("no command or entrypoint provided, and no CMD or ENTRYPOINT from image");
  return entrypoint;
}

void set_env(std::vector<std::string>& env, const std::string& kv) {
  auto key = kv.substr(0, kv.find('='));
  for (auto& e : env)
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = kv;
      return;
    }
  env.push_back(kv);
}

void add_env(std::vector<std::string>& env, const std::vector<std::string>& files,
             const std::vector<std::string>& values) {
  for (const auto& f : files)
    for (const auto& e : parse_env_file(f)) set_env(env, e);
  for (const auto& e : values)
    if (auto v = env_entry(e)) set_env(env, *v);
}

std::vector<std::string> parse_env_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw_errno("open env file {}", path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    if (auto e = env_entry(line)) out.push_back(*e);
  }
  return out;
}

namespace {

MountSpec volume_at(const std::string& name, const std::string& dst) {
  check_destination(dst);
  if (!name.empty() && !valid_name(name))
    fail("invalid volume name {:?}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
  MountSpec m;
  m.volume = name;
  m.anonymous = name.empty();
  m.destination = dst;
  m.copy_up = true;
  return m;
}

}  // namespace

MountSpec parse_volume(const std::string& text) {
  auto parts = split(text, ':');
  if (parts.empty() || parts.size() > 3 || parts[0].empty()) fail("invalid volume specification {:?}", text);
  if (parts.size() == 1) return volume_at("", parts[0]);
  const std::string& src = parts[0];
  bool named = src[0] != '/' && src[0] != '.';
  MountSpec m;
  if (named) {
    m = volume_at(src, parts[1]);
  } else {
    m.source = src[0] == '/' ? src : std::string(::realpath(src.c_str(), nullptr) ?: src.c_str());
    m.destination = parts[1];
    check_destination(m.destination);
  }
  if (parts.size() == 3) {
    for (const auto& opt : split(parts[2], ',')) {
      if (opt == "ro") m.read_only = true;
      else if (opt == "rw") m.read_only = false;
      else if (opt == "bind") m.recursive = false;
      else if (opt == "rbind") m.recursive = true;
      else if (opt == "U") m.chown = true;
      else if (named && (opt == "nocopy" || opt == "copy")) m.copy_up = opt == "copy";
      else if (opt == "z" || opt == "Z" || opt == "private" || opt == "rprivate" || opt == "shared" ||
               opt == "rshared" || opt == "slave" || opt == "rslave" || opt == "nosuid" || opt == "nodev" ||
               opt == "noexec" || opt == "exec" || opt == "suid" || opt == "dev")
        continue;
      else fail("invalid option type {:?}", opt);
    }
  }
  if (!named) check_source(m.source);
  return m;
}

MountSpec parse_mount(const std::string& text) {
  std::map<std::string, std::string> kv;
  std::vector<std::string> flags;
  for (const auto& field : split(text, ',')) {
    auto eq = field.find('=');
    if (eq == std::string::npos) flags.push_back(field);
    else kv[field.substr(0, eq)] = field.substr(eq + 1);
  }
  std::string type = kv.count("type") ? kv["type"] : "volume";
  std::string dst;
  for (const char* k : {"destination", "dst", "target"})
    if (kv.count(k)) dst = kv[k];
  if (dst.empty()) fail("invalid mount {:?}: must set a destination", text);
  bool ro = false;
  for (const auto& f : flags) {
    if (f == "ro" || f == "readonly") ro = true;
    else if (f == "rw") ro = false;
    else if (type == "tmpfs" && (f == "tmpcopyup" || f == "notmpcopyup")) continue;
    else if ((type == "volume" || type == "bind") && f == "U") continue;
    else if (type == "volume" && f == "volume-nocopy") continue;
    else if (f != "z" && f != "Z") fail("invalid mount option {:?}", f);
  }
  if (kv.count("readonly")) ro = kv["readonly"] != "false";
  if (kv.count("ro")) ro = kv["ro"] != "false";
  if (type == "bind") {
    std::string src;
    for (const char* k : {"source", "src"})
      if (kv.count(k)) src = kv[k];
    if (src.empty()) fail("invalid mount {:?}: must set a source", text);
    MountSpec m;
    m.source = src;
    m.destination = dst;
    m.read_only = ro;
    check_destination(dst);
    if (kv.count("bind-nonrecursive")) m.recursive = kv["bind-nonrecursive"] == "false";
    m.chown = std::find(flags.begin(), flags.end(), "U") != flags.end() || (kv.count("U") && kv["U"] != "false") ||
              (kv.count("chown") && kv["chown"] != "false");
    check_source(src);
    return m;
  }
  if (type == "tmpfs") {
    MountSpec m = tmpfs_at(dst);
    m.read_only = ro;
    if (kv.count("tmpfs-size")) m.data += "size=" + kv["tmpfs-size"];
    if (kv.count("tmpfs-mode")) m.data += (m.data.empty() ? "" : ",") + std::string("mode=") + kv["tmpfs-mode"];
    for (const auto& f : flags)
      if (f == "notmpcopyup") m.copy_up = false;
    return m;
  }
  if (type == "volume") {
    std::string src;
    for (const char* k : {"source", "src"})
      if (kv.count(k)) src = kv[k];
    MountSpec m = volume_at(src, dst);
    m.read_only = ro;
    for (const auto& f : flags)
      if (f == "volume-nocopy") m.copy_up = false;
      else if (f == "U") m.chown = true;
    if (kv.count("volume-nocopy")) m.copy_up = kv["volume-nocopy"] == "false";
    if (kv.count("U")) m.chown = kv["U"] != "false";
    if (kv.count("chown")) m.chown = kv["chown"] != "false";
    return m;
  }
  fail("invalid filesystem type {:?}", type);
}

MountSpec parse_tmpfs(const std::string& text) {
  auto colon = text.find(':');
  MountSpec m = tmpfs_at(text.substr(0, colon));
  if (colon != std::string::npos)
    for (const auto& opt : split(text.substr(colon + 1), ',')) apply_tmpfs_option(m, opt);
  return m;
}

std::pair<std::string, std::string> parse_sysctl(const std::string& text, bool host_network, bool host_ipc) {
  // Podman's list: what the kernel keeps per network or IPC namespace.
  static constexpr std::string_view kIpc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                              "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                                              "kernel.shm_rmid_forced"};
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    fail("{} is invalid, sysctl values must be in the form of KEY=VALUE", text);
  std::string key = text.substr(0, eq);
  if (key.size() > 200 || key.find('/') != std::string::npos) fail("sysctl '{}' is not allowed", key);
  bool ipc = key.starts_with("fs.mqueue.") || std::find(std::begin(kIpc), std::end(kIpc), key) != std::end(kIpc);
  if (!ipc && !key.starts_with("net."))
    fail("sysctl '{}' is not allowed: only the network (net.*) and IPC (kernel.shm*, kernel.msg*, kernel.sem, "
         "fs.mqueue.*) ones a container has of its own",
         key);
  if (!ipc && host_network)
    fail("sysctl {} can't be set since Network Namespace set to host: invalid argument", text);
  if (ipc && host_ipc) fail("sysctl {} can't be set since IPC Namespace set to host: invalid argument", text);
  return {key, text.substr(eq + 1)};
}

std::optional<mode_t> parse_umask(std::string_view text) {
  return text.size() <= 4 ? parse_number<mode_t>(text, 8) : std::nullopt;
}

std::string timezone_file(const std::string& tz) {
  std::string path = tz == "local" ? "/etc/localtime" : fs::join("/usr/share/zoneinfo", tz);
  if (tz != "local" && (tz.starts_with('/') || std::string_view("/" + tz + "/").find("/../") != std::string::npos))
    fail("invalid --tz {:?}: name a zone such as Europe/Berlin, UTC or local", tz);
  auto text = fs::is_dir(path) ? std::nullopt : fs::read_file_if_exists(path);
  if (!text || !text->starts_with("TZif"))
    fail("invalid --tz {:?}: {} is not a time zone file on this host (see /usr/share/zoneinfo)", tz, path);
  return *text;
}

Rlimit parse_ulimit(const std::string& text) {
  static const std::map<std::string, int> kNames = {
      {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
      {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},     {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},     {"nofile", RLIMIT_NOFILE},
      {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},         {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK}};
  auto eq = text.find('=');
  if (eq == std::string::npos) fail("invalid ulimit argument {:?}: use NAME=SOFT[:HARD]", text);
  auto name = text.substr(0, eq);
  auto it = kNames.find(name);
  if (it == kNames.end()) fail("invalid ulimit type: {}", name);
  auto value = [&](const std::string& v) -> rlim_t {
    if (v == "-1" || v == "unlimited") return RLIM_INFINITY;
    auto n = parse_number<rlim_t>(v);
    if (!n) fail("invalid ulimit argument {:?}: {:?} is not a number below 2^64", text, v);
    return *n;
  };
  auto vals = split(text.substr(eq + 1), ':');
  if (vals.empty() || vals.size() > 2) fail("invalid ulimit argument {:?}: use NAME=SOFT[:HARD]", text);
  Rlimit r;
  r.resource = it->second;
  r.value.rlim_cur = value(vals[0]);
  r.value.rlim_max = vals.size() == 2 ? value(vals[1]) : r.value.rlim_cur;
  if (r.value.rlim_cur > r.value.rlim_max)
    fail("ulimit error: {} soft limit {} must be less than or equal to hard limit {}", name, vals[0],
         vals.size() == 2 ? vals[1] : vals[0]);
  return r;
}

UserSpec resolve_user(const std::string& spec, const std::string& passwd, const std::string& group,
                      std::string* home) {
  UserSpec u;
  if (home) *home = "/";
  std::string user = spec.empty() ? "0" : spec.substr(0, spec.find(':'));
  std::optional<std::string> grp;
  if (auto c = spec.find(':'); c != std::string::npos) grp = spec.substr(c + 1);
  std::optional<std::vector<std::string>> pw;
  if (is_number(user)) {
    u.uid = to_id(user);
    pw = find_entry(passwd, 2, user);
  } else {
    pw = find_entry(passwd, 0, user);
    // Podman finds out when the container starts: 126, "cannot invoke".
    if (!pw)
      throw Error(fmt::format("unable to find user {}: no matching entries in passwd file", user), kExitCannotInvoke);
    u.uid = to_id((*pw)[2]);
  }
  if (pw && pw->size() > 3 && is_number((*pw)[3])) u.gid = to_id((*pw)[3]);
  if (pw && pw->size() > 5 && home) *home = (*pw)[5];
  if (grp) {
    if (is_number(*grp)) {
      u.gid = to_id(*grp);
    } else {
      auto g = find_entry(group, 0, *grp);
      if (!g || g->size() < 3)
        throw Error(fmt::format("unable to find group {}: no matching entries in group file", *grp),
                    kExitCannotInvoke);
      u.gid = to_id((*g)[2]);
    }
  }
  // Groups: the primary one, then every group that lists the user by name
  // (not when a group was given: "uid:gid" means just that group).
  u.groups.push_back(u.gid);
  if (pw && !grp) {
    std::istringstream in(group);
    for (std::string line; std::getline(in, line);) {
      auto f = split(line, ':');
      if (f.size() < 4 || !is_number(f[2])) continue;
      for (const auto& member : split(f[3], ','))
        if (member == (*pw)[0] && to_id(f[2]) != u.gid) u.groups.push_back(to_id(f[2]));
    }
  }
  return u;
}

void add_groups(UserSpec& u, const std::vector<std::string>& groups, const std::string& group_file) {
  for (const auto& g : groups) {
    if (g == "keep-groups") {
      if (groups.size() > 1) fail("the '--group-add keep-groups' option is not allowed with any other --group-add option");
      u.keep_groups = true;
      return;
    }
    gid_t gid;
    if (is_number(g)) {
      gid = to_id(g);
    } else {
      auto e = find_entry(group_file, 0, g);
      if (!e || e->size() < 3 || !is_number((*e)[2]))
        throw Error(fmt::format("unable to find group {}: no matching entries in group file", g), kExitCannotInvoke);
      gid = to_id((*e)[2]);
    }
    if (std::find(u.groups.begin(), u.groups.end(), gid) == u.groups.end()) u.groups.push_back(gid);
  }
}

std::optional<std::string> read_image_file(const Layout& layout, const std::string& path) {
  std::vector<std::string> roots = layout.lower_dirs;
  if (!layout.rootfs_dir.empty()) roots = {layout.rootfs_dir};
  for (const auto& root : roots) {
    UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) continue;
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, dir.get(), path.c_str(), &how, sizeof how);
    if (fd < 0) continue;  // not in this layer (or a lower one has it)
    UniqueFd f(static_cast<int>(fd));
    struct stat st {};
    if (::fstat(f.get(), &st) != 0) continue;
    if (S_ISCHR(st.st_mode) && st.st_rdev == 0) return std::nullopt;  // whiteout
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    return fs::read_file(fmt::format("/proc/self/fd/{}", f.get()));
  }
  return std::nullopt;
}

std::optional<KeepId> parse_keep_id(const std::string& userns, const HostUser& host) {
  if (userns.empty() || userns == "host") return std::nullopt;
  if (userns != "keep-id" && userns.rfind("keep-id:", 0) != 0)
    fail("--userns={} is not supported: use keep-id or host", userns);
  KeepId k{host.uid, host.gid};
  if (userns.size() > 8) {
    for (const auto& opt : split(userns.substr(8), ',')) {
      auto eq = opt.find('=');
      std::string key = opt.substr(0, eq), val = eq == std::string::npos ? "" : opt.substr(eq + 1);
      if (!is_number(val)) fail("invalid --userns option {:?}: want uid=N or gid=N", opt);
      if (key == "uid") k.uid = to_id(val);
      else if (key == "gid") k.gid = to_id(val);
      else fail("unknown --userns keep-id option {:?}", key);
    }
  }
  return k;
}

std::vector<rootless::IdRange> keep_id_ranges(uint32_t uid, uint64_t ns_ids) {
  std::vector<rootless::IdRange> out;
  if (ns_ids <= 1) return {{uid, 0, 1}};
  uint32_t below = static_cast<uint32_t>(std::min<uint64_t>(uid, ns_ids - 1));
  if (below > 0) out.push_back({0, 1, below});
  out.push_back({uid, 0, 1});
  if (ns_ids > static_cast<uint64_t>(uid) + 1)
    out.push_back({uid + 1, uid + 1, static_cast<uint32_t>(ns_ids - uid - 1)});
  return out;
}

std::vector<rootless::IdRange> parse_id_maps(const std::vector<std::string>& entries, const char* kind,
                                             uint64_t ns_ids) {
  std::vector<rootless::IdRange> out;
  for (const auto& e : entries) {
    auto parts = split(e, ':');
    uint64_t v[3];
    bool ok = parts.size() == 3;
    for (size_t i = 0; ok && i < 3; ++i) {
      auto n = parse_number<uint32_t>(parts[i]);
      ok = n.has_value();
      v[i] = n.value_or(0);
    }
    if (!ok || v[2] == 0)
      fail("initializing ID mappings: {} setting is malformed expected [\"uint32:uint32:uint32\"]: [\"{}\"]", kind, e);
    if (v[1] + v[2] > ns_ids)
      fail("{} mapping {:?}: ids {}-{} of your user namespace do not exist, it has {} (0 is you, the rest your "
           "subordinate ids)",
           kind, e, v[1], v[1] + v[2] - 1, ns_ids);
    if (v[0] + v[2] > UINT32_MAX) fail("{} mapping {:?}: container ids past 4294967294", kind, e);
    rootless::IdRange r{static_cast<uint32_t>(v[0]), static_cast<uint32_t>(v[1]), static_cast<uint32_t>(v[2])};
    for (const auto& o : out) {
      bool inside = r.container_id < o.container_id + o.size && o.container_id < r.container_id + r.size;
      bool outside = r.host_id < o.host_id + o.size && o.host_id < r.host_id + r.size;
      if (inside || outside) fail("the specified {} mapping {} conflicts with other mappings", kind, e);
    }
    out.push_back(r);
  }
  return out;
}

Plan make_plan(const RunOptions& o, const ImageDefaults& image, const Layout& layout,
               const std::string& hostname, const std::string& name, const HostUser& host) {
  Plan plan;
  ContainerSpec& s = plan.spec;
  s.args = resolve_command(image, o);
  s.rootfs = layout.rootfs_dir.empty() ? layout.merged_dir : layout.rootfs_dir;
  s.read_only = o.read_only;
  s.terminal = o.tty;
  s.init = o.init;
  s.hostname = hostname;
  net::NetConfig& n = plan.net;
  n = net::parse_network(o.networks, o.network_aliases, o.ip, o.mac);
  s.new_netns = n.mode != net::Mode::Host;
  for (const auto& p : o.publish) {
    auto more = net::parse_publish(p);
    n.ports.insert(n.ports.end(), more.begin(), more.end());
  }
  auto exposed = image.exposed;
  for (const auto& e : o.expose) {
    auto more = net::parse_expose(e);
    exposed.insert(exposed.end(), more.begin(), more.end());
  }
  if (o.publish_all)
    for (const auto& e : exposed)
      if (std::none_of(n.ports.begin(), n.ports.end(), [&](const net::PortMapping& p) {
            return p.container_port == e.container_port && p.protocol == e.protocol;
          }))
        n.ports.push_back(e);
  if (!n.ports.empty() && n.mode != net::Mode::Slirp && n.mode != net::Mode::Bridge) {
    log::warn("Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use");
    n.ports.clear();
  }

  // User and environment.
  std::string home;
  std::string user = o.user.empty() ? image.user : o.user;
  std::string passwd = read_image_file(layout, "/etc/passwd").value_or("");
  std::string group = read_image_file(layout, "/etc/group").value_or("");
  auto keep_id = parse_keep_id(o.userns, host);
  std::vector<std::pair<std::string, std::string>> etc_files;  // generated /etc files
  if (keep_id) {
    // The user's own entry, as Podman adds it, unless the image has the uid.
    if (!find_entry(passwd, 2, std::to_string(keep_id->uid))) {
      if (!passwd.empty() && passwd.back() != '\n') passwd += '\n';
      passwd += fmt::format("{}:*:{}:{}:{}:{}:/bin/sh\n", host.name, keep_id->uid, keep_id->gid, host.name,
                            host.home.empty() ? "/" : host.home);
      etc_files.emplace_back("passwd", passwd);
    }
    if (!find_entry(group, 2, std::to_string(keep_id->gid))) {
      if (!group.empty() && group.back() != '\n') group += '\n';
      group += fmt::format("{}:x:{}:\n", host.name, keep_id->gid);
      etc_files.emplace_back("group", group);
    }
    if (o.user.empty()) user = fmt::format("{}:{}", keep_id->uid, keep_id->gid);
  }
  s.user = resolve_user(user, passwd, group, &home);
  add_groups(s.user, o.group_add, group);
  // Podman's defaults (TERM with or without -t), then containers.conf's,
  // the host's, the image's; --unsetenv drops from these only.
  s.env = {kDefaultPath, "TERM=xterm", "container=cabin"};
  for (const auto& e : o.config_env)
    if (auto v = env_entry(e)) set_env(s.env, *v);
  if (o.env_host)
    for (char** e = environ; *e; ++e) set_env(s.env, *e);
  for (const auto& e : image.env) set_env(s.env, e);
  for (const auto& k : o.unsetenv)
    std::erase_if(s.env, [&](const std::string& e) { return e.size() > k.size() && e.starts_with(k + "="); });
  if (o.unsetenv_all) s.env.clear();
  for (const auto& e : o.env_merge) set_env(s.env, merged_env(s.env, e));
  add_env(s.env, o.env_files, o.env);
  if (!has_env(s.env, "HOSTNAME")) set_env(s.env, "HOSTNAME=" + hostname);
  if (!has_env(s.env, "HOME")) set_env(s.env, "HOME=" + home);
  s.cwd = !o.workdir.empty() ? o.workdir : !image.workdir.empty() ? image.workdir : "/";
  // The image's WORKDIR is created when missing; a -w that does not exist is
  // an error, so that a typo does not go unnoticed (as Podman).
  s.create_cwd = o.workdir.empty();
  s.stdin_open = o.interactive;
  s.preserve_fds = o.preserve_fds;
  // Open files: the soft limit raised to the hard one, as Podman does.
  if (rlimit nofile{}; ::getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    nofile.rlim_cur = nofile.rlim_max;
    s.rlimits.push_back({RLIMIT_NOFILE, nofile});
  }
  if (s.cwd[0] != '/') fail("invalid working directory {:?}: it must be an absolute path", s.cwd);
  if (!o.umask.empty()) {
    auto mask = parse_umask(o.umask);
    if (!mask) fail("invalid umask string {}: it must be an octal mode such as 0022", o.umask);
    s.umask = *mask;
  }
  if (!o.shm_size.empty()) {
    s.shm_size = with_context("unable to translate --shm-size", [&] { return format::parse_size(o.shm_size, 1024); });
    if (s.shm_size < 1024) fail("--shm-size {}: /dev/shm needs at least 1k", o.shm_size);
  }
  for (const auto& kv : o.sysctls) s.sysctls.push_back(parse_sysctl(kv, n.mode == net::Mode::Host, false));
  for (const auto& u : o.ulimits) s.rlimits.push_back(parse_ulimit(u));

  // Mounts: the user's, then the generated /etc files unless the user
  // mounted their own.
  for (const auto& v : o.volumes) s.mounts.push_back(parse_volume(v));
  for (const auto& m : o.mounts) s.mounts.push_back(parse_mount(m));
  for (const auto& t : o.tmpfs) s.mounts.push_back(parse_tmpfs(t));
  for (const auto& d : o.devices) {
    if (is_cdi_name(d)) fail("CDI device {} was not resolved", d);  // the engine's job
    auto binds = device_mounts(parse_device(d));
    s.mounts.insert(s.mounts.end(), binds.begin(), binds.end());
  }
  auto mounted_at = [&](const std::string& dst) {
    return std::any_of(s.mounts.begin(), s.mounts.end(), [&](const MountSpec& m) { return clean_path(m.destination) == clean_path(dst); });
  };
  // --volumes-from, then the image's VOLUMEs: where the user mounted nothing.
  for (const auto& m : o.inherited_mounts)
    if (!mounted_at(m.destination)) s.mounts.push_back(m);
  for (const auto& v : image.volumes)
    if (!mounted_at(v)) s.mounts.push_back(volume_at("", v));
  if (o.read_only && o.read_only_tmpfs) {
    for (const char* dir : {"/tmp", "/var/tmp", "/run"}) {
      MountSpec m = tmpfs_at(dir);
      m.copy_up = false;
      m.flags = MS_NOSUID | MS_NODEV;
      m.data = "mode=1777";
      s.mounts.push_back(m);
    }
  }
  auto user_mounted = [&](const std::string& dst) {
    for (const auto& m : s.mounts)
      if (m.destination == dst) return true;
    return false;
  };
  fs::mkdir_p(layout.userdata_dir, 0700);
  etc_files.emplace_back("hosts", hosts_file(o, n, hostname, name));
  etc_files.emplace_back("hostname", hostname + "\n");
  etc_files.emplace_back("resolv.conf", resolv_file(o, n));
  if (!o.tz.empty()) etc_files.emplace_back("localtime", timezone_file(o.tz));
  for (const auto& [file, content] : etc_files) {
    std::string dst = std::string("/etc/") + file;
    if (user_mounted(dst)) continue;
    std::string src = fs::join(layout.userdata_dir, file);
    fs::write_file_atomic(src, content, 0644);
    MountSpec m;
    m.source = src;
    m.destination = dst;
    m.recursive = false;
    s.mounts.push_back(m);
  }

  // Security: Podman's defaults, then --privileged, --cap-*, --security-opt.
  security::CapSet caps = security::default_caps();
  if (o.privileged) {
    caps = security::all_caps();
  } else if (o.default_caps) {
    caps = {};
    for (const auto& c : *o.default_caps) caps.add(security::parse_cap(c));
  }
  // --cap-add NET_ADMIN,SYS_PTRACE: several in one value, as Podman takes them.
  auto names = [](const std::vector<std::string>& values) {
    std::vector<std::string> out;
    for (const auto& v : values)
      for (const auto& item : split(v, ','))
        if (!item.empty()) out.push_back(item);
    return out;
  };
  auto cap_add = names(o.cap_add), cap_drop = names(o.cap_drop);
  caps = security::adjust_caps(caps, cap_add, cap_drop);
  s.caps = security::process_caps(caps, s.user.uid == 0, cap_add);
  if (!o.privileged) {
    s.masked_paths = default_masked_paths();
    s.readonly_paths = default_readonly_paths();
  } else {
    s.dev_from_host = true;
    s.mount_sysfs_ro = false;
    plan.seccomp_profile = "unconfined";
  }
  for (const auto& opt : o.security_opts) {
    auto eq = opt.find_first_of("=:");
    std::string key = opt.substr(0, eq), val = eq == std::string::npos ? "" : opt.substr(eq + 1);
    if (key == "no-new-privileges") {
      s.no_new_privileges = val.empty() || val == "true";
    } else if (key == "seccomp") {
      if (val == "unconfined") plan.seccomp_profile = "unconfined";
      else plan.seccomp_profile = with_context(fmt::format("seccomp profile {}", val), [&] { return fs::read_file(val); });
    } else if (key == "label" || key == "apparmor") {
      continue;  // no SELinux or AppArmor here: accepted, as Podman on such hosts
    } else if (key == "mask") {
      for (const auto& p : split(val, ':')) s.masked_paths.push_back(p);
    } else if (key == "unmask") {
      for (const auto& p : split(val, ':')) {
        if (p == "ALL") {
          s.masked_paths.clear();
          s.readonly_paths.clear();
        }
        std::erase(s.masked_paths, p);
        std::erase(s.readonly_paths, p);
      }
    } else {
      fail("invalid --security-opt {:?}", opt);
    }
  }
  s.seccomp = plan.seccomp_profile != "unconfined";
  plan.stop_signal = image.stop_signal;
  return plan;
}

}  // namespace cabin::runtime
