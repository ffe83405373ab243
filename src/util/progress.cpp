#include "util/progress.h"

#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

namespace cabin {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string iec(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} {}", n, units[0]) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string rate_and_eta(uint64_t done, uint64_t total, int64_t elapsed_ms) {
  if (done == 0 || elapsed_ms < 200) return "";
  double rate = static_cast<double>(done) * 1000.0 / static_cast<double>(elapsed_ms);
  std::string out = fmt::format(" | {}/s", iec(static_cast<uint64_t>(rate)));
  if (total > done) {
    auto eta = static_cast<int64_t>(static_cast<double>(total - done) / rate);
    out += eta >= 60 ? fmt::format(" | ETA {}m{:02}s", eta / 60, eta % 60) : fmt::format(" | ETA {}s", eta);
  }
  return out;
}

Progress::Progress(std::FILE* out, bool quiet)
    : out_(out),
      mode_(quiet ? Mode::Quiet : (::isatty(fileno(out)) ? Mode::Bars : Mode::Lines)) {}

Progress::~Progress() {
  std::lock_guard lock(mu_);
  if (mode_ == Mode::Bars) redraw_locked(true);
}

void Progress::message(const std::string& line) {
  if (mode_ == Mode::Quiet) return;
  std::lock_guard lock(mu_);
  if (mode_ == Mode::Bars && drawn_ > 0) {
    // Messages go above the bars block: redraw it below.
    fmt::print(out_, "\x1b[{}A\x1b[J", drawn_);
    drawn_ = 0;
    fmt::print(out_, "{}\n", line);
    redraw_locked(true);
  } else {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
}

size_t Progress::add(std::string label, uint64_t total) {
  std::lock_guard lock(mu_);
  items_.push_back(Item{std::move(label), total, 0, "", now_ms()});
  if (mode_ == Mode::Bars) redraw_locked(true);
  return items_.size() - 1;
}

void Progress::update(size_t item, uint64_t done) {
  if (mode_ != Mode::Bars) return;
  std::lock_guard lock(mu_);
  items_[item].done = done;
  redraw_locked(false);
}

void Progress::finish(size_t item, const std::string& status) {
  if (mode_ == Mode::Quiet) return;
  std::lock_guard lock(mu_);
  items_[item].status = status;
  items_[item].done = items_[item].total;
  if (mode_ == Mode::Lines) {
    fmt::print(out_, "{} {}\n", items_[item].label, status);
    std::fflush(out_);
  } else {
    redraw_locked(true);
  }
}

void Progress::redraw_locked(bool force) {
  int64_t t = now_ms();
  if (!force && t - last_draw_ms_ < 100) return;
  last_draw_ms_ = t;
  std::string buf;
  if (drawn_ > 0) buf += fmt::format("\x1b[{}A", drawn_);
  for (const auto& it : items_) {
    buf += "\x1b[2K";
    if (!it.status.empty()) {
      buf += fmt::format("{} {}\n", it.label, it.status);
      continue;
    }
    constexpr int kWidth = 30;
    int filled = it.total ? static_cast<int>(kWidth * std::min<uint64_t>(it.done, it.total) / it.total) : 0;
    buf += fmt::format("{} [{}{}{}] {} / {}{}\n", it.label, std::string(filled, '='),
                       filled < kWidth ? ">" : "", std::string(kWidth - filled - (filled < kWidth), '-'),
                       iec(it.done), iec(it.total), rate_and_eta(it.done, it.total, t - it.start_ms));
  }
  drawn_ = items_.size();
  std::fputs(buf.c_str(), out_);
  std::fflush(out_);
}

}  // namespace cabin
