// From what the user asked (`cabin run` flags) and the image's config to a
// ContainerSpec: Docker's rules for ENTRYPOINT/CMD, Env, WorkingDir and
// User; Podman's security defaults; mounts parsed and checked. Pure data in,
// data out (apart from reading the image's /etc/passwd and /etc/group), so it
// is unit-tested without privileges.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/config.h"
#include "runtime/spec.h"

namespace cabin::runtime {

// The run/create flags that shape the container (cmd/run.cpp binds them).
struct RunOptions {
  std::vector<std::string> command;               // after the image
  std::optional<std::string> entrypoint;          // --entrypoint ("" clears; a JSON array allowed)
  std::vector<std::string> env, env_files;        // -e, --env-file
  bool env_host = false;                          // --env-host
  // --env-merge NAME=VALUE: VALUE's $VAR/${VAR} expanded against the
  // environment below -e (the image's, containers.conf's, --env-host's);
  // -e and --env-file still win, as in Podman 4.
  std::vector<std::string> env_merge;
  // --unsetenv NAME, --unsetenv-all: dropped from the defaults (cabin's
  // PATH, TERM and container, containers.conf's, --env-host's, the image's)
  // before --env-merge, --env-file and -e apply, as in Podman.
  std::vector<std::string> unsetenv;
  bool unsetenv_all = false;
  std::string umask;                              // --umask: octal ("" = 0022)
  std::string tz;                                 // --tz: a zone or "local" ("" = the image's)
  std::string shm_size;                           // --shm-size ("" = 64m)
  std::vector<std::string> sysctls;               // --sysctl KEY=VALUE (namespaced keys only)
  std::vector<std::string> expose;                // --expose PORT[-PORT][/PROTO]: more for -P
  int preserve_fds = 0;                           // run --preserve-fds N
  std::string workdir;                            // -w
  std::string user;                               // -u
  std::string hostname;
  std::vector<std::string> networks;              // --network (several: networks by name)
  std::vector<std::string> network_aliases;       // --network-alias
  std::string ip, mac;                            // --ip, --mac-address
  std::vector<std::string> publish;               // -p
  bool publish_all = false;                       // -P
  bool tty = false, interactive = false;
  bool read_only = false, read_only_tmpfs = true;
  bool privileged = false, init = false;
  std::vector<std::string> volumes, mounts, tmpfs;  // -v, --mount, --tmpfs
  std::vector<std::string> volumes_from;            // --volumes-from CTR[:ro|rw]
  std::vector<MountSpec> inherited_mounts;          // what --volumes-from found (engine)
  std::vector<std::string> cap_add, cap_drop;
  // --device HOST[:CTR][:PERMS] (CDI names were resolved by the engine into
  // paths, mounts and env before the plan is made); --group-add GROUP|keep-groups.
  std::vector<std::string> devices, group_add;
  std::vector<std::string> security_opts;
  std::vector<std::string> ulimits;
  std::vector<std::string> add_hosts;             // --add-host
  std::vector<std::string> dns, dns_search, dns_options;
  std::string userns;                             // "", "host", "keep-id[:uid=N,gid=N]"
  // From containers.conf: the capabilities before --cap-add/--cap-drop
  // (nullopt: Podman's 11), and environment below the image's ("NAME" alone
  // takes the host's value).
  std::optional<std::vector<std::string>> default_caps;
  std::vector<std::string> config_env;
};

// The user running cabin, as the host knows them (for keep-id).
struct HostUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name, home;
};

// --userns=keep-id[:uid=N,gid=N]: the container ids the user appears as.
struct KeepId {
  uid_t uid = 0;
  gid_t gid = 0;
};
// nullopt for "" and "host"; throws for other values.
std::optional<KeepId> parse_keep_id(const std::string& userns, const HostUser& host);

// Podman's keep-id mapping for a user who is `uid` in the container, when
// cabin's namespace has `ns_ids` ids (0 = the user, 1.. = subordinate ids):
// container 0..uid-1 -> 1..uid, container uid -> 0, the rest 1:1 above.
// With a single id only the user's own is mapped. Ranges are container id
// -> id in cabin's namespace.
std::vector<rootless::IdRange> keep_id_ranges(uint32_t uid, uint64_t ns_ids);

// --uidmap/--gidmap CONTAINER:FROM:AMOUNT entries (kind "UID" or "GID" for
// messages), FROM being an id in cabin's namespace (0 = the user, 1.. =
// subordinate ids), as rootless Podman reads them. Throws when an entry is
// malformed, reaches past the `ns_ids` ids cabin's namespace has, or
// overlaps another on either side (the kernel refuses those maps).
std::vector<rootless::IdRange> parse_id_maps(const std::vector<std::string>& entries, const char* kind,
                                             uint64_t ns_ids);

// The image's Config section (ENTRYPOINT, CMD, Env, WorkingDir, User).
struct ImageDefaults {
  std::vector<std::string> entrypoint, cmd, env;
  std::string workdir, user, stop_signal;
  std::vector<net::PortMapping> exposed;  // ExposedPorts
  std::vector<std::string> volumes;       // Volumes: anonymous volumes, unless a mount covers them
  nlohmann::json healthcheck;             // Healthcheck (null when none)
  static ImageDefaults from_config(const nlohmann::json& config);
};

// Where the container's files are, decided by the caller.
struct Layout {
  std::vector<std::string> lower_dirs;  // image layers, top first (empty with --rootfs)
  std::string rootfs_dir;               // --rootfs DIR
  std::string upper_dir, work_dir, merged_dir;
  std::string userdata_dir;             // hosts, hostname, resolv.conf are written here
};

struct Plan {
  ContainerSpec spec;
  net::NetConfig net;           // ports without a host port get one at create
  std::string seccomp_profile;  // "" = default, "unconfined", or JSON text
  std::string stop_signal;
};

// Docker's rule: --entrypoint replaces ENTRYPOINT and clears CMD; arguments
// after the image replace CMD. Throws when nothing is left to run.
std::vector<std::string> resolve_command(const ImageDefaults& image, const RunOptions& o);

// KEY=VALUE lines of an --env-file (comments and blank lines skipped; KEY
// alone takes the host's value, dropped when unset).
std::vector<std::string> parse_env_file(const std::string& path);
// Sets KEY=VALUE in env, replacing an earlier KEY.
void set_env(std::vector<std::string>& env, const std::string& kv);
// --env-file files, then -e values (KEY=VALUE, or KEY for the host's value,
// dropped when unset), over env.
void add_env(std::vector<std::string>& env, const std::vector<std::string>& files,
             const std::vector<std::string>& values);

// -v HOST:CTR[:OPTS], -v NAME:CTR[:OPTS] (a named volume), -v CTR (an
// anonymous one), --mount type=bind|volume|tmpfs,… and --tmpfs PATH[:OPTS].
MountSpec parse_volume(const std::string& text);
MountSpec parse_mount(const std::string& text);
MountSpec parse_tmpfs(const std::string& text);
// --umask (and containers.conf's umask): one to four octal digits, as
// Podman's ^[0-7]{1,4}$; nullopt for anything else.
std::optional<mode_t> parse_umask(std::string_view text);
// --ulimit NAME=SOFT[:HARD].
Rlimit parse_ulimit(const std::string& text);
// --sysctl KEY=VALUE: a key the container's own network or IPC namespace
// holds (Podman's rule); refused in the host's network or IPC namespace.
std::pair<std::string, std::string> parse_sysctl(const std::string& text, bool host_network, bool host_ipc);
// --tz ZONE (under /usr/share/zoneinfo) or local (the host's
// /etc/localtime): the file's contents, for the container's /etc/localtime.
std::string timezone_file(const std::string& tz);

// Resolves -u / USER ("name", "uid", "name:group", "uid:gid") against the
// image's /etc/passwd and /etc/group (their text; empty when absent), with
// supplementary groups from /etc/group; home gets the user's home directory.
UserSpec resolve_user(const std::string& spec, const std::string& passwd, const std::string& group,
                      std::string* home);
// --group-add: names (looked up in the image's /etc/group) or numbers added
// to u's supplementary groups, or keep-groups (alone).
void add_groups(UserSpec& u, const std::vector<std::string>& groups, const std::string& group_file);

// Reads a file of the image as the container will see it: from the top
// layer down, stopping at a whiteout. nullopt when absent.
std::optional<std::string> read_image_file(const Layout& layout, const std::string& path);

// The whole plan. hostname/name are the container's (the short id unless
// --hostname); writes the /etc files into layout.userdata_dir.
Plan make_plan(const RunOptions& o, const ImageDefaults& image, const Layout& layout,
               const std::string& hostname, const std::string& name, const HostUser& host = {});

}  // namespace cabin::runtime
