// Secrets as containers use them (storage/secrets.h): named by --secret at
// create, checked to exist and recorded by name; their values read from the
// store only when the container starts or execs, so that no record,
// start.json, inspect, log or event ever holds one.
//
// A mount-type secret is copied, owned and moded as asked, into a private
// directory of the runroot, bind-mounted read-only at its target by the
// container child, and the copy unlinked as soon as the container runs (the
// mount keeps the file): the value is then nowhere on disk but in the
// secret's own file. An env-type secret goes into the process's environment
// (the container's and exec's, healthchecks included).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "config/paths.h"
#include "runtime/spec.h"
#include "runtime/spec_json.h"
#include "storage/containers.h"

namespace cabin::engine {

// --secret NAME[,type=mount|env][,target=PATH|VAR][,uid=N][,gid=N][,mode=OCTAL]
// as Podman takes it; a relative mount target goes under /run/secrets.
// Throws for a malformed value. Does not look the secret up.
runtime::SecretUse parse_secret_flag(const std::string& value);

// Checks that every secret exists (Podman's "no such secret"), with two uses
// of one target refused; returns their names for the record's config
// ("secrets"), null for none. Call under the secret store's lock.
nlohmann::json check_secrets(const config::StorePaths& paths, const std::vector<runtime::SecretUse>& uses);

// The names of the secrets the record's container uses.
std::vector<std::string> secrets_of(const storage::ContainerRecord& rec);
// The containers that use the secret (by its name).
std::vector<storage::ContainerRecord> secret_users(const storage::ContainerStore& containers, const std::string& name);

// Paths (without the leading slash, as in a tar) that are secrets' mount
// points: /run/secrets and every mount target. commit and export leave them
// out.
std::set<std::string> secret_paths(const runtime::StartConfig& cfg);

// One start's secrets: spec() is the start spec with their mounts and
// variables added (to be given to the container child, never saved); the
// copies for mounts are removed when this goes, which may be as soon as
// the container runs.
class SecretFiles {
 public:
  SecretFiles(const config::StorePaths& paths, const std::string& id, const runtime::StartConfig& cfg);
  SecretFiles(const SecretFiles&) = delete;
  SecretFiles& operator=(const SecretFiles&) = delete;
  ~SecretFiles();
  const runtime::ContainerSpec& spec() const { return spec_; }

 private:
  std::string dir_;
  runtime::ContainerSpec spec_;
};

// The variables of the container's env-type secrets ("VAR=value"), for exec
// and healthchecks.
std::vector<std::string> secret_env(const config::StorePaths& paths, const runtime::StartConfig& cfg);

}  // namespace cabin::engine
