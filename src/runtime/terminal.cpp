#include "runtime/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/log.h"

namespace cabin::runtime {
namespace {

// Opens the slave of master. TIOCGPTPEER (Linux 4.13) needs no path lookup, so
// it finds the slave of the devpts instance master belongs to even when
// /dev/pts is not (yet) that instance; older kernels get /dev/pts/N.
int open_slave(int master) {
  int fd = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0 || (errno != EINVAL && errno != ENOTTY)) return fd;
  unsigned n = 0;
  if (::ioctl(master, TIOCGPTN, &n) < 0) return -1;
  // "/dev/pts/" + decimal n, without snprintf: this runs after fork.
  char path[32] = "/dev/pts/";
  char digits[12];
  int len = 0;
  do digits[len++] = static_cast<char>('0' + n % 10);
  while ((n /= 10) != 0);
  char* p = path + 9;
  while (len > 0) *p++ = digits[--len];
  *p = '\0';
  return ::open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

}  // namespace

int setup_container_tty(int sock) {
  int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return -errno;
  int err = 0;
  int unlock = 0;
  int slave = -1;
  if (::ioctl(master, TIOCSPTLCK, &unlock) < 0 || (slave = open_slave(master)) < 0) {
    err = errno;
  } else if (::setsid() < 0 && !(errno == EPERM && ::getsid(0) == ::getpid())) {
    // EPERM from a session leader is fine: the caller already called setsid.
    err = errno;
  } else if (::ioctl(slave, TIOCSCTTY, 0) < 0) {
    err = errno;
  } else {
    for (int i = 0; i < 3 && err == 0; i++)
      if (::dup2(slave, i) < 0) err = errno;  // dup2 clears FD_CLOEXEC on 0-2
  }
  if (err == 0) err = -send_fd(sock, master);
  if (slave > 2) ::close(slave);
  ::close(master);  // cabin holds the only master now
  return -err;
}

bool copy_window_size(int from, int to) {
  winsize ws{};
  return ::ioctl(from, TIOCGWINSZ, &ws) == 0 && ::ioctl(to, TIOCSWINSZ, &ws) == 0;
}

RawMode::RawMode(int fd) {
  termios t;
  if (::tcgetattr(fd, &t) < 0) return;  // not a terminal
  termios raw = t;
  ::cfmakeraw(&raw);
  int rc;
  do rc = ::tcsetattr(fd, TCSANOW, &raw);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    // The container still runs, only keys like Ctrl-C act on cabin's side.
    log::warn("set terminal to raw mode: {}", std::strerror(errno));
    return;
  }
  fd_ = fd;
  saved_ = t;
}

RawMode::~RawMode() {
  if (!saved_) return;
  int rc;
  do rc = ::tcsetattr(fd_, TCSANOW, &*saved_);
  while (rc < 0 && errno == EINTR);
}

}  // namespace cabin::runtime
