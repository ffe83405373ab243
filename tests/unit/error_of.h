// The message a cabin::Error thrown by fn carries, or "no error".
#pragma once

#include <functional>
#include <string>

#include "util/error.h"

namespace cabin::test {

inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace cabin::test
