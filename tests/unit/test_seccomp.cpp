#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <csignal>
#include <cstring>
#include <functional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "security/seccomp.h"

using namespace cabin::security;

namespace {

// Runs fn in a forked child and returns what it wrote, or "signal N" when
// it was killed. The child never returns into Catch.
std::string in_child(const std::function<std::string()>& fn) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Catch's handlers would report a crash here as a test failure.
    for (int sig : {SIGSEGV, SIGSYS, SIGILL, SIGBUS, SIGABRT, SIGFPE}) ::signal(sig, SIG_DFL);
    ::close(fds[0]);
    std::string out;
    try {
      out = fn();
    } catch (const std::exception& e) {
      out = std::string("exception: ") + e.what();
    } catch (...) {
      out = "failed assertion in the child";
    }
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) return fmt::format("signal {}", WTERMSIG(status));
  return out;
}

// "ok" for success, else the errno's name.
std::string result(long rc) { return rc >= 0 ? "ok" : ::strerrorname_np(errno); }

// Loads f with no_new_privs (so that it works without CAP_SYS_ADMIN) and
// runs probe under it.
std::string under(const SeccompFilter& f, const std::function<std::string()>& probe) {
  return in_child([&] {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return std::string("no_new_privs failed");
    if (int rc = f.load(); rc < 0) return fmt::format("load: {}", ::strerrorname_np(-rc));
    return probe();
  });
}

CapSet without(CapSet s, int cap) {
  s.remove(cap);
  return s;
}

}  // namespace

TEST_CASE("the default profile is containers-common's", "[seccomp]") {
  auto doc = nlohmann::json::parse(default_profile_json());
  CHECK(doc["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(doc["defaultErrnoRet"] == 38);
  size_t names = 0;
  for (const auto& s : doc["syscalls"]) names += s["names"].size();
  CHECK(doc["syscalls"].size() == 35);
  CHECK(names == 472);
  auto& allow = doc["syscalls"][1];
  CHECK(allow["action"] == "SCMP_ACT_ALLOW");
  CHECK(allow["names"].size() == 374);

  SeccompFilter f = make_filter("", default_caps());
  CHECK(!f.empty());
  CHECK(f.size() > 100);
  CHECK(f.size() <= 4096);
  CHECK(make_filter(default_profile_json(), default_caps()).size() == f.size());
  CHECK(!make_filter("", all_caps()).empty());
  CHECK(!make_filter("", CapSet{}).empty());
}

TEST_CASE("malformed profiles give one-line errors", "[seccomp]") {
  const CapSet caps = default_caps();
  auto error_of = [&](const std::string& json) {
    try {
      make_filter(json, caps);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // A profile allowing everything but one syscalls[] entry.
  auto one = [&](const std::string& entry) {
    return error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [)" + entry + "]}");
  };
  std::string syntax = error_of("{\"defaultAction\": ");
  CHECK_THAT(syntax, Catch::StartsWith("seccomp profile: parse error at line 1, column 19: "));
  CHECK(syntax.find('\n') == std::string::npos);
  CHECK(error_of("[]") == "seccomp profile: not a JSON object");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_FOO"})") ==
        "seccomp profile: defaultAction: unknown action \"SCMP_ACT_FOO\"");
  CHECK(error_of(R"({"defaultAction": 1})") == "seccomp profile: \"defaultAction\" is not a string");
  CHECK(error_of(R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})") ==
        "seccomp profile: missing \"defaultAction\"");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1})") ==
        "seccomp profile: defaultAction: an errno is given for action SCMP_ACT_ALLOW");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOTHING"})") ==
        "seccomp profile: unknown errno ENOTHING");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}})") ==
        "seccomp profile: \"syscalls\" is not a list");
  CHECK(one("1") == "seccomp profile: syscalls[0]: not an object");
  CHECK(one(R"({"names": "read", "action": "SCMP_ACT_ERRNO"})") ==
        "seccomp profile: syscalls[0]: \"names\" is not a list of strings");
  CHECK(one(R"({"names": ["read"]})") == "seccomp profile: syscalls[0]: missing \"action\"");
  CHECK(one(R"({"name": "read", "names": ["write"], "action": "SCMP_ACT_ERRNO"})") ==
        "seccomp profile: 'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
  CHECK(one(R"({"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 7, "op": "SCMP_CMP_EQ"}]})") ==
        "seccomp profile: syscalls[0]: argument index 7 is out of range");
  CHECK(one(R"({"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "SCMP_CMP_LIKE"}]})") ==
        "seccomp profile: syscalls[0]: unknown operator \"SCMP_CMP_LIKE\"");
  CHECK(one(R"({"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": -1})") ==
        "seccomp profile: syscalls[0]: \"errnoRet\" is not a non-negative integer");
  CHECK(one(R"({"names": ["read"], "action": "SCMP_ACT_ALLOW", "errno": "EPERM"})") ==
        "seccomp profile: syscalls[0]: an errno is given for action SCMP_ACT_ALLOW");
  CHECK(one(R"({"names": ["read"], "action": "SCMP_ACT_NOTIFY"})") ==
        "seccomp profile: syscalls[0]: SCMP_ACT_NOTIFY is not supported");
  CHECK(one(R"({"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": []})") ==
        "seccomp profile: syscalls[0]: \"includes\" is not an object");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]})") ==
        "seccomp profile: unknown architecture \"SCMP_ARCH_VAX\"");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"],
                     "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}]})") ==
        "seccomp profile: 'architectures' and 'archMap' were specified in the seccomp profile, use either "
        "'architectures' or 'archMap'");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]})") ==
        "seccomp profile: flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\" is not supported");
  // Empty lists are no conflict, as in Podman.
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": [], "archMap": []})") == "no error");
}

TEST_CASE("profile details: disabled, unknown names, errno names, arguments", "[seccomp]") {
  const CapSet caps = default_caps();
  // Podman: neither a default action nor syscalls means no filter.
  SeccompFilter none = make_filter("{}", caps);
  CHECK(none.empty());
  CHECK(none.load() == 0);

  SeccompFilter f = make_filter(R"({
      "defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
      "syscalls": [
        {"names": ["getppid", "no_such_syscall"], "action": "SCMP_ACT_ERRNO", "errno": "EXDEV"},
        {"name": "getpgid", "action": "SCMP_ACT_ERRNO", "errnoRet": 5},
        {"names": ["dup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7,
         "args": [{"index": 0, "value": 100, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 101, "op": "SCMP_CMP_EQ"}]},
        {"names": ["dup3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7,
         "args": [{"index": 0, "value": 3, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"},
                  {"index": 2, "value": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["getsid"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["getsid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["s390x"]}},
        {"names": ["getppid"], "action": "SCMP_ACT_ALLOW"}
      ]})",
                                caps);
  REQUIRE(!f.empty());
  auto out = under(f, [] {
    // One at a time: the order matters for errno.
    std::string r = "getppid=" + result(::syscall(SYS_getppid));
    r += " getpgid=" + result(::getpgid(0));
    r += " dup100=" + result(::dup(100));
    r += " dup101=" + result(::dup(101));
    r += " dup-1=" + result(::dup(-1));
    r += " dup3-2=" + result(::dup3(-2, 100, 0));
    r += " dup3-3=" + result(::dup3(-3, 100, 0));
    r += " dup3-2cloexec=" + result(::dup3(-2, 100, O_CLOEXEC));
    r += " getsid=" + result(::getsid(0));
    r += " getpriority=" + result(::syscall(SYS_getpriority, PRIO_PROCESS, 0));
    return r;
  });
  // dup: either comparison on argument 0 matches (a rule each); dup3: both
  // (fd & 3) == 2 and flags == 0 must. getsid: without CAP_SYS_ADMIN.
  CHECK(out ==
        "getppid=EXDEV getpgid=EIO dup100=E2BIG dup101=E2BIG dup-1=EBADF dup3-2=E2BIG dup3-3=EBADF "
        "dup3-2cloexec=EBADF getsid=ENOENT getpriority=ok");
}

TEST_CASE("the default filter in a child", "[seccomp]") {
  const CapSet caps = default_caps();
  SeccompFilter f = make_filter("", caps);
  auto out = under(f, [] {
    char name[1000] = {};
    std::string r;
    r += " getpid=" + result(::getpid());
    // The EPERM list.
    r += " vmsplice=" + result(::syscall(SYS_vmsplice, -1, nullptr, 0, 0));
    // Not in the profile: ENOSYS, the default.
    r += " add_key=" + result(::syscall(SYS_add_key, nullptr, nullptr, nullptr, 0, 0));
    r += " request_key=" + result(::syscall(SYS_request_key, nullptr, nullptr, nullptr, 0));
    // keyctl is allowed (the kernel answers: EOPNOTSUPP for a bad operation).
    r += " keyctl=" + result(::syscall(SYS_keyctl, -1, 0, 0, 0, 0));
    // Gated by CAP_SYS_ADMIN, which the default set lacks: EPERM from the
    // filter (as real root the kernel would say EINVAL for the length).
    r += " sethostname=" + result(::sethostname(name, sizeof name));
    // Gated by CAP_SYS_CHROOT, which the default set has: the kernel looks
    // the path up first.
    r += " chroot=" + result(::chroot("/nonexistent-cabin-test"));
    // setns is in the allowlist before its CAP_SYS_ADMIN group: the first
    // rule wins in libseccomp, so it is allowed, as under Podman with crun.
    r += " setns=" + result(::setns(-1, 0));
    // personality: only the listed personas.
    r += " personality_query=" + result(::personality(0xffffffff));
    r += " personality_linux32=" + result(::personality(0x0008));
    r += " personality_norandom=" + result(::personality(0x0040000));
    // socket: no audit netlink without CAP_AUDIT_WRITE.
    r += " audit_socket=" + result(::socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT));
    r += " unix_socket=" + result(::socket(AF_UNIX, SOCK_STREAM, 0));
    // clone3 and unshare are in the allowlist: the kernel decides.
    r += " clone3=" + result(::syscall(SYS_clone3, nullptr, 0));
    return r;
  });
  CHECK(out ==
        " getpid=ok vmsplice=EPERM add_key=ENOSYS request_key=ENOSYS keyctl=EOPNOTSUPP sethostname=EPERM "
        "chroot=ENOENT setns=EBADF personality_query=ok personality_linux32=ok personality_norandom=ENOSYS "
        "audit_socket=EINVAL unix_socket=ok clone3=EINVAL");

  SECTION("unshare(CLONE_NEWUSER) is not the filter's to refuse") {
    auto r = under(f, [] { return result(::unshare(CLONE_NEWUSER)); });
    CHECK(r != "ENOSYS");
    CHECK(r.find("signal") == std::string::npos);
  }
}

TEST_CASE("capability-gated syscalls follow the container's set", "[seccomp]") {
  auto probe = [] { return "chroot=" + result(::chroot("/nonexistent-cabin-test")); };
  CHECK(under(make_filter("", default_caps()), probe) == "chroot=ENOENT");
  CHECK(under(make_filter("", without(default_caps(), CAP_SYS_CHROOT)), probe) == "chroot=EPERM");
  // CAP_AUDIT_WRITE lifts the audit socket rule.
  CapSet audit = default_caps();
  audit.add(CAP_AUDIT_WRITE);
  auto sock = [] { return result(::socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT)); };
  CHECK(under(make_filter("", audit), sock) != "EINVAL");
}

#if defined(__x86_64__)
namespace {
// A 32-bit syscall from a 64-bit process: the filter sees AUDIT_ARCH_I386.
long int80(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0) {
  long ret;
  asm volatile("int $0x80"
               : "=a"(ret)
               : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4)
               : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

// Runs a classic BPF seccomp program over one syscall, as the kernel would:
// the action it returns (SECCOMP_RET_*), or ~0 for an opcode not handled.
uint32_t run_bpf(const std::vector<sock_filter>& prog, uint32_t arch, int nr, std::array<uint64_t, 6> args = {}) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch;
  for (size_t i = 0; i < 6; ++i) d.args[i] = args[i];
  uint32_t acc = 0, mem[BPF_MEMWORDS] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& in = prog[pc];
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS: std::memcpy(&acc, reinterpret_cast<const char*>(&d) + in.k, 4); break;
      case BPF_LD | BPF_IMM: acc = in.k; break;
      case BPF_LD | BPF_MEM: acc = mem[in.k]; break;
      case BPF_ST: mem[in.k] = acc; break;
      case BPF_ALU | BPF_AND | BPF_K: acc &= in.k; break;
      case BPF_JMP | BPF_JA: pc += in.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += acc == in.k ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += acc > in.k ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += acc >= in.k ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (acc & in.k) ? in.jt : in.jf; break;
      case BPF_RET | BPF_K: return in.k;
      default: return ~0u;
    }
  }
  return ~0u;
}
}  // namespace

TEST_CASE("archMap: native and its sub-architectures, as Podman", "[seccomp]") {
  // i386 numbers: 20 getpid, 316 vmsplice, 286 add_key; x86_64: 39 getpid.
  SeccompFilter f = make_filter("", default_caps());
  CHECK(run_bpf(f.program(), AUDIT_ARCH_X86_64, 39) == SECCOMP_RET_ALLOW);
  CHECK(run_bpf(f.program(), AUDIT_ARCH_I386, 20) == SECCOMP_RET_ALLOW);
  CHECK(run_bpf(f.program(), AUDIT_ARCH_I386, 316) == (SECCOMP_RET_ERRNO | EPERM));
  CHECK(run_bpf(f.program(), AUDIT_ARCH_I386, 286) == (SECCOMP_RET_ERRNO | ENOSYS));
  CHECK(run_bpf(f.program(), AUDIT_ARCH_AARCH64, 172) == SECCOMP_RET_KILL_THREAD);
  // personality's argument conditions, on both.
  CHECK(run_bpf(f.program(), AUDIT_ARCH_X86_64, 135, {0xffffffff}) == SECCOMP_RET_ALLOW);
  CHECK(run_bpf(f.program(), AUDIT_ARCH_X86_64, 135, {0x0040000}) == (SECCOMP_RET_ERRNO | ENOSYS));
  CHECK(run_bpf(f.program(), AUDIT_ARCH_I386, 136, {8}) == SECCOMP_RET_ALLOW);

  // Without archMap, only the native architecture passes.
  SeccompFilter native = make_filter(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]})",
                                     default_caps());
  CHECK(run_bpf(native.program(), AUDIT_ARCH_X86_64, 39) == SECCOMP_RET_ALLOW);
  CHECK(run_bpf(native.program(), AUDIT_ARCH_X86_64, 0) == (SECCOMP_RET_ERRNO | EPERM));
  CHECK(run_bpf(native.program(), AUDIT_ARCH_I386, 20) == SECCOMP_RET_KILL_THREAD);
}

TEST_CASE("the default filter covers x86 binaries on x86_64", "[seccomp]") {
  // 20: getpid, 316: vmsplice in the i386 table.
  if (in_child([] { return int80(20) > 0 ? "ok" : "no"; }) != "ok") {
    WARN("32-bit syscalls (int $0x80) do not work here: skipped");
    return;
  }
  SeccompFilter f = make_filter("", default_caps());
  auto out = under(f, [] { return fmt::format("getpid={} vmsplice={}", int80(20) > 0, int80(316, -1, 0, 0, 0)); });
  CHECK(out == fmt::format("getpid=true vmsplice={}", -EPERM));
}
#endif

TEST_CASE("loading without no_new_privs in a user namespace", "[seccomp][userns]") {
  SeccompFilter f = make_filter("", default_caps());
  auto out = in_child([&] {
    if (::unshare(CLONE_NEWUSER) != 0) return std::string("no userns");
    // CAP_SYS_ADMIN in the new namespace is enough to load it.
    int rc = f.load();
    return fmt::format("load={} nnp={} vmsplice={}", rc, ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
                       result(::syscall(SYS_vmsplice, -1, nullptr, 0, 0)));
  });
  if (out == "no userns") {
    WARN("user namespaces are not available: skipped");
    return;
  }
  CHECK(out == "load=0 nnp=0 vmsplice=EPERM");
}

TEST_CASE("seccomp filters are move-only owners", "[seccomp]") {
  SeccompFilter a = make_filter("", default_caps());
  const size_t n = a.size();
  SeccompFilter b(std::move(a));
  CHECK(a.empty());
  CHECK(b.size() == n);
  SeccompFilter c;
  c = std::move(b);
  CHECK(b.empty());
  CHECK(c.size() == n);
  STATIC_REQUIRE(!std::is_copy_constructible_v<SeccompFilter>);
}

TEST_CASE("compiled filters are cached and read back unchanged", "[seccomp]") {
  auto dir = std::filesystem::temp_directory_path() / "cabin-seccomp-cache-test";
  std::filesystem::remove_all(dir);
  auto caps = cabin::security::default_caps();
  auto fresh = cabin::security::make_filter("", caps);
  auto first = cabin::security::cached_filter(dir.string(), "", caps);
  auto again = cabin::security::cached_filter(dir.string(), "", caps);
  auto same = [](const auto& a, const auto& b) {
    return a.size() == b.size() && std::memcmp(a.program().data(), b.program().data(), a.size() * sizeof(sock_filter)) == 0;
  };
  CHECK(same(fresh, first));
  CHECK(same(fresh, again));
  REQUIRE(std::distance(std::filesystem::directory_iterator(dir), {}) == 1);
  // Other capabilities make another program, under another key.
  auto more = caps;
  more.add(21);  // CAP_SYS_ADMIN
  auto admin = cabin::security::cached_filter(dir.string(), "", more);
  CHECK(std::distance(std::filesystem::directory_iterator(dir), {}) == 2);
  // A damaged entry is rebuilt.
  for (auto& e : std::filesystem::directory_iterator(dir)) std::filesystem::resize_file(e.path(), 5);
  CHECK(same(fresh, cabin::security::cached_filter(dir.string(), "", caps)));
  std::filesystem::remove_all(dir);
}
