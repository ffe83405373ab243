// Go text/template (Go 1.19, the version Podman 4.3 is built with) over
// nlohmann::json data. The lexer, parser and evaluator follow the structure
// of Go's text/template/parse and text/template so that output, whitespace
// trimming and error messages (down to line:column) come out the same.
#include "format/template.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "format/output.h"
#include "util/error.h"

namespace cabin::format {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------
// UTF-8 and a small model of Go's unicode tables.

constexpr char32_t kRuneError = 0xFFFD;

// Decodes the rune at s[i] like utf8.DecodeRuneInString: invalid input gives
// U+FFFD with width 1.
char32_t decode_rune(std::string_view s, size_t i, int* width) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *width = 1;
    return b0;
  }
  auto cont = [&](size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  auto byte = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F); };
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(1)) {
    *width = 2;
    return (static_cast<char32_t>(b0 & 0x1F) << 6) | byte(1);
  }
  if (b0 >= 0xE0 && b0 <= 0xEF && cont(1) && cont(2)) {
    char32_t r = (static_cast<char32_t>(b0 & 0x0F) << 12) | (byte(1) << 6) | byte(2);
    if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) {
      *width = 3;
      return r;
    }
  }
  if (b0 >= 0xF0 && b0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    char32_t r = (static_cast<char32_t>(b0 & 0x07) << 18) | (byte(1) << 12) | (byte(2) << 6) | byte(3);
    if (r >= 0x10000 && r <= 0x10FFFF) {
      *width = 4;
      return r;
    }
  }
  *width = 1;
  return kRuneError;
}

void append_rune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

size_t rune_count(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    int w;
    decode_rune(s, i, &w);
    i += w;
    ++n;
  }
  return n;
}

bool is_unicode_space(char32_t r) {
  switch (r) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// unicode.IsLetter, approximated outside ASCII and Latin-1: symbol,
// punctuation and emoji blocks are not letters, everything else is.
bool is_letter(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  if (r < 0xC0) return r == 0xAA || r == 0xB5 || r == 0xBA;
  if (r == 0xD7 || r == 0xF7) return false;
  if (r >= 0x2000 && r <= 0x2BFF) return false;
  if (r >= 0x3000 && r <= 0x303F) return false;
  if (r >= 0xFE00 && r <= 0xFE0F) return false;
  if (r >= 0xFFF0 && r <= 0xFFFF) return false;
  if (r >= 0x1F000 && r <= 0x1FAFF) return false;
  if (r >= 0xD800 && r <= 0xDFFF) return false;
  return !is_unicode_space(r);
}

bool is_digit(char32_t r) { return r >= '0' && r <= '9'; }

// strconv.IsPrint, approximated outside ASCII.
bool is_print(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r < 0xA0) return false;
  if (r == 0xAD) return false;
  if (is_unicode_space(r)) return false;
  if ((r >= 0x200B && r <= 0x200F) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2060 && r <= 0x206F)) return false;
  if (r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || r == 0xFFFE || r == 0xFFFF) return false;
  if (r >= 0xD800 && r <= 0xDFFF) return false;
  return r <= 0x10FFFF;
}

// Simple case mapping (unicode.ToUpper / ToLower) for ASCII, Latin-1,
// Latin Extended-A, Greek and Cyrillic; other runes map to themselves.
char32_t to_upper(char32_t r) {
  if (r >= 'a' && r <= 'z') return r - 32;
  if (r < 0x80) return r;
  // The digraphs DŽ, LJ, NJ, DZ: upper, title and lower forms.
  if (r >= 0x1C4 && r <= 0x1CC) return 0x1C4 + (r - 0x1C4) / 3 * 3;
  if (r >= 0x1F1 && r <= 0x1F3) return 0x1F1;
  if ((r >= 0xE0 && r <= 0xFE && r != 0xF7)) return r - 32;
  if (r == 0xFF) return 0x178;
  if (r == 0xB5) return 0x39C;
  if (r >= 0x100 && r <= 0x17F) {
    if (r == 0x131) return 'I';
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E)) return (r % 2 == 0) ? r - 1 : r;
    if (r == 0x130 || r == 0x138 || r == 0x149 || r == 0x178) return r;
    if (r == 0x17F) return 'S';
    return (r % 2 == 1) ? r - 1 : r;
  }
  if (r >= 0x3B1 && r <= 0x3C9 && r != 0x3C2) return r - 32;
  if (r == 0x3C2) return 0x3A3;
  if (r >= 0x430 && r <= 0x44F) return r - 32;
  if (r >= 0x450 && r <= 0x45F) return r - 80;
  return r;
}

char32_t to_lower(char32_t r) {
  if (r >= 'A' && r <= 'Z') return r + 32;
  if (r < 0x80) return r;
  if (r >= 0x1C4 && r <= 0x1CC) return 0x1C6 + (r - 0x1C4) / 3 * 3;
  if (r >= 0x1F1 && r <= 0x1F3) return 0x1F3;
  if (r >= 0xC0 && r <= 0xDE && r != 0xD7) return r + 32;
  if (r == 0x178) return 0xFF;
  if (r >= 0x100 && r <= 0x17F) {
    if (r == 0x130) return 'i';
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E)) return (r % 2 == 1) ? r + 1 : r;
    if (r == 0x131 || r == 0x138 || r == 0x149 || r == 0x17F) return r;
    return (r % 2 == 0) ? r + 1 : r;
  }
  if (r >= 0x391 && r <= 0x3A9 && r != 0x3A2) return r + 32;
  if (r >= 0x410 && r <= 0x42F) return r + 32;
  if (r >= 0x400 && r <= 0x40F) return r + 80;
  return r;
}

// unicode.ToTitle: the upper case but for the digraphs' title forms (ǅ).
char32_t to_title(char32_t r) {
  if (r >= 0x1C4 && r <= 0x1CC) return 0x1C5 + (r - 0x1C4) / 3 * 3;
  if (r >= 0x1F1 && r <= 0x1F3) return 0x1F2;
  return to_upper(r);
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// strings.Map with a rune mapping: invalid bytes become U+FFFD, as Go does.
template <typename F>
std::string map_runes(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    int w;
    char32_t r = decode_rune(s, i, &w);
    append_rune(out, f(r));
    i += w;
  }
  return out;
}

std::string go_upper(std::string_view s) {
  if (is_ascii(s)) {
    std::string out(s);
    for (char& c : out)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    return out;
  }
  return map_runes(s, to_upper);
}

std::string go_lower(std::string_view s) {
  if (is_ascii(s)) {
    std::string out(s);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
  }
  return map_runes(s, to_lower);
}

// strings.Title: upper-cases the first letter of each word.
std::string go_title(std::string_view s) {
  auto is_separator = [](char32_t r) {
    if (r <= 0x7F) return !(is_digit(r) || is_letter(r) || r == '_');
    if (is_letter(r)) return false;
    return is_unicode_space(r);
  };
  char32_t prev = ' ';
  return map_runes(s, [&](char32_t r) {
    char32_t out = is_separator(prev) ? to_title(r) : r;
    prev = r;
    return out;
  });
}

// ---------------------------------------------------------------------------
// strconv quoting.

constexpr char kLowerHex[] = "0123456789abcdef";
constexpr char kUpperHex[] = "0123456789ABCDEF";
// fmt's digit tables: index 16 is the letter of the 0x prefix.
constexpr char kLDigits[] = "0123456789abcdefx";
constexpr char kUDigits[] = "0123456789ABCDEFX";

void append_escaped_rune(std::string& buf, char32_t r, char quote, bool ascii_only) {
  if (r == static_cast<char32_t>(quote) || r == '\\') {
    buf += '\\';
    buf += static_cast<char>(r);
    return;
  }
  if (ascii_only ? (r < 0x80 && is_print(r)) : is_print(r)) {
    append_rune(buf, r);
    return;
  }
  switch (r) {
    case '\a': buf += "\\a"; return;
    case '\b': buf += "\\b"; return;
    case '\f': buf += "\\f"; return;
    case '\n': buf += "\\n"; return;
    case '\r': buf += "\\r"; return;
    case '\t': buf += "\\t"; return;
    case '\v': buf += "\\v"; return;
    default: break;
  }
  if (r < ' ' || r == 0x7F) {
    buf += "\\x";
    buf += kLowerHex[(r >> 4) & 0xF];
    buf += kLowerHex[r & 0xF];
    return;
  }
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x10000) {
    buf += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) buf += kLowerHex[(r >> shift) & 0xF];
  } else {
    buf += "\\U";
    for (int shift = 28; shift >= 0; shift -= 4) buf += kLowerHex[(r >> shift) & 0xF];
  }
}

// strconv.Quote (ascii_only: QuoteToASCII).
std::string go_quote(std::string_view s, bool ascii_only = false) {
  std::string buf = "\"";
  for (size_t i = 0; i < s.size();) {
    int w;
    char32_t r = decode_rune(s, i, &w);
    if (w == 1 && r == kRuneError) {
      buf += "\\x";
      buf += kLowerHex[static_cast<unsigned char>(s[i]) >> 4];
      buf += kLowerHex[static_cast<unsigned char>(s[i]) & 0xF];
      i += 1;
      continue;
    }
    append_escaped_rune(buf, r, '"', ascii_only);
    i += w;
  }
  buf += '"';
  return buf;
}

// strconv.QuoteRune.
std::string go_quote_rune(char32_t r, bool ascii_only = false) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  std::string buf = "'";
  append_escaped_rune(buf, r, '\'', ascii_only);
  buf += '\'';
  return buf;
}

// strconv.CanBackquote.
bool can_backquote(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    int w;
    char32_t r = decode_rune(s, i, &w);
    if (w == 1 && r == kRuneError) return false;
    if (r == kRuneError && w > 1) return false;  // U+FFFD itself
    if (w == 1) {
      if (r == '`') return false;
      if ((r < ' ' && r != '\t') || r == 0x7F) return false;
    }
    if (r == 0xFEFF) return false;
    i += w;
  }
  return true;
}

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// strconv.UnquoteChar: decodes one character or escape at the front of s.
bool unquote_char(std::string_view& s, char quote, char32_t* value, bool* multibyte) {
  if (s.empty()) return false;
  auto c = static_cast<unsigned char>(s[0]);
  if (c == static_cast<unsigned char>(quote) && (quote == '\'' || quote == '"')) return false;
  if (c >= 0x80) {
    int w;
    *value = decode_rune(s, 0, &w);
    *multibyte = true;
    s.remove_prefix(w);
    return true;
  }
  if (c != '\\') {
    *value = c;
    *multibyte = false;
    s.remove_prefix(1);
    return true;
  }
  if (s.size() <= 1) return false;
  char e = s[1];
  s.remove_prefix(2);
  *multibyte = false;
  switch (e) {
    case 'a': *value = '\a'; return true;
    case 'b': *value = '\b'; return true;
    case 'f': *value = '\f'; return true;
    case 'n': *value = '\n'; return true;
    case 'r': *value = '\r'; return true;
    case 't': *value = '\t'; return true;
    case 'v': *value = '\v'; return true;
    case 'x': case 'u': case 'U': {
      size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (s.size() < n) return false;
      char32_t v = 0;
      for (size_t j = 0; j < n; ++j) {
        int x = unhex(s[j]);
        if (x < 0) return false;
        v = (v << 4) | static_cast<char32_t>(x);
      }
      s.remove_prefix(n);
      if (e == 'x') {
        *value = v;
        return true;
      }
      if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
      *value = v;
      *multibyte = true;
      return true;
    }
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
      char32_t v = static_cast<char32_t>(e - '0');
      if (s.size() < 2) return false;
      for (size_t j = 0; j < 2; ++j) {
        int x = s[j] - '0';
        if (x < 0 || x > 7) return false;
        v = (v << 3) | static_cast<char32_t>(x);
      }
      s.remove_prefix(2);
      if (v > 255) return false;
      *value = v;
      return true;
    }
    case '\\': *value = '\\'; return true;
    case '\'': case '"':
      if (e != quote) return false;
      *value = static_cast<char32_t>(e);
      return true;
    default:
      return false;
  }
}

// strconv.Unquote for "…", `…` and '…'.
std::optional<std::string> go_unquote(std::string_view in) {
  if (in.size() < 2) return std::nullopt;
  char quote = in[0];
  if (in.back() != quote) return std::nullopt;
  std::string_view body = in.substr(1, in.size() - 2);
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) return std::nullopt;
    std::string out;
    for (char c : body)
      if (c != '\r') out += c;
    return out;
  }
  if (quote != '"' && quote != '\'') return std::nullopt;
  if (body.find('\n') != std::string_view::npos) return std::nullopt;
  std::string out;
  while (!body.empty()) {
    char32_t r;
    bool multibyte;
    if (!unquote_char(body, quote, &r, &multibyte)) return std::nullopt;
    if (r < 0x80 || !multibyte)
      out += static_cast<char>(r);
    else
      append_rune(out, r);
    if (quote == '\'' && !body.empty()) return std::nullopt;
  }
  return out;
}

// fmt's %#U: "U+0041 'A'".
std::string go_unicode_sharp(char32_t r) {
  std::string s = fmt::format("U+{:04X}", static_cast<uint32_t>(r));
  if (is_print(r)) {
    s += " '";
    append_rune(s, r);
    s += "'";
  }
  return s;
}

// ---------------------------------------------------------------------------
// Values. A Value is Go's reflect.Value over decoded JSON: invalid (Go's zero
// Value: a missing key or nil), or a JSON node, borrowed from the data or
// owned when computed.

enum class Kind { Invalid, Bool, Int, Uint, Float, String, Slice, Object };

class Value {
 public:
  Value() = default;
  static Value ref(const json& j) {
    Value v;
    v.p_ = &j;
    return v;
  }
  static Value own(json j) {
    Value v;
    v.hold_ = std::make_shared<const json>(std::move(j));
    v.p_ = v.hold_.get();
    return v;
  }
  // A node inside this value's JSON: shares ownership when this one owns.
  Value child(const json& j) const {
    Value v;
    v.hold_ = hold_;
    v.p_ = &j;
    return v;
  }
  bool valid() const { return p_ != nullptr && !p_->is_null() && !p_->is_discarded(); }
  // A JSON null (Go's nil interface), as opposed to nothing at all (Go's
  // zero reflect.Value: a missing key, the nil constant).
  bool is_null() const { return p_ != nullptr && p_->is_null(); }
  const json& j() const { return *p_; }
  Kind kind() const {
    if (!valid()) return Kind::Invalid;
    switch (p_->type()) {
      case json::value_t::boolean: return Kind::Bool;
      case json::value_t::number_integer: return Kind::Int;
      case json::value_t::number_unsigned:
        return p_->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? Kind::Int
                                                                                                : Kind::Uint;
      case json::value_t::number_float: return Kind::Float;
      case json::value_t::string: return Kind::String;
      case json::value_t::array: return Kind::Slice;
      case json::value_t::object: return Kind::Object;
      default: return Kind::Invalid;
    }
  }
  int64_t int_value() const { return p_->get<int64_t>(); }
  uint64_t uint_value() const { return p_->get<uint64_t>(); }
  double float_value() const { return p_->get<double>(); }
  bool bool_value() const { return p_->get<bool>(); }
  const std::string& str() const { return p_->get_ref<const std::string&>(); }

 private:
  std::shared_ptr<const json> hold_;
  const json* p_ = nullptr;
};

bool is_exported_ident(std::string_view k) {
  if (k.empty() || !(k[0] >= 'A' && k[0] <= 'Z')) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A non-empty object whose keys are all exported identifiers stands for a
// Go struct; anything else for a map.
bool struct_like(const json& o) {
  if (!o.is_object() || o.empty()) return false;
  for (const auto& item : o.items())
    if (!is_exported_ident(item.key())) return false;
  return true;
}

json::const_iterator find_ignoring_case(const json& o, std::string_view name) {
  auto lower = [](unsigned char c) { return static_cast<char>(std::tolower(c)); };
  for (auto it = o.begin(); it != o.end(); ++it) {
    const std::string& k = it.key();
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [&](char a, char b) { return lower(a) == lower(b); }))
      return it;
  }
  return o.end();
}

bool all_strings(const json& j) {
  for (const auto& e : j)
    if (!e.is_string()) return false;
  return true;
}

// The Go type a value stands for, as error messages and %T show it.
std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::Invalid: return "<nil>";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Uint: return "uint64";
    case Kind::Float: return "float64";
    case Kind::String: return "string";
    case Kind::Slice: return all_strings(v.j()) ? "[]string" : "[]interface {}";
    case Kind::Object:
      if (struct_like(v.j())) return "struct";
      return all_strings(v.j()) ? "map[string]string" : "map[string]interface {}";
  }
  return "<nil>";
}

size_t value_len(const Value& v) {
  if (v.kind() == Kind::String) return v.str().size();
  return v.j().size();
}

// Go's truth: the zero value of a type is false; structs are always true.
bool truth(const Value& v) {
  switch (v.kind()) {
    case Kind::Invalid: return false;
    case Kind::Bool: return v.bool_value();
    case Kind::Int: return v.int_value() != 0;
    case Kind::Uint: return v.uint_value() != 0;
    case Kind::Float: return v.float_value() != 0;
    case Kind::String: return !v.str().empty();
    case Kind::Slice: return !v.j().empty();
    case Kind::Object: return !v.j().empty();
  }
  return false;
}

// ---------------------------------------------------------------------------
// Go's strconv.FormatFloat.

struct Digits {
  std::string d;  // significant digits, no trailing zeros; empty for zero
  int dp = 0;     // decimal point position
};

// Shortest digits that round-trip, like Go's shortest formatting.
Digits shortest_digits(double v) {
  Digits out;
  if (v == 0) return out;
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = s.find('e');
  std::string mant(s.substr(0, e));
  int exp = std::atoi(std::string(s.substr(e + 1)).c_str());
  for (char c : mant)
    if (c != '.') out.d += c;
  while (out.d.size() > 1 && out.d.back() == '0') out.d.pop_back();
  out.dp = exp + 1;
  return out;
}

void fmt_e(std::string& dst, const Digits& digs, int prec, char fmtc) {
  dst += digs.d.empty() ? '0' : digs.d[0];
  if (prec > 0) {
    dst += '.';
    int i = 1;
    int m = std::min(static_cast<int>(digs.d.size()), prec + 1);
    if (i < m) {
      dst.append(digs.d, 1, static_cast<size_t>(m - 1));
      i = m;
    }
    for (; i <= prec; ++i) dst += '0';
  }
  dst += fmtc;
  int exp = digs.dp - 1;
  if (digs.d.empty()) exp = 0;
  char ch = '+';
  if (exp < 0) {
    ch = '-';
    exp = -exp;
  }
  dst += ch;
  if (exp < 10) {
    dst += '0';
    dst += static_cast<char>('0' + exp);
  } else {
    dst += std::to_string(exp);
  }
}

void fmt_f(std::string& dst, const Digits& digs, int prec) {
  int nd = static_cast<int>(digs.d.size());
  if (digs.dp > 0) {
    int m = std::min(nd, digs.dp);
    dst.append(digs.d, 0, static_cast<size_t>(m));
    for (; m < digs.dp; ++m) dst += '0';
  } else {
    dst += '0';
  }
  if (prec > 0) {
    dst += '.';
    for (int i = 1; i <= prec; ++i) {
      char ch = '0';
      int j = digs.dp + i - 1;
      if (j >= 0 && j < nd) ch = digs.d[static_cast<size_t>(j)];
      dst += ch;
    }
  }
}

// strconv.FormatFloat(v, fmt, prec, 64) for fmt in b e E f g G x X.
std::string format_float(double v, char fmtc, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string dst;
  bool neg = std::signbit(v);
  if (fmtc == 'b') {
    int exp;
    double m = std::frexp(std::fabs(v), &exp);
    auto mant = static_cast<uint64_t>(std::ldexp(m, 53));
    exp -= 53;
    if (v == 0) exp = -1074;
    return fmt::format("{}{}p{}{}", neg ? "-" : "", mant, exp >= 0 ? "+" : "", exp);
  }
  if (fmtc == 'x' || fmtc == 'X') {
    char buf[64];
    if (prec < 0)
      std::snprintf(buf, sizeof buf, fmtc == 'x' ? "%a" : "%A", v);
    else
      std::snprintf(buf, sizeof buf, fmtc == 'x' ? "%.*a" : "%.*A", prec, v);
    std::string s = buf;
    // Go writes the exponent with at least two digits.
    size_t p = s.find_last_of("pP");
    if (p != std::string::npos && p + 2 < s.size() + 1) {
      std::string e = s.substr(p + 2);
      if (e.size() < 2) s = s.substr(0, p + 2) + "0" + e;
    }
    return s;
  }
  if (prec >= 0) {
    char buf[512];
    char f = fmtc == 'F' ? 'f' : fmtc;
    std::snprintf(buf, sizeof buf, fmt::format("%.*{}", f).c_str(), prec, v);
    return buf;
  }
  Digits digs = shortest_digits(v);
  if (neg) dst += '-';
  int nd = static_cast<int>(digs.d.size());
  switch (fmtc) {
    case 'e':
    case 'E':
      fmt_e(dst, digs, std::max(nd - 1, 0), fmtc);
      break;
    case 'f':
    case 'F':
      fmt_f(dst, digs, std::max(nd - digs.dp, 0));
      break;
    case 'g':
    case 'G': {
      // Shortest %g switches to %e when the exponent is < -4 or >= 6.
      int exp = digs.d.empty() ? -1 : digs.dp - 1;
      if (exp < -4 || exp >= 6)
        fmt_e(dst, digs, nd - 1, fmtc == 'g' ? 'e' : 'E');
      else
        fmt_f(dst, digs, std::max(nd - digs.dp, 0));
      break;
    }
    default:
      dst += '%';
      dst += fmtc;
  }
  return dst;
}

// ---------------------------------------------------------------------------
// Go's fmt package (Sprint, Sprintln, Sprintf) over Values.

class Printer {
 public:
  std::string buf;

  void print_arg(const Value& arg, char32_t verb) {
    if (!arg.valid()) {
      if (verb == 'T' || verb == 'v')
        pad_string("<nil>");
      else
        bad_verb(verb, arg);
      return;
    }
    if (verb == 'T') {
      fmt_s(type_name(arg));
      return;
    }
    if (verb == 'p') {
      bad_verb(verb, arg);
      return;
    }
    print_value(arg, verb, 0);
  }

  void do_print(const std::vector<Value>& a) {
    bool prev_string = false;
    for (size_t i = 0; i < a.size(); ++i) {
      bool is_string = a[i].kind() == Kind::String;
      if (i > 0 && !is_string && !prev_string) buf += ' ';
      print_arg(a[i], 'v');
      prev_string = is_string;
    }
  }

  void do_println(const std::vector<Value>& a) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (i > 0) buf += ' ';
      print_arg(a[i], 'v');
    }
    buf += '\n';
  }

  void do_printf(std::string_view format, const std::vector<Value>& a);

 private:
  struct Flags {
    bool plus = false, minus = false, sharp = false, space = false, zero = false;
    bool plus_v = false, sharp_v = false;
    bool wid_present = false, prec_present = false;
    int wid = 0, prec = 0;
  };
  Flags f_;
  bool reordered_ = false;
  bool good_arg_num_ = true;

  void clear_flags() { f_ = Flags{}; }

  void write_padding(int n) {
    if (n <= 0) return;
    buf.append(static_cast<size_t>(n), f_.zero ? '0' : ' ');
  }

  void pad(std::string_view s) {
    if (!f_.wid_present || f_.wid == 0) {
      buf += s;
      return;
    }
    int width = f_.wid - static_cast<int>(rune_count(s));
    if (!f_.minus) {
      write_padding(width);
      buf += s;
    } else {
      buf += s;
      write_padding(width);
    }
  }
  void pad_string(std::string_view s) { pad(s); }

  std::string truncate_string(std::string_view s) {
    if (f_.prec_present) {
      int n = f_.prec;
      for (size_t i = 0; i < s.size();) {
        if (--n < 0) return std::string(s.substr(0, i));
        int w;
        decode_rune(s, i, &w);
        i += w;
      }
    }
    return std::string(s);
  }

  void fmt_s(std::string_view s) { pad_string(truncate_string(s)); }

  void fmt_q(std::string_view s0) {
    std::string s = truncate_string(s0);
    if (f_.sharp && can_backquote(s)) {
      pad_string("`" + s + "`");
      return;
    }
    pad(go_quote(s, f_.plus));
  }

  void fmt_sx(std::string_view s, const char* digits) {
    int length = static_cast<int>(s.size());
    if (f_.prec_present && f_.prec < length) length = f_.prec;
    int width = 2 * length;
    if (width > 0) {
      if (f_.space) {
        if (f_.sharp) width *= 2;
        width += length - 1;
      } else if (f_.sharp) {
        width += 2;
      }
    } else {
      if (f_.wid_present) write_padding(f_.wid);
      return;
    }
    if (f_.wid_present && f_.wid > width && !f_.minus) write_padding(f_.wid - width);
    if (f_.sharp) {
      buf += '0';
      buf += digits[16];
    }
    for (int i = 0; i < length; ++i) {
      if (f_.space && i > 0) {
        buf += ' ';
        if (f_.sharp) {
          buf += '0';
          buf += digits[16];
        }
      }
      auto c = static_cast<unsigned char>(s[static_cast<size_t>(i)]);
      buf += digits[c >> 4];
      buf += digits[c & 0xF];
    }
    if (f_.wid_present && f_.wid > width && f_.minus) write_padding(f_.wid - width);
  }

  void fmt_integer(uint64_t u, int base, bool is_signed, char32_t verb, const char* digits) {
    bool negative = is_signed && static_cast<int64_t>(u) < 0;
    if (negative) u = -u;
    int prec = 0;
    if (f_.prec_present) {
      prec = f_.prec;
      if (prec == 0 && u == 0) {
        bool old_zero = f_.zero;
        f_.zero = false;
        write_padding(f_.wid);
        f_.zero = old_zero;
        return;
      }
    } else if (f_.zero && f_.wid_present) {
      prec = f_.wid;
      if (negative || f_.plus || f_.space) --prec;
    }
    std::string num;
    do {
      num += digits[u % static_cast<uint64_t>(base)];
      u /= static_cast<uint64_t>(base);
    } while (u > 0);
    while (static_cast<int>(num.size()) < prec) num += '0';
    if (f_.sharp) {
      if (base == 2) num += "b0";
      if (base == 8 && num.back() != '0') num += '0';
      if (base == 16) {
        num += digits[16];
        num += '0';
      }
    }
    if (verb == 'O') num += "o0";
    if (negative)
      num += '-';
    else if (f_.plus)
      num += '+';
    else if (f_.space)
      num += ' ';
    std::reverse(num.begin(), num.end());
    bool old_zero = f_.zero;
    f_.zero = false;
    pad(num);
    f_.zero = old_zero;
  }

  void fmt_unicode(uint64_t u) {
    int prec = 4;
    if (f_.prec_present && f_.prec > 4) prec = f_.prec;
    std::string hex;
    uint64_t x = u;
    do {
      hex += kUpperHex[x & 0xF];
      x >>= 4;
    } while (x > 0);
    while (static_cast<int>(hex.size()) < prec) hex += '0';
    std::reverse(hex.begin(), hex.end());
    std::string s = "U+" + hex;
    if (f_.sharp && u <= 0x10FFFF && is_print(static_cast<char32_t>(u))) {
      s += " '";
      append_rune(s, static_cast<char32_t>(u));
      s += "'";
    }
    bool old_zero = f_.zero;
    f_.zero = false;
    pad(s);
    f_.zero = old_zero;
  }

  void fmt_int_verb(uint64_t v, bool is_signed, char32_t verb, const Value& arg) {
    switch (verb) {
      case 'v':
        if (f_.sharp_v && !is_signed) {
          bool sharp = f_.sharp;
          f_.sharp = true;
          fmt_integer(v, 16, false, 'v', kLDigits);
          f_.sharp = sharp;
        } else {
          fmt_integer(v, 10, is_signed, verb, kLDigits);
        }
        return;
      case 'd': fmt_integer(v, 10, is_signed, verb, kLDigits); return;
      case 'b': fmt_integer(v, 2, is_signed, verb, kLDigits); return;
      case 'o': case 'O': fmt_integer(v, 8, is_signed, verb, kLDigits); return;
      case 'x': fmt_integer(v, 16, is_signed, verb, kLDigits); return;
      case 'X': fmt_integer(v, 16, is_signed, verb, kUDigits); return;
      case 'c': {
        std::string s;
        append_rune(s, v > 0x10FFFF ? kRuneError : static_cast<char32_t>(v));
        pad(s);
        return;
      }
      case 'q': pad(go_quote_rune(v > 0x10FFFF ? kRuneError : static_cast<char32_t>(v), f_.plus)); return;
      case 'U': fmt_unicode(v); return;
      default: bad_verb(verb, arg);
    }
  }

  void fmt_float(double v, char32_t verb, const Value& arg) {
    char fc;
    int prec;
    switch (verb) {
      case 'v': fc = 'g'; prec = -1; break;
      case 'b': case 'g': case 'G': case 'x': case 'X': fc = static_cast<char>(verb); prec = -1; break;
      case 'f': case 'e': case 'E': fc = static_cast<char>(verb); prec = 6; break;
      case 'F': fc = 'f'; prec = 6; break;
      default: bad_verb(verb, arg); return;
    }
    if (f_.prec_present) prec = f_.prec;
    std::string num = format_float(v, fc, prec);
    if (num[0] != '-' && num[0] != '+') num.insert(num.begin(), '+');
    if (f_.space && num[0] == '+' && !f_.plus) num[0] = ' ';
    if (num[1] == 'I' || num[1] == 'N') {
      bool old_zero = f_.zero;
      f_.zero = false;
      if (num[1] == 'N' && !f_.space && !f_.plus) num.erase(0, 1);
      pad(num);
      f_.zero = old_zero;
      return;
    }
    if (f_.sharp && fc != 'b') {
      int digits = 0;
      if (fc == 'g' || fc == 'G' || fc == 'x') digits = prec < 0 ? 6 : prec;
      std::string tail;
      bool has_point = false, saw_nonzero = false;
      for (size_t i = 1; i < num.size(); ++i) {
        char c = num[i];
        if (c == '.') {
          has_point = true;
        } else if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && fc != 'x' && fc != 'X')) {
          tail = num.substr(i);
          num.resize(i);
          break;
        } else {
          if (c != '0') saw_nonzero = true;
          if (saw_nonzero) --digits;
        }
      }
      if (!has_point) {
        if (num.size() == 2 && num[1] == '0') --digits;
        num += '.';
      }
      while (digits-- > 0) num += '0';
      num += tail;
    }
    if (f_.plus || num[0] != '+') {
      if (f_.zero && f_.wid_present && f_.wid > static_cast<int>(num.size())) {
        buf += num[0];
        write_padding(f_.wid - static_cast<int>(num.size()));
        buf.append(num, 1);
        return;
      }
      pad(num);
      return;
    }
    pad(std::string_view(num).substr(1));
  }

  void fmt_string(const std::string& s, char32_t verb, const Value& arg) {
    switch (verb) {
      case 'v':
        if (f_.sharp_v)
          fmt_q(s);
        else
          fmt_s(s);
        return;
      case 's': fmt_s(s); return;
      case 'x': fmt_sx(s, kLDigits); return;
      case 'X': fmt_sx(s, kUDigits); return;
      case 'q': fmt_q(s); return;
      default: bad_verb(verb, arg);
    }
  }

  void print_value(const Value& v, char32_t verb, int depth) {
    switch (v.kind()) {
      case Kind::Invalid:
        if (depth == 0) {
          buf += "<invalid reflect.Value>";
        } else if (verb == 'v') {
          buf += "<nil>";
        } else {
          bad_verb(verb, v);
        }
        return;
      case Kind::Bool:
        if (verb == 't' || verb == 'v')
          pad_string(v.bool_value() ? "true" : "false");
        else
          bad_verb(verb, v);
        return;
      case Kind::Int: fmt_int_verb(static_cast<uint64_t>(v.int_value()), true, verb, v); return;
      case Kind::Uint: fmt_int_verb(v.uint_value(), false, verb, v); return;
      case Kind::Float: fmt_float(v.float_value(), verb, v); return;
      case Kind::String: fmt_string(v.str(), verb, v); return;
      case Kind::Object: {
        if (f_.sharp_v) {
          buf += type_name(v);
          buf += '{';
        } else {
          buf += "map[";
        }
        bool first = true;
        for (const auto& item : v.j().items()) {
          if (!first) buf += f_.sharp_v ? ", " : " ";
          first = false;
          print_value(Value::own(item.key()), verb, depth + 1);
          buf += ':';
          print_element(item.value(), verb, depth);
        }
        buf += f_.sharp_v ? '}' : ']';
        return;
      }
      case Kind::Slice: {
        if (f_.sharp_v) {
          buf += type_name(v);
          buf += '{';
        } else {
          buf += '[';
        }
        bool first = true;
        for (const auto& e : v.j()) {
          if (!first) buf += f_.sharp_v ? ", " : " ";
          first = false;
          print_element(e, verb, depth);
        }
        buf += f_.sharp_v ? '}' : ']';
        return;
      }
    }
  }

  // An element of a []interface{} or map[string]interface{}: nil prints as
  // <nil> whatever the verb.
  void print_element(const json& e, char32_t verb, int depth) {
    if (e.is_null()) {
      buf += f_.sharp_v ? "interface {}(nil)" : "<nil>";
      return;
    }
    print_value(Value::ref(e), verb, depth + 1);
  }

  void bad_verb(char32_t verb, const Value& arg) {
    buf += "%!";
    append_rune(buf, verb);
    buf += '(';
    if (arg.valid()) {
      buf += type_name(arg);
      buf += '=';
      print_arg(arg, 'v');
    } else {
      buf += "<nil>";
    }
    buf += ')';
  }

  static bool too_large(int x) { return x > 1000000 || x < -1000000; }

  static bool parse_num(std::string_view s, size_t start, size_t end, int* num, size_t* newi) {
    *num = 0;
    bool isnum = false;
    if (start >= end) {
      *newi = end;
      return false;
    }
    size_t i = start;
    for (; i < end && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (too_large(*num)) {
        *num = 0;
        *newi = end;
        return false;
      }
      *num = *num * 10 + (s[i] - '0');
      isnum = true;
    }
    *newi = i;
    return isnum;
  }

  // argNumber: handles an explicit [n] argument index.
  size_t arg_number(size_t arg_num, std::string_view format, size_t i, size_t num_args, size_t* newi,
                    bool* found) {
    if (i >= format.size() || format[i] != '[') {
      *newi = i;
      *found = false;
      return arg_num;
    }
    reordered_ = true;
    // parseArgNumber
    size_t wid = 1;
    bool ok = false;
    int index = 0;
    std::string_view rest = format.substr(i);
    if (rest.size() >= 3) {
      for (size_t k = 1; k < rest.size(); ++k) {
        if (rest[k] == ']') {
          int width;
          size_t ni;
          bool isnum = parse_num(rest, 1, k, &width, &ni);
          if (!isnum || ni != k) {
            wid = k + 1;
            ok = false;
          } else {
            index = width - 1;
            wid = k + 1;
            ok = true;
          }
          break;
        }
      }
    }
    if (ok && index >= 0 && static_cast<size_t>(index) < num_args) {
      *newi = i + wid;
      *found = true;
      return static_cast<size_t>(index);
    }
    good_arg_num_ = false;
    *newi = i + wid;
    *found = ok;
    return arg_num;
  }

  static bool int_from_arg(const std::vector<Value>& a, size_t& arg_num, int* num) {
    bool is_int = false;
    *num = 0;
    if (arg_num < a.size()) {
      const Value& v = a[arg_num];
      if (v.kind() == Kind::Int) {
        int64_t n = v.int_value();
        if (n >= std::numeric_limits<int>::min() && n <= std::numeric_limits<int>::max()) {
          *num = static_cast<int>(n);
          is_int = true;
        }
      } else if (v.kind() == Kind::Uint) {
        uint64_t n = v.uint_value();
        if (n <= static_cast<uint64_t>(std::numeric_limits<int>::max())) {
          *num = static_cast<int>(n);
          is_int = true;
        }
      }
      ++arg_num;
      if (too_large(*num)) {
        *num = 0;
        is_int = false;
      }
    }
    return is_int;
  }
};

void Printer::do_printf(std::string_view format, const std::vector<Value>& a) {
  size_t end = format.size();
  size_t arg_num = 0;
  bool after_index = false;
  reordered_ = false;
  for (size_t i = 0; i < end;) {
    good_arg_num_ = true;
    size_t lasti = i;
    while (i < end && format[i] != '%') ++i;
    if (i > lasti) buf.append(format.substr(lasti, i - lasti));
    if (i >= end) break;
    ++i;  // skip %
    clear_flags();
    bool simple_done = false;
    for (; i < end; ++i) {
      char c = format[i];
      if (c == '#') {
        f_.sharp = true;
      } else if (c == '0') {
        f_.zero = !f_.minus;
      } else if (c == '+') {
        f_.plus = true;
      } else if (c == '-') {
        f_.minus = true;
        f_.zero = false;
      } else if (c == ' ') {
        f_.space = true;
      } else {
        if (c >= 'a' && c <= 'z' && arg_num < a.size()) {
          if (c == 'v') {
            f_.sharp_v = f_.sharp;
            f_.sharp = false;
            f_.plus_v = f_.plus;
            f_.plus = false;
          }
          print_arg(a[arg_num], static_cast<char32_t>(c));
          ++arg_num;
          ++i;
          simple_done = true;
        }
        break;
      }
    }
    if (simple_done) continue;

    size_t ni;
    arg_num = arg_number(arg_num, format, i, a.size(), &ni, &after_index);
    i = ni;

    if (i < end && format[i] == '*') {
      ++i;
      f_.wid_present = int_from_arg(a, arg_num, &f_.wid);
      if (!f_.wid_present) buf += "%!(BADWIDTH)";
      if (f_.wid < 0) {
        f_.wid = -f_.wid;
        f_.minus = true;
        f_.zero = false;
      }
      after_index = false;
    } else {
      f_.wid_present = parse_num(format, i, end, &f_.wid, &ni);
      i = ni;
      if (after_index && f_.wid_present) good_arg_num_ = false;
    }

    if (i + 1 < end && format[i] == '.') {
      ++i;
      if (after_index) good_arg_num_ = false;
      arg_num = arg_number(arg_num, format, i, a.size(), &ni, &after_index);
      i = ni;
      if (i < end && format[i] == '*') {
        ++i;
        f_.prec_present = int_from_arg(a, arg_num, &f_.prec);
        if (f_.prec < 0) {
          f_.prec = 0;
          f_.prec_present = false;
        }
        if (!f_.prec_present) buf += "%!(BADPREC)";
        after_index = false;
      } else {
        f_.prec_present = parse_num(format, i, end, &f_.prec, &ni);
        i = ni;
        if (!f_.prec_present) {
          f_.prec = 0;
          f_.prec_present = true;
        }
      }
    }

    if (!after_index) {
      arg_num = arg_number(arg_num, format, i, a.size(), &ni, &after_index);
      i = ni;
    }

    if (i >= end) {
      buf += "%!(NOVERB)";
      break;
    }

    int size;
    char32_t verb = decode_rune(format, i, &size);
    i += static_cast<size_t>(size);

    if (verb == '%') {
      buf += '%';
    } else if (!good_arg_num_) {
      buf += "%!";
      append_rune(buf, verb);
      buf += "(BADINDEX)";
    } else if (arg_num >= a.size()) {
      buf += "%!";
      append_rune(buf, verb);
      buf += "(MISSING)";
    } else {
      if (verb == 'v') {
        f_.sharp_v = f_.sharp;
        f_.sharp = false;
        f_.plus_v = f_.plus;
        f_.plus = false;
      }
      print_arg(a[arg_num], verb);
      ++arg_num;
    }
  }
  if (!reordered_ && arg_num < a.size()) {
    clear_flags();
    buf += "%!(EXTRA ";
    for (size_t k = arg_num; k < a.size(); ++k) {
      if (k > arg_num) buf += ", ";
      if (!a[k].valid()) {
        buf += "<nil>";
      } else {
        buf += type_name(a[k]);
        buf += '=';
        print_arg(a[k], 'v');
      }
    }
    buf += ')';
  }
}

std::string sprint_value(const Value& v) {
  Printer p;
  p.print_arg(v, 'v');
  return p.buf;
}

// ---------------------------------------------------------------------------
// Lexer (text/template/parse/lex.go).

enum class Tok {
  Error, Bool, Char, CharConstant, Complex, Assign, Declare, Eof, Field, Identifier, LeftDelim,
  LeftParen, Number, Pipe, RawString, RightDelim, RightParen, Space, String, Text, Variable,
  Keyword,  // keywords follow
  Block, Break, Continue, Dot, Define, Else, End, If, Nil, Range, Template, With,
};

struct Item {
  Tok typ = Tok::Eof;
  size_t pos = 0;
  std::string val;
  int line = 0;

  std::string str() const {
    if (typ == Tok::Eof) return "EOF";
    if (typ == Tok::Error) return val;
    if (typ > Tok::Keyword) return "<" + val + ">";
    if (rune_count(val) > 10) {
      // %.10q: the first ten runes, quoted, then "...".
      size_t i = 0;
      for (int n = 0; n < 10; ++n) {
        int w;
        decode_rune(val, i, &w);
        i += static_cast<size_t>(w);
      }
      return go_quote(std::string_view(val).substr(0, i)) + "...";
    }
    return go_quote(val);
  }
};

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";
constexpr char kTrimMarker = '-';
constexpr size_t kTrimMarkerLen = 2;

bool is_space(char32_t r) { return r == ' ' || r == '\t' || r == '\r' || r == '\n'; }
bool is_alnum(char32_t r) { return r == '_' || is_letter(r) || is_digit(r); }

bool has_left_trim_marker(std::string_view s) {
  return s.size() >= 2 && s[0] == kTrimMarker && is_space(static_cast<unsigned char>(s[1]));
}
bool has_right_trim_marker(std::string_view s) {
  return s.size() >= 2 && is_space(static_cast<unsigned char>(s[0])) && s[1] == kTrimMarker;
}

size_t right_trim_length(std::string_view s) {
  size_t n = s.size();
  while (n > 0 && is_space(static_cast<unsigned char>(s[n - 1]))) --n;
  return s.size() - n;
}
size_t left_trim_length(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && is_space(static_cast<unsigned char>(s[n]))) ++n;
  return n;
}

const std::map<std::string_view, Tok>& keywords() {
  static const std::map<std::string_view, Tok> k = {
      {".", Tok::Dot},       {"block", Tok::Block}, {"break", Tok::Break},       {"continue", Tok::Continue},
      {"define", Tok::Define}, {"else", Tok::Else}, {"end", Tok::End},           {"if", Tok::If},
      {"range", Tok::Range}, {"nil", Tok::Nil},     {"template", Tok::Template}, {"with", Tok::With},
  };
  return k;
}

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) { run(); }
  // Nesting of pipelines and control structures, shared by the trees that
  // read this lexer, bounded as Go (since 1.20) bounds it.
  int depth = 0;
  Item next_item() {
    if (next_ < items_.size()) return items_[next_++];
    return items_.empty() ? Item{} : items_.back();
  }

 private:
  using StateFn = bool (Lexer::*)();  // false: stop

  std::string_view input_;
  size_t pos_ = 0, start_ = 0;
  bool at_eof_ = false;
  int paren_depth_ = 0;
  int line_ = 1, start_line_ = 1;
  std::vector<Item> items_;
  size_t next_ = 0;
  StateFn state_ = &Lexer::lex_text;

  void run() {
    while ((this->*state_)()) {
    }
  }

  static constexpr char32_t kEof = 0xFFFFFFFF;

  char32_t next() {
    if (pos_ >= input_.size()) {
      at_eof_ = true;
      return kEof;
    }
    int w;
    char32_t r = decode_rune(input_, pos_, &w);
    pos_ += static_cast<size_t>(w);
    if (r == '\n') ++line_;
    return r;
  }
  char32_t peek() {
    char32_t r = next();
    backup();
    return r;
  }
  void backup() {
    if (!at_eof_ && pos_ > 0) {
      // Step back over the last rune.
      size_t p = pos_ - 1;
      while (p > 0 && (static_cast<unsigned char>(input_[p]) & 0xC0) == 0x80 && pos_ - p < 4) --p;
      int w;
      char32_t r = decode_rune(input_, p, &w);
      if (p + static_cast<size_t>(w) != pos_) {
        p = pos_ - 1;
        r = kRuneError;
      }
      pos_ = p;
      if (r == '\n') --line_;
    }
  }
  void emit(Tok t) {
    items_.push_back(Item{t, start_, std::string(input_.substr(start_, pos_ - start_)), start_line_});
    start_ = pos_;
    start_line_ = line_;
  }
  void ignore() {
    line_ += static_cast<int>(std::count(input_.begin() + static_cast<long>(start_),
                                         input_.begin() + static_cast<long>(pos_), '\n'));
    start_ = pos_;
    start_line_ = line_;
  }
  bool accept(std::string_view valid) {
    char32_t r = next();
    if (r != kEof && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) return true;
    backup();
    return false;
  }
  void accept_run(std::string_view valid) {
    for (;;) {
      char32_t r = next();
      if (r == kEof || r >= 0x80 || valid.find(static_cast<char>(r)) == std::string_view::npos) break;
    }
    backup();
  }
  template <typename... Args>
  bool errorf(fmt::format_string<Args...> f, Args&&... args) {
    items_.push_back(Item{Tok::Error, start_, fmt::format(f, std::forward<Args>(args)...), start_line_});
    return false;
  }

  bool lex_text() {
    size_t x = input_.find(kLeftDelim, pos_);
    if (x != std::string_view::npos) {
      pos_ = x;
      size_t trim = 0;
      if (has_left_trim_marker(input_.substr(pos_ + kLeftDelim.size())))
        trim = right_trim_length(input_.substr(start_, pos_ - start_));
      pos_ -= trim;
      if (pos_ > start_) {
        line_ += static_cast<int>(std::count(input_.begin() + static_cast<long>(start_),
                                             input_.begin() + static_cast<long>(pos_), '\n'));
        emit(Tok::Text);
      }
      pos_ += trim;
      ignore();
      state_ = &Lexer::lex_left_delim;
      return true;
    }
    pos_ = input_.size();
    if (pos_ > start_) {
      line_ += static_cast<int>(std::count(input_.begin() + static_cast<long>(start_),
                                           input_.begin() + static_cast<long>(pos_), '\n'));
      emit(Tok::Text);
    }
    emit(Tok::Eof);
    return false;
  }

  // Reports whether the input is at a right delimiter, possibly preceded by
  // a trim marker.
  bool at_right_delim(bool* trim_spaces) {
    std::string_view rest = input_.substr(pos_);
    if (has_right_trim_marker(rest) && rest.substr(kTrimMarkerLen).substr(0, 2) == kRightDelim) {
      *trim_spaces = true;
      return true;
    }
    *trim_spaces = false;
    return rest.substr(0, 2) == kRightDelim;
  }

  bool lex_left_delim() {
    pos_ += kLeftDelim.size();
    bool trim_space = has_left_trim_marker(input_.substr(pos_));
    size_t after_marker = trim_space ? kTrimMarkerLen : 0;
    if (input_.substr(pos_ + after_marker).substr(0, 2) == kLeftComment) {
      pos_ += after_marker;
      ignore();
      state_ = &Lexer::lex_comment;
      return true;
    }
    emit(Tok::LeftDelim);
    pos_ += after_marker;
    ignore();
    paren_depth_ = 0;
    state_ = &Lexer::lex_inside_action;
    return true;
  }

  bool lex_comment() {
    pos_ += kLeftComment.size();
    size_t i = input_.find(kRightComment, pos_);
    if (i == std::string_view::npos) return errorf("unclosed comment");
    pos_ = i + kRightComment.size();
    bool trim_space;
    if (!at_right_delim(&trim_space)) return errorf("comment ends before closing delimiter");
    if (trim_space) pos_ += kTrimMarkerLen;
    pos_ += kRightDelim.size();
    if (trim_space) pos_ += left_trim_length(input_.substr(pos_));
    ignore();
    state_ = &Lexer::lex_text;
    return true;
  }

  bool lex_right_delim() {
    bool trim_space = has_right_trim_marker(input_.substr(pos_));
    if (trim_space) {
      pos_ += kTrimMarkerLen;
      ignore();
    }
    pos_ += kRightDelim.size();
    emit(Tok::RightDelim);
    if (trim_space) {
      pos_ += left_trim_length(input_.substr(pos_));
      ignore();
    }
    state_ = &Lexer::lex_text;
    return true;
  }

  bool lex_inside_action() {
    bool trim;
    if (at_right_delim(&trim)) {
      if (paren_depth_ == 0) {
        state_ = &Lexer::lex_right_delim;
        return true;
      }
      return errorf("unclosed left paren");
    }
    char32_t r = next();
    if (r == kEof) return errorf("unclosed action");
    if (is_space(r)) {
      backup();
      state_ = &Lexer::lex_space;
      return true;
    }
    switch (r) {
      case '=':
        emit(Tok::Assign);
        return true;
      case ':':
        if (next() != '=') return errorf("expected :=");
        emit(Tok::Declare);
        return true;
      case '|':
        emit(Tok::Pipe);
        return true;
      case '"':
        state_ = &Lexer::lex_quote;
        return true;
      case '`':
        state_ = &Lexer::lex_raw_quote;
        return true;
      case '$':
        state_ = &Lexer::lex_variable;
        return true;
      case '\'':
        state_ = &Lexer::lex_char;
        return true;
      case '(':
        emit(Tok::LeftParen);
        ++paren_depth_;
        return true;
      case ')':
        emit(Tok::RightParen);
        --paren_depth_;
        if (paren_depth_ < 0) return errorf("unexpected right paren {}", go_unicode_sharp(r));
        return true;
      default:
        break;
    }
    if (r == '.') {
      if (pos_ < input_.size()) {
        char c = input_[pos_];
        if (c < '0' || c > '9') {
          state_ = &Lexer::lex_field;
          return true;
        }
      }
      backup();
      state_ = &Lexer::lex_number;
      return true;
    }
    if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
      backup();
      state_ = &Lexer::lex_number;
      return true;
    }
    if (is_alnum(r)) {
      backup();
      state_ = &Lexer::lex_identifier;
      return true;
    }
    if (r < 0x80 && r >= 0x20 && r < 0x7F) {
      emit(Tok::Char);
      return true;
    }
    return errorf("unrecognized character in action: {}", go_unicode_sharp(r));
  }

  bool lex_space() {
    int num_spaces = 0;
    for (;;) {
      char32_t r = peek();
      if (r == kEof || !is_space(r)) break;
      next();
      ++num_spaces;
    }
    std::string_view before = input_.substr(pos_ - 1);
    if (has_right_trim_marker(before) && before.substr(kTrimMarkerLen).substr(0, 2) == kRightDelim) {
      backup();
      if (num_spaces == 1) {
        state_ = &Lexer::lex_right_delim;
        return true;
      }
    }
    emit(Tok::Space);
    state_ = &Lexer::lex_inside_action;
    return true;
  }

  bool at_terminator() {
    char32_t r = peek();
    if (r != kEof && is_space(r)) return true;
    switch (r) {
      case kEof: case '.': case ',': case '|': case ':': case ')': case '(':
        return true;
      default:
        break;
    }
    return input_.substr(pos_).substr(0, 2) == kRightDelim;
  }

  bool lex_identifier() {
    for (;;) {
      char32_t r = next();
      if (r != kEof && is_alnum(r)) continue;
      backup();
      std::string_view word = input_.substr(start_, pos_ - start_);
      if (!at_terminator()) return errorf("bad character {}", go_unicode_sharp(r));
      auto it = keywords().find(word);
      if (it != keywords().end() && it->second > Tok::Keyword) {
        emit(it->second);
      } else if (word[0] == '.') {
        emit(Tok::Field);
      } else if (word == "true" || word == "false") {
        emit(Tok::Bool);
      } else {
        emit(Tok::Identifier);
      }
      break;
    }
    state_ = &Lexer::lex_inside_action;
    return true;
  }

  bool lex_field() { return lex_field_or_variable(Tok::Field); }

  bool lex_variable() {
    if (at_terminator()) {
      emit(Tok::Variable);
      state_ = &Lexer::lex_inside_action;
      return true;
    }
    return lex_field_or_variable(Tok::Variable);
  }

  bool lex_field_or_variable(Tok typ) {
    if (at_terminator()) {
      emit(typ == Tok::Variable ? Tok::Variable : Tok::Dot);
      state_ = &Lexer::lex_inside_action;
      return true;
    }
    char32_t r;
    for (;;) {
      r = next();
      if (r == kEof || !is_alnum(r)) {
        backup();
        break;
      }
    }
    if (!at_terminator()) return errorf("bad character {}", go_unicode_sharp(r));
    emit(typ);
    state_ = &Lexer::lex_inside_action;
    return true;
  }

  bool lex_char() {
    for (;;) {
      char32_t r = next();
      if (r == '\\') {
        char32_t e = next();
        if (e != kEof && e != '\n') continue;
        return errorf("unterminated character constant");
      }
      if (r == kEof || r == '\n') return errorf("unterminated character constant");
      if (r == '\'') break;
    }
    emit(Tok::CharConstant);
    state_ = &Lexer::lex_inside_action;
    return true;
  }

  bool lex_number() {
    if (!scan_number()) return errorf("bad number syntax: {}", go_quote(input_.substr(start_, pos_ - start_)));
    char32_t sign = peek();
    if (sign == '+' || sign == '-') {
      if (!scan_number() || input_[pos_ - 1] != 'i')
        return errorf("bad number syntax: {}", go_quote(input_.substr(start_, pos_ - start_)));
      emit(Tok::Complex);
    } else {
      emit(Tok::Number);
    }
    state_ = &Lexer::lex_inside_action;
    return true;
  }

  bool scan_number() {
    accept("+-");
    std::string_view digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX"))
        digits = "0123456789abcdefABCDEF_";
      else if (accept("oO"))
        digits = "01234567_";
      else if (accept("bB"))
        digits = "01_";
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 10 + 1 && accept("eE")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (digits.size() == 16 + 6 + 1 && accept("pP")) {
      accept("+-");
      accept_run("0123456789_");
    }
    accept("i");
    char32_t r = peek();
    if (r != kEof && is_alnum(r)) {
      next();
      return false;
    }
    return true;
  }

  bool lex_quote() {
    for (;;) {
      char32_t r = next();
      if (r == '\\') {
        char32_t e = next();
        if (e != kEof && e != '\n') continue;
        return errorf("unterminated quoted string");
      }
      if (r == kEof || r == '\n') return errorf("unterminated quoted string");
      if (r == '"') break;
    }
    emit(Tok::String);
    state_ = &Lexer::lex_inside_action;
    return true;
  }

  bool lex_raw_quote() {
    for (;;) {
      char32_t r = next();
      if (r == kEof) return errorf("unterminated raw quoted string");
      if (r == '`') break;
    }
    emit(Tok::RawString);
    state_ = &Lexer::lex_inside_action;
    return true;
  }
};

// ---------------------------------------------------------------------------
// Parse tree (text/template/parse/node.go).

enum class NodeType {
  Text, Action, Bool, Chain, Command, Dot, Field, Identifier, If, List, Nil, Number, Pipe, Range,
  String, Template, Variable, With, Break, Continue, End, Else,
};

struct Node {
  NodeType type;
  size_t pos;
  Node(NodeType t, size_t p) : type(t), pos(p) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node() = default;
  virtual void write_to(std::string& sb) const = 0;
  std::string str() const {
    std::string s;
    write_to(s);
    return s;
  }
};
using NodePtr = std::unique_ptr<Node>;

struct ListNode : Node {
  std::vector<NodePtr> nodes;
  explicit ListNode(size_t p) : Node(NodeType::List, p) {}
  void write_to(std::string& sb) const override {
    for (const auto& n : nodes) n->write_to(sb);
  }
};

struct TextNode : Node {
  std::string text;
  TextNode(size_t p, std::string t) : Node(NodeType::Text, p), text(std::move(t)) {}
  void write_to(std::string& sb) const override { sb += text; }
};

struct VariableNode : Node {
  std::vector<std::string> ident;
  VariableNode(size_t p, std::string_view name) : Node(NodeType::Variable, p) {
    size_t start = 0;
    for (;;) {
      size_t dot = name.find('.', start);
      ident.emplace_back(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  void write_to(std::string& sb) const override {
    for (size_t i = 0; i < ident.size(); ++i) {
      if (i > 0) sb += '.';
      sb += ident[i];
    }
  }
};

struct CommandNode;

struct PipeNode : Node {
  bool is_assign = false;
  std::vector<std::unique_ptr<VariableNode>> decl;
  std::vector<std::unique_ptr<CommandNode>> cmds;
  explicit PipeNode(size_t p) : Node(NodeType::Pipe, p) {}
  void write_to(std::string& sb) const override;
};

struct CommandNode : Node {
  std::vector<NodePtr> args;
  explicit CommandNode(size_t p) : Node(NodeType::Command, p) {}
  void write_to(std::string& sb) const override {
    for (size_t i = 0; i < args.size(); ++i) {
      if (i > 0) sb += ' ';
      if (args[i]->type == NodeType::Pipe) {
        sb += '(';
        args[i]->write_to(sb);
        sb += ')';
        continue;
      }
      args[i]->write_to(sb);
    }
  }
};

void PipeNode::write_to(std::string& sb) const {
  if (!decl.empty()) {
    for (size_t i = 0; i < decl.size(); ++i) {
      if (i > 0) sb += ", ";
      decl[i]->write_to(sb);
    }
    sb += " := ";
  }
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (i > 0) sb += " | ";
    cmds[i]->write_to(sb);
  }
}

struct ActionNode : Node {
  std::unique_ptr<PipeNode> pipe;
  ActionNode(size_t p, std::unique_ptr<PipeNode> pp) : Node(NodeType::Action, p), pipe(std::move(pp)) {}
  void write_to(std::string& sb) const override {
    sb += "{{";
    pipe->write_to(sb);
    sb += "}}";
  }
};

struct IdentifierNode : Node {
  std::string ident;
  IdentifierNode(size_t p, std::string i) : Node(NodeType::Identifier, p), ident(std::move(i)) {}
  void write_to(std::string& sb) const override { sb += ident; }
};

struct DotNode : Node {
  explicit DotNode(size_t p) : Node(NodeType::Dot, p) {}
  void write_to(std::string& sb) const override { sb += '.'; }
};

struct NilNode : Node {
  explicit NilNode(size_t p) : Node(NodeType::Nil, p) {}
  void write_to(std::string& sb) const override { sb += "nil"; }
};

struct FieldNode : Node {
  std::vector<std::string> ident;
  FieldNode(size_t p, std::string_view name) : Node(NodeType::Field, p) {
    // name is ".A.B": split after the leading dot.
    size_t start = 1;
    for (;;) {
      size_t dot = name.find('.', start);
      ident.emplace_back(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  void write_to(std::string& sb) const override {
    for (const auto& id : ident) {
      sb += '.';
      sb += id;
    }
  }
};

struct ChainNode : Node {
  NodePtr node;
  std::vector<std::string> field;
  ChainNode(size_t p, NodePtr n) : Node(NodeType::Chain, p), node(std::move(n)) {}
  void write_to(std::string& sb) const override {
    if (node->type == NodeType::Pipe) {
      sb += '(';
      node->write_to(sb);
      sb += ')';
    } else {
      node->write_to(sb);
    }
    for (const auto& f : field) {
      sb += '.';
      sb += f;
    }
  }
};

struct BoolNode : Node {
  bool value;
  BoolNode(size_t p, bool v) : Node(NodeType::Bool, p), value(v) {}
  void write_to(std::string& sb) const override { sb += value ? "true" : "false"; }
};

struct NumberNode : Node {
  bool is_int = false, is_uint = false, is_float = false;
  int64_t int64 = 0;
  uint64_t uint64 = 0;
  double float64 = 0;
  std::string text;
  NumberNode(size_t p, std::string t) : Node(NodeType::Number, p), text(std::move(t)) {}
  void write_to(std::string& sb) const override { sb += text; }
};

struct StringNode : Node {
  std::string quoted, text;
  StringNode(size_t p, std::string q, std::string t)
      : Node(NodeType::String, p), quoted(std::move(q)), text(std::move(t)) {}
  void write_to(std::string& sb) const override { sb += quoted; }
};

struct EndNode : Node {
  explicit EndNode(size_t p) : Node(NodeType::End, p) {}
  void write_to(std::string& sb) const override { sb += "{{end}}"; }
};

struct ElseNode : Node {
  explicit ElseNode(size_t p) : Node(NodeType::Else, p) {}
  void write_to(std::string& sb) const override { sb += "{{else}}"; }
};

struct BranchNode : Node {  // if, range, with
  std::unique_ptr<PipeNode> pipe;
  std::unique_ptr<ListNode> list, else_list;
  BranchNode(NodeType t, size_t p) : Node(t, p) {}
  void write_to(std::string& sb) const override {
    sb += "{{";
    sb += type == NodeType::If ? "if" : type == NodeType::Range ? "range" : "with";
    sb += ' ';
    pipe->write_to(sb);
    sb += "}}";
    list->write_to(sb);
    if (else_list) {
      sb += "{{else}}";
      else_list->write_to(sb);
    }
    sb += "{{end}}";
  }
};

struct BreakNode : Node {
  explicit BreakNode(size_t p) : Node(NodeType::Break, p) {}
  void write_to(std::string& sb) const override { sb += "{{break}}"; }
};

struct ContinueNode : Node {
  explicit ContinueNode(size_t p) : Node(NodeType::Continue, p) {}
  void write_to(std::string& sb) const override { sb += "{{continue}}"; }
};

struct CallTemplateNode : Node {  // {{template "name" pipeline}}
  std::string name;
  std::unique_ptr<PipeNode> pipe;
  CallTemplateNode(size_t p, std::string n, std::unique_ptr<PipeNode> pp)
      : Node(NodeType::Template, p), name(std::move(n)), pipe(std::move(pp)) {}
  void write_to(std::string& sb) const override {
    sb += "{{template ";
    sb += go_quote(name);
    if (pipe) {
      sb += ' ';
      pipe->write_to(sb);
    }
    sb += "}}";
  }
};

bool is_empty_tree(const Node* n) {
  if (n == nullptr) return true;
  switch (n->type) {
    case NodeType::List:
      for (const auto& c : static_cast<const ListNode*>(n)->nodes)
        if (!is_empty_tree(c.get())) return false;
      return true;
    case NodeType::Text: {
      const auto& t = static_cast<const TextNode*>(n)->text;
      return std::all_of(t.begin(), t.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
      });
    }
    default:
      return false;
  }
}

}  // namespace

// The parsed template: its text, its name and every named tree (the main
// one and those from define and block).
struct TemplateNode {
  std::string name;
  std::string text;
  std::map<std::string, std::unique_ptr<ListNode>, std::less<>> trees;
};

namespace {

// ---------------------------------------------------------------------------
// Functions.

enum class Param { Any, Reflect, String, Int, StringSlice };

std::string param_name(Param p) {
  switch (p) {
    case Param::Any: return "interface {}";
    case Param::Reflect: return "reflect.Value";
    case Param::String: return "string";
    case Param::Int: return "int";
    case Param::StringSlice: return "[]string";
  }
  return "";
}

// A function's own failure: evalCall reports "error calling NAME: MSG".
struct CallError {
  std::string message;
};

struct Func {
  std::vector<Param> params;
  bool variadic = false;
  std::function<Value(const std::vector<Value>&)> fn;
};

std::string eval_args_string(const std::vector<Value>& args) {
  // evalArgs: a single string is used as is; otherwise Sprint of the
  // printable values (a missing value is "<no value>").
  if (args.size() == 1 && args[0].kind() == Kind::String) return args[0].str();
  std::vector<Value> vals;
  for (const auto& a : args) vals.push_back(a.valid() ? a : Value::own("<no value>"));
  Printer p;
  p.do_print(vals);
  return p.buf;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\0': out += "\xEF\xBF\xBD"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string js_escape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\'': out += "\\'"; break;
        case '"': out += "\\\""; break;
        case '<': out += "\\u003C"; break;
        case '>': out += "\\u003E"; break;
        case '&': out += "\\u0026"; break;
        case '=': out += "\\u003D"; break;
        default:
          if (c < ' ') {
            out += "\\u00";
            out += kUpperHex[c >> 4];
            out += kUpperHex[c & 0xF];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    int w;
    char32_t r = decode_rune(s, i, &w);
    if (is_print(r))
      out.append(s.substr(i, static_cast<size_t>(w)));
    else
      out += fmt::format("\\u{:04X}", static_cast<uint32_t>(r));
    i += static_cast<size_t>(w);
  }
  return out;
}

std::string url_query_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kUpperHex[c >> 4];
      out += kUpperHex[c & 0xF];
    }
  }
  return out;
}

enum class BasicKind { Invalid, Bool, Int, Float, String, Uint };

BasicKind basic_kind(const Value& v) {
  switch (v.kind()) {
    case Kind::Bool: return BasicKind::Bool;
    case Kind::Int: return BasicKind::Int;
    case Kind::Uint: return BasicKind::Uint;
    case Kind::Float: return BasicKind::Float;
    case Kind::String: return BasicKind::String;
    default: return BasicKind::Invalid;
  }
}

bool go_eq(const Value& a1, const std::vector<Value>& rest) {
  if (rest.empty()) throw CallError{"missing argument for comparison"};
  BasicKind k1 = basic_kind(a1);
  for (const auto& arg : rest) {
    BasicKind k2 = basic_kind(arg);
    bool t = false;
    if (k1 != k2) {
      if (k1 == BasicKind::Int && k2 == BasicKind::Uint) {
        t = a1.int_value() >= 0 && static_cast<uint64_t>(a1.int_value()) == arg.uint_value();
      } else if (k1 == BasicKind::Uint && k2 == BasicKind::Int) {
        t = arg.int_value() >= 0 && a1.uint_value() == static_cast<uint64_t>(arg.int_value());
      } else if (a1.valid() && arg.valid()) {
        throw CallError{"incompatible types for comparison"};
      }
    } else {
      switch (k1) {
        case BasicKind::Bool: t = a1.bool_value() == arg.bool_value(); break;
        case BasicKind::Float: t = a1.float_value() == arg.float_value(); break;
        case BasicKind::Int: t = a1.int_value() == arg.int_value(); break;
        case BasicKind::Uint: t = a1.uint_value() == arg.uint_value(); break;
        case BasicKind::String: t = a1.str() == arg.str(); break;
        case BasicKind::Invalid:
          if (a1.valid() && arg.valid() && a1.kind() != arg.kind()) {
            throw CallError{fmt::format("non-comparable types {}: {}, {}: {}", sprint_value(a1), type_name(a1),
                                        type_name(arg), sprint_value(arg))};
          }
          if (!a1.valid() || !arg.valid()) {
            t = a1.valid() == arg.valid();
          } else {
            // Slices and maps are not comparable in Go.
            throw CallError{fmt::format("non-comparable type {}: {}", sprint_value(arg), type_name(arg))};
          }
          break;
      }
    }
    if (t) return true;
  }
  return false;
}

bool go_lt(const Value& a1, const Value& a2) {
  BasicKind k1 = basic_kind(a1);
  if (k1 == BasicKind::Invalid) throw CallError{"invalid type for comparison"};
  BasicKind k2 = basic_kind(a2);
  if (k2 == BasicKind::Invalid) throw CallError{"invalid type for comparison"};
  if (k1 != k2) {
    if (k1 == BasicKind::Int && k2 == BasicKind::Uint)
      return a1.int_value() < 0 || static_cast<uint64_t>(a1.int_value()) < a2.uint_value();
    if (k1 == BasicKind::Uint && k2 == BasicKind::Int)
      return a2.int_value() >= 0 && a1.uint_value() < static_cast<uint64_t>(a2.int_value());
    throw CallError{"incompatible types for comparison"};
  }
  switch (k1) {
    case BasicKind::Bool: throw CallError{"invalid type for comparison"};
    case BasicKind::Float: return a1.float_value() < a2.float_value();
    case BasicKind::Int: return a1.int_value() < a2.int_value();
    case BasicKind::Uint: return a1.uint_value() < a2.uint_value();
    case BasicKind::String: return a1.str() < a2.str();
    default: break;
  }
  return false;
}

int64_t index_arg(const Value& index, size_t cap) {
  int64_t x;
  switch (index.kind()) {
    case Kind::Int: x = index.int_value(); break;
    case Kind::Uint: x = static_cast<int64_t>(index.uint_value()); break;
    case Kind::Invalid: throw CallError{"cannot index slice/array with nil"};
    default: throw CallError{fmt::format("cannot index slice/array with type {}", type_name(index))};
  }
  if (x < 0 || static_cast<uint64_t>(x) > cap) throw CallError{fmt::format("index out of range: {}", x)};
  return x;
}

Value fn_index(const std::vector<Value>& a) {
  Value item = a[0];
  if (!item.valid()) throw CallError{"index of untyped nil"};
  for (size_t i = 1; i < a.size(); ++i) {
    const Value& index = a[i];
    if (!item.valid()) throw CallError{"index of nil pointer"};
    switch (item.kind()) {
      case Kind::Slice: {
        int64_t x = index_arg(index, item.j().size());
        if (static_cast<size_t>(x) == item.j().size()) throw CallError{"reflect: slice index out of range"};
        item = item.child(item.j()[static_cast<size_t>(x)]);
        break;
      }
      case Kind::String: {
        int64_t x = index_arg(index, item.str().size());
        if (static_cast<size_t>(x) == item.str().size()) throw CallError{"reflect: string index out of range"};
        item = Value::own(static_cast<unsigned char>(item.str()[static_cast<size_t>(x)]));
        break;
      }
      case Kind::Object: {
        if (!index.valid()) throw CallError{"value is nil; should be of type string"};
        if (index.kind() != Kind::String)
          throw CallError{fmt::format("value has type {}; should be string", type_name(index))};
        auto it = item.j().find(index.str());
        if (it != item.j().end()) {
          item = item.child(*it);
        } else if (all_strings(item.j())) {
          item = Value::own("");  // the zero value of a map[string]string
        } else {
          item = Value();
        }
        break;
      }
      default:
        throw CallError{fmt::format("can't index item of type {}", type_name(item))};
    }
  }
  return item;
}

Value fn_slice(const std::vector<Value>& a) {
  const Value& item = a[0];
  if (!item.valid()) throw CallError{"slice of untyped nil"};
  size_t nidx = a.size() - 1;
  if (nidx > 3) throw CallError{fmt::format("too many slice indexes: {}", nidx)};
  size_t cap;
  if (item.kind() == Kind::String) {
    if (nidx == 3) throw CallError{"cannot 3-index slice a string"};
    cap = item.str().size();
  } else if (item.kind() == Kind::Slice) {
    cap = item.j().size();
  } else {
    throw CallError{fmt::format("can't slice item of type {}", type_name(item))};
  }
  int64_t idx[3] = {0, static_cast<int64_t>(cap), 0};
  for (size_t i = 0; i < nidx; ++i) idx[i] = index_arg(a[i + 1], cap);
  if (idx[0] > idx[1]) throw CallError{fmt::format("invalid slice index: {} > {}", idx[0], idx[1])};
  if (nidx == 3 && idx[1] > idx[2]) throw CallError{fmt::format("invalid slice index: {} > {}", idx[1], idx[2])};
  if (item.kind() == Kind::String)
    return Value::own(item.str().substr(static_cast<size_t>(idx[0]), static_cast<size_t>(idx[1] - idx[0])));
  json out = json::array();
  for (int64_t i = idx[0]; i < idx[1]; ++i) out.push_back(item.j()[static_cast<size_t>(i)]);
  return Value::own(std::move(out));
}

std::vector<std::string> go_split(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  if (sep.empty()) {
    for (size_t i = 0; i < s.size();) {
      int w;
      decode_rune(s, i, &w);
      out.emplace_back(s.substr(i, static_cast<size_t>(w)));
      i += static_cast<size_t>(w);
    }
    return out;
  }
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) break;
    out.emplace_back(s.substr(start, p - start));
    start = p + sep.size();
  }
  out.emplace_back(s.substr(start));
  return out;
}

const std::map<std::string, Func, std::less<>>& functions() {
  static const std::map<std::string, Func, std::less<>> funcs = [] {
    std::map<std::string, Func, std::less<>> m;
    using P = Param;
    // Go builtins (and/or are special-cased in the evaluator).
    m["and"] = Func{{P::Reflect, P::Reflect}, true, nullptr};
    m["or"] = Func{{P::Reflect, P::Reflect}, true, nullptr};
    m["not"] = Func{{P::Reflect}, false, [](const auto& a) { return Value::own(!truth(a[0])); }};
    m["len"] = Func{{P::Reflect}, false, [](const auto& a) {
                      const Value& v = a[0];
                      switch (v.kind()) {
                        case Kind::Invalid:
                          if (v.is_null()) throw CallError{"len of nil pointer"};
                          throw CallError{"reflect: call of reflect.Value.Type on zero Value"};
                        case Kind::String: case Kind::Slice: case Kind::Object:
                          return Value::own(static_cast<int64_t>(value_len(v)));
                        default: throw CallError{fmt::format("len of type {}", type_name(v))};
                      }
                    }};
    m["index"] = Func{{P::Reflect, P::Reflect}, true, fn_index};
    m["slice"] = Func{{P::Reflect, P::Reflect}, true, fn_slice};
    m["call"] = Func{{P::Reflect, P::Reflect}, true, [](const auto& a) -> Value {
                       if (!a[0].valid()) throw CallError{"call of nil"};
                       throw CallError{fmt::format("non-function of type {}", type_name(a[0]))};
                     }};
    m["print"] = Func{{P::Any}, true, [](const auto& a) {
                        Printer p;
                        p.do_print(a);
                        return Value::own(p.buf);
                      }};
    m["println"] = Func{{P::Any}, true, [](const auto& a) {
                          Printer p;
                          p.do_println(a);
                          return Value::own(p.buf);
                        }};
    m["printf"] = Func{{P::String, P::Any}, true, [](const auto& a) {
                         Printer p;
                         std::vector<Value> rest(a.begin() + 1, a.end());
                         p.do_printf(a[0].str(), rest);
                         return Value::own(p.buf);
                       }};
    m["html"] = Func{{P::Any}, true, [](const auto& a) { return Value::own(html_escape(eval_args_string(a))); }};
    m["js"] = Func{{P::Any}, true, [](const auto& a) { return Value::own(js_escape(eval_args_string(a))); }};
    m["urlquery"] =
        Func{{P::Any}, true, [](const auto& a) { return Value::own(url_query_escape(eval_args_string(a))); }};
    m["eq"] = Func{{P::Reflect, P::Reflect}, true, [](const auto& a) {
                     std::vector<Value> rest(a.begin() + 1, a.end());
                     return Value::own(go_eq(a[0], rest));
                   }};
    m["ne"] = Func{{P::Reflect, P::Reflect}, false, [](const auto& a) { return Value::own(!go_eq(a[0], {a[1]})); }};
    m["lt"] = Func{{P::Reflect, P::Reflect}, false, [](const auto& a) { return Value::own(go_lt(a[0], a[1])); }};
    m["le"] = Func{{P::Reflect, P::Reflect}, false,
                   [](const auto& a) { return Value::own(go_lt(a[0], a[1]) || go_eq(a[0], {a[1]})); }};
    m["gt"] = Func{{P::Reflect, P::Reflect}, false, [](const auto& a) {
                     bool le = go_lt(a[0], a[1]) || go_eq(a[0], {a[1]});
                     return Value::own(!le);
                   }};
    m["ge"] = Func{{P::Reflect, P::Reflect}, false, [](const auto& a) { return Value::own(!go_lt(a[0], a[1])); }};

    // Podman's (containers/common pkg/report DefaultFuncs).
    m["join"] = Func{{P::StringSlice, P::String}, false, [](const auto& a) {
                       std::string out;
                       if (a[0].valid()) {
                         bool first = true;
                         for (const auto& e : a[0].j()) {
                           if (!first) out += a[1].str();
                           first = false;
                           out += e.template get_ref<const std::string&>();
                         }
                       }
                       return Value::own(out);
                     }};
    m["json"] = Func{{P::Any}, false, [](const auto& a) {
                       return Value::own(a[0].valid() ? go_json(a[0].j()) : std::string("null"));
                     }};
    m["lower"] = Func{{P::String}, false, [](const auto& a) { return Value::own(go_lower(a[0].str())); }};
    m["upper"] = Func{{P::String}, false, [](const auto& a) { return Value::own(go_upper(a[0].str())); }};
    m["title"] = Func{{P::String}, false, [](const auto& a) { return Value::own(go_title(a[0].str())); }};
    m["pad"] = Func{{P::String, P::Int, P::Int}, false, [](const auto& a) {
                      const std::string& s = a[0].str();
                      if (s.empty()) return Value::own("");
                      int64_t pre = a[1].int_value(), post = a[2].int_value();
                      if (pre < 0 || post < 0) throw CallError{"strings: negative Repeat count"};
                      return Value::own(std::string(static_cast<size_t>(pre), ' ') + s +
                                        std::string(static_cast<size_t>(post), ' '));
                    }};
    m["split"] = Func{{P::String, P::String}, false, [](const auto& a) {
                        json out = json::array();
                        for (auto& part : go_split(a[0].str(), a[1].str())) out.push_back(std::move(part));
                        return Value::own(std::move(out));
                      }};
    m["truncate"] = Func{{P::String, P::Int}, false, [](const auto& a) {
                           const std::string& s = a[0].str();
                           int64_t n = a[1].int_value();
                           if (static_cast<int64_t>(s.size()) < n) return a[0];
                           if (n < 0) throw CallError{fmt::format("runtime error: slice bounds out of range [:{}]", n)};
                           return Value::own(s.substr(0, static_cast<size_t>(n)));
                         }};
    return m;
  }();
  return funcs;
}

bool has_function(std::string_view name) { return functions().count(name) > 0; }

// ---------------------------------------------------------------------------
// Parser (text/template/parse/parse.go). One Parser per tree, sharing the
// lexer, as Go's define and block do.

class Parser {
 public:
  Parser(std::string name, Lexer& lex, TemplateNode& set) : name_(std::move(name)), lex_(lex), set_(set) {
    vars_.push_back("$");
  }

  // Tree.parse: the top-level template.
  void parse() {
    root_ = std::make_unique<ListNode>(peek().pos);
    while (peek().typ != Tok::Eof) {
      if (peek().typ == Tok::LeftDelim) {
        Item delim = next();
        if (next_non_space().typ == Tok::Define) {
          Parser sub("definition", lex_, set_);
          sub.parse_definition();
          continue;
        }
        backup2(delim);
      }
      NodePtr n = text_or_action();
      if (n->type == NodeType::End || n->type == NodeType::Else) errorf("unexpected {}", n->str());
      root_->nodes.push_back(std::move(n));
    }
    add();
  }

 private:
  std::string name_;
  Lexer& lex_;
  TemplateNode& set_;
  std::unique_ptr<ListNode> root_;
  Item token_[3];
  int peek_count_ = 0;
  std::vector<std::string> vars_;
  int action_line_ = 0;
  int range_depth_ = 0;

  template <typename... Args>
  [[noreturn]] void errorf(fmt::format_string<Args...> f, Args&&... args) {
    throw Error(fmt::format("template: {}:{}: {}", set_.name, token_[0].line,
                            fmt::format(f, std::forward<Args>(args)...)));
  }

  Item next() {
    if (peek_count_ > 0)
      --peek_count_;
    else
      token_[0] = lex_.next_item();
    return token_[peek_count_];
  }
  void backup() { ++peek_count_; }
  void backup2(const Item& t1) {
    token_[1] = t1;
    peek_count_ = 2;
  }
  void backup3(const Item& t2, const Item& t1) {
    token_[1] = t1;
    token_[2] = t2;
    peek_count_ = 3;
  }
  Item peek() {
    if (peek_count_ > 0) return token_[peek_count_ - 1];
    peek_count_ = 1;
    token_[0] = lex_.next_item();
    return token_[0];
  }
  Item next_non_space() {
    Item t;
    for (;;) {
      t = next();
      if (t.typ != Tok::Space) break;
    }
    return t;
  }
  Item peek_non_space() {
    Item t = next_non_space();
    backup();
    return t;
  }
  Item expect(Tok expected, std::string_view context) {
    Item t = next_non_space();
    if (t.typ != expected) unexpected(t, context);
    return t;
  }
  Item expect_one_of(Tok e1, Tok e2, std::string_view context) {
    Item t = next_non_space();
    if (t.typ != e1 && t.typ != e2) unexpected(t, context);
    return t;
  }
  [[noreturn]] void unexpected(const Item& t, std::string_view context) {
    if (t.typ == Tok::Error) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != t.line) {
        extra = fmt::format(" in action started at {}:{}", set_.name, action_line_);
        if (t.val.size() >= 7 && t.val.compare(t.val.size() - 7, 7, " action") == 0)
          extra = extra.substr(std::string_view(" in action").size());
      }
      errorf("{}{}", t.str(), extra);
    }
    errorf("unexpected {} in {}", t.str(), context);
  }

  void add() {
    auto it = set_.trees.find(name_);
    if (it == set_.trees.end() || is_empty_tree(it->second.get())) {
      set_.trees[name_] = std::move(root_);
      return;
    }
    if (!is_empty_tree(root_.get())) errorf("template: multiple definition of template {}", go_quote(name_));
  }

  std::string unquote_or_fail(const std::string& quoted) {
    auto s = go_unquote(quoted);
    if (!s) errorf("invalid syntax");
    return *s;
  }

  void parse_definition() {
    constexpr std::string_view context = "define clause";
    Item name = expect_one_of(Tok::String, Tok::RawString, context);
    name_ = unquote_or_fail(name.val);
    expect(Tok::RightDelim, context);
    NodePtr end;
    root_ = item_list(&end);
    if (end->type != NodeType::End) errorf("unexpected {} in {}", end->str(), context);
    add();
  }

  std::unique_ptr<ListNode> item_list(NodePtr* next_node) {
    auto list = std::make_unique<ListNode>(peek_non_space().pos);
    while (peek_non_space().typ != Tok::Eof) {
      NodePtr n = text_or_action();
      if (n->type == NodeType::End || n->type == NodeType::Else) {
        *next_node = std::move(n);
        return list;
      }
      list->nodes.push_back(std::move(n));
    }
    errorf("unexpected EOF");
  }

  NodePtr text_or_action() {
    Item t = next_non_space();
    switch (t.typ) {
      case Tok::Text:
        return std::make_unique<TextNode>(t.pos, t.val);
      case Tok::LeftDelim: {
        action_line_ = t.line;
        NodePtr n = action();
        action_line_ = 0;
        return n;
      }
      default:
        unexpected(t, "input");
    }
  }

  NodePtr action() {
    Item t = next_non_space();
    switch (t.typ) {
      case Tok::Block: return block_control();
      case Tok::Break: return break_control(t.pos, true);
      case Tok::Continue: return break_control(t.pos, false);
      case Tok::Else: return else_control();
      case Tok::End: return end_control();
      case Tok::If: return branch_control(NodeType::If, true, "if");
      case Tok::Range: return branch_control(NodeType::Range, false, "range");
      case Tok::Template: return template_control();
      case Tok::With: return branch_control(NodeType::With, false, "with");
      default: break;
    }
    backup();
    Item tok = peek();
    auto pipe = pipeline("command", Tok::RightDelim);
    return std::make_unique<ActionNode>(tok.pos, std::move(pipe));
  }

  NodePtr break_control(size_t pos, bool is_break) {
    std::string_view what = is_break ? "{{break}}" : "{{continue}}";
    Item t = next_non_space();
    if (t.typ != Tok::RightDelim) unexpected(t, what);
    if (range_depth_ == 0) errorf("{} outside {{{{range}}}}", what);
    if (is_break) return std::make_unique<BreakNode>(pos);
    return std::make_unique<ContinueNode>(pos);
  }

  // Bounds the parser's recursion: "((((…" must not exhaust the stack.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.lex_.depth > kMaxParseDepth) p_.errorf("max expression depth exceeded");
    }
    ~DepthGuard() { --p_.lex_.depth; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Parser& p_;
  };
  static constexpr int kMaxParseDepth = 1000;

  std::unique_ptr<PipeNode> pipeline(std::string_view context, Tok end) {
    DepthGuard guard(*this);
    Item tok = peek_non_space();
    auto pipe = std::make_unique<PipeNode>(tok.pos);
  decls:
    if (Item v = peek_non_space(); v.typ == Tok::Variable) {
      next();
      Item after = peek();
      Item nxt = peek_non_space();
      if (nxt.typ == Tok::Assign || nxt.typ == Tok::Declare) {
        pipe->is_assign = nxt.typ == Tok::Assign;
        next_non_space();
        pipe->decl.push_back(std::make_unique<VariableNode>(v.pos, v.val));
        vars_.push_back(v.val);
      } else if (nxt.typ == Tok::Char && nxt.val == ",") {
        next_non_space();
        pipe->decl.push_back(std::make_unique<VariableNode>(v.pos, v.val));
        vars_.push_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          Tok pt = peek_non_space().typ;
          if (pt == Tok::Variable || pt == Tok::RightDelim || pt == Tok::RightParen) goto decls;
          errorf("range can only initialize variables");
        }
        errorf("too many declarations in {}", context);
      } else if (after.typ == Tok::Space) {
        backup3(v, after);
      } else {
        backup2(v);
      }
    }
    for (;;) {
      Item t = next_non_space();
      if (t.typ == end) {
        check_pipeline(*pipe, context);
        return pipe;
      }
      switch (t.typ) {
        case Tok::Bool: case Tok::CharConstant: case Tok::Complex: case Tok::Dot: case Tok::Field:
        case Tok::Identifier: case Tok::Number: case Tok::Nil: case Tok::RawString: case Tok::String:
        case Tok::Variable: case Tok::LeftParen:
          backup();
          pipe->cmds.push_back(command());
          break;
        default:
          unexpected(t, context);
      }
    }
  }

  void check_pipeline(const PipeNode& pipe, std::string_view context) {
    if (pipe.cmds.empty()) errorf("missing value for {}", context);
    for (size_t i = 1; i < pipe.cmds.size(); ++i) {
      switch (pipe.cmds[i]->args[0]->type) {
        case NodeType::Bool: case NodeType::Dot: case NodeType::Nil: case NodeType::Number: case NodeType::String:
          errorf("non executable command in pipeline stage {}", i + 1);
        default:
          break;
      }
    }
  }

  NodePtr branch_control(NodeType type, bool allow_else_if, std::string_view context) {
    DepthGuard guard(*this);
    size_t mark = vars_.size();
    auto node = std::make_unique<BranchNode>(type, 0);
    node->pipe = pipeline(context, Tok::RightDelim);
    if (type == NodeType::Range) ++range_depth_;
    NodePtr next_node;
    node->list = item_list(&next_node);
    if (type == NodeType::Range) --range_depth_;
    if (next_node->type == NodeType::Else) {
      if (allow_else_if && peek().typ == Tok::If) {
        next();  // consume "if"
        node->else_list = std::make_unique<ListNode>(next_node->pos);
        node->else_list->nodes.push_back(branch_control(NodeType::If, true, "if"));
      } else {
        node->else_list = item_list(&next_node);
        if (next_node->type != NodeType::End) errorf("expected end; found {}", next_node->str());
      }
    }
    node->pos = node->pipe->pos;
    vars_.resize(mark);
    return node;
  }

  NodePtr end_control() { return std::make_unique<EndNode>(expect(Tok::RightDelim, "end").pos); }

  NodePtr else_control() {
    Item p = peek_non_space();
    if (p.typ == Tok::If) return std::make_unique<ElseNode>(p.pos);
    Item t = expect(Tok::RightDelim, "else");
    return std::make_unique<ElseNode>(t.pos);
  }

  std::string parse_template_name(const Item& t, std::string_view context) {
    if (t.typ == Tok::String || t.typ == Tok::RawString) return unquote_or_fail(t.val);
    unexpected(t, context);
  }

  NodePtr block_control() {
    constexpr std::string_view context = "block clause";
    Item t = next_non_space();
    std::string name = parse_template_name(t, context);
    auto pipe = pipeline(context, Tok::RightDelim);
    Parser block(name, lex_, set_);
    NodePtr end;
    block.root_ = block.item_list(&end);
    if (end->type != NodeType::End) errorf("unexpected {} in {}", end->str(), context);
    block.add();
    return std::make_unique<CallTemplateNode>(t.pos, name, std::move(pipe));
  }

  NodePtr template_control() {
    constexpr std::string_view context = "template clause";
    Item t = next_non_space();
    std::string name = parse_template_name(t, context);
    std::unique_ptr<PipeNode> pipe;
    if (next_non_space().typ != Tok::RightDelim) {
      backup();
      pipe = pipeline(context, Tok::RightDelim);
    }
    return std::make_unique<CallTemplateNode>(t.pos, name, std::move(pipe));
  }

  std::unique_ptr<CommandNode> command() {
    auto cmd = std::make_unique<CommandNode>(peek_non_space().pos);
    for (;;) {
      peek_non_space();
      NodePtr op = operand();
      if (op) cmd->args.push_back(std::move(op));
      Item t = next();
      if (t.typ == Tok::Space) continue;
      if (t.typ == Tok::RightDelim || t.typ == Tok::RightParen) {
        backup();
      } else if (t.typ != Tok::Pipe) {
        unexpected(t, "operand");
      }
      break;
    }
    if (cmd->args.empty()) errorf("empty command");
    return cmd;
  }

  NodePtr operand() {
    NodePtr node = term();
    if (!node) return nullptr;
    if (peek().typ == Tok::Field) {
      auto chain = std::make_unique<ChainNode>(peek().pos, nullptr);
      std::vector<std::string> fields;
      while (peek().typ == Tok::Field) fields.push_back(next().val.substr(1));
      switch (node->type) {
        case NodeType::Field: {
          std::string s = node->str();
          for (const auto& f : fields) s += "." + f;
          return std::make_unique<FieldNode>(chain->pos, s);
        }
        case NodeType::Variable: {
          std::string s = node->str();
          for (const auto& f : fields) s += "." + f;
          return std::make_unique<VariableNode>(chain->pos, s);
        }
        case NodeType::Bool: case NodeType::String: case NodeType::Number: case NodeType::Nil: case NodeType::Dot:
          errorf("unexpected . after term {}", go_quote(node->str()));
        default:
          chain->node = std::move(node);
          chain->field = std::move(fields);
          return chain;
      }
    }
    return node;
  }

  NodePtr term() {
    Item t = next_non_space();
    switch (t.typ) {
      case Tok::Identifier:
        if (!has_function(t.val)) errorf("function {} not defined", go_quote(t.val));
        return std::make_unique<IdentifierNode>(t.pos, t.val);
      case Tok::Dot:
        return std::make_unique<DotNode>(t.pos);
      case Tok::Nil:
        return std::make_unique<NilNode>(t.pos);
      case Tok::Variable:
        return use_var(t.pos, t.val);
      case Tok::Field:
        return std::make_unique<FieldNode>(t.pos, t.val);
      case Tok::Bool:
        return std::make_unique<BoolNode>(t.pos, t.val == "true");
      case Tok::CharConstant: case Tok::Complex: case Tok::Number:
        return new_number(t);
      case Tok::LeftParen:
        return pipeline("parenthesized pipeline", Tok::RightParen);
      case Tok::String: case Tok::RawString:
        return std::make_unique<StringNode>(t.pos, t.val, unquote_or_fail(t.val));
      default:
        backup();
        return nullptr;
    }
  }

  NodePtr use_var(size_t pos, const std::string& name) {
    auto v = std::make_unique<VariableNode>(pos, name);
    if (std::find(vars_.begin(), vars_.end(), v->ident[0]) == vars_.end())
      errorf("undefined variable {}", go_quote(v->ident[0]));
    return v;
  }

  // strconv.ParseUint with base 0 (no sign): 0x/0o/0b prefixes, a leading
  // 0 for octal, underscores only between digits.
  static bool parse_go_uint(std::string_view s, uint64_t* out) {
    if (s.empty()) return false;
    int base = 10;
    bool saw_digit = false;  // a base prefix counts as a digit before "_"
    if (s.size() >= 2 && s[0] == '0' && std::strchr("xXoObB", s[1]) != nullptr) {
      base = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'o' || s[1] == 'O') ? 8 : 2;
      s.remove_prefix(2);
      saw_digit = true;
      if (s.empty()) return false;
    } else if (s.size() >= 2 && s[0] == '0') {
      base = 8;
    }
    uint64_t v = 0;
    bool any = false;
    bool last_underscore = false;
    for (char c : s) {
      if (c == '_') {
        if (!saw_digit || last_underscore) return false;
        last_underscore = true;
        continue;
      }
      int d = unhex(c);
      if (d < 0 || d >= base) return false;
      if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base))
        return false;
      v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
      any = saw_digit = true;
      last_underscore = false;
    }
    if (last_underscore || !any) return false;
    *out = v;
    return true;
  }

  NodePtr new_number(const Item& t) {
    auto n = std::make_unique<NumberNode>(t.pos, t.val);
    const std::string& text = t.val;
    if (t.typ == Tok::CharConstant) {
      std::string_view body = std::string_view(text).substr(1);
      char32_t r;
      bool mb;
      if (!unquote_char(body, '\'', &r, &mb)) errorf("invalid syntax");
      if (body != "'") errorf("malformed character constant: {}", text);
      n->is_int = n->is_uint = n->is_float = true;
      n->int64 = r;
      n->uint64 = r;
      n->float64 = r;
      return n;
    }
    if (t.typ == Tok::Complex || (!text.empty() && text.back() == 'i'))
      errorf("complex number constants are not supported: {}", go_quote(text));
    std::string_view s = text;
    bool neg = false, signed_text = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
      neg = s[0] == '-';
      signed_text = true;
      s.remove_prefix(1);
    }
    uint64_t u;
    if (parse_go_uint(s, &u)) {
      if (!signed_text) {
        n->is_uint = true;
        n->uint64 = u;
      }
      if (!neg && u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        n->is_int = true;
        n->int64 = static_cast<int64_t>(u);
      } else if (neg && u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
        n->is_int = true;
        n->int64 = static_cast<int64_t>(0 - u);
      }
      if (n->is_int && n->int64 == 0) {  // -0 and +0
        n->is_uint = true;
        n->uint64 = 0;
      }
    }
    if (n->is_int) {
      n->is_float = true;
      n->float64 = static_cast<double>(n->int64);
    } else if (n->is_uint) {
      n->is_float = true;
      n->float64 = static_cast<double>(n->uint64);
    } else {
      // Underscores only between digits, as Go's underscoreOK allows.
      bool underscores_ok = true;
      for (size_t k = 0; k < text.size(); ++k) {
        if (text[k] != '_') continue;
        bool before = k > 0 && std::isxdigit(static_cast<unsigned char>(text[k - 1])) != 0;
        bool after = k + 1 < text.size() && std::isxdigit(static_cast<unsigned char>(text[k + 1])) != 0;
        if (!before || !after) underscores_ok = false;
      }
      std::string clean;
      for (char c : text)
        if (c != '_') clean += c;
      char* endp = nullptr;
      errno = 0;
      double f = std::strtod(clean.c_str(), &endp);
      bool ok = underscores_ok && endp != nullptr && *endp == '\0' && !clean.empty() && !std::isinf(f);
      bool is_hex = clean.find_first_of("xX") != std::string::npos;
      if (ok && is_hex && clean.find_first_of("pP") == std::string::npos) ok = false;  // Go wants a p exponent
      if (ok) {
        if (text.find_first_of(".eEpP") == std::string::npos) errorf("integer overflow: {}", go_quote(text));
        n->is_float = true;
        n->float64 = f;
        if (std::fabs(f) < 9.2e18 && static_cast<double>(static_cast<int64_t>(f)) == f) {
          n->is_int = true;
          n->int64 = static_cast<int64_t>(f);
        }
        if (f >= 0 && f < 1.8e19 && static_cast<double>(static_cast<uint64_t>(f)) == f) {
          n->is_uint = true;
          n->uint64 = static_cast<uint64_t>(f);
        }
      }
    }
    if (!n->is_int && !n->is_uint && !n->is_float) errorf("illegal number syntax: {}", go_quote(text));
    return n;
  }
};

void collect_fields(const Node* n, std::set<std::string>& out) {
  if (n == nullptr) return;
  switch (n->type) {
    case NodeType::Field:
      out.insert(static_cast<const FieldNode*>(n)->ident[0]);
      return;
    case NodeType::List:
      for (const auto& c : static_cast<const ListNode*>(n)->nodes) collect_fields(c.get(), out);
      return;
    case NodeType::Action:
      collect_fields(static_cast<const ActionNode*>(n)->pipe.get(), out);
      return;
    case NodeType::Pipe:
      for (const auto& c : static_cast<const PipeNode*>(n)->cmds) collect_fields(c.get(), out);
      return;
    case NodeType::Command:
      for (const auto& c : static_cast<const CommandNode*>(n)->args) collect_fields(c.get(), out);
      return;
    case NodeType::Chain:
      collect_fields(static_cast<const ChainNode*>(n)->node.get(), out);
      return;
    case NodeType::If: case NodeType::Range: case NodeType::With: {
      const auto* b = static_cast<const BranchNode*>(n);
      collect_fields(b->pipe.get(), out);
      collect_fields(b->list.get(), out);
      collect_fields(b->else_list.get(), out);
      return;
    }
    case NodeType::Template:
      collect_fields(static_cast<const CallTemplateNode*>(n)->pipe.get(), out);
      return;
    default:
      return;
  }
}

// ---------------------------------------------------------------------------
// Evaluation (text/template/exec.go).

enum class Flow { Normal, Break, Continue };

constexpr int kMaxExecDepth = 1000;

class Exec {
 public:
  Exec(const TemplateNode& t, std::string& out, const ExecOptions& opts)
      : t_(t), out_(out), maps_only_(opts.maps_only), structs_(opts.structs), name_(t.name) {}

  void run(const json& data) {
    auto it = t_.trees.find(t_.name);
    if (it == t_.trees.end() || !it->second) {
      throw Error(fmt::format("template: {}: {} is an incomplete or empty template", t_.name, go_quote(t_.name)));
    }
    Value dot = Value::ref(data);
    vars_.push_back({"$", dot});
    walk(dot, it->second.get());
  }

 private:
  struct Var {
    std::string name;
    Value value;
  };

  const TemplateNode& t_;
  std::string& out_;
  bool maps_only_;
  bool structs_;
  std::string name_;  // the template being executed
  std::vector<Var> vars_;
  const Node* node_ = nullptr;
  int depth_ = 0;

  void at(const Node* n) { node_ = n; }

  template <typename... Args>
  [[noreturn]] void errorf(fmt::format_string<Args...> f, Args&&... args) {
    std::string msg = fmt::format(f, std::forward<Args>(args)...);
    if (node_ == nullptr) throw Error(fmt::format("template: {}: {}", name_, msg));
    // ErrorContext: line and byte column (0-based) of the node in the text.
    std::string_view text = std::string_view(t_.text).substr(0, node_->pos);
    size_t nl = text.rfind('\n');
    size_t col = nl == std::string_view::npos ? node_->pos : node_->pos - (nl + 1);
    auto line = 1 + std::count(text.begin(), text.end(), '\n');
    throw Error(fmt::format("template: {}:{}:{}: executing {} at <{}>: {}", t_.name, line, col, go_quote(name_),
                            node_->str(), msg));
  }

  bool is_struct(const Value& v) const {
    if (maps_only_) return false;
    return structs_ ? v.j().is_object() && !v.j().empty() : struct_like(v.j());
  }

  std::string type_of(const Value& v) const {
    if (maps_only_ && v.kind() == Kind::Object)
      return all_strings(v.j()) ? "map[string]string" : "map[string]interface {}";
    return type_name(v);
  }

  void set_var(const std::string& name, const Value& v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->name == name) {
        it->value = v;
        return;
      }
    }
    errorf("undefined variable: {}", name);
  }

  Value var_value(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->name == name) return it->value;
    errorf("undefined variable: {}", name);
  }

  Flow walk(const Value& dot, const Node* node) {
    at(node);
    switch (node->type) {
      case NodeType::Action: {
        const auto* a = static_cast<const ActionNode*>(node);
        Value val = eval_pipeline(dot, a->pipe.get());
        if (a->pipe->decl.empty()) print_value(node, val);
        return Flow::Normal;
      }
      case NodeType::If:
      case NodeType::With:
        return walk_if_or_with(dot, static_cast<const BranchNode*>(node));
      case NodeType::List:
        for (const auto& n : static_cast<const ListNode*>(node)->nodes) {
          Flow f = walk(dot, n.get());
          if (f != Flow::Normal) return f;
        }
        return Flow::Normal;
      case NodeType::Range:
        walk_range(dot, static_cast<const BranchNode*>(node));
        return Flow::Normal;
      case NodeType::Template:
        walk_template(dot, static_cast<const CallTemplateNode*>(node));
        return Flow::Normal;
      case NodeType::Text:
        out_ += static_cast<const TextNode*>(node)->text;
        return Flow::Normal;
      case NodeType::Break:
        return Flow::Break;
      case NodeType::Continue:
        return Flow::Continue;
      default:
        errorf("unknown node: {}", node->str());
    }
  }

  Flow walk_if_or_with(const Value& dot, const BranchNode* b) {
    size_t mark = vars_.size();
    Value val = eval_pipeline(dot, b->pipe.get());
    Flow f = Flow::Normal;
    if (truth(val)) {
      f = walk(b->type == NodeType::With ? val : dot, b->list.get());
    } else if (b->else_list) {
      f = walk(dot, b->else_list.get());
    }
    vars_.resize(mark);
    return f;
  }

  void walk_range(const Value& dot, const BranchNode* r) {
    at(r);
    size_t mark0 = vars_.size();
    Value val = eval_pipeline(dot, r->pipe.get());
    size_t mark = vars_.size();
    auto one = [&](const Value& index, const Value& elem) {
      if (!r->pipe->decl.empty()) vars_[vars_.size() - 1].value = elem;
      if (r->pipe->decl.size() > 1) vars_[vars_.size() - 2].value = index;
      Flow f = walk(elem, r->list.get());
      vars_.resize(mark);
      return f;
    };
    bool ran = false;
    switch (val.kind()) {
      case Kind::Slice: {
        int64_t i = 0;
        for (const auto& e : val.j()) {
          ran = true;
          if (one(Value::own(i++), val.child(e)) == Flow::Break) break;
        }
        break;
      }
      case Kind::Object:
        for (const auto& item : val.j().items()) {
          ran = true;
          if (one(Value::own(item.key()), val.child(item.value())) == Flow::Break) break;
        }
        break;
      case Kind::Invalid:
        break;
      default:
        errorf("range can't iterate over {}", sprint_value(val));
    }
    if (!ran && r->else_list) walk(dot, r->else_list.get());
    vars_.resize(mark0);
  }

  void walk_template(const Value& dot, const CallTemplateNode* t) {
    at(t);
    auto it = t_.trees.find(t->name);
    if (it == t_.trees.end() || !it->second) errorf("template {} not defined", go_quote(t->name));
    if (depth_ >= kMaxExecDepth) errorf("exceeded maximum template depth ({})", kMaxExecDepth);
    Value new_dot = eval_pipeline(dot, t->pipe.get());
    // No dynamic scoping: the called template sees only $.
    std::vector<Var> saved_vars = std::move(vars_);
    std::string saved_name = std::move(name_);
    vars_ = {{"$", new_dot}};
    name_ = t->name;
    ++depth_;
    walk(new_dot, it->second.get());
    --depth_;
    vars_ = std::move(saved_vars);
    name_ = std::move(saved_name);
  }

  Value eval_pipeline(const Value& dot, const PipeNode* pipe) {
    if (pipe == nullptr) return Value();
    at(pipe);
    std::optional<Value> value;
    for (const auto& cmd : pipe->cmds) value = eval_command(dot, cmd.get(), value);
    for (const auto& v : pipe->decl) {
      if (pipe->is_assign)
        set_var(v->ident[0], *value);
      else
        vars_.push_back({v->ident[0], *value});
    }
    return *value;
  }

  void not_a_function(const std::vector<NodePtr>& args, const std::optional<Value>& final) {
    if (args.size() > 1 || final) errorf("can't give argument to non-function {}", args[0]->str());
  }

  Value eval_command(const Value& dot, const CommandNode* cmd, const std::optional<Value>& final) {
    const Node* first = cmd->args[0].get();
    switch (first->type) {
      case NodeType::Field:
        return eval_field_node(dot, static_cast<const FieldNode*>(first), cmd->args, final);
      case NodeType::Chain:
        return eval_chain_node(dot, static_cast<const ChainNode*>(first), cmd->args, final);
      case NodeType::Identifier:
        return eval_function(dot, static_cast<const IdentifierNode*>(first), cmd, cmd->args, final);
      case NodeType::Pipe:
        not_a_function(cmd->args, final);
        return eval_pipeline(dot, static_cast<const PipeNode*>(first));
      case NodeType::Variable:
        return eval_variable_node(dot, static_cast<const VariableNode*>(first), cmd->args, final);
      default:
        break;
    }
    at(first);
    not_a_function(cmd->args, final);
    switch (first->type) {
      case NodeType::Bool:
        return Value::own(static_cast<const BoolNode*>(first)->value);
      case NodeType::Dot:
        return dot;
      case NodeType::Nil:
        errorf("nil is not a command");
      case NodeType::Number:
        return ideal_constant(static_cast<const NumberNode*>(first));
      case NodeType::String:
        return Value::own(static_cast<const StringNode*>(first)->text);
      default:
        errorf("can't evaluate command {}", go_quote(first->str()));
    }
  }

  Value ideal_constant(const NumberNode* c) {
    at(c);
    const std::string& text = c->text;
    bool is_hex_int = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
                      text.find_first_of("pP") == std::string::npos;
    bool is_rune = !text.empty() && text[0] == '\'';
    if (c->is_float && !is_hex_int && !is_rune && text.find_first_of(".eEpP") != std::string::npos)
      return Value::own(c->float64);
    if (c->is_int) return Value::own(c->int64);
    if (c->is_uint) errorf("{} overflows int", text);
    return Value();
  }

  Value eval_field_node(const Value& dot, const FieldNode* field, const std::vector<NodePtr>& args,
                        const std::optional<Value>& final) {
    at(field);
    return eval_field_chain(dot, field->ident, 0, args, final);
  }

  Value eval_chain_node(const Value& dot, const ChainNode* chain, const std::vector<NodePtr>& args,
                        const std::optional<Value>& final) {
    at(chain);
    if (chain->node->type == NodeType::Nil) errorf("indirection through explicit nil in {}", chain->str());
    Value pipe = eval_arg(dot, std::nullopt, chain->node.get());
    return eval_field_chain(pipe, chain->field, 0, args, final);
  }

  Value eval_variable_node(const Value& /*dot*/, const VariableNode* v, const std::vector<NodePtr>& args,
                           const std::optional<Value>& final) {
    at(v);
    Value value = var_value(v->ident[0]);
    if (v->ident.size() == 1) {
      not_a_function(args, final);
      return value;
    }
    return eval_field_chain(value, v->ident, 1, args, final);
  }

  Value eval_field_chain(Value receiver, const std::vector<std::string>& ident, size_t from,
                         const std::vector<NodePtr>& args, const std::optional<Value>& final) {
    static const std::vector<NodePtr> kNoArgs;
    size_t n = ident.size();
    for (size_t i = from; i + 1 < n; ++i) receiver = eval_field(ident[i], kNoArgs, std::nullopt, receiver);
    return eval_field(ident[n - 1], args, final, receiver);
  }

  Value eval_field(const std::string& name, const std::vector<NodePtr>& args, const std::optional<Value>& final,
                   const Value& receiver) {
    if (!receiver.valid()) return Value();
    bool has_args = args.size() > 1 || final;
    if (receiver.kind() == Kind::Object) {
      auto it = receiver.j().find(name);
      // cabin's data are JSON objects whose keys are often the JSON tags of
      // Podman's Go structs ("graphRoot", "os"), while templates name the Go
      // fields ("GraphRoot", "OS"): a key equal but for case stands in.
      if (it == receiver.j().end()) it = find_ignoring_case(receiver.j(), name);
      if (!is_struct(receiver)) {
        if (has_args) errorf("{} is not a method but has arguments", name);
        return it == receiver.j().end() ? Value() : receiver.child(*it);
      }
      if (it != receiver.j().end()) {
        if (has_args) errorf("{} has arguments but cannot be invoked as function", name);
        return receiver.child(*it);
      }
    }
    errorf("can't evaluate field {} in type {}", name, type_of(receiver));
  }

  Value eval_function(const Value& dot, const IdentifierNode* node, const Node* cmd,
                      const std::vector<NodePtr>& args, const std::optional<Value>& final) {
    at(node);
    auto it = functions().find(node->ident);
    if (it == functions().end()) errorf("{} is not a defined function", go_quote(node->ident));
    return eval_call(dot, it->second, cmd, node->ident, args, final);
  }

  Value eval_call(const Value& dot, const Func& fn, const Node* node, const std::string& name,
                  const std::vector<NodePtr>& all_args, const std::optional<Value>& final) {
    // all_args[0] is the function's own node.
    std::vector<const Node*> args;
    for (size_t i = 1; i < all_args.size(); ++i) args.push_back(all_args[i].get());
    size_t num_in = args.size() + (final ? 1 : 0);
    size_t num_fixed = args.size();
    if (fn.variadic) {
      num_fixed = fn.params.size() - 1;
      if (num_in < num_fixed)
        errorf("wrong number of args for {}: want at least {} got {}", name, fn.params.size() - 1, args.size());
    } else if (num_in != fn.params.size()) {
      errorf("wrong number of args for {}: want {} got {}", name, fn.params.size(), num_in);
    }

    if (name == "and" || name == "or") {
      Value v;
      for (const Node* arg : args) {
        v = eval_arg(dot, Param::Reflect, arg);
        if (truth(v) == (name == "or")) return v;
      }
      if (final) v = *final;
      return v;
    }

    std::vector<Value> argv;
    size_t i = 0;
    for (; i < num_fixed && i < args.size(); ++i) argv.push_back(eval_arg(dot, fn.params[i], args[i]));
    if (fn.variadic) {
      Param elem = fn.params.back();
      for (; i < args.size(); ++i) argv.push_back(eval_arg(dot, elem, args[i]));
    }
    if (final) {
      Param t = fn.params.back();
      if (fn.variadic && num_in - 1 < num_fixed) t = fn.params[num_in - 1];
      argv.push_back(validate_type(*final, t));
    }
    try {
      return fn.fn(argv);
    } catch (const CallError& e) {
      at(node);
      errorf("error calling {}: {}", name, e.message);
    }
  }

  Value validate_type(const Value& value, std::optional<Param> typ) {
    if (!value.valid()) {
      if (!typ) return value;
      switch (*typ) {
        case Param::Any: case Param::Reflect: case Param::StringSlice: return value;
        default: errorf("invalid value; expected {}", param_name(*typ));
      }
    }
    if (!typ) return value;
    switch (*typ) {
      case Param::Any: case Param::Reflect: return value;
      case Param::String:
        if (value.kind() == Kind::String) return value;
        break;
      case Param::Int:
        if (value.kind() == Kind::Int) return value;
        break;
      case Param::StringSlice:
        if (value.kind() == Kind::Slice && all_strings(value.j())) return value;
        break;
    }
    errorf("wrong type for value; expected {}; got {}", param_name(*typ), type_of(value));
  }

  Value eval_arg(const Value& dot, std::optional<Param> typ, const Node* n) {
    at(n);
    switch (n->type) {
      case NodeType::Dot:
        return validate_type(dot, typ);
      case NodeType::Nil:
        if (!typ || *typ == Param::Any || *typ == Param::Reflect || *typ == Param::StringSlice) return Value();
        errorf("cannot assign nil to {}", param_name(*typ));
      case NodeType::Field: {
        static const std::vector<NodePtr> kNone;
        // Go passes the field node itself as the (single) argument list.
        return validate_type(eval_field_node(dot, static_cast<const FieldNode*>(n), kNone, std::nullopt), typ);
      }
      case NodeType::Variable: {
        static const std::vector<NodePtr> kNone;
        return validate_type(eval_variable_node(dot, static_cast<const VariableNode*>(n), kNone, std::nullopt),
                             typ);
      }
      case NodeType::Pipe:
        return validate_type(eval_pipeline(dot, static_cast<const PipeNode*>(n)), typ);
      case NodeType::Identifier: {
        static const std::vector<NodePtr> kNone;
        const auto* id = static_cast<const IdentifierNode*>(n);
        return validate_type(eval_function(dot, id, id, kNone, std::nullopt), typ);
      }
      case NodeType::Chain: {
        static const std::vector<NodePtr> kNone;
        return validate_type(eval_chain_node(dot, static_cast<const ChainNode*>(n), kNone, std::nullopt), typ);
      }
      default:
        break;
    }
    Param p = typ.value_or(Param::Any);
    switch (p) {
      case Param::String:
        if (n->type == NodeType::String) return Value::own(static_cast<const StringNode*>(n)->text);
        errorf("expected string; found {}", n->str());
      case Param::Int:
        if (n->type == NodeType::Number && static_cast<const NumberNode*>(n)->is_int)
          return Value::own(static_cast<const NumberNode*>(n)->int64);
        errorf("expected integer; found {}", n->str());
      case Param::Any:
      case Param::Reflect:
        return eval_empty_interface(dot, n);
      case Param::StringSlice:
        break;
    }
    errorf("can't handle {} for arg of type {}", n->str(), param_name(p));
  }

  Value eval_empty_interface(const Value& /*dot*/, const Node* n) {
    at(n);
    switch (n->type) {
      case NodeType::Bool: return Value::own(static_cast<const BoolNode*>(n)->value);
      case NodeType::Number: return ideal_constant(static_cast<const NumberNode*>(n));
      case NodeType::String: return Value::own(static_cast<const StringNode*>(n)->text);
      default: break;
    }
    errorf("can't handle assignment of {} to empty interface argument", n->str());
  }

  void print_value(const Node* n, const Value& v) {
    at(n);
    if (!v.valid()) {
      out_ += "<no value>";
      return;
    }
    out_ += sprint_value(v);
  }
};

}  // namespace

// ---------------------------------------------------------------------------

Template::Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Template Template::parse(std::string_view text) { return parse(text, "format"); }

Template Template::parse(std::string_view text, std::string_view name) {
  auto node = std::make_shared<TemplateNode>();
  node->name = std::string(name);
  node->text = std::string(text);
  Lexer lex(node->text);
  Parser parser(node->name, lex, *node);
  parser.parse();
  Template t;
  t.root_ = std::move(node);
  return t;
}

std::string Template::execute(const nlohmann::json& data) const {
  std::string out;
  execute(out, data);
  return out;
}

void Template::execute(std::string& out, const nlohmann::json& data, const ExecOptions& opts) const {
  Exec exec(*root_, out, opts);
  exec.run(data);
}

std::vector<std::string> Template::fields() const {
  std::set<std::string> names;
  for (const auto& [name, tree] : root_->trees) collect_fields(tree.get(), names);
  return {names.begin(), names.end()};
}

std::string go_print(const nlohmann::json& value) {
  Value v = Value::ref(value);
  if (!v.valid()) return "<no value>";
  return sprint_value(v);
}

}  // namespace cabin::format
