#include <catch2/catch.hpp>

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "runtime/terminal.h"
#include "util/fd.h"

using namespace cabin;
using namespace cabin::runtime;

namespace {

struct Pty {
  UniqueFd master, slave;
  Pty() {
    int m, s;
    REQUIRE(::openpty(&m, &s, nullptr, nullptr, nullptr) == 0);
    master.reset(m);
    slave.reset(s);
  }
};

// Reads fd until EOF or EIO (a pty master whose slaves are all closed).
std::string read_all(int fd) {
  std::string out;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

TEST_CASE("raw mode is set and restored", "[terminal]") {
  Pty pty;
  termios before;
  REQUIRE(::tcgetattr(pty.slave.get(), &before) == 0);
  REQUIRE((before.c_lflag & ICANON) != 0);
  {
    RawMode raw(pty.slave.get());
    termios t;
    REQUIRE(::tcgetattr(pty.slave.get(), &t) == 0);
    CHECK((t.c_lflag & (ICANON | ECHO | ISIG)) == 0);
    CHECK((t.c_oflag & OPOST) == 0);
    CHECK((t.c_iflag & ICRNL) == 0);
  }
  termios after;
  REQUIRE(::tcgetattr(pty.slave.get(), &after) == 0);
  CHECK(after.c_lflag == before.c_lflag);
  CHECK(after.c_iflag == before.c_iflag);
  CHECK(after.c_oflag == before.c_oflag);
  CHECK(after.c_cflag == before.c_cflag);
}

TEST_CASE("raw mode on a non-terminal does nothing", "[terminal]") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  UniqueFd r(p[0]), w(p[1]);
  RawMode raw(r.get());
  CHECK(::fcntl(r.get(), F_GETFD) >= 0);
}

TEST_CASE("window size is copied from one terminal to another", "[terminal]") {
  Pty from, to;
  winsize ws{};
  ws.ws_row = 40;
  ws.ws_col = 123;
  REQUIRE(::ioctl(from.slave.get(), TIOCSWINSZ, &ws) == 0);
  CHECK(copy_window_size(from.slave.get(), to.master.get()));
  winsize got{};
  REQUIRE(::ioctl(to.slave.get(), TIOCGWINSZ, &got) == 0);
  CHECK(got.ws_row == 40);
  CHECK(got.ws_col == 123);

  int p[2];
  REQUIRE(::pipe(p) == 0);
  UniqueFd r(p[0]), w(p[1]);
  CHECK_FALSE(copy_window_size(r.get(), to.master.get()));
}

TEST_CASE("an fd passes over a socketpair", "[terminal]") {
  int sv[2], p[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd a(sv[0]), b(sv[1]);
  REQUIRE(::pipe(p) == 0);
  UniqueFd r(p[0]), w(p[1]);

  REQUIRE(send_fd(a.get(), w.get()) == 0);
  w.reset();
  UniqueFd got(recv_fd(b.get()));
  REQUIRE(got);
  CHECK((::fcntl(got.get(), F_GETFD) & FD_CLOEXEC) != 0);
  REQUIRE(::write(got.get(), "x", 1) == 1);
  got.reset();
  CHECK(read_all(r.get()) == "x");  // the received fd was the last write end

  SECTION("the peer closes without sending") {
    a.reset();
    errno = 0;
    CHECK(recv_fd(b.get()) == -1);
    CHECK(errno == ECONNRESET);
  }
  SECTION("sending on a closed socket") {
    b.reset();
    CHECK(send_fd(a.get(), r.get()) == -EPIPE);
  }
}

TEST_CASE("several fds pass in one message, and too many are refused", "[terminal]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd a(sv[0]), b(sv[1]);
  int p[2];
  REQUIRE(::pipe(p) == 0);
  UniqueFd r(p[0]), w(p[1]);
  int three[3] = {w.get(), w.get(), r.get()};
  REQUIRE(send_fds(a.get(), three, 3) == 0);
  int got[4];
  REQUIRE(recv_fds(b.get(), got, 4) == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK((::fcntl(got[i], F_GETFD) & FD_CLOEXEC) != 0);
    ::close(got[i]);
  }
  REQUIRE(send_fds(a.get(), three, 3) == 0);
  errno = 0;
  CHECK(recv_fds(b.get(), got, 2) == -1);
  CHECK(errno == EMSGSIZE);
  REQUIRE(send_fds(a.get(), three, 2) == 0);
  errno = 0;
  CHECK(recv_fd(b.get()) == -1);  // two where one was expected
  CHECK(errno == EBADMSG);
  CHECK(send_fds(a.get(), three, 0) == -EINVAL);
  CHECK(send_fds(a.get(), three, kMaxPassedFds + 1) == -EINVAL);
}

TEST_CASE("the container's terminal: controlling tty on 0-2, master sent to cabin", "[terminal]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd parent_end(sv[0]), child_end(sv[1]);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The host's /dev/ptmx stands in for the container's own devpts.
    int rc = setup_container_tty(child_end.get());
    if (rc < 0) ::_exit(100);
    bool ok = ::isatty(0) && ::isatty(1) && ::isatty(2) && ::getsid(0) == ::getpid() &&
              ::tcgetpgrp(0) == ::getpgrp() && ::open("/dev/tty", O_RDWR) >= 0;
    const char msg[] = "hello\n";
    if (::write(1, msg, sizeof(msg) - 1) != sizeof(msg) - 1) ::_exit(101);
    ::_exit(ok ? 0 : 102);
  }
  child_end.reset();
  UniqueFd master(recv_fd(parent_end.get()));
  REQUIRE(master);
  // The slave's ONLCR turns "\n" into "\r\n"; EIO once the child is gone.
  CHECK(read_all(master.get()) == "hello\r\n");
  int status;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
