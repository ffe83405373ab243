// Starting, watching and stopping containers, with no daemon: whoever
// starts a container waits for it — the foreground `cabin run` itself, or
// a monitor (cabin re-executed as `cabin __monitor ID`, in the starter's
// user and mount namespaces) for a detached one. The container's PID 1 dies
// with its waiter (PR_SET_PDEATHSIG), and the waiter leaves a marker in
// runroot/containers/ID while alive, so any later command can tell a
// container that is really running from one whose monitor was killed or
// whose runtime directory was wiped by a reboot.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/paths.h"
#include "net/config.h"
#include "runtime/attach.h"
#include "runtime/spec_json.h"
#include "storage/containers.h"
#include "storage/rootfs.h"
#include "util/fd.h"

namespace cabin::engine {

// The container's state, repaired first: recorded as running while nobody
// waits for it any more, it is marked exited (its processes killed).
storage::ContainerState current_state(storage::ContainerStore& containers, const config::StorePaths& paths,
                                      const std::string& id);
// The same for a state already read under containers.lock(id).
storage::ContainerState repair_locked(storage::ContainerStore& containers, const config::StorePaths& paths,
                                      const std::string& id, storage::ContainerState st);

// Runs the created container in the foreground, this process its waiter:
// returns its exit code. interactive relays stdin (-i). A --rm container is
// removed afterwards.
int run_foreground(storage::ContainerStore& containers, const config::StorePaths& paths,
                   const storage::ContainerRecord& rec, const runtime::StartConfig& cfg, bool interactive);

// Starts the container under a monitor of its own and returns once its
// command runs (throws why not, with the exit codes of run). A running
// container is left as it is. attach_fd: a connected attach socket
// (socketpair) the monitor serves from the start, as `start -a` needs; -1
// for none. Call in cabin's user namespace.
void start_detached(storage::ContainerStore& containers, const config::StorePaths& paths,
                    const storage::ContainerRecord& rec, int attach_fd = -1);

// The monitor's body (`cabin __monitor ID`): report_fd gets "ok" once the
// container runs, or the error; attach_fd is start_detached's, or -1.
// Returns the monitor's exit code.
// network connect/disconnect (podman-network-connect(1)): kept in the
// container's start configuration, and done at once by its monitor when it
// runs. Throws Error with Podman's messages.
void connect_network(storage::ContainerStore& containers, const config::StorePaths& paths,
                     const storage::ContainerRecord& rec, const net::Attachment& a);
void disconnect_network(storage::ContainerStore& containers, const config::StorePaths& paths,
                        const storage::ContainerRecord& rec, const std::string& network);

int monitor_main(const config::StorePaths& paths, const std::string& id, int report_fd, int attach_fd);

// Sends sig to the container's PID 1, recording that the user stopped it
// (no restart). Returns false when it is not running.
bool signal_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                      const std::string& id, int sig);

// podman pause/unpause (pause false). Throws Podman's error for a container
// that is not running (or paused), and why cabin cannot: a freezer needs a
// cgroup of the container's own.
void freeze_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                      const storage::ContainerRecord& rec, bool pause);

// podman stop: the stop signal, then SIGKILL after timeout; returns once
// its waiter has recorded the exit.
void stop_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                    const std::string& id, int stop_signal, std::chrono::seconds timeout);

// For the commands whose --force removes the containers that use what they
// remove (network rm, volume rm, rmi): the container stopped if it runs
// (its stop signal, SIGKILL after timeout or its own stop timeout), then
// removed, with its event. Call in cabin's user namespace.
void force_remove_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                            const storage::ContainerRecord& rec, std::optional<std::chrono::seconds> timeout);

// Waits until the container is not running; true unless timeout passed.
bool wait_stopped(storage::ContainerStore& containers, const config::StorePaths& paths, const std::string& id,
                  std::optional<std::chrono::milliseconds> timeout);

// podman exec: a further process in the running container.
struct ExecOptions {
  std::vector<std::string> command, env, env_files;
  std::string user, workdir;
  std::string detach_keys;  // parsed (runtime::parse_detach_keys)
  bool interactive = false, tty = false, detach = false, privileged = false;
  std::function<void(pid_t)> started;  // told the process's pid once it runs
};
// Joins the container's namespaces (this process: call it last) and runs
// the command there with the container's seccomp profile and capabilities;
// returns its exit code (0 at once with detach).
int exec_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                   const storage::ContainerRecord& rec, const ExecOptions& o);

// podman attach / start -a.
struct AttachOptions {
  bool stdin = true;                 // relay our stdin when the container has one (-i)
  std::string detach_keys{runtime::kDefaultDetachKeys};
  bool sig_proxy = true;
};
// Attaches to a running container's monitor until the container ends or
// the detach keys are typed; the exit code comes from the state when the
// monitor could not say it.
runtime::AttachResult attach_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                                       const storage::ContainerRecord& rec, const AttachOptions& o);
// Starts a container with the caller attached from its first output on.
runtime::AttachResult start_attached(storage::ContainerStore& containers, const config::StorePaths& paths,
                                     const storage::ContainerRecord& rec, const AttachOptions& o);

// Records a container event (create, start, died, stop, kill, remove, …)
// with its labels; exit_code for died.
void container_event(const config::StorePaths& paths, const storage::ContainerRecord& rec, const std::string& status,
                     std::optional<int> exit_code = std::nullopt, const std::string& health_status = "");

// The container's PID 1 as a pidfd (its pid in *pid), while it runs; else
// an empty fd.
UniqueFd running_pidfd(storage::ContainerStore& containers, const config::StorePaths& paths, const std::string& id,
                       pid_t* pid = nullptr);
// The namespaces of pid that are not ours already, as CLONE_NEW* flags (for
// setns with its pidfd). Throws Error.
int foreign_namespaces(pid_t pid);

// Mounts the container's root at its merged/ (nothing for --rootfs: the
// user's directory is used as it is). Call in cabin's user namespace.
storage::MountedRootfs mount_container_root(const config::StorePaths& paths, const storage::ContainerStore& containers,
                                            const storage::ContainerRecord& rec, const runtime::StartConfig& cfg);

// The marker a container's waiter keeps while alive.
std::string waiter_marker(const config::StorePaths& paths, const std::string& id);

}  // namespace cabin::engine
