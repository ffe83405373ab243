// One error type for all of cabin: see docs/errors.md.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace cabin {

// Exit codes shared with Podman and Docker.
inline constexpr int kExitError = 125;          // cabin itself failed
inline constexpr int kExitCannotInvoke = 126;   // the command could not be run
inline constexpr int kExitNotFound = 127;       // the command was not found

// Error carries an optional errno (0 when the failure is not a syscall's), a
// message, and context prepended at layer boundaries, so that main prints
//   Error: pull alpine: extract layer sha256:…: open /x: Permission denied
class Error : public std::system_error {
 public:
  explicit Error(std::string message, int exit_code = kExitError)
      : std::system_error(0, std::generic_category()),
        message_(std::move(message)),
        exit_code_(exit_code) {
    rebuild();
  }
  Error(int err, std::string message, int exit_code = kExitError)
      : std::system_error(err, std::generic_category()),
        message_(std::move(message)),
        exit_code_(exit_code) {
    rebuild();
  }

  // Prepends "ctx: " to the message; returns *this so it can be rethrown.
  Error& add_context(std::string_view ctx) {
    message_ = fmt::format("{}: {}", ctx, message_);
    rebuild();
    return *this;
  }

  const char* what() const noexcept override { return full_.c_str(); }
  int exit_code() const noexcept { return exit_code_; }
  int err() const noexcept { return code().value(); }
  // The message without the errno text.
  const std::string& message() const noexcept { return message_; }

 private:
  void rebuild();

  std::string message_;
  std::string full_;
  int exit_code_;
};

// Throws Error for the current errno: throw_errno("open {}", path).
template <typename... Args>
[[noreturn]] void throw_errno(fmt::format_string<Args...> f, Args&&... args) {
  int err = errno;
  throw Error(err, fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

// Runs fn; an Error escaping it gets ctx prepended.
template <typename Fn>
decltype(auto) with_context(std::string_view ctx, Fn&& fn) {
  try {
    return std::forward<Fn>(fn)();
  } catch (Error& e) {
    e.add_context(ctx);
    throw;
  }
}

}  // namespace cabin
