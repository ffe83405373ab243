#include "net/forwarder.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

#include "util/error.h"
#include "util/log.h"
#include "util/netns_child.h"

namespace cabin::net {
namespace {

constexpr size_t kPipeSize = 1 << 20;  // what one splice may carry
constexpr size_t kMaxConns = 1024;
constexpr size_t kMaxPeers = 1024;
constexpr int64_t kPeerIdleMs = 60000;  // a UDP client's socket is dropped after a minute of silence
constexpr int kBatch = 64;              // datagrams moved per turn and socket

bool same_address(const sockaddr_storage& a, socklen_t alen, const sockaddr_storage& b, socklen_t blen) {
  return alen == blen && std::memcmp(&a, &b, alen) == 0;
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

Forwarder::Forwarder(const std::vector<PortMapping>& ports, in_addr_t guest) : guest_(guest) {
  for (const auto& p : ports) {
    bool udp = p.protocol == "udp";
    sockaddr_storage ss;
    socklen_t len = host_sockaddr(p, &ss);
    UniqueFd s(::socket(ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("socket");
    int one = 1;
    if (!udp) ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6) ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 || (!udp && ::listen(s.get(), 128) != 0))
      publish_failed(p, errno);
    listeners_.push_back({std::move(s), p.container_port, udp});
  }
}

Forwarder::~Forwarder() { stop_helper(); }

void Forwarder::stop_helper() {
  helper_sock_.reset();  // it exits when its socket closes
  if (helper_ > 0) {
    int status;
    while (::waitpid(helper_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  helper_ = -1;
}

void Forwarder::attach(int pidfd) {
  conns_.clear();
  peers_.clear();
  stop_helper();
  if (listeners_.empty()) return;
  pid_t pid = fork_in_netns(pidfd, &helper_sock_, [](int sock) {
    // The helper: one new socket in the container's network namespace for
    // each byte asked ('s' TCP, 'd' UDP), until the waiter closes its end. Nothing of the
    // waiter's stays open here: a tap fd held would keep its device alive
    // after a disconnect.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::close_range(0, static_cast<unsigned>(sock) - 1, 0);
    ::close_range(static_cast<unsigned>(sock) + 1, ~0U, 0);
    char b;
    while (::read(sock, &b, 1) == 1) {
      int fd = ::socket(AF_INET, (b == 'd' ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        (void)!::write(sock, "", 1);  // no fd: the waiter drops the client
        continue;
      }
      send_fd(sock, fd);
      ::close(fd);
    }
    return 0;
  });
  helper_ = pid;
}

UniqueFd Forwarder::connect_upstream(const Listener& l) {
  if (!helper_sock_ || ::write(helper_sock_.get(), l.udp ? "d" : "s", 1) != 1) return {};
  UniqueFd up(recv_fd(helper_sock_.get()));
  if (!up) return {};
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = guest_;
  to.sin_port = htons(l.container_port);
  if (::connect(up.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS) return {};
  return up;
}

// Datagrams from host clients: each goes out of its client's socket in the
// container (made and connected on its first datagram).
void Forwarder::receive_on(const Listener& l) {
  for (int i = 0; i < kBatch; ++i) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(l.fd.get(), buf_, sizeof buf_, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) return;
    auto it = std::find_if(peers_.begin(), peers_.end(), [&](const Peer& p) {
      return p.listener == &l && same_address(p.client, p.client_len, from, from_len);
    });
    if (it == peers_.end()) {
      if (peers_.size() >= kMaxPeers) continue;  // dropped, as a full queue would
      UniqueFd up = connect_upstream(l);
      if (!up) continue;
      it = peers_.insert(peers_.end(), Peer{&l, from, from_len, std::move(up), 0});
    }
    it->last_ms = monotonic_ms();
    (void)::send(it->upstream.get(), buf_, static_cast<size_t>(n), MSG_DONTWAIT);
  }
}

// Datagrams from the container to one client: sent from the published port.
void Forwarder::answer(Peer& p) {
  for (int i = 0; i < kBatch; ++i) {
    ssize_t n = ::recv(p.upstream.get(), buf_, sizeof buf_, MSG_DONTWAIT);
    if (n < 0) return;
    p.last_ms = monotonic_ms();
    (void)::sendto(p.listener->fd.get(), buf_, static_cast<size_t>(n), MSG_DONTWAIT,
                   reinterpret_cast<const sockaddr*>(&p.client), p.client_len);
  }
}

void Forwarder::accept_on(const Listener& l) {
  for (int i = 0; i < 16; ++i) {
    UniqueFd client(::accept4(l.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client) return;
    if (conns_.size() >= kMaxConns) continue;  // dropped: closed at once
    UniqueFd up = connect_upstream(l);
    if (!up) continue;
    set_nodelay(client.get());
    set_nodelay(up.get());
    Conn c;
    c.client = std::move(client);
    c.upstream = std::move(up);
    bool ok = true;
    for (Flow* f : {&c.up, &c.down}) {
      int p[2];
      if (::pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
        ok = false;
        break;
      }
      f->pipe_rd.reset(p[0]);
      f->pipe_wr.reset(p[1]);
      ::fcntl(p[1], F_SETPIPE_SZ, static_cast<int>(kPipeSize));
    }
    if (ok) conns_.push_back(std::move(c));
  }
}

// from → pipe → to, as far as it goes without blocking.
bool Forwarder::move(int from, short from_rev, Flow& f, int to) {
  // Reading only after poll said so: a splice from a socket with nothing
  // in it returns 0 here as it does at the end of the stream.
  bool readable = from_rev & (POLLIN | POLLHUP | POLLERR);
  for (;;) {
    bool progress = false;
    if (!f.eof && readable) {
      ssize_t n = ::splice(from, nullptr, f.pipe_wr.get(), nullptr, kPipeSize - f.buffered,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        f.buffered += static_cast<size_t>(n);
        progress = true;
      } else if (n == 0) {
        // The end, or (with this kernel) nothing there yet: ask the socket.
        char b;
        ssize_t r = ::recv(from, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r == 0) f.eof = true;
        else if (r < 0 && errno != EAGAIN) return false;
        readable = false;
      } else if (errno == EAGAIN) {
        readable = false;
      } else {
        return false;
      }
    }
    if (f.buffered > 0) {
      ssize_t n = ::splice(f.pipe_rd.get(), nullptr, to, nullptr, f.buffered, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        f.buffered -= static_cast<size_t>(n);
        progress = true;
      } else if (n < 0 && errno != EAGAIN) {
        return false;
      }
    }
    if (f.eof && f.buffered == 0 && !f.shut) {
      ::shutdown(to, SHUT_WR);
      f.shut = true;
    }
    if (!progress) return true;
  }
}

bool Forwarder::pump(Conn& c, short client_rev, short upstream_rev) {
  if (!c.connected) {
    if (!(upstream_rev & (POLLOUT | POLLERR | POLLHUP))) return true;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(c.upstream.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return false;  // nothing listens in the container: the client sees a close
    c.connected = true;
  }
  if (!move(c.client.get(), client_rev, c.up, c.upstream.get())) return false;
  if (!move(c.upstream.get(), upstream_rev, c.down, c.client.get())) return false;
  return !(c.up.shut && c.down.shut);
}

void Forwarder::prepare(std::vector<pollfd>& fds, int* timeout_ms) {
  for (const auto& l : listeners_) fds.push_back({l.fd.get(), POLLIN, 0});
  int64_t now = monotonic_ms();
  std::erase_if(peers_, [&](const Peer& p) { return now - p.last_ms >= kPeerIdleMs; });
  for (const auto& p : peers_) {
    fds.push_back({p.upstream.get(), POLLIN, 0});
    lower_timeout(timeout_ms, static_cast<int>(p.last_ms + kPeerIdleMs - now));
  }
  for (const auto& c : conns_) {
    if (!c.connected) {
      fds.push_back({c.client.get(), 0, 0});
      fds.push_back({c.upstream.get(), POLLOUT, 0});
      continue;
    }
    // Read while the pipe toward the other side has room; write while
    // something waits in the pipe toward us.
    short ce = 0, ue = 0;
    if (!c.up.eof && c.up.buffered < kPipeSize) ce |= POLLIN;
    if (c.down.buffered > 0) ce |= POLLOUT;
    if (!c.down.eof && c.down.buffered < kPipeSize) ue |= POLLIN;
    if (c.up.buffered > 0) ue |= POLLOUT;
    fds.push_back({c.client.get(), ce, 0});
    fds.push_back({c.upstream.get(), ue, 0});
  }
}

void Forwarder::dispatch(const pollfd* fds, size_t n) {
  if (n < listeners_.size() + peers_.size()) return;
  // Connections and clients that come here have no entries yet: they go to
  // the back, after the ones that were polled.
  const pollfd* e = fds + listeners_.size();
  size_t polled_peers = peers_.size();
  size_t polled = (n - listeners_.size() - polled_peers) / 2;
  auto peer = peers_.begin();
  for (size_t k = 0; k < polled_peers; ++k, ++peer, ++e)
    if (e->revents & POLLIN) answer(*peer);
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (!(fds[i].revents & POLLIN)) continue;
    if (listeners_[i].udp) receive_on(listeners_[i]);
    else accept_on(listeners_[i]);
  }
  auto it = conns_.begin();
  for (size_t k = 0; k < polled && it != conns_.end(); ++k, e += 2) {
    if (!pump(*it, e[0].revents, e[1].revents)) it = conns_.erase(it);
    else ++it;
  }
}

}  // namespace cabin::net
