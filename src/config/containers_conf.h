// containers.conf (containers.conf(5)): the defaults Podman users already
// keep for their containers, read from the same files, merged key by key.
// Command-line flags override what it says (cmd/create_flags.cpp applies it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cabin::config {

// One place the configuration may come from, in increasing precedence.
struct ContainersConfSource {
  std::string path;
  bool dropin_dir = false;  // read the *.conf files in it, sorted by name
  bool required = false;    // named by the environment: a missing file is an error
};

// The keys cabin honours; a key no file set is nullopt. Keys cabin has no use
// for (SELinux labels, runtimes, machine, secrets drivers…) are read past.
struct ContainersConf {
  // [containers]
  std::optional<std::vector<std::string>> default_capabilities;  // validated names
  std::optional<std::vector<std::string>> default_ulimits;       // "nofile=1024:2048"
  std::optional<std::vector<std::string>> env;                   // below the image's Env
  std::optional<bool> env_host;
  std::optional<std::vector<std::string>> dns_servers, dns_searches, dns_options;
  std::optional<std::vector<std::string>> annotations;           // KEY=VALUE
  std::optional<bool> init, read_only;
  std::optional<std::string> userns;                             // "", "host" or "keep-id[:…]" (others dropped)
  std::optional<std::string> log_driver;                         // "k8s-file" (the only one cabin has)
  std::optional<uint64_t> log_size_max;                          // 0: no limit
  std::optional<int64_t> pids_limit;                             // read; needs cgroups cabin does not set up
  std::optional<std::string> umask, tz, shm_size;                // defaults of --umask, --tz, --shm-size
  // [engine]
  std::optional<std::string> pull_policy;                        // always, missing, never, newer
  std::optional<std::vector<std::string>> cdi_spec_dirs;         // where CDI device specs are read

  std::vector<std::string> files_read;  // in the order they were merged

  // Where load() reads, as containers-config(5) orders them (later wins):
  // CONTAINERS_CONF alone when set, else /usr/share/containers then
  // /etc/containers (containers.conf, containers.conf.d/, and the
  // containers.rootless.conf.d/[UID/] or containers.rootful.conf.d/ dirs),
  // /etc/cabin/containers.conf, $XDG_CONFIG_HOME/containers/containers.conf
  // and its containers.conf.d/, $XDG_CONFIG_HOME/cabin/containers.conf; then
  // CONTAINERS_CONF_OVERRIDE when set. uid is the user on the host.
  static std::vector<ContainersConfSource> sources(unsigned uid);
  static ContainersConf load(const std::vector<ContainersConfSource>& sources);

  // Parses one file's text and merges it into *this: each key a file sets
  // replaces the value before it. Throws cabin::Error
  // "containers.conf ORIGIN: [table] key: …" for a syntax error, a wrong type
  // or a value cabin would fail on later. Unknown keys are not errors.
  void merge_text(std::string_view toml, std::string_view origin);

 private:
  void merge_keys(std::string_view toml, std::string_view origin);
};

// The configuration of this process, read on first use (only the commands
// that make containers or pull for them ask).
const ContainersConf& containers_conf();

}  // namespace cabin::config
