// Progress for pull (and later push, load): bars redrawn in place on a
// terminal, one line per finished step otherwise, nothing when quiet.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace cabin {

class Progress {
 public:
  enum class Mode { Quiet, Lines, Bars };
  // Bars when out is a terminal, Lines otherwise; Quiet when quiet.
  Progress(std::FILE* out, bool quiet);
  ~Progress();

  void message(const std::string& line);
  // A new item ("Copying blob 4b35f584bb4f"); returns its handle.
  size_t add(std::string label, uint64_t total);
  void update(size_t item, uint64_t done);
  void finish(size_t item, const std::string& status = "done");
  Mode mode() const { return mode_; }

 private:
  struct Item {
    std::string label;
    uint64_t total = 0;
    uint64_t done = 0;
    std::string status;
  };
  void redraw_locked(bool force);

  std::FILE* out_;
  Mode mode_;
  std::mutex mu_;
  std::vector<Item> items_;
  size_t drawn_ = 0;  // lines of bars currently on screen
  int64_t last_draw_ms_ = 0;
};

}  // namespace cabin
