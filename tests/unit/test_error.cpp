#include <catch2/catch.hpp>

#include "util/error.h"

using cabin::Error;

TEST_CASE("errors read as a chain of context") {
  try {
    cabin::with_context("pull alpine", [] {
      cabin::with_context("extract layer sha256:ab", [] {
        errno = EACCES;
        cabin::throw_errno("open {}", "/x");
      });
    });
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "pull alpine: extract layer sha256:ab: open /x: Permission denied");
    CHECK(e.err() == EACCES);
    CHECK(e.exit_code() == 125);
  }
}

TEST_CASE("errors without errno have no suffix") {
  Error e("manifest unknown", 1);
  CHECK(std::string(e.what()) == "manifest unknown");
  CHECK(e.exit_code() == 1);
}
