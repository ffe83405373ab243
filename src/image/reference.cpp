// Image references: the distribution/reference grammar as Podman uses it
// (containers/image docker/reference), written as small hand parsers rather
// than regular expressions so that every failure has a named reason.
#include "image/reference.h"

#include <algorithm>
#include <array>

#include "config/mode.h"
#include "util/error.h"
#include "util/strings.h"

namespace cabin::image {
namespace {

constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr size_t kNameTotalLengthMax = 255;
constexpr size_t kTagLengthMax = 128;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_xdigit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

bool has_upper(std::string_view s) {
  for (char c : s)
    if (c >= 'A' && c <= 'Z') return true;
  return false;
}

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*
// separator      := "." | "_" | "__" | "-"+
bool valid_path_component(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  auto alnum_run = [&] {
    size_t start = i;
    while (i < n && is_lower_alnum(s[i])) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < n) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < n && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

// path := path-component ("/" path-component)*
bool valid_path(std::string_view s) {
  for (const auto& component : split(s, '/'))
    if (!valid_path_component(component)) return false;
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

// tag := [\w][\w.-]{0,127}
bool valid_tag(std::string_view s) {
  if (s.empty() || s.size() > kTagLengthMax || !is_word(s.front())) return false;
  for (char c : s)
    if (!is_word(c) && c != '.' && c != '-') return false;
  return true;
}

// digest := algorithm ":" hex, algorithm := component ([-_+.] component)*,
// component := [A-Za-z][A-Za-z0-9]*, hex := [0-9a-fA-F]{32,}
bool digest_grammar(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view algo = s.substr(0, colon), hex = s.substr(colon + 1);
  bool want_alpha = true;
  for (char c : algo) {
    if (want_alpha) {
      if (!is_alpha(c)) return false;
      want_alpha = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      want_alpha = true;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  if (algo.empty() || want_alpha) return false;
  if (hex.size() < 32) return false;
  for (char c : hex)
    if (!is_xdigit(c)) return false;
  return true;
}

// The go-digest checks behind the grammar, with its messages: only the
// registered algorithms, the exact length, lowercase hex.
const char* digest_problem(std::string_view s) {
  struct Algo {
    std::string_view name;
    size_t hex_len;
  };
  constexpr std::array<Algo, 3> kAlgos = {{{"sha256", 64}, {"sha384", 96}, {"sha512", 128}}};
  auto colon = s.find(':');
  std::string_view algo = s.substr(0, colon), hex = s.substr(colon + 1);
  for (const auto& a : kAlgos) {
    if (a.name != algo) continue;
    if (hex.size() != a.hex_len) return "invalid checksum digest length";
    for (char c : hex)
      if (!is_lower_hex(c)) return "invalid checksum digest format";
    return nullptr;
  }
  return "unsupported digest algorithm";
}

// The pieces of DOMAIN/PATH[:TAG][@DIGEST] with the domain already split off.
struct Pieces {
  std::string_view path, tag, digest;
};

// Splits and checks the grammar of remainder (everything after the domain).
bool split_remainder(std::string_view remainder, Pieces& out) {
  std::string_view name_tag = remainder;
  if (auto at = remainder.find('@'); at != std::string_view::npos) {
    name_tag = remainder.substr(0, at);
    out.digest = remainder.substr(at + 1);
    if (!digest_grammar(out.digest)) return false;
  }
  // Path components cannot contain ':', so the first one starts the tag.
  out.path = name_tag;
  if (auto colon = name_tag.find(':'); colon != std::string_view::npos) {
    out.path = name_tag.substr(0, colon);
    out.tag = name_tag.substr(colon + 1);
    if (!valid_tag(out.tag)) return false;
  }
  return valid_path(out.path);
}

[[noreturn]] void bad(std::string_view input, std::string_view why) {
  fail("parse {:?}: {}", std::string(input), std::string(why));
}

}  // namespace

bool is_valid_domain(std::string_view s) {
  std::string_view host = s, port;
  if (!s.empty() && s.front() == '[') {
    // [IPv6] as in RFC 3986; the contents are only checked for hex and ':'.
    auto close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : s.substr(1, close - 1))
      if (!is_xdigit(c) && c != ':') return false;
    std::string_view rest = s.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = rest.substr(1);
    if (port.empty()) return false;
  } else {
    if (auto colon = s.find(':'); colon != std::string_view::npos) {
      host = s.substr(0, colon);
      port = s.substr(colon + 1);
      if (port.empty()) return false;
    }
    for (const auto& component : split(host, '.'))
      if (!valid_domain_component(component)) return false;
  }
  for (char c : port)
    if (!is_digit(c)) return false;
  return true;
}

std::string Reference::name() const { return domain + "/" + path; }

std::string Reference::string() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

ParsedReference parse_reference(std::string_view input) {
  // A bare 64-hex string is an image ID, never a repository name.
  if (input.size() == 64 && std::all_of(input.begin(), input.end(), is_lower_hex))
    fail("parse {:?}: invalid repository name ({}), cannot specify 64-byte hexadecimal strings",
         std::string(input), std::string(input));

  ParsedReference out;
  out.original = std::string(input);
  out.qualified = false;

  // The domain: the first component when it looks like a host.
  std::string_view domain = kDefaultDomain, remainder = input;
  if (auto slash = input.find('/'); slash != std::string_view::npos) {
    std::string_view first = input.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") {
      domain = first;
      remainder = input.substr(slash + 1);
      out.qualified = true;
    }
  }
  if (domain == kLegacyDefaultDomain) domain = kDefaultDomain;

  // Uppercase in the repository part gets its own message (before the tag).
  if (has_upper(remainder.substr(0, remainder.find(':'))))
    bad(input, "invalid reference format: repository name must be lowercase");

  Pieces pieces;
  if (!is_valid_domain(domain) || !split_remainder(remainder, pieces)) {
    std::string lowered = to_lower(input);
    Pieces ignored;
    bool lower_ok = lowered != input && is_valid_domain(to_lower(domain)) &&
                    split_remainder(std::string_view(lowered).substr(input.size() - remainder.size()),
                                    ignored);
    bad(input, lower_ok ? "repository name must be lowercase" : "invalid reference format");
  }

  Reference& ref = out.ref;
  ref.domain = std::string(domain);
  ref.path = std::string(pieces.path);
  // Docker Hub's official images live under library/.
  if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos)
    ref.path.insert(0, kOfficialRepoPrefix);
  if (ref.name().size() > kNameTotalLengthMax)
    bad(input, fmt::format("repository name must not be more than {} characters", kNameTotalLengthMax));
  if (!pieces.digest.empty()) {
    if (const char* problem = digest_problem(pieces.digest)) bad(input, problem);
  }
  ref.tag = std::string(pieces.tag);
  ref.digest = std::string(pieces.digest);
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = std::string(kDefaultTag);
  return out;
}

std::string typed_name(const ParsedReference& parsed) {
  std::string_view s = parsed.original;
  s = s.substr(0, s.find('@'));
  auto slash = s.rfind('/');
  auto colon = s.find(':', slash == std::string_view::npos ? 0 : slash);
  return std::string(s.substr(0, colon));
}

bool looks_like_id(std::string_view s) {
  return s.size() >= 3 && s.size() <= 64 && std::all_of(s.begin(), s.end(), is_lower_hex);
}

std::string docker_familiar_name(std::string_view stored) {
  auto strip = [&](std::string_view prefix) {
    if (stored.substr(0, prefix.size()) != prefix) return false;
    stored.remove_prefix(prefix.size());
    return true;
  };
  if (strip("localhost/")) return std::string(stored);
  if (!strip("docker.io/")) return std::string(stored);
  // library/ goes only for one-component official images.
  auto end = stored.find_first_of(":@");
  std::string_view repo = stored.substr(0, end);
  if (repo.substr(0, kOfficialRepoPrefix.size()) == kOfficialRepoPrefix &&
      repo.find('/', kOfficialRepoPrefix.size()) == std::string_view::npos)
    stored.remove_prefix(kOfficialRepoPrefix.size());
  return std::string(stored);
}

std::string docker_familiar_reference(std::string_view input) {
  try {
    return docker_familiar_name(parse_reference(input).ref.string());
  } catch (const Error&) {
    return std::string(input);
  }
}

std::string shown_name(std::string_view stored) {
  return config::docker_mode() ? docker_familiar_name(stored) : std::string(stored);
}

}  // namespace cabin::image
