#include <unistd.h>

#include <catch2/catch.hpp>

#include "util/progress.h"

using cabin::iec;
using cabin::Progress;
using cabin::rate_and_eta;

TEST_CASE("iec: bytes, then one decimal in IEC units") {
  CHECK(iec(0) == "0 B");
  CHECK(iec(1023) == "1023 B");
  CHECK(iec(1536) == "1.5 KiB");
  CHECK(iec(200u << 20) == "200.0 MiB");
}

TEST_CASE("rate_and_eta: rate from what is done, ETA from what is left") {
  CHECK(rate_and_eta(0, 100, 5000).empty());             // nothing moved yet
  CHECK(rate_and_eta(1 << 20, 2 << 20, 100).empty());    // too early to tell
  CHECK(rate_and_eta(1 << 20, 3 << 20, 1000) == " | 1.0 MiB/s | ETA 2s");
  CHECK(rate_and_eta(1 << 20, 100u << 20, 1000) == " | 1.0 MiB/s | ETA 1m39s");
  CHECK(rate_and_eta(4 << 20, 4 << 20, 2000) == " | 2.0 MiB/s");  // done: no ETA
}

// What a Progress writes to a pipe (not a terminal): lines, no bars.
static std::string lines_of(bool quiet) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::FILE* w = ::fdopen(fds[1], "w");
  {
    Progress p(w, quiet);
    CHECK(p.mode() == (quiet ? Progress::Mode::Quiet : Progress::Mode::Lines));
    p.message("Getting image source signatures");
    auto blob = p.add("Copying blob 4b35f584bb4f", 1000);
    p.update(blob, 500);
    p.finish(blob);
  }
  std::fclose(w);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  return out;
}

TEST_CASE("Progress: plain lines when not a terminal, nothing when quiet") {
  CHECK(lines_of(false) == "Getting image source signatures\nCopying blob 4b35f584bb4f done\n");
  CHECK(lines_of(true).empty());
}
