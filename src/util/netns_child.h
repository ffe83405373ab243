// A child process in another process's network namespace, for what must be
// made there (tap devices, sockets) while the caller stays in its own.
#pragma once

#include <sys/types.h>

#include <functional>

#include "util/fd.h"

namespace cabin {

// Forks a child that joins the network namespace of the process pidfd
// refers to and exits with fn(sock), sock being its end of a SOCK_SEQPACKET
// pair (fds go back over it with send_fd); when it cannot join, it sends
// the reason as text and exits 1. Our
// end is put in *ours; returns the child's pid. Throws Error when the pair or
// the fork cannot be made.
pid_t fork_in_netns(int pidfd, UniqueFd* ours, const std::function<int(int sock)>& fn);

}  // namespace cabin
