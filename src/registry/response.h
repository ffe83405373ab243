// What the registry client reads from a registry's answers, apart from
// WWW-Authenticate (www_authenticate.h): the lines of a response's head,
// Content-Range and numeric headers, error bodies, a manifest's media type
// and a token endpoint's answer. Pure functions of their text, kept apart
// from libcurl so that tests/fuzz can run them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cabin::registry {

// One line of a response's head as libcurl hands it over (CRLF included
// or not): a status line ("HTTP/1.1 200 OK": status, 0 when unreadable), a
// header field (name lower-cased, name and value trimmed) or neither.
struct HeadLine {
  enum Kind { Other, Status, Field } kind = Other;
  long status = 0;
  std::string name, value;
};
HeadLine parse_head_line(std::string_view line);

// A decimal header value (Content-Length, Retry-After) of at most 19 digits,
// surrounding blanks allowed.
std::optional<uint64_t> parse_u64(std::string_view v);

// Parses "bytes START-END/TOTAL" (TOTAL may be "*").
bool parse_content_range(std::string_view v, uint64_t& start, std::optional<uint64_t>& total);

// s on one line: trailing newlines and blanks dropped, others made spaces.
std::string one_line(std::string s);

// The registry's reason from a {"errors":[{"code":…,"message":…}]} body:
// "denied: requested access to the resource is denied", or just
// "manifest unknown" when the message only repeats the code; "" for none.
std::string registry_detail(const std::string& body);

// The manifest's type: Content-Type without parameters, or the body's
// mediaType when the header is generic (text/plain, application/json,
// missing). Throws cabin::Error for a body whose mediaType contradicts a
// specific Content-Type, as the distribution spec says to.
std::string manifest_media_type(const std::string& content_type, const std::string& body);

// A token endpoint's JSON answer: "token" (or OAuth2's "access_token") and
// its lifetime. The distribution token spec: a missing expires_in means
// 60 s, and no token lives shorter; cabin also keeps none longer than a day.
// Throws cabin::Error when there is no token.
struct TokenAnswer {
  std::string token;
  int64_t lifetime_secs = 0;
};
inline constexpr int64_t kMinTokenLifetimeSecs = 60;
inline constexpr int64_t kMaxTokenLifetimeSecs = 24 * 3600;
TokenAnswer parse_token_response(std::string_view body);

}  // namespace cabin::registry
