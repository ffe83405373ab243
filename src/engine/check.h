// `system check`: is the store sound? Blobs against their digests, image
// records against their blobs and layers, layers against their records and
// their content against their diff IDs (storage/tarsplit.h),
// container records against their directories and images, volumes against
// their records, left-over staging directories, and mounts of the store
// left in the host's namespace. With repair, what can be fixed is: a
// damaged blob, an image that lost a blob or a layer (the image goes; pull
// it again), a half-written layer, a container record without a directory
// or a directory without a record, a volume directory without a record,
// stale staging; with force, a container damaged beyond use. Call in
// cabin's user namespace.
#pragma once

#include <string>
#include <vector>

#include "config/paths.h"

namespace cabin::engine {

struct Problem {
  std::string what;   // one line: "blob sha256:…: content does not match its digest"
  bool repaired = false;
};

struct CheckOptions {
  bool repair = false;
  // With repair: containers damaged beyond use (image gone, creation cut
  // short) are removed too.
  bool force = false;
  // Layers' content is not rebuilt into their tar and compared with the
  // diff ID (the slow part: it reads every file).
  bool quick = false;
};

std::vector<Problem> check_store(const config::StorePaths& paths, const CheckOptions& options);

}  // namespace cabin::engine
