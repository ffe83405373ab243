#pragma once

#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace cabin {

std::vector<std::string> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
bool starts_with_ci(std::string_view s, std::string_view prefix);
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
// Joins with sep.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// The whole of s as a T (an integer in base, or a floating-point number):
// nullopt when s is empty, holds anything more (a space, a sign an unsigned
// T cannot take), or does not fit in T. What std::stoul would throw on is
// the caller's one-line error instead.
template <class T>
std::optional<T> parse_number(std::string_view s, int base = 10) {
  T v{};
  std::from_chars_result r;
  if constexpr (std::is_floating_point_v<T>)
    r = std::from_chars(s.data(), s.data() + s.size(), v);
  else
    r = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// KEY=VALUE items (--label, --opt) as a map: an item without '=' maps to
// "", a later key wins.
std::map<std::string, std::string> key_values(const std::vector<std::string>& items);

// Podman's rule for the names of containers, networks and volumes:
// [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool valid_name(std::string_view name);

// The offset of the first byte of s that is not part of a valid UTF-8
// sequence (overlong forms, surrogates and values past U+10FFFF are not),
// or npos.
size_t invalid_utf8(std::string_view s);

// The line (from 1) of a YAML text's first byte that is not UTF-8, or 0.
// A text with a UTF-16 or UTF-32 byte order mark is not checked: yaml-cpp
// converts it. The strings of a YAML file go into JSON records, which
// must be UTF-8; YAML itself is Unicode.
size_t yaml_non_utf8_line(std::string_view text);

}  // namespace cabin
