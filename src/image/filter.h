// `images --filter`, as Podman accepts it.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "storage/store.h"

namespace cabin::image {

// Parsed filters; all must match (values of the same key: any may match,
// except label, where all must).
class ImageFilter {
 public:
  // Each entry "key=value". Keys: reference, dangling, label, label!, before,
  // since, id, digest, readonly, until. Throws for an unknown key or a bad
  // value ("unsupported image filter "bogus"").
  ImageFilter(const std::vector<std::string>& filters, const storage::Store& store);
  bool matches(const storage::ImageRecord& rec) const;

 private:
  const storage::Store& store_;
  std::set<std::string> parents_;  // ids with children: dangling and intermediate need them
  std::vector<std::pair<std::string, std::vector<std::string>>> by_key_;
  std::vector<std::pair<std::string, int64_t>> times_;  // before/since/until cutoffs
};

// An until filter's value: "10m", "2h", "3600s" (ago), RFC 3339, or unix
// seconds → unix seconds. Throws for anything else.
int64_t parse_until(const std::string& value);

// Shell-style glob match ("*", "?", "[…]") as Go's path.Match.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace cabin::image
