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

// The auth files in lookup order, as Podman reads them for a pull:
//  - $REGISTRY_AUTH_FILE if set: that file only (it must exist);
//  - else $DOCKER_CONFIG/config.json if DOCKER_CONFIG is set: that file only;
//  - else $XDG_RUNTIME_DIR/containers/auth.json (/run/containers/UID/auth.json
//    without XDG_RUNTIME_DIR; skipped with a warning when XDG_RUNTIME_DIR names
//    a missing directory), $XDG_CONFIG_HOME/containers/auth.json (default
//    ~/.config), ~/.docker/config.json, and ~/.dockercfg (Docker's legacy
//    format: the "auths" map at top level, registry-wide keys only).
//    In Docker mode (config/mode.h) ~/.docker/config.json comes first.
std::vector<std::string> auth_file_paths();
// The same with an explicit --authfile (empty: as above). An explicit file
// (--authfile or REGISTRY_AUTH_FILE) that does not exist throws cabin::Error.
std::vector<std::string> auth_file_paths(std::string_view authfile);

// The most specific entry for registry/repository ("host/ns/repo", "host/ns",
// "host"; a "https://host/v1/" style key also matches), first file wins.
// registry is host[:port] ("docker.io" for Docker Hub; "index.docker.io" and
// "registry-1.docker.io" are taken as docker.io); repository is the path
// inside it ("library/alpine"), or empty for the registry's own entry.
// Within a file the most specific key present decides, even when its entry
// holds no usable credentials (Docker writes {} for credential helpers); the
// search then goes on with the next file. credHelpers/credsStore and
// registries.conf credential-helpers are not run (logged at debug level).
// Throws cabin::Error naming the file when a file is malformed or an "auth"
// value is not base64.
std::optional<Credentials> find_credentials(std::string_view registry, std::string_view repository);
// The same over an explicit list of files (a file named ".dockercfg" is read
// in the legacy format). Missing files are skipped.
std::optional<Credentials> find_credentials_in(const std::vector<std::string>& files,
                                               std::string_view registry, std::string_view repository);

// Parses --creds USERNAME[:PASSWORD]; throws cabin::Error on an empty username.
// A missing password is returned empty (Podman would prompt for it).
Credentials parse_creds(std::string_view creds);

// The file login writes and logout edits: authfile, else $REGISTRY_AUTH_FILE,
// else $XDG_RUNTIME_DIR/containers/auth.json (/run/containers/UID/auth.json
// without XDG_RUNTIME_DIR), as Podman; in Docker mode docker_config_file().
std::string auth_write_path(std::string_view authfile);

// Docker's client config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
std::string docker_config_file();
// Sets key's entry in path's "auths" to the credentials (other keys and
// entries kept); the file is written atomically with mode 0600, its
// directory made 0700 when missing.
void store_credentials(const std::string& path, const std::string& key, const Credentials& c);
// Removes key's entry (every entry when key is empty); whether there was one.
bool remove_credentials(const std::string& path, const std::string& key);

// RFC 4648 base64 with padding.
std::string base64_encode(std::string_view in);
// Strict RFC 4648 base64 (with padding; CR/LF ignored); nullopt when invalid.
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace cabin::config
