// .containerignore / .dockerignore: Docker's pattern syntax. One pattern a
// line; blank lines and lines starting with # are skipped; a leading / and
// ./ are dropped and the pattern is cleaned as a path; * and ? never match
// a /, ** matches any number of directories, [...] is a class, \ escapes;
// !pattern takes back what earlier patterns excluded. The last pattern that
// matches a path (or one of its parent directories) decides.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cabin::build {

class IgnoreRules {
 public:
  IgnoreRules() = default;
  explicit IgnoreRules(std::string_view text);

  // path: relative to the context root, '/'-separated.
  bool ignored(std::string_view path) const;
  // Whether some !pattern might take back a path below an ignored
  // directory: if not, a walker may skip the directory whole.
  bool has_exceptions() const { return exceptions_; }
  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    std::string pattern;
    bool exception = false;
  };
  std::vector<Rule> rules_;
  bool exceptions_ = false;
};

// Go's path.Clean for '/'-separated relative paths ("" → ".").
std::string clean_path(std::string_view path);

// Docker's pattern match of a whole path (see above), without the parents rule.
bool pattern_match(std::string_view pattern, std::string_view path);

}  // namespace cabin::build
