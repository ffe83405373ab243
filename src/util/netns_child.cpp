#include "util/netns_child.h"

#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "util/error.h"

namespace cabin {

pid_t fork_in_netns(int pidfd, UniqueFd* ours, const std::function<int(int sock)>& fn) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
  UniqueFd mine(sv[0]), theirs(sv[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    mine.reset();
    if (::setns(pidfd, CLONE_NEWNET) != 0) {
      std::string text = fmt::format("join the container's network namespace: {}", std::strerror(errno));
      (void)!::write(theirs.get(), text.data(), text.size());
      ::_exit(1);
    }
    ::_exit(fn(theirs.get()));
  }
  *ours = std::move(mine);
  return pid;
}

}  // namespace cabin
