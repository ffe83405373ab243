#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>

#include "runtime/supervise.h"
#include "runtime/terminal.h"
#include "util/fd.h"

using namespace cabin;
using namespace cabin::runtime;

namespace {

// Blocks the supervised signals as `cabin run` does before cloning, and
// restores Catch2's mask afterwards; old is what a container child restores.
struct BlockedSignals {
  sigset_t old;
  BlockedSignals() { block_signals(&old); }
  ~BlockedSignals() { ::sigprocmask(SIG_SETMASK, &old, nullptr); }
};

// Forks a stand-in for the container's PID 1, which runs fn with the mask
// restored (or kept blocked, to wait for a signal with sigtimedwait) and
// exits with its result. Its stdout is /dev/null unless keep_stdio.
template <typename Fn>
pid_t spawn(const BlockedSignals& b, bool restore_mask, Fn fn, bool keep_stdio = false) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (restore_mask) ::sigprocmask(SIG_SETMASK, &b.old, nullptr);
    if (!keep_stdio) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
    }
    ::_exit(fn());
  }
  return pid;
}

// Waits up to ms for sig (which must be blocked); true when it came.
bool wait_for_signal(int sig, int ms) {
  sigset_t set;
  ::sigemptyset(&set);
  ::sigaddset(&set, sig);
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  return ::sigtimedwait(&set, nullptr, &ts) == sig;
}

bool pending(int sig) {
  sigset_t set;
  ::sigpending(&set);
  return ::sigismember(&set, sig) == 1;
}

}  // namespace

TEST_CASE("exit codes as Docker and Podman report them", "[supervise]") {
  CHECK(exit_code_of(0) == 0);
  CHECK(exit_code_of(3 << 8) == 3);
  CHECK(exit_code_of(SIGKILL) == 137);
  CHECK(exit_code_of(SIGTERM | 0x80) == 143);  // with a core dump flag
}

TEST_CASE("supervise returns the wait status of a child that exits", "[supervise]") {
  BlockedSignals b;
  pid_t pid = spawn(b, true, [] { return ::write(1, "out\n", 4) == 4 ? 3 : 1; });
  int status = supervise({.pid = pid});
  CHECK(WIFEXITED(status));
  CHECK(exit_code_of(status) == 3);
}

TEST_CASE("supervise: a child killed by SIGTERM ends with 143", "[supervise]") {
  BlockedSignals b;
  bool with_pidfd = GENERATE(false, true);
  pid_t pid = spawn(b, true, [] {
    ::signal(SIGTERM, SIG_DFL);  // Catch2's handler, which exec would reset
    ::kill(::getpid(), SIGTERM);
    return 1;
  });
  UniqueFd pidfd(with_pidfd ? static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)) : -1);
  int status = supervise({.pid = pid, .pidfd = pidfd.get()});
  CHECK(WIFSIGNALED(status));
  CHECK(exit_code_of(status) == 143);
}

TEST_CASE("supervise forwards signals to the container", "[supervise]") {
  BlockedSignals b;
  bool with_pidfd = GENERATE(false, true);
  // The child signals cabin (the test process) and waits for the signal to
  // come back: 7 when it does.
  pid_t parent = ::getpid();
  pid_t pid = spawn(b, false, [parent] {
    ::kill(parent, SIGUSR1);
    return wait_for_signal(SIGUSR1, 10000) ? 7 : 1;
  });
  UniqueFd pidfd(with_pidfd ? static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)) : -1);
  int status = supervise({.pid = pid, .pidfd = pidfd.get()});
  CHECK(exit_code_of(status) == 7);
  CHECK_FALSE(pending(SIGUSR1));
}

TEST_CASE("supervise without sig_proxy keeps signals and drops them", "[supervise]") {
  BlockedSignals b;
  pid_t parent = ::getpid();
  pid_t pid = spawn(b, false, [parent] {
    ::kill(parent, SIGUSR2);
    return wait_for_signal(SIGUSR2, 300) ? 1 : 9;
  });
  int status = supervise({.pid = pid, .sig_proxy = false});
  CHECK(exit_code_of(status) == 9);
  // Consumed by supervise, so restoring the mask does not kill the tests.
  CHECK_FALSE(pending(SIGUSR2));
}

TEST_CASE("supervise relays a pty: stdin to the container, its output to stdout", "[supervise]") {
  BlockedSignals b;
  int sv[2], in[2], out[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd parent_end(sv[0]), child_end(sv[1]);
  REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  UniqueFd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]);

  // The container: reads a line from its terminal, answers, exits 5.
  pid_t pid = spawn(b, true, [&] {
    if (setup_container_tty(child_end.get()) < 0) return 100;
    char line[64];
    ssize_t n = ::read(0, line, sizeof(line));  // canonical mode: one line
    if (n <= 0) return 101;
    std::string reply = "got " + std::string(line, static_cast<size_t>(n));
    return ::write(1, reply.data(), reply.size()) == static_cast<ssize_t>(reply.size()) ? 5 : 102;
  }, true);
  child_end.reset();
  UniqueFd master(recv_fd(parent_end.get()));
  REQUIRE(master);

  // stdin is a pipe holding "ping\n" then EOF (which must not close the pty);
  // stdout is a pipe read afterwards.
  REQUIRE(::write(in_w.get(), "ping\n", 5) == 5);
  in_w.reset();
  UniqueFd saved_in(::dup(0)), saved_out(::dup(1));
  ::dup2(in_r.get(), 0);
  ::dup2(out_w.get(), 1);
  int status;
  {
    ScopeGuard restore([&] {
      ::dup2(saved_in.get(), 0);
      ::dup2(saved_out.get(), 1);
    });
    status = supervise({.pid = pid, .pty_master = master.get(), .stdin_open = true});
  }
  out_w.reset();
  std::string output;
  char buf[256];
  ssize_t n;
  while ((n = ::read(out_r.get(), buf, sizeof(buf))) > 0) output.append(buf, static_cast<size_t>(n));
  CHECK(exit_code_of(status) == 5);
  // The terminal echoes the input, then the container's reply, all drained.
  CHECK(output == "ping\r\ngot ping\r\n");
}

TEST_CASE("init_loop reaps orphans and returns the child's exit code", "[supervise]") {
  // A forked test process plays PID 1: as a child subreaper it inherits
  // orphans as a namespace's init would.
  pid_t init = ::fork();
  REQUIRE(init >= 0);
  if (init == 0) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t child = ::fork();
    if (child == 0) {
      // The command: leaves an orphan that exits while the command still
      // runs, then exits 4 itself.
      pid_t mid = ::fork();
      if (mid == 0) {
        if (::fork() == 0) {
          ::usleep(50 * 1000);
          ::_exit(0);
        }
        ::_exit(0);
      }
      ::waitpid(mid, nullptr, 0);
      ::usleep(200 * 1000);
      ::_exit(4);
    }
    int code = init_loop(child);
    // Nothing is left to reap: the orphan was reaped by the loop.
    bool clean = ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
    ::_exit(clean ? code : 50);
  }
  int status;
  REQUIRE(::waitpid(init, &status, 0) == init);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 4);
}

TEST_CASE("init_loop forwards signals and reports death by signal as 128+N", "[supervise]") {
  int ready[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  bool forwarded = GENERATE(true, false);
  pid_t init = ::fork();
  REQUIRE(init >= 0);
  if (init == 0) {
    // As cabin does before cloning: signals stay blocked until init_loop.
    sigset_t all;
    ::sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, nullptr);
    pid_t child = ::fork();
    if (child == 0) {
      if (forwarded) ::_exit(wait_for_signal(SIGUSR2, 10000) ? 7 : 1);
      ::sigset_t none;
      ::sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGTERM, SIG_DFL);  // Catch2's handler, which exec would reset
      ::kill(::getpid(), SIGTERM);
      ::_exit(1);
    }
    ready_r.reset();
    if (::write(ready_w.get(), "r", 1) != 1) ::_exit(99);
    ::_exit(init_loop(child));
  }
  ready_w.reset();
  char c;
  REQUIRE(::read(ready_r.get(), &c, 1) == 1);
  if (forwarded) ::kill(init, SIGUSR2);
  int status;
  REQUIRE(::waitpid(init, &status, 0) == init);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == (forwarded ? 7 : 143));
}
