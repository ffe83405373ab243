#include "build/shell_words.h"

#include <cctype>

#include "util/error.h"

namespace cabin::build {
namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  Lexer(std::string_view text, const Lookup& env, char escape, bool split, bool keep_quotes)
      : s_(text), env_(env), esc_(escape), split_(split), keep_(keep_quotes) {}

  // Split: the non-empty words; else the one word, even empty.
  std::vector<std::string> words() {
    std::vector<std::string> out;
    std::string cur;
    run(0, cur, split_ ? &out : nullptr);
    if (!split_ || !cur.empty()) out.push_back(std::move(cur));
    return out;
  }

 private:
  // Reads up to stop (0: the end), appending to cur; with out, blanks end words.
  void run(char stop, std::string& cur, std::vector<std::string>* out) {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (stop && c == stop) return;
      if (out && std::isspace(static_cast<unsigned char>(c))) {
        if (!cur.empty()) out->push_back(std::move(cur));
        cur.clear();
        ++pos_;
        continue;
      }
      if (c == esc_) {
        ++pos_;
        if (keep_) cur += c;
        if (pos_ < s_.size()) cur += s_[pos_++];
        else if (!keep_) cur += c;  // a trailing escape stays
      } else if (c == '\'') {
        single_quoted(cur);
      } else if (c == '"') {
        double_quoted(cur);
      } else if (c == '$') {
        cur += dollar();
      } else {
        cur += c;
        ++pos_;
      }
    }
    if (stop) fail("missing '{}' in {:?}", stop, s_);
  }

  void single_quoted(std::string& cur) {
    size_t end = s_.find('\'', pos_ + 1);
    if (end == std::string_view::npos) fail("unexpected end of statement while looking for matching single-quote in {:?}", s_);
    cur += keep_ ? s_.substr(pos_, end + 1 - pos_) : s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
  }

  void double_quoted(std::string& cur) {
    if (keep_) cur += '"';
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_];
      if (c == esc_ && pos_ + 1 < s_.size() && (s_[pos_ + 1] == '"' || s_[pos_ + 1] == '$' || s_[pos_ + 1] == esc_)) {
        if (keep_) cur += c;
        cur += s_[pos_ + 1];
        pos_ += 2;
      } else if (c == '$') {
        cur += dollar();
      } else {
        cur += c;
        ++pos_;
      }
    }
    if (pos_ >= s_.size()) fail("unexpected end of statement while looking for matching double-quote in {:?}", s_);
    if (keep_) cur += '"';
    ++pos_;
  }

  // At a '$': the expansion, or "$" itself when no name follows.
  std::string dollar() {
    ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '{') return braced();
    if (pos_ >= s_.size() || !name_start(s_[pos_])) return "$";
    size_t start = pos_;
    while (pos_ < s_.size() && name_char(s_[pos_])) ++pos_;
    return env_(std::string(s_.substr(start, pos_ - start))).value_or("");
  }

  std::string braced() {
    ++pos_;  // '{'
    size_t start = pos_;
    while (pos_ < s_.size() && name_char(s_[pos_])) ++pos_;
    std::string name(s_.substr(start, pos_ - start));
    if (name.empty()) fail("bad substitution: a variable name must follow \"${{\" in {:?}", s_);
    if (pos_ >= s_.size()) fail("missing '}}' in {:?}", s_);
    auto value = env_(name);
    if (s_[pos_] == '}') {
      ++pos_;
      return value.value_or("");
    }
    bool colon = s_[pos_] == ':';
    if (colon) ++pos_;
    char op = pos_ < s_.size() ? s_[pos_] : 0;
    if (op != '-' && op != '+' && op != '?') fail("unsupported modifier in ${{{}{}{}}} in {:?}", name, colon ? ":" : "", op, s_);
    ++pos_;
    std::string word;
    run('}', word, nullptr);
    ++pos_;  // '}'
    // With a colon, an empty value counts as unset.
    bool set = value && (!colon || !value->empty());
    if (op == '-') return set ? *value : word;
    if (op == '+') return set ? word : "";
    if (!set) fail("{}: {}", name, word.empty() ? "parameter not set or null" : word);
    return *value;
  }

  std::string_view s_;
  const Lookup& env_;
  char esc_;
  bool split_;
  bool keep_;
  size_t pos_ = 0;
};

}  // namespace

std::string expand_word(std::string_view text, const Lookup& env, char escape) {
  Lexer lex(text, env, escape, false, false);
  auto w = lex.words();
  return w.empty() ? "" : w.front();
}

std::vector<std::string> expand_words(std::string_view text, const Lookup& env, char escape) {
  return Lexer(text, env, escape, true, false).words();
}

std::string expand_keep_quotes(std::string_view text, const Lookup& env, char escape) {
  auto w = Lexer(text, env, escape, false, true).words();
  return w.empty() ? "" : w.front();
}

}  // namespace cabin::build
