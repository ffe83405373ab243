// The compose project model: what load_project (load.h) makes of one or
// more compose files once they are interpolated, merged, normalised and
// validated. Plain values, every form of the file reduced to one: ports and
// volumes in their long form, environment and labels as maps, relative paths
// made absolute, durations as std::chrono values. Maps keyed by name are
// std::map, so iteration is in name order, the order `compose config` prints.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cabin::compose {

using Duration = std::chrono::nanoseconds;
using StringMap = std::map<std::string, std::string>;
// environment and build.args: a key without a value ("KEY" or "KEY:") that
// the environment does not define either stays unset (nullopt).
using OptionalStringMap = std::map<std::string, std::optional<std::string>>;

struct Build {
  std::string context;     // absolute, or a URL (git repository) as written
  std::string dockerfile;  // as written; empty: the builder's default
  std::string target;
  OptionalStringMap args;
  StringMap labels;
};

struct Port {
  uint16_t target = 0;
  std::string published;  // "8080", a range "8000-8001", or "" (any free port)
  std::string host_ip;
  std::string protocol = "tcp";
  std::string mode = "ingress";
  std::string name;
  std::string app_protocol;
  bool operator==(const Port&) const = default;
};

// Mount's options, declared outside it: clang (CWG 2335) does not count a
// nested struct with default member initializers as default-constructible
// while the enclosing struct is incomplete, so optional<…>::emplace() failed.
struct MountBindOptions {
  std::string propagation;
  std::optional<bool> create_host_path;  // short syntax binds: true
  std::string selinux;                   // "z" or "Z"
};
struct MountVolumeOptions {
  bool nocopy = false;
  std::string subpath;
};
struct MountTmpfsOptions {
  std::optional<int64_t> size;  // bytes
  std::optional<uint32_t> mode;
};

struct Mount {
  std::string type;    // "volume", "bind", "tmpfs", "npipe" or "cluster"
  std::string source;  // volume name (the service-level name, as declared),
                       // absolute host path for a bind, "" for anonymous
  std::string target;
  bool read_only = false;
  std::string consistency;
  using BindOptions = MountBindOptions;
  using VolumeOptions = MountVolumeOptions;
  using TmpfsOptions = MountTmpfsOptions;
  std::optional<BindOptions> bind;
  std::optional<VolumeOptions> volume;
  std::optional<TmpfsOptions> tmpfs;
};

struct ServiceNetwork {
  std::vector<std::string> aliases;
  std::string ipv4_address;
  std::string ipv6_address;
  std::optional<int64_t> priority;
};

struct Dependency {
  std::string condition = "service_started";  // or service_healthy, service_completed_successfully
  bool restart = false;
  bool required = true;
};

struct Healthcheck {
  // Docker's form: {"CMD", args...}, {"CMD-SHELL", "command"} or {"NONE"};
  // empty: inherit the image's test (only the timings are overridden).
  std::vector<std::string> test;
  std::optional<Duration> interval, timeout, start_period, start_interval;
  std::optional<uint64_t> retries;
  bool disable = false;  // also set for test ["NONE"]
};

struct Ulimit {
  std::optional<int64_t> single;  // "nofile: 1024"; else soft and hard
  int64_t soft = 0;
  int64_t hard = 0;
};

// A service's secret or config: source is the top-level name.
struct FileRef {
  std::string source;
  std::string target;  // as written; empty: /run/secrets/<source> (secrets), /<source> (configs)
  std::string uid, gid;
  std::optional<uint32_t> mode;
};

struct EnvFile {
  std::string path;  // absolute
  bool required = true;
};

struct Service {
  std::string name;
  std::string image;
  std::optional<Build> build;
  std::optional<std::vector<std::string>> command;     // unset differs from []
  std::optional<std::vector<std::string>> entrypoint;  // (the image's vs none)
  OptionalStringMap environment;  // env_file contents merged under it
  std::vector<EnvFile> env_files;
  std::vector<Port> ports;
  std::vector<std::string> expose;
  std::vector<Mount> volumes;
  std::vector<std::string> tmpfs;
  // Service networks; {"default"} when none is given and no network_mode.
  std::map<std::string, std::optional<ServiceNetwork>> networks;
  std::string network_mode;
  std::map<std::string, Dependency> depends_on;
  std::optional<Healthcheck> healthcheck;
  std::string restart;
  std::string user;
  std::string working_dir;
  std::string hostname;
  std::string domainname;
  StringMap labels;
  std::string container_name;
  int replicas = 1;  // deploy.replicas or scale
  std::optional<bool> init;
  bool tty = false;
  bool stdin_open = false;
  bool privileged = false;
  bool read_only = false;
  std::string stop_signal;
  std::optional<Duration> stop_grace_period;
  std::vector<std::string> cap_add, cap_drop;
  std::vector<std::string> security_opt;
  std::map<std::string, Ulimit> ulimits;
  std::vector<std::pair<std::string, std::string>> extra_hosts;  // host, address
  std::vector<std::string> dns, dns_search, dns_opt;
  std::vector<FileRef> secrets, configs;
  std::string pull_policy;
  std::vector<std::string> profiles;
  std::string platform;
  std::string ipc, pid;
  std::string shm_size;
  std::vector<std::string> devices;
  std::vector<std::string> group_add;
  StringMap sysctls;
  // Where the service is defined ("compose.yml:12"), for messages.
  std::string origin;
};

struct Volume {
  std::string name;  // the engine's name: PROJECT_KEY unless name: or external
  std::string driver;
  StringMap driver_opts;
  bool external = false;
  StringMap labels;
};

struct IpamConfig {
  std::string subnet, gateway, ip_range;
};

struct Network {
  std::string name;  // PROJECT_KEY unless name: or external
  std::string driver;
  StringMap driver_opts;
  bool external = false;
  bool internal = false;
  bool attachable = false;
  std::optional<bool> enable_ipv6;
  StringMap labels;
  std::string ipam_driver;
  std::vector<IpamConfig> ipam_config;
};

// A top-level secret or config.
struct FileObject {
  std::string name;
  std::string file;         // absolute
  std::string environment;  // the variable holding the content
  std::string content;      // configs only
  bool external = false;
};

struct Project {
  std::string name;
  std::string working_dir;  // the absolute project directory
  std::vector<std::string> config_files;  // absolute, in merge order
  std::map<std::string, Service> services;  // enabled by the active profiles
  // Services whose profiles are not active (`config --profiles` and the
  // like may want them; nothing else looks at them).
  std::map<std::string, Service> disabled_services;
  std::vector<std::string> profiles;  // the active ones, sorted
  std::map<std::string, Network> networks;
  std::map<std::string, Volume> volumes;
  std::map<std::string, FileObject> secrets;
  std::map<std::string, FileObject> configs;
  // The interpolation environment: .env (or --env-file) under the process's.
  StringMap environment;
};

}  // namespace cabin::compose
