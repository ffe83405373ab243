// WWW-Authenticate parsing after RFC 7235 section 4.1:
//
//   WWW-Authenticate = 1#challenge
//   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param       = token BWS "=" BWS ( token / quoted-string )
//
// Challenges and their parameters share one comma-separated list, so a token
// starts a new challenge exactly when it is not followed by "=". Parsing is
// lenient: registries are the only source, and a malformed element is skipped
// rather than failing the pull (the caller reports "no usable challenge").
#include "registry/www_authenticate.h"

#include "util/strings.h"

namespace cabin::registry {
namespace {

// RFC 7230 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// token68 adds '/' to what a token may hold and ends in '='s.
bool is_token68_char(char c) { return is_tchar(c) || c == '/'; }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::vector<Challenge> parse() {
    std::vector<Challenge> out;
    while (true) {
      skip_list_separators();
      if (done()) break;
      std::string token = read_token();
      if (token.empty()) {
        skip_element();  // junk: drop up to the next comma
        continue;
      }
      size_t after_token = pos_;
      skip_ws();
      if (!done() && s_[pos_] == '=' && !out.empty()) {
        ++pos_;
        skip_ws();
        if (done() || s_[pos_] == ',' || s_[pos_] == '=') {
          // "name=" with no value, or a token68 such as "abc==": not an
          // auth-param; registries do not use token68, so drop it.
          skip_element();
          continue;
        }
        std::string value = peek() == '"' ? read_quoted() : read_bare();
        out.back().params.try_emplace(to_lower(token), std::move(value));
        skip_element();  // anything after the value up to the next comma is junk
        continue;
      }
      if (!done() && s_[pos_] == '=') {  // a parameter before any scheme
        skip_element();
        continue;
      }
      // A new challenge. Its first parameter may follow after spaces, with
      // no comma; a token68 (scheme SP token68) is skipped.
      pos_ = after_token;
      out.push_back(Challenge{to_lower(token), {}});
      skip_ws();
      if (!done() && looks_like_token68()) skip_element();
    }
    return out;
  }

 private:
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }

  void skip_ws() {
    while (!done() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  void skip_list_separators() {
    while (!done() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == ',')) ++pos_;
  }
  // Skips to the next comma that is not inside a quoted string.
  void skip_element() {
    while (!done() && s_[pos_] != ',') {
      if (s_[pos_] == '"') {
        (void)read_quoted();
      } else {
        ++pos_;
      }
    }
  }
  std::string read_token() {
    size_t start = pos_;
    while (!done() && is_tchar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  // An unquoted value. The grammar says token, but registries have been seen
  // to send realm=https://… unquoted; take everything up to a comma or space.
  std::string read_bare() {
    size_t start = pos_;
    while (!done() && s_[pos_] != ',' && s_[pos_] != ' ' && s_[pos_] != '\t') ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  // At '"': reads a quoted-string, undoing quoted-pairs. An unterminated
  // string runs to the end of the header.
  std::string read_quoted() {
    std::string out;
    ++pos_;  // opening quote
    while (!done()) {
      char c = s_[pos_++];
      if (c == '"') break;
      if (c == '\\') {
        if (done()) break;
        c = s_[pos_++];
      }
      out += c;
    }
    return out;
  }
  // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  // and nothing else up to the next comma; an auth-param ("name=value") has
  // a value after its '='.
  bool looks_like_token68() const {
    size_t p = pos_;
    while (p < s_.size() && is_token68_char(s_[p])) ++p;
    if (p == pos_) return false;
    while (p < s_.size() && s_[p] == '=') ++p;
    while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t')) ++p;
    return p >= s_.size() || s_[p] == ',';
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view header) {
  return Parser(header).parse();
}

}  // namespace cabin::registry
