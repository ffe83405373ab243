#include "compose/interpolate.h"

#include "util/error.h"

namespace cabin::compose {
namespace {

bool name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

class Interpolator {
 public:
  Interpolator(std::string_view text, const Lookup& env, const OnUnset& on_unset)
      : text_(text), env_(env), on_unset_(on_unset) {}

  std::string run() {
    std::string out;
    for (size_t i = 0; i < text_.size();) {
      char c = text_[i];
      if (c != '$') {
        out += c;
        ++i;
        continue;
      }
      if (i + 1 < text_.size() && text_[i + 1] == '$') {
        out += '$';
        i += 2;
      } else if (i + 1 < text_.size() && text_[i + 1] == '{') {
        size_t close = matching_brace(i + 2);
        out += braced(text_.substr(i + 2, close - i - 2));
        i = close + 1;
      } else if (i + 1 < text_.size() && name_start(text_[i + 1])) {
        size_t end = i + 1;
        while (end < text_.size() && name_char(text_[end])) ++end;
        out += value_or_blank(std::string(text_.substr(i + 1, end - i - 1)));
        i = end;
      } else {
        invalid();
      }
    }
    return out;
  }

 private:
  [[noreturn]] void invalid() const {
    fail("invalid interpolation format \"{}\": you may need to escape any $ with another $", text_);
  }

  // The index of the "}" closing a "${" whose body starts at from; nested
  // "${...}" in a default count.
  size_t matching_brace(size_t from) const {
    int depth = 1;
    for (size_t i = from; i < text_.size(); ++i) {
      if (text_[i] == '$' && i + 1 < text_.size() && text_[i + 1] == '$') {
        ++i;
      } else if (text_[i] == '$' && i + 1 < text_.size() && text_[i + 1] == '{') {
        ++depth;
        ++i;
      } else if (text_[i] == '}' && --depth == 0) {
        return i;
      }
    }
    invalid();
  }

  std::string value_or_blank(const std::string& name) const {
    if (auto v = env_(name)) return *v;
    if (on_unset_) on_unset_(name);
    return "";
  }

  std::string nested(std::string_view word) const { return Interpolator(word, env_, on_unset_).run(); }

  std::string braced(std::string_view body) const {
    size_t n = 0;
    while (n < body.size() && name_char(body[n])) ++n;
    if (n == 0 || !name_start(body[0])) invalid();
    std::string name(body.substr(0, n));
    std::string_view rest = body.substr(n);
    if (rest.empty()) return value_or_blank(name);
    bool colon = rest[0] == ':';
    if (colon) rest.remove_prefix(1);
    if (rest.empty()) invalid();
    char op = rest[0];
    std::string_view word = rest.substr(1);
    std::optional<std::string> value = env_(name);
    // With the colon, an empty value counts as unset.
    bool set = value && !(colon && value->empty());
    switch (op) {
      case '-':
        return set ? *value : nested(word);
      case '+':
        return set ? nested(word) : "";
      case '?':
        if (set) return *value;
        if (word.empty()) fail("required variable {} is missing a value", name);
        fail("required variable {} is missing a value: {}", name, nested(word));
      default:
        invalid();
    }
  }

  std::string_view text_;
  const Lookup& env_;
  const OnUnset& on_unset_;
};

}  // namespace

std::string interpolate(std::string_view text, const Lookup& env, const OnUnset& on_unset) {
  if (text.find('$') == std::string_view::npos) return std::string(text);
  return Interpolator(text, env, on_unset).run();
}

}  // namespace cabin::compose
