// Owner types for kernel resources.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <string_view>
#include <utility>

namespace cabin {

// A move-only file descriptor, closed on destruction unless released.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Runs a callable on scope exit unless dismissed.
template <typename Fn>
class ScopeGuard {
 public:
  explicit ScopeGuard(Fn fn) : fn_(std::move(fn)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ~ScopeGuard() {
    if (active_) fn_();
  }
  void dismiss() { active_ = false; }

 private:
  Fn fn_;
  bool active_ = true;
};

// Writes all of data to fd, waiting when it is non-blocking and full;
// false on an error (errno set).
bool write_all(int fd, std::string_view data);

// The most fds one send_fds message carries.
inline constexpr size_t kMaxPassedFds = 16;

// Sends n fds (1..kMaxPassedFds) with SCM_RIGHTS in one message of one data
// byte; returns 0 or -errno. No allocation: it runs in cloned children.
int send_fds(int sock, const int* fds, size_t n);
inline int send_fd(int sock, int fd) { return send_fds(sock, &fd, 1); }

// Receives one message's fds (close-on-exec) into out (room for max);
// returns how many, or -1 with errno set: ECONNRESET when the peer closed
// without sending, EBADMSG for a message with none, EMSGSIZE for more than
// max (those are closed). flags go to recvmsg (MSG_DONTWAIT).
int recv_fds(int sock, int* out, size_t max, int flags = 0);
// Receives exactly one fd; -1 with errno as recv_fds (EBADMSG for several).
// Blocks: the caller must have closed its copy of the child's end, so that a
// child dying before send_fd is seen as ECONNRESET.
int recv_fd(int sock);

}  // namespace cabin
