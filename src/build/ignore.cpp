#include "build/ignore.h"

#include <vector>

#include "util/strings.h"

namespace cabin::build {

std::string clean_path(std::string_view path) {
  bool rooted = !path.empty() && path.front() == '/';
  std::vector<std::string> out;
  for (const auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty() && out.back() != "..") out.pop_back();
      else if (!rooted) out.push_back(part);
      continue;
    }
    out.push_back(part);
  }
  std::string s = join(out, "/");
  if (rooted) return "/" + s;
  return s.empty() ? "." : s;
}

namespace {

// [...] at p (just past '['): whether c is in the class; p moves past ']'.
bool match_class(std::string_view pat, size_t& p, char c, bool& ok) {
  bool negate = p < pat.size() && (pat[p] == '^' || pat[p] == '!');
  if (negate) ++p;
  bool in = false;
  bool first = true;
  while (p < pat.size() && (pat[p] != ']' || first)) {
    first = false;
    char lo = pat[p];
    if (lo == '\\' && p + 1 < pat.size()) lo = pat[++p];
    ++p;
    char hi = lo;
    if (p + 1 < pat.size() && pat[p] == '-' && pat[p + 1] != ']') {
      hi = pat[p + 1];
      if (hi == '\\' && p + 2 < pat.size()) hi = pat[++p + 1];
      p += 2;
    }
    if (lo <= c && c <= hi) in = true;
  }
  if (p >= pat.size()) {
    ok = false;  // no ']': a bad pattern matches nothing
    return false;
  }
  ++p;  // ']'
  return in != negate;
}

// A match of pat against s. Each star tries every place its run may end,
// so a pattern of many stars would take exponential time on a path it does
// not match (tests/fuzz/ignore found "*/k\n****…" hanging a build); the
// states (pattern index, path index) where a star was tried and failed are
// remembered, which bounds the work by |pat|·|s|².
struct Matcher {
  std::string_view pat, s;
  std::vector<bool> failed;  // by p * (s.size() + 1) + i; sized on the first star

  bool at(size_t p, size_t i) {
    while (p < pat.size()) {
      char c = pat[p];
      if (c == '*') {
        size_t key = p * (s.size() + 1) + i;
        if (failed.empty()) failed.resize((pat.size() + 1) * (s.size() + 1));
        if (failed[key]) return false;
        bool hit = star(p, i);
        if (!hit) failed[key] = true;
        return hit;
      }
      if (i >= s.size()) return false;
      if (c == '?') {
        if (s[i] == '/') return false;
        ++p;
        ++i;
        continue;
      }
      if (c == '[') {
        ++p;
        bool ok = true;
        bool in = match_class(pat, p, s[i], ok);
        if (!ok || !in || s[i] == '/') return false;
        ++i;
        continue;
      }
      if (c == '\\' && p + 1 < pat.size()) c = pat[++p];
      if (s[i] != c) return false;
      ++p;
      ++i;
    }
    return i == s.size();
  }

  // A star (or "**") at p, the path at i.
  bool star(size_t p, size_t i) {
    if (p + 1 < pat.size() && pat[p + 1] == '*') {
      // "**": any run of characters, slashes too; "**/" also none at all.
      size_t q = p + 2;
      if (q < pat.size() && pat[q] == '/') {
        if (at(q + 1, i)) return true;
        for (size_t k = i; k < s.size(); ++k)
          if (s[k] == '/' && at(q + 1, k + 1)) return true;
        return false;
      }
      for (size_t k = i; k <= s.size(); ++k)
        if (at(q, k)) return true;
      return false;
    }
    for (size_t k = i;; ++k) {
      if (at(p + 1, k)) return true;
      if (k >= s.size() || s[k] == '/') return false;
    }
  }
};

}  // namespace

bool pattern_match(std::string_view pattern, std::string_view path) { return Matcher{pattern, path, {}}.at(0, 0); }

IgnoreRules::IgnoreRules(std::string_view text) {
  for (const auto& raw : split(text, '\n')) {
    std::string line(trim(raw));
    if (line.empty() || line[0] == '#') continue;
    Rule r;
    if (line[0] == '!') {
      r.exception = true;
      line = std::string(trim(line.substr(1)));
      exceptions_ = true;
    }
    std::string p = clean_path(line);
    while (p.starts_with("/")) p.erase(0, 1);
    if (p.empty()) p = ".";
    r.pattern = std::move(p);
    rules_.push_back(std::move(r));
  }
}

bool IgnoreRules::ignored(std::string_view path) const {
  bool ignore = false;
  for (const auto& r : rules_) {
    // The path itself or one of its parent directories.
    bool hit = pattern_match(r.pattern, path);
    for (size_t slash = path.find('/'); !hit && slash != std::string_view::npos; slash = path.find('/', slash + 1))
      hit = pattern_match(r.pattern, path.substr(0, slash));
    if (hit) ignore = !r.exception;
  }
  return ignore;
}

}  // namespace cabin::build
