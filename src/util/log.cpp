#include "util/log.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "util/error.h"

namespace cabin::log {
namespace {

std::atomic<Level> g_level{Level::Warn};
const auto g_start = std::chrono::steady_clock::now();

constexpr std::array<std::string_view, 7> kNames = {"trace", "debug", "info", "warn",
                                                    "error", "fatal", "panic"};
constexpr std::array<std::string_view, 7> kTags = {"TRAC", "DEBU", "INFO", "WARN",
                                                   "ERRO", "FATA", "PANI"};

}  // namespace

Level parse_level(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (name == kNames[i]) return static_cast<Level>(i);
  if (name == "warning") return Level::Warn;
  fail("invalid log level {:?}: must be one of trace, debug, info, warn, error, fatal, panic",
       std::string(name));
}

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }
bool enabled(Level level) { return level >= g_level.load(); }

void write(Level level, std::string_view message) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                               g_start)
                  .count();
  // One write(2) per line so that concurrent threads do not interleave.
  std::string line =
      fmt::format("{}[{:04}] {}\n", kTags[static_cast<size_t>(level)], secs, message);
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace cabin::log
