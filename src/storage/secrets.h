// Secrets (podman-secret(1)): values kept out of images and container
// records, given to containers at start (a file mounted read-only, or an
// environment variable) by name.
//
// Layout under graphroot/secrets (0700, the user's only):
//   secrets.json     the records: ID, name, driver, labels, times — never
//                    a value
//   filedriver/ID    the value of the secret with that ID (0600): the only
//                    place it is written (the file driver's store)
//   .lock            held while secrets are created, replaced or removed,
//                    and while a container that names them is created (so
//                    that `secret rm` sees either no secret or its user)
//
// Which containers use a secret is in their records (config "secrets").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/paths.h"
#include "util/fs.h"

namespace cabin::storage {

struct Secret {
  std::string id;    // 25 hex digits, as Podman's
  std::string name;
  std::string driver = "file";
  std::map<std::string, std::string> driver_options, labels;
  std::string created, updated;  // RFC 3339 with nanoseconds
};

// Podman's limit on a secret's size, in bytes (exclusive).
inline constexpr size_t kMaxSecretSize = 512000;

class SecretStore {
 public:
  explicit SecretStore(const config::StorePaths& paths);

  // Sorted by name.
  std::vector<Secret> list() const;
  // By name, full ID or unique ID prefix.
  std::optional<Secret> find(const std::string& name_or_id) const;
  // find, or Podman's "no secret with name or id" error.
  Secret get(const std::string& name_or_id) const;
  // Stores a new secret (its ID and times are set here) with its value;
  // replace: a secret of that name is overwritten, keeping its ID and
  // creation time. Checks the name, driver, options and size (Podman's
  // messages). Call under lock().
  Secret create(Secret s, const std::string& value, bool replace);
  // Removes the record and the value. Call under lock().
  void remove(const Secret& s);
  // The secret's value (read when a container starts or execs).
  std::string value(const Secret& s) const;

  // graphroot/secrets/filedriver: the file driver's "path" option.
  std::string data_dir() const;
  fs::FileLock lock() const;

 private:
  std::vector<Secret> read() const;
  void write(const std::vector<Secret>& all) const;
  std::string dir_;
};

// Podman's rule for a secret's name: up to 64 characters of
// [a-zA-Z0-9-_.], starting and ending with a letter or digit.
bool valid_secret_name(const std::string& name);
// Throws Podman's message for a name that is not.
void check_secret_name(const std::string& name);

// Podman's inspect object: metadata only; with data, also SecretData.
nlohmann::ordered_json inspect_json(const Secret& s, const std::optional<std::string>& data = std::nullopt);

}  // namespace cabin::storage
