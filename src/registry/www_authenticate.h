// Parsing of WWW-Authenticate challenges (RFC 7235) as registries send them.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cabin::registry {

struct Challenge {
  std::string scheme;                             // lower-cased: "bearer", "basic"
  std::map<std::string, std::string> params;      // keys lower-cased: realm, service, scope
};

// Parses one header value, which may hold several challenges.
std::vector<Challenge> parse_www_authenticate(std::string_view header);

}  // namespace cabin::registry
