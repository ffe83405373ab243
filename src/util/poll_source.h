// Something with file descriptors and timers of its own that rides along
// in another component's poll loop (the user-mode network stack in the
// loops that relay a container's output).
#pragma once

#include <poll.h>

#include <vector>

namespace cabin {

class PollSource {
 public:
  virtual ~PollSource() = default;
  // Appends the fds to watch and lowers *timeout_ms (-1: none yet) to
  // when a timer of its own is due.
  virtual void prepare(std::vector<pollfd>& fds, int* timeout_ms) = 0;
  // After poll (also when it timed out or was interrupted): fds are the
  // entries prepare appended, with their revents.
  virtual void dispatch(const pollfd* fds, size_t n) = 0;
};

// Lowers *timeout_ms to ms (-1 means no timeout).
inline void lower_timeout(int* timeout_ms, int ms) {
  if (ms < 0) return;
  if (*timeout_ms < 0 || ms < *timeout_ms) *timeout_ms = ms;
}

}  // namespace cabin
