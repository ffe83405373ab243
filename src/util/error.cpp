#include "util/error.h"

#include <cstring>

namespace cabin {

void Error::rebuild() {
  full_ = message_;
  if (int e = code().value(); e != 0) {
    full_ += ": ";
    full_ += std::strerror(e);
  }
}

}  // namespace cabin
