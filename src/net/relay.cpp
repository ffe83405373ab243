#include "net/relay.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace cabin::net {
namespace {

std::string hex_name(const uint8_t* mac) {
  return fmt::format("{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}.sock", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

// Frames read or sent per wakeup, so that one busy peer cannot starve the
// rest of the waiter's loop.
constexpr int kBatch = 64;

}  // namespace

Relay::Relay(const Link& link) : name_(hex_name(link.mac)) {
  dir_.reset(::open(link.dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir_) throw_errno("open {}", link.dir);
  sock_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!sock_) throw_errno("socket");
  int size = 4 << 20;
  ::setsockopt(sock_.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  ::setsockopt(sock_.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  ::unlinkat(dir_.get(), name_.c_str(), 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/%s", dir_.get(), name_.c_str());
  if (::bind(sock_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw_errno("bind the relay socket of network {}", link.network);
}

Relay::~Relay() { ::unlinkat(dir_.get(), name_.c_str(), 0); }

void Relay::prepare(std::vector<pollfd>& fds, int*) {
  fds.push_back({tap_.get(), POLLIN, 0});
  fds.push_back({sock_.get(), POLLIN, 0});
}

void Relay::dispatch(const pollfd* fds, size_t n) {
  if (n < 2) return;
  if (fds[0].revents & POLLIN) from_tap();
  if (fds[1].revents & POLLIN) from_peers();
}

void Relay::send_to(const std::string& name, const uint8_t* frame, size_t len) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/%s", dir_.get(), name.c_str());
  // A full queue or a peer that is gone drops the frame, as a wire would.
  (void)::sendto(sock_.get(), frame, len, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&a), sizeof a);
}

void Relay::from_tap() {
  for (int i = 0; i < kBatch; ++i) {
    ssize_t n = ::read(tap_.get(), frame_, sizeof frame_);
    if (n < 14) return;
    const uint8_t* dst = frame_;
    if (!(dst[0] & 1)) {
      send_to(hex_name(dst), frame_, static_cast<size_t>(n));
      continue;
    }
    // Broadcast and multicast (ARP, neighbour discovery): every peer.
    int fd = ::openat(dir_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (!d) {
      if (fd >= 0) ::close(fd);
      continue;
    }
    while (dirent* e = ::readdir(d)) {
      std::string_view name(e->d_name);
      if (name.size() == name_.size() && name.ends_with(".sock") && name != name_)
        send_to(std::string(name), frame_, static_cast<size_t>(n));
    }
    ::closedir(d);
  }
}

void Relay::from_peers() {
  for (int i = 0; i < kBatch; ++i) {
    ssize_t n = ::recv(sock_.get(), frame_, sizeof frame_, MSG_DONTWAIT);
    if (n <= 0) return;
    if (::write(tap_.get(), frame_, static_cast<size_t>(n)) < 0 && errno != EAGAIN) return;
  }
}

}  // namespace cabin::net
