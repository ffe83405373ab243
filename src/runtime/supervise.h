// cabin's side of a foreground container: relaying a pty, forwarding
// signals, waiting for the container's PID 1; and `--init`, where cabin
// itself is the container's PID 1.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "util/poll_source.h"

namespace cabin::runtime {

struct SuperviseOptions {
  pid_t pid = -1;         // the container's PID 1 (a child of the caller)
  int pidfd = -1;         // pidfd_open(pid) or clone3's pidfd; -1 to use waitpid only
  int pty_master = -1;    // -1 without -t: the container then uses cabin's stdio directly
  bool stdin_open = false;  // -i: relay cabin's stdin to the pty
  // Without -t: the read ends of the container's stdout and stderr pipes,
  // relayed to cabin's own (-1: the container writes to cabin's directly).
  int out_fd = -1, err_fd = -1;
  // Sees every piece of output as it is relayed (stream 1 or 2; a pty's is 1).
  std::function<void(int, std::string_view)> tee;
  // With a pty and stdin_open: typing these (parsed detach keys) ends
  // supervise at once, the container left running, *detached set.
  std::string detach_keys;
  bool* detached = nullptr;
  PollSource* extra = nullptr;  // the container's network, served until PID 1 exits
  bool sig_proxy = true;    // forward catchable signals (not SIGCHLD, SIGPIPE, SIGURG,
                            // SIGWINCH) to pid, as podman run --sig-proxy does
};

// Runs until the container's PID 1 exits and its output is drained; returns
// its wait status. With a pty: stdin (when stdin_open) goes to the master, the
// master's output to stdout, cabin's terminal is in raw mode meanwhile (when
// stdin is a terminal and stdin_open), SIGWINCH copies the window size.
// The caller blocks the forwarded signals before fork (see block_signals) so
// none is lost between fork and supervise. The exit is seen through pidfd or,
// without one, SIGCHLD: pid must have SIGCHLD as exit signal then. Signals
// still pending when PID 1 has exited are consumed (they were meant for it);
// keep them blocked until cleanup is done. A closed stdout does not stop the
// container: its pty output is then read and dropped. Throws Error when
// signalfd, poll or waitpid fail.
int supervise(const SuperviseOptions& o);

// Blocks the signals supervise handles (every one that can be blocked) in
// the calling thread, returning the previous mask through old; the container
// child restores it before exec. Call it before any other thread exists, or
// a signal may go to a thread that does not block it. Throws Error.
void block_signals(sigset_t* old);

// --init: the calling process is PID 1 of the container's pid namespace and
// child its only direct child (already forked, about to exec the command).
// Forwards every catchable signal to child, reaps every process that exits
// (orphans are re-parented to PID 1), and when child exits returns the exit
// code PID 1 should end with: the child's code, or 128+N when it died of
// signal N. Uses only syscalls the default seccomp profile allows
// (rt_sigprocmask, rt_sigaction, rt_sigtimedwait, wait4, kill); no allocation.
// With -t, the child should make itself a process group and the terminal's
// foreground group (setpgid(0, 0), tcsetpgrp with SIGTTOU ignored, as tini
// does) so that ^C reaches it once, not also through PID 1's forwarding.
int init_loop(pid_t child);

// The exit code Docker and Podman report for a wait status: the exit code,
// or 128+N for death by signal N.
int exit_code_of(int wait_status);

}  // namespace cabin::runtime
