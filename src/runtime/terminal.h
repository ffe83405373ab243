// Terminals for `run -t`: the pty is created inside the container (from its
// own devpts instance, as runc's console socket does) and its master end is
// passed to cabin over a socketpair.
#pragma once

#include <sys/types.h>

#include <optional>
#include <termios.h>

#include "util/fd.h"  // send_fd, recv_fd: the master travels with them

namespace cabin::runtime {

// In the container child, after /dev/pts (newinstance, ptmxmode=0666) and
// /dev/ptmx are set up and before exec: opens ptmx, unlocks and opens the
// slave, makes the slave the controlling terminal of a new session
// (setsid + TIOCSCTTY), dups it onto 0, 1 and 2, and sends the master fd
// over sock, then closes its own master. sock must not be 0, 1 or 2. A
// caller that already called setsid is fine. The slave has no window size
// until cabin copies its own onto the master. Returns 0 or -errno (no
// allocation, no throwing: it runs after clone).
int setup_container_tty(int sock);

// Copies the window size of from (a terminal) to to; false when from is no
// terminal.
bool copy_window_size(int from, int to);

// Puts a terminal into raw mode (cfmakeraw, as Podman does for -it) and
// restores it when destroyed — also on error paths. A failing tcsetattr is
// a warning, not an error.
class RawMode {
 public:
  explicit RawMode(int fd);  // does nothing when fd is not a terminal
  ~RawMode();
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  int fd_ = -1;
  std::optional<termios> saved_;
};

}  // namespace cabin::runtime
