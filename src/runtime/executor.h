// Starting a container from its plan: clone into new namespaces, assemble
// the root, pivot into it, drop privileges and exec. The child only applies
// the plan and reports the first failing {step, errno} over a CLOEXEC pipe;
// the parent turns that into a cabin::Error with the right exit code.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <array>
#include <vector>

#include "runtime/spec.h"
#include "security/seccomp.h"
#include "util/fd.h"

namespace cabin::runtime {

struct Started {
  pid_t pid = -1;        // the container's PID 1, a child of the caller
  UniqueFd pidfd;        // -1 when clone3 is unavailable
  UniqueFd pty_master;   // with spec.terminal
  std::vector<UniqueFd> taps;  // spec.taps, in order
};

// Clones the container and returns once its command has been executed.
// child_mask is the signal mask the container's process starts with (the
// caller blocks the signals it forwards before calling, see
// block_signals). Throws cabin::Error: exit code 127 when the command is not
// found, 126 when it cannot be executed, 125 otherwise; the child has been
// reaped then.
// stdio: the fds the container's 0, 1 and 2 become (-1: the caller's own).
// The container's PID 1 is killed when the caller exits (PR_SET_PDEATHSIG),
// so no container outlives whoever waits for it.
Started start_container(const ContainerSpec& spec, const security::SeccompFilter& filter,
                        const sigset_t& child_mask, std::array<int, 3> stdio = {-1, -1, -1});

// A further process in a running container (exec): the caller has joined
// the container's namespaces already (setns, so its root is the
// container's). spec gives the process only: args, env, cwd, user, caps,
// no_new_privileges, seccomp, terminal and stdin_open. It is not killed with
// the caller. Throws as start_container.
Started exec_in_container(const ContainerSpec& spec, const security::SeccompFilter& filter,
                          const sigset_t& child_mask, std::array<int, 3> stdio = {-1, -1, -1});

}  // namespace cabin::runtime
