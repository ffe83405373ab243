// Small pieces shared by the command files.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cmd/command.h"
#include "storage/containers.h"
#include "storage/pull.h"
#include "storage/store.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace cabin::cmd {

storage::Store open_store(const Globals& g);

// Enters cabin's user namespace (once; main does it for Needs::UserNS
// commands, others call it when they get to work that needs it, after
// acting on containers from the host's side).
void enter_userns(const Globals& g);

// Enters the user namespace a container with that network mode (a record's
// "network_mode", or a --network value) starts in: a new one, or with
// container:X the one X runs in, which its network namespace belongs to.
// X is started first when it is not running, as Podman does.
void enter_userns_to_start(const Globals& g, storage::ContainerStore& containers, const std::string& network_mode);
// The record's network mode as ps shows it ("" for containers from before).
std::string network_mode_of(const storage::ContainerRecord& rec);

// The container with that name, full ID or unique ID prefix; throws
// Podman's "no such container" error.
storage::ContainerRecord find_container(const storage::ContainerStore& containers, const std::string& name);

// The flags of the commands that reach a registry (pull, push, manifest):
// --tls-verify, --cert-dir, --creds, --authfile.
struct RemoteFlags {
  std::optional<bool> tls_verify;
  std::string cert_dir, creds, authfile;

  void bind(CLI::App& app);
  // Into o; --authfile makes the registry code read credentials from that
  // file only (as REGISTRY_AUTH_FILE), and it must be readable.
  void apply(storage::RemoteOptions& o) const;
  storage::RemoteOptions options() const {
    storage::RemoteOptions o;
    apply(o);
    return o;
  }
};

// A boolean flag that also takes a value (--tls-verify, --tls-verify=false):
// unset stays nullopt.
void add_bool_flag(CLI::App& app, const std::string& name, std::optional<bool>& target,
                   const std::string& help);

// Cobra's argument-count checks, worded as Podman prints them.
void check_args(const std::vector<std::string>& args, size_t min, size_t max);
inline constexpr size_t kAnyArgs = static_cast<size_t>(-1);

// Asks "question [y/N] " on stderr and reads a line from stdin.
bool confirm(const std::string& question);

// --filter KEY=VALUE lists as Podman's ls and prune commands take them:
// values for one key are alternatives, different keys must all match.
struct Filters {
  std::vector<std::pair<std::string, std::string>> list;
  // keys: the valid ones; invalid: the error for another. A dangling value
  // must be true, false, 1 or 0.
  static Filters parse(const std::vector<std::string>& values, const std::vector<std::string>& keys,
                       const std::function<std::string(const std::string& key)>& invalid);
  // test(key, value): whether the object matches that one filter.
  bool matches(const std::function<bool(const std::string&, const std::string&)>& test) const;
};
// A label filter's value, "KEY" or "KEY=VALUE", against labels (or options).
bool label_matches(const std::map<std::string, std::string>& labels, const std::string& spec);
// A dangling filter's value as a boolean.
bool filter_true(const std::string& value);

}  // namespace cabin::cmd
