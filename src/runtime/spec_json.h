// A created container's start configuration, kept as JSON in its directory
// (start.json) so that `start`, `restart` and the monitor can start it again
// without the command line that created it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/config.h"
#include "rootless/idmap.h"
#include "runtime/health.h"
#include "runtime/spec.h"

namespace cabin::runtime {

// --restart no|on-failure[:N]|always|unless-stopped
struct RestartPolicy {
  std::string name = "no";  // "no", "on-failure", "always", "unless-stopped"
  int max_retries = 0;      // on-failure:N (0 = unlimited)
};
// Throws with Podman's message for a bad value.
RestartPolicy parse_restart_policy(const std::string& text);

// --secret NAME[,type=mount|env,target=…,uid=…,gid=…,mode=…]: which
// secret the container gets and how. Only the name is kept; the value is
// read from the secret store at each start and exec (engine/secrets.h).
struct SecretUse {
  std::string name;
  bool env = false;    // type=env: an environment variable named target
  std::string target;  // mount: the absolute path in the container; env: the variable
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0444;
};

struct StartConfig {
  ContainerSpec spec;
  std::vector<std::string> lower_dirs;     // image layers, top first (empty for --rootfs)
  std::optional<rootless::IdMapping> shift;  // the root presented id-shifted (keep-id, --uidmap)
  std::string seccomp_profile;             // "" = default, "unconfined", or JSON text
  std::string stop_signal = "SIGTERM";
  int stop_timeout = 10;                   // seconds before SIGKILL
  bool rm = false;                         // removed when it exits
  RestartPolicy restart;
  uint64_t log_max_size = 0;               // --log-opt max-size (0 = unlimited)
  bool sig_proxy = true;
  net::NetConfig net;
  // --ipc, --uts, --pid: "" (private), "host", "container:ID", "ns:PATH";
  // a pod member's name its pod's infra container.
  std::string ipc_mode, uts_mode, pid_mode;
  std::optional<HealthConfig> health;      // run by the container's waiter
  std::vector<SecretUse> secrets;          // --secret
  // --pidfile: where each start writes the process's pid ("": userdata/pidfile).
  std::string pidfile;
  std::string timezone;                    // --tz, for inspect (the file is a mount)
};

nlohmann::json to_json(const StartConfig& c);
// Throws cabin::Error for JSON that is not a start configuration.
StartConfig start_config_from_json(const nlohmann::json& j);

}  // namespace cabin::runtime
