// Diagnostics on stderr, in Podman's shape: "WARN[0000] message".
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace cabin::log {

enum class Level { Trace, Debug, Info, Warn, Error, Fatal, Panic };

// Parses a --log-level value; throws Error for an unknown one.
Level parse_level(std::string_view name);
void set_level(Level level);
Level level();
bool enabled(Level level);
void write(Level level, std::string_view message);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Debug)) write(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Info)) write(Level::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Warn)) write(Level::Warn, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace cabin::log
