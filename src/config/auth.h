// Registry credentials from the files users already have (containers-auth.json(5)).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cabin::config {

struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;  // "identitytoken": an OAuth refresh token
};

// The auth files in lookup order: REGISTRY_AUTH_FILE if set, else
// $XDG_RUNTIME_DIR/containers/auth.json, $HOME/.config/containers/auth.json,
// $HOME/.docker/config.json (and $DOCKER_CONFIG/config.json).
std::vector<std::string> auth_file_paths();

// The most specific entry for registry/repository ("host/ns/repo", "host/ns",
// "host"; a "https://host/v1/" style key also matches), first file wins.
std::optional<Credentials> find_credentials(std::string_view registry, std::string_view repository);

// Parses --creds USERNAME[:PASSWORD]; throws cabin::Error on an empty username.
Credentials parse_creds(std::string_view creds);

}  // namespace cabin::config
