#include "util/fd.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace cabin {

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, -1);
      continue;
    }
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

namespace {

// One data byte and room for kMaxPassedFds fds: the messages send_fds makes.
struct FdMessage {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  msghdr msg{};
  FdMessage() {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

}  // namespace

int send_fds(int sock, const int* fds, size_t n) {
  if (n == 0 || n > kMaxPassedFds) return -EINVAL;
  FdMessage m;
  msghdr& msg = m.msg;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * n);
  std::memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  ssize_t r;
  do r = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

int recv_fds(int sock, int* out, size_t max, int flags) {
  FdMessage m;
  msghdr& msg = m.msg;
  ssize_t r;
  do r = ::recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return -1;
  size_t got = 0;
  bool overflow = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (got < max) {
        out[got++] = fd;
      } else {
        ::close(fd);
        overflow = true;
      }
    }
  }
  if (overflow) {
    for (size_t i = 0; i < got; ++i) ::close(out[i]);
    errno = EMSGSIZE;
    return -1;
  }
  if (got == 0) {
    // The peer closed (r == 0) or sent a message without fds.
    errno = r == 0 ? ECONNRESET : EBADMSG;
    return -1;
  }
  return static_cast<int>(got);
}

int recv_fd(int sock) {
  int fds[2];
  int n = recv_fds(sock, fds, 2);
  if (n == 1) return fds[0];
  if (n == 2) {
    ::close(fds[0]);
    ::close(fds[1]);
    errno = EBADMSG;
  }
  if (n < 0 && errno == EMSGSIZE) errno = EBADMSG;
  return -1;
}

}  // namespace cabin
