// What every fuzz target shares (tests/fuzz/README.md).
//
// The oracle: a parser may refuse its input only with cabin::Error (the one
// error type, which main prints as "Error: …" and exit 125). A crash, a
// sanitizer report, a timeout, or any other exception escaping (a JSON
// type_error, std::out_of_range: the user would see a library's message or
// nothing) is a finding.
#pragma once
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace cabin::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs f; an input refused with cabin::Error is a good outcome.
template <class F>
void refused_ok(F&& f) {
  try {
    f();
  } catch (const cabin::Error&) {
  }
}

// Quiet warnings (they are formatted only when shown, and stderr is slow).
inline void quiet() { log::set_level(log::Level::Error); }

// The targets that write files run as nobody when started as root (CI runs
// as root): an extraction bug that escaped its root could then damage
// nothing the fuzzer's user cannot write anyway.
inline void drop_root() {
  if (::geteuid() != 0) return;
  if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
    std::perror("fuzz: dropping root to nobody");
    std::abort();
  }
}

// A directory of this process's own, removed at exit.
inline const std::string& scratch() {
  static fs::TempDir dir("/tmp", "cabin-fuzz-");
  return dir.path();
}

}  // namespace cabin::fuzz
