// Something with file descriptors and timers of its own that rides along
// in another component's poll loop (the user-mode network stack in the
// loops that relay a container's output).
#pragma once

#include <poll.h>

#include <cstdint>
#include <ctime>
#include <vector>

namespace cabin {

// The monotonic clock the sources' timers run on.
inline int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
inline int64_t monotonic_ms() { return monotonic_ns() / 1000000; }

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

// Several sources riding as one: each is given the entries it appended.
// The sources are read at prepare; dispatch serves those same ones.
class PollSet final : public PollSource {
 public:
  std::vector<PollSource*> sources;

  void prepare(std::vector<pollfd>& fds, int* timeout_ms) override {
    prepared_ = sources;
    marks_.clear();
    for (PollSource* s : prepared_) {
      marks_.push_back(fds.size());
      s->prepare(fds, timeout_ms);
    }
    marks_.push_back(fds.size());
  }
  void dispatch(const pollfd* fds, size_t n) override {
    for (size_t k = 0; k < prepared_.size(); ++k) {
      size_t from = marks_[k] - marks_[0], to = marks_[k + 1] - marks_[0];
      if (to <= n) prepared_[k]->dispatch(fds + from, to - from);
    }
  }

 private:
  std::vector<PollSource*> prepared_;
  std::vector<size_t> marks_;
};

// Lowers *timeout_ms to ms (-1 means no timeout).
inline void lower_timeout(int* timeout_ms, int ms) {
  if (ms < 0) return;
  if (*timeout_ms < 0 || ms < *timeout_ms) *timeout_ms = ms;
}

}  // namespace cabin
