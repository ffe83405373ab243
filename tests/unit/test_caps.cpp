#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "security/caps.h"
#include "util/fs.h"
#include "util/strings.h"

using namespace cabin::security;

namespace {

CapSet caps_of(std::initializer_list<int> list) {
  CapSet s;
  for (int c : list) s.add(c);
  return s;
}

// The Cap* lines of /proc/self/status, as "bnd=… eff=… prm=… inh=… amb=…".
std::string status_caps() {
  std::map<std::string, std::string> v;  // "CapBnd" → "000001ffffffffff"
  for (const auto& line : cabin::split(cabin::fs::read_file("/proc/self/status"), '\n'))
    if (line.starts_with("Cap") && line.size() > 7) v[line.substr(0, 6)] = cabin::trim(line.substr(7));
  return fmt::format("bnd={} eff={} prm={} inh={} amb={}", v["CapBnd"], v["CapEff"], v["CapPrm"], v["CapInh"],
                     v["CapAmb"]);
}

std::string expect(CapSet bnd, CapSet eff, CapSet prm, CapSet inh, CapSet amb) {
  return fmt::format("bnd={:016x} eff={:016x} prm={:016x} inh={:016x} amb={:016x}", bnd.bits, eff.bits, prm.bits,
                     inh.bits, amb.bits);
}

bool write_file(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  if (fd >= 0) ::close(fd);
  return ok;
}

// Runs fn in a forked child inside a new user namespace. The parent writes
// the maps: uid/gid 0 → ours, and when we are real root 0..65535 → the same
// host ids, so that the child can also switch to a non-root user (*multi).
// nullopt (with a warning) when user namespaces are not available.
std::optional<std::string> in_userns(const std::function<std::string()>& fn, bool* multi = nullptr) {
  const bool root = ::geteuid() == 0;
  if (multi) *multi = root;
  int to_child[2], from_child[2];
  REQUIRE(::pipe2(to_child, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(from_child, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Catch's handlers would report a crash here as a test failure.
    for (int sig : {SIGSEGV, SIGSYS, SIGILL, SIGBUS, SIGABRT, SIGFPE}) ::signal(sig, SIG_DFL);
    ::close(to_child[1]);
    ::close(from_child[0]);
    if (::unshare(CLONE_NEWUSER) != 0) {
      (void)!::write(from_child[1], "N", 1);
      ::_exit(3);
    }
    char go = 0;
    if (::write(from_child[1], "R", 1) != 1 || ::read(to_child[0], &go, 1) != 1 || go != 'G') ::_exit(4);
    std::string out;
    try {
      out = fn();
    } catch (const std::exception& e) {
      out = std::string("exception: ") + e.what();
    } catch (...) {  // a failed REQUIRE: never return into Catch here
      out = "failed assertion in the child";
    }
    (void)!::write(from_child[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  char state = 0;
  bool ready = ::read(from_child[0], &state, 1) == 1 && state == 'R';
  bool mapped = false;
  if (ready) {
    std::string proc = fmt::format("/proc/{}/", pid);
    mapped = root ? write_file(proc + "uid_map", "0 0 65536\n") && write_file(proc + "gid_map", "0 0 65536\n")
                  : write_file(proc + "setgroups", "deny") &&
                        write_file(proc + "uid_map", fmt::format("0 {} 1\n", ::geteuid())) &&
                        write_file(proc + "gid_map", fmt::format("0 {} 1\n", ::getegid()));
  }
  (void)!::write(to_child[1], mapped ? "G" : "X", 1);
  ::close(to_child[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(from_child[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(from_child[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!ready) {
    WARN("user namespaces are not available: skipped");
    return std::nullopt;
  }
  if (!mapped) {
    WARN("cannot write the user namespace's id maps: skipped");
    return std::nullopt;
  }
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

}  // namespace

TEST_CASE("capability names parse with or without CAP_, in any case", "[caps]") {
  CHECK(parse_cap("CAP_NET_ADMIN") == 12);
  CHECK(parse_cap("net_admin") == 12);
  CHECK(parse_cap("NET_ADMIN") == 12);
  CHECK(parse_cap("Cap_Chown") == 0);
  CHECK(parse_cap("setfcap") == 31);
  CHECK(cap_name(12) == "CAP_NET_ADMIN");
  CHECK(cap_name(0) == "CAP_CHOWN");
  CHECK(cap_name(40) == "CAP_CHECKPOINT_RESTORE");
  CHECK(cap_name(50) == "CAP_50");
  if (all_caps().has(40)) CHECK(parse_cap("checkpoint_restore") == 40);
  for (int c = 0; c <= kLastKnownCap; ++c)
    if (all_caps().has(c)) CHECK(parse_cap(cap_name(c)) == c);
  // Podman's text (containers/common NormalizeCapabilities).
  REQUIRE_THROWS_WITH(parse_cap("foo"), "\"CAP_FOO\": unknown capability");
  REQUIRE_THROWS_WITH(parse_cap("cap_net_admn"), "\"CAP_NET_ADMN\": unknown capability");
  REQUIRE_THROWS_WITH(parse_cap(""), "\"CAP_\": unknown capability");
  REQUIRE_THROWS_WITH(parse_cap("all"), "\"ALL\": unknown capability");
}

TEST_CASE("default and full capability sets", "[caps]") {
  CHECK(cabin::join(cap_names(default_caps()), ",") ==
        "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_SETGID,CAP_SETUID,CAP_SETPCAP,"
        "CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT,CAP_SETFCAP");
  int last = std::stoi(cabin::fs::read_file("/proc/sys/kernel/cap_last_cap"));
  last = std::min(last, kLastKnownCap);
  CHECK(all_caps().bits == (uint64_t{1} << (last + 1)) - 1);
  CHECK((bounding_set().bits & ~all_caps().bits) == 0);
  CHECK(cap_names({}).empty());
}

TEST_CASE("--cap-add/--cap-drop follow Podman's rules", "[caps]") {
  const CapSet all = all_caps();
  const CapSet def = default_caps();
  auto with = [](CapSet s, std::initializer_list<int> add, std::initializer_list<int> remove = {}) {
    for (int c : add) s.add(c);
    for (int c : remove) s.remove(c);
    return s;
  };
  CHECK(adjust_caps(def, {}, {}, all) == def);
  CHECK(adjust_caps(def, {"net_admin", "CAP_SYS_PTRACE"}, {"chown"}, all) ==
        with(def, {CAP_NET_ADMIN, CAP_SYS_PTRACE}, {CAP_CHOWN}));
  CHECK(adjust_caps(def, {"NET_BIND_SERVICE"}, {}, all) == def);  // already there
  CHECK(adjust_caps(def, {}, {"sys_admin"}, all) == def);         // not there
  CHECK(adjust_caps(def, {"all"}, {}, all) == all);
  CHECK(adjust_caps(def, {"ALL"}, {"net_raw", "Cap_Chown"}, all) == with(all, {}, {CAP_NET_RAW, CAP_CHOWN}));
  // "ALL" among the adds makes the others irrelevant, even a dropped one.
  CHECK(adjust_caps(def, {"ALL", "chown"}, {"chown"}, all) == with(all, {}, {CAP_CHOWN}));
  CHECK(adjust_caps(def, {"net_admin"}, {"all"}, all) == caps_of({CAP_NET_ADMIN}));
  CHECK(adjust_caps(def, {}, {"ALL"}, all) == CapSet{});
  REQUIRE_THROWS_WITH(adjust_caps(def, {"all"}, {"all"}, all), "adding all caps and removing all caps not allowed");
  REQUIRE_THROWS_WITH(adjust_caps(def, {"chown"}, {"CAP_CHOWN"}, all),
                      "capability \"CAP_CHOWN\" cannot be dropped and added");
  REQUIRE_THROWS_WITH(adjust_caps(def, {"net_admin", "bogus"}, {}, all), "\"CAP_BOGUS\": unknown capability");
  REQUIRE_THROWS_WITH(adjust_caps(def, {"bogus"}, {"worse"}, all), "\"CAP_WORSE\": unknown capability");

  // Limited to what cabin may give: the bounding set by default.
  const CapSet some = with(def, {}, {CAP_SETFCAP});
  CHECK(adjust_caps(def, {"sys_admin"}, {}, some) == some);
  CHECK(adjust_caps(def, {"all"}, {}, some) == some);
  CHECK(adjust_caps(def, {"sys_admin"}, {}) == (with(def, {CAP_SYS_ADMIN}) & bounding_set()));
}

TEST_CASE("process capability sets for root and other users", "[caps]") {
  const CapSet set = default_caps();
  ProcessCaps root = process_caps(set, true, {"net_bind_service"});
  CHECK(root.bounding == set);
  CHECK(root.effective == set);
  CHECK(root.permitted == set);
  CHECK(root.inheritable.empty());
  CHECK(root.ambient.empty());

  ProcessCaps user = process_caps(set, false, {});
  CHECK(user.bounding == set);
  CHECK(user.effective.empty());
  CHECK(user.permitted.empty());
  CHECK(user.inheritable.empty());
  CHECK(user.ambient.empty());

  // Only what --cap-add named, in all four sets so that it survives execve.
  user = process_caps(set, false, {"NET_BIND_SERVICE", "cap_kill"});
  const CapSet added = caps_of({CAP_NET_BIND_SERVICE, CAP_KILL});
  CHECK(user.bounding == set);
  CHECK(user.effective == added);
  CHECK(user.permitted == added);
  CHECK(user.inheritable == added);
  CHECK(user.ambient == added);
  // Limited to the container's set; "ALL" is all of it.
  CHECK(process_caps(set, false, {"sys_admin"}).effective.empty());
  CHECK(process_caps(set, false, {"all"}).ambient == set);
  REQUIRE_THROWS_WITH(process_caps(set, false, {"nope"}), "\"CAP_NOPE\": unknown capability");
}

TEST_CASE("drop_bounding and apply_caps in a user namespace", "[caps][userns]") {
  const CapSet set = default_caps() & bounding_set();
  const CapSet nbs = caps_of({CAP_NET_BIND_SERVICE});

  SECTION("container root") {
    auto out = in_userns([&] {
      ProcessCaps pc = process_caps(set, true, {});
      int a = drop_bounding(pc);
      int b = apply_caps(pc);
      return fmt::format("{} {} {}", a, b, status_caps());
    });
    if (!out) return;
    CHECK(*out == "0 0 " + expect(set, set, set, {}, {}));
  }

  SECTION("a non-root user's ambient capabilities, still as uid 0") {
    auto out = in_userns([&] {
      ProcessCaps pc = process_caps(set, false, {"net_bind_service"});
      int a = drop_bounding(pc);
      int b = apply_caps(pc);
      return fmt::format("{} {} {}", a, b, status_caps());
    });
    if (!out) return;
    CHECK(*out == "0 0 " + expect(set, nbs, nbs, nbs, nbs));
  }

  SECTION("switching to a non-root user, as the executor does") {
    bool multi = false;
    auto out = in_userns(
        [&] {
          if (::geteuid() != 0 || ::getuid() != 0) return std::string("not root in the namespace");
          ProcessCaps pc = process_caps(set, false, {"net_bind_service"});
          int a = drop_bounding(pc);
          if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || ::setgroups(0, nullptr) < 0 ||
              ::setresgid(1000, 1000, 1000) < 0 || ::setresuid(1000, 1000, 1000) < 0)
            return fmt::format("switch user: errno {}", errno);
          int b = apply_caps(pc);
          return fmt::format("{} {} uid={} {}", a, b, ::geteuid(), status_caps());
        },
        &multi);
    if (!out) return;
    if (!multi) {
      WARN("switching users needs a multi-id map (run as root): skipped");
      return;
    }
    CHECK(*out == "0 0 uid=1000 " + expect(set, nbs, nbs, nbs, nbs));
  }

  SECTION("a non-root user without --cap-add has no capabilities") {
    bool multi = false;
    auto out = in_userns(
        [&] {
          ProcessCaps pc = process_caps(set, false, {});
          int a = drop_bounding(pc);
          if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || ::setgroups(0, nullptr) < 0 ||
              ::setresgid(1000, 1000, 1000) < 0 || ::setresuid(1000, 1000, 1000) < 0)
            return fmt::format("switch user: errno {}", errno);
          int b = apply_caps(pc);
          return fmt::format("{} {} {}", a, b, status_caps());
        },
        &multi);
    if (!out || !multi) return;
    CHECK(*out == "0 0 " + expect(set, {}, {}, {}, {}));
  }
}
