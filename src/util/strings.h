#pragma once

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

// Podman's rule for the names of containers, networks and volumes:
// [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool valid_name(std::string_view name);

}  // namespace cabin
