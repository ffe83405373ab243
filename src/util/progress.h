// Progress for pull, push, load and build: bars (bytes, rate, ETA) redrawn in place on a
// terminal, one line per finished step otherwise, nothing when quiet.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace cabin {

// "1.5 MiB": bytes in IEC units, one decimal above bytes.
std::string iec(uint64_t n);
// What a bar shows after its sizes: " | 12.3 MiB/s | ETA 4s" (" | ETA 1m05s"),
// the rate alone once done, nothing until there is a rate to tell (200 ms).
std::string rate_and_eta(uint64_t done, uint64_t total, int64_t elapsed_ms);

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
    int64_t start_ms = 0;  // when it was added: for its rate and ETA
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
