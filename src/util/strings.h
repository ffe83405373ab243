#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cabin {

std::vector<std::string> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
bool starts_with_ci(std::string_view s, std::string_view prefix);
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
// Joins with sep.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// KEY=VALUE items (--label, --opt) as a map: an item without '=' maps to
// "", a later key wins.
std::map<std::string, std::string> key_values(const std::vector<std::string>& items);

// Podman's rule for the names of containers, networks and volumes:
// [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool valid_name(std::string_view name);

}  // namespace cabin
