// Creating a container: what `podman create` and the first half of
// `podman run` do. The image is found or pulled, the container gets its
// record, directory, generated /etc files and start.json; nothing runs yet.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/containers_conf.h"
#include "config/paths.h"
#include "runtime/plan.h"
#include "runtime/spec_json.h"
#include "storage/containers.h"
#include "storage/store.h"
#include "util/fs.h"

namespace cabin::engine {

// The flags create and run share (podman-create(1)).
struct CreateOptions {
  runtime::RunOptions run;
  bool rm = false, quiet = false, rootfs = false;
  bool replace = false;  // --replace: a container of the same name gives way to this one
  std::string pidfile;   // --pidfile ("": userdata/pidfile)
  std::optional<bool> sig_proxy, tls_verify;
  std::string name, pull = "missing", platform, userns, cidfile;
  std::string restart, stop_signal;
  // --ipc, --uts, --pid: "", private, host, container:NAME, ns:PATH (and
  // shareable for --ipc); --pod NAME or new:NAME (the pod made first).
  std::string ipc, uts, pid, pod;
  std::optional<int> stop_timeout;
  std::vector<std::string> uidmap, gidmap, labels, annotations, log_opts;
  std::string memory, memory_swap, cpus, cpu_shares, pids_limit;
  runtime::HealthFlags health;
  std::vector<std::string> secrets;  // --secret (engine/secrets.h)
};

// containers.conf's defaults for what the command line did not set;
// given("--flag") says whether the user gave that flag. Lists the file
// extends (--ulimit, --annotation) go first, so the flags' entries win.
// pids_limit is not applied: it needs a cgroup, which cabin does not set up
// (Podman skips it too where it has none).
void apply_containers_conf(const config::ContainersConf& c, CreateOptions& o,
                           const std::function<bool(std::string_view)>& given);

struct Created {
  storage::ContainerRecord record;
  runtime::StartConfig config;
  fs::FileLock image_ref;  // keeps image GC away from its layers while held
};

// Validates everything it can before it creates anything, then creates the
// container. image is the image reference (or the directory with --rootfs),
// command what follows it. Throws with nothing left behind.
Created create_container(storage::Store& store, const config::StorePaths& paths, CreateOptions& o,
                         const std::string& image, const std::vector<std::string>& command);

// The start configuration kept with a container.
runtime::StartConfig load_start_config(const storage::ContainerStore& containers, const std::string& id);
// Where each start writes the process's pid: --pidfile's path, else the
// container's userdata/pidfile (inspect's PidFile either way).
std::string pidfile_path(const storage::ContainerStore& containers, const std::string& id,
                         const runtime::StartConfig& cfg);
void save_start_config(const storage::ContainerStore& containers, const std::string& id,
                       const runtime::StartConfig& cfg);

}  // namespace cabin::engine
