#include "rootless/userns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <csignal>
#include <cstring>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "rootless/fixes.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/process.h"
#include "util/strings.h"

namespace cabin::rootless {
namespace {

UsernsState g_state = [] {
  UsernsState s;
  s.mapping.uids = {{0, static_cast<uint32_t>(::getuid()), 1}};
  s.mapping.gids = {{0, static_cast<uint32_t>(::getgid()), 1}};
  return s;
}();

void write_proc(const std::string& path, std::string_view text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw_errno("open {}", path);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw_errno("write {}", path);
}

std::vector<std::string> tool_args(const char* tool, pid_t pid, const std::vector<IdRange>& ranges) {
  std::vector<std::string> argv{tool, std::to_string(pid)};
  for (const auto& r : ranges) {
    argv.push_back(std::to_string(r.container_id));
    argv.push_back(std::to_string(r.host_id));
    argv.push_back(std::to_string(r.size));
  }
  return argv;
}

// Explains why unshare(CLONE_NEWUSER) failed, naming the fix.
std::string diagnose_unshare_failure(int err) {
  auto read_num = [](const char* path) -> long {
    auto text = fs::read_file_if_exists(path);
    return text ? std::strtol(text->c_str(), nullptr, 10) : -1;
  };
  if (read_num("/proc/sys/user/max_user_namespaces") == 0)
    return "user namespaces are disabled (user.max_user_namespaces is 0): " + fix::max_user_namespaces();
  if (read_num("/proc/sys/kernel/unprivileged_userns_clone") == 0)
    return "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone is 0): " +
           fix::unprivileged_userns_clone();
  if (read_num("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
    return "AppArmor restricts unprivileged user namespaces "
           "(kernel.apparmor_restrict_unprivileged_userns is 1): " + fix::apparmor_userns();
  if (err == EINVAL) return "cabin is multi-threaded or in a chroot";
  return std::strerror(err);
}

}  // namespace

void write_single_id_maps(const std::string& proc_dir, uid_t uid, gid_t gid) {
  // Order matters: gid_map may only be written by an unprivileged process
  // once setgroups is denied.
  write_proc(proc_dir + "/setgroups", "deny");
  write_proc(proc_dir + "/uid_map", fmt::format("0 {} 1\n", uid));
  write_proc(proc_dir + "/gid_map", fmt::format("0 {} 1\n", gid));
}

const UsernsState& userns_state() { return g_state; }

namespace {

bool same_file(int fd, const struct stat& other) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && st.st_ino == other.st_ino && st.st_dev == other.st_dev;
}

// Mapping lines of /proc/self/{uid,gid}_map: "inside outside count".
std::vector<IdRange> read_map(const char* path) {
  std::vector<IdRange> out;
  auto text = fs::read_file_if_exists(path);
  if (!text) throw_errno("read {}", path);
  for (const auto& line : split(*text, '\n')) {
    unsigned long a, b, c;
    if (std::sscanf(line.c_str(), "%lu %lu %lu", &a, &b, &c) == 3)
      out.push_back({static_cast<uint32_t>(a), static_cast<uint32_t>(b), static_cast<uint32_t>(c)});
  }
  return out;
}

// Our own ids as root of the namespace, and mounts of our own.
void become_root_with_private_mounts() {
  if (::setresgid(0, 0, 0) != 0) throw_errno("setresgid in user namespace");
  if (::setresuid(0, 0, 0) != 0) throw_errno("setresuid in user namespace");
  // Nothing we mount should propagate anywhere.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw_errno("make mounts private");
}

}  // namespace

UniqueFd user_namespace_owning(const std::string& ns_path) {
  struct stat self {};
  if (::stat("/proc/self/ns/user", &self) != 0) throw_errno("stat /proc/self/ns/user");
  constexpr const char* kOther = "it belongs to another cabin command's user namespace, not this one's";
  UniqueFd target(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  // From inside a namespace of ours, one beside it is not ours to open.
  if (!target && (errno == EACCES || errno == EPERM) && g_state.entered) throw Error(kOther);
  if (!target) throw_errno("open {}", ns_path);
  UniqueFd ns(::ioctl(target.get(), NS_GET_USERNS));
  if (!ns && errno == EPERM) throw Error(kOther);
  if (!ns) throw_errno("find the user namespace that owns {}", ns_path);
  // Up from the owner until the next step would be ours.
  for (int depth = 0; depth < 33; ++depth) {
    if (same_file(ns.get(), self)) return {};
    UniqueFd parent(::ioctl(ns.get(), NS_GET_PARENT));
    if (!parent) {
      if (errno == EPERM) throw Error(kOther);
      throw_errno("find the parent of a user namespace");
    }
    if (same_file(parent.get(), self)) return ns;
    ns = std::move(parent);
  }
  throw Error("user namespaces nested too deep");
}

const UsernsState& join_user_namespace(int fd) {
  if (g_state.entered) throw Error("cabin is in a user namespace already");
  if (::setns(fd, CLONE_NEWUSER) != 0) throw_errno("join the user namespace");
  if (::unshare(CLONE_NEWNS) != 0) throw_errno("make a mount namespace");
  g_state.user_name = current_user_name();
  g_state.mapping.uids = read_map("/proc/self/uid_map");
  g_state.mapping.gids = read_map("/proc/self/gid_map");
  if (g_state.mapping.single_id()) {
    g_state.single_id_reason = fmt::format("no subordinate ids for {} in /etc/subuid and /etc/subgid", g_state.user_name);
    g_state.single_id_fix = fix::add_subids(g_state.user_name);
  }
  become_root_with_private_mounts();
  g_state.entered = true;
  return g_state;
}

const UsernsState& enter_user_namespace() {
  if (::geteuid() == 0 || g_state.entered) return g_state;

  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  g_state.user_name = current_user_name();
  IdMapping want = current_mapping();
  std::string reason, reason_fix;
  std::string newuidmap, newgidmap;
  if (want.single_id()) {
    reason = fmt::format("no subordinate ids for {} in /etc/subuid and /etc/subgid",
                         g_state.user_name);
    reason_fix = fix::add_subids(g_state.user_name);
  } else {
    newuidmap = find_in_path("newuidmap");
    newgidmap = find_in_path("newgidmap");
    if (newuidmap.empty() || newgidmap.empty()) {
      reason = "newuidmap/newgidmap not found";
      reason_fix = fix::install_uidmap();
    }
  }

  // With ranges, a helper child (still in the host's namespace) runs
  // newuidmap/newgidmap on us once we have unshared; it reports failure text
  // on a pipe.
  pid_t self = ::getpid();
  pid_t helper = -1;
  UniqueFd go_rd, go_wr, msg_rd, msg_wr;
  if (reason.empty()) {
    int go[2], msg[2];
    if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(msg, O_CLOEXEC) != 0) throw_errno("pipe");
    go_rd.reset(go[0]);
    go_wr.reset(go[1]);
    msg_rd.reset(msg[0]);
    msg_wr.reset(msg[1]);
    helper = ::fork();
    if (helper < 0) throw_errno("fork");
    if (helper == 0) {
      go_wr.reset();
      msg_rd.reset();
      char c;
      if (::read(go_rd.get(), &c, 1) != 1) _exit(1);
      // newuidmap and newgidmap run side by side: each is an exec of a
      // setuid program, and nothing orders them.
      try {
        auto results = run_processes({tool_args(newuidmap.c_str(), self, want.uids),
                                      tool_args(newgidmap.c_str(), self, want.gids)});
        for (size_t i = 0; i < results.size(); ++i) {
          if (results[i].exited_ok()) continue;
          std::string text = fmt::format("{} failed ({}): {}", i == 0 ? "newuidmap" : "newgidmap",
                                         results[i].describe(), std::string(trim(results[i].output)));
          (void)!::write(msg_wr.get(), text.data(), text.size());
          _exit(1);
        }
      } catch (const std::exception& e) {
        (void)!::write(msg_wr.get(), e.what(), std::strlen(e.what()));
        _exit(1);
      }
      _exit(0);
    }
    go_rd.reset();
    msg_wr.reset();
  }

  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
    int err = errno;
    if (helper > 0) {
      ::kill(helper, SIGKILL);
      ::waitpid(helper, nullptr, 0);
    }
    throw Error(fmt::format("cannot create a user namespace: {}", diagnose_unshare_failure(err)));
  }

  bool mapped = false;
  if (helper > 0) {
    (void)!::write(go_wr.get(), "1", 1);
    go_wr.reset();
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = ::read(msg_rd.get(), buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
    int status = 0;
    while (::waitpid(helper, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      mapped = true;
    } else {
      reason = msg.empty() ? "newuidmap failed" : msg;
      reason_fix = fmt::format("newuidmap and newgidmap must be setuid root or have file capabilities: {}; {}",
                               fix::setuid_idmap_tool(newuidmap, "cap_setuid"),
                               fix::setuid_idmap_tool(newgidmap, "cap_setgid"));
    }
  }
  if (!mapped) {
    // Both maps are written only once, so when one tool succeeded and the
    // other failed the single-id fallback cannot be written: say so.
    try {
      write_single_id_maps("/proc/self", uid, gid);
    } catch (Error& e) {
      throw e.add_context(fmt::format("cannot set up the user namespace ({}; fix: {})", reason, reason_fix));
    }
    want.uids = {{0, uid, 1}};
    want.gids = {{0, gid, 1}};
  }
  // We are uid 0 in the namespace now; make it explicit for all ids.
  become_root_with_private_mounts();

  g_state.mapping = std::move(want);
  g_state.entered = true;
  g_state.single_id_reason = reason;
  g_state.single_id_fix = reason_fix;
  return g_state;
}

void note_mapping_for_store(const std::string& graphroot, const UsernsState& state) {
  std::string path = fs::join(graphroot, "idmap.json");
  nlohmann::json now = nlohmann::json::object();
  auto ranges = [](const std::vector<IdRange>& rs) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& r : rs) a.push_back({r.container_id, r.host_id, r.size});
    return a;
  };
  now["uids"] = ranges(state.mapping.uids);
  now["gids"] = ranges(state.mapping.gids);
  auto old = fs::read_file_if_exists(path);
  if (old) {
    auto prev = nlohmann::json::parse(*old, nullptr, false);
    if (!prev.is_discarded() && prev == now) return;
    if (!prev.is_discarded()) {
      uint64_t was = 0;
      for (const auto& r : prev.value("uids", nlohmann::json::array()))
        if (r.is_array() && r.size() == 3 && r[2].is_number_unsigned()) was += r[2].get<uint64_t>();
      log::warn("the user namespace mapping changed since this store was made "
                "(now {} uids, was {}): files unpacked before appear owned by other ids",
                state.mapping.uid_count(), was);
    }
  } else if (!state.single_id_reason.empty()) {
    log::warn("{}: using a single-id mapping, every file in images is owned by you (fix: {})",
              state.single_id_reason, state.single_id_fix);
  }
  fs::mkdir_p(graphroot, 0700);
  fs::write_file_atomic(path, json_text(now) + "\n", 0600);
}

}  // namespace cabin::rootless
