// Where cabin keeps things, per user.
#pragma once

#include <string>
#include <vector>

namespace cabin::config {

std::string home_dir();
// $XDG_CONFIG_HOME or ~/.config
std::string user_config_dir();
// $XDG_RUNTIME_DIR when set and usable, else empty.
std::string xdg_runtime_dir();
// The user's uid on the host, also from inside cabin's user namespace
// (where getuid() is 0): what selects the rootless or rootful files.
unsigned host_uid();
// The storage.conf resolve_store_paths reads (it may not exist).
std::string storage_conf_path();

struct StorePaths {
  std::string graphroot;  // images, layers, containers
  std::string runroot;    // runtime state (pids, sockets, mounts)
  std::string driver;     // storage driver requested ("" = automatic)
};

// Defaults: rootless $XDG_DATA_HOME/cabin (~/.local/share/cabin) and
// $XDG_RUNTIME_DIR/cabin, or /tmp/cabin-run-UID when XDG_RUNTIME_DIR is unset;
// root /var/lib/cabin and /run/cabin. storage.conf ([storage] graphroot,
// runroot, driver) from CONTAINERS_STORAGE_CONF, $XDG_CONFIG_HOME/containers
// or /etc/containers overrides the defaults; flags override both.
StorePaths resolve_store_paths(const std::string& root_flag, const std::string& runroot_flag,
                               const std::string& driver_flag);

// Makes sure runroot exists, is a directory owned by us and mode 0700.
void ensure_private_dir(const std::string& path);

}  // namespace cabin::config
