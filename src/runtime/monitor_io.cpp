#include "runtime/monitor_io.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "util/error.h"
#include "util/log.h"

namespace cabin::runtime {
namespace {

using namespace std::chrono_literals;

// A client that falls this far behind is let go rather than holding up the
// container's output.
constexpr size_t kClientBacklog = 4 << 20;
// Input taken from clients before the container has read it.
constexpr size_t kInputBacklog = 64 << 10;

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("set O_NONBLOCK");
}

}  // namespace

std::optional<winsize> MonitorIo::adopt(UniqueFd client) {
  set_nonblocking(client.get());
  clients_.push_back({std::move(client), {}, 0});
  read_client(clients_.back());
  return size_;
}

void MonitorIo::accept_clients() {
  for (;;) {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    clients_.push_back({UniqueFd(fd), {}, 0});
  }
}

bool MonitorIo::flush(Client& c) {
  while (!c.queue.empty()) {
    const std::string& m = c.queue.front();
    ssize_t n = ::send(c.fd.get(), m.data(), m.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n < 0) return false;
    c.queued -= m.size();
    c.queue.pop_front();
  }
  return true;
}

void MonitorIo::broadcast(AttachMsg kind, std::string_view data) {
  std::string m(1, static_cast<char>(kind));
  m += data;
  for (auto& c : clients_) {
    if (!c.fd) continue;
    c.queue.push_back(m);
    c.queued += m.size();
    if (!flush(c) || c.queued > kClientBacklog) c.fd.reset();
  }
}

// Takes what a client sent: input, a window size, or the end of its input.
void MonitorIo::read_client(Client& c) {
  char buf[8193];
  while (c.fd && input_.size() < kInputBacklog) {
    ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {  // the client detached
      c.fd.reset();
      return;
    }
    std::string_view data(buf + 1, static_cast<size_t>(n) - 1);
    switch (static_cast<AttachMsg>(buf[0])) {
      case AttachMsg::Stdin:
        input_ += data;  // typed before the start too: kept for the container
        break;
      case AttachMsg::Resize:
        if (data.size() == sizeof(winsize)) {
          size_.emplace();
          std::memcpy(&*size_, data.data(), sizeof(winsize));
          if (input_is_pty_) ::ioctl(input_fd_, TIOCSWINSZ, &*size_);
        }
        break;
      case AttachMsg::CloseStdin:
        if (!input_is_pty_) close_input_ = true;
        break;
      case AttachMsg::Connect:
      case AttachMsg::Disconnect: {
        std::string reply = control_ ? control_(static_cast<AttachMsg>(buf[0]), data) : "the monitor cannot do that";
        if (!send_msg(c.fd.get(), AttachMsg::Reply, reply)) c.fd.reset();
        break;
      }
      default: break;
    }
  }
}

void MonitorIo::write_input() {
  if (input_fd_ < 0) input_.clear();  // the container has no stdin
  while (input_fd_ >= 0 && !input_.empty()) {
    ssize_t n = ::write(input_fd_, input_.data(), input_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {  // no reader any more
      input_.clear();
      break;
    }
    input_.erase(0, static_cast<size_t>(n));
  }
  if (close_input_ && input_.empty() && stdin_wr_) {
    stdin_wr_.reset();
    input_fd_ = -1;
  }
}

int MonitorIo::run(const Started& started, int out, int err, UniqueFd stdin_wr, PollSource* extra) {
  int pty = started.pty_master.get();
  stdin_wr_ = std::move(stdin_wr);
  input_fd_ = pty >= 0 ? pty : stdin_wr_.get();
  input_is_pty_ = pty >= 0;
  if (input_fd_ >= 0) set_nonblocking(input_fd_);
  if (pty >= 0 && size_) ::ioctl(pty, TIOCSWINSZ, &*size_);
  int streams[2] = {pty >= 0 ? pty : out, pty >= 0 ? -1 : err};
  int status = -1;
  bool exited = false;
  auto deadline = std::chrono::steady_clock::time_point::max();
  char buf[65536];
  std::vector<pollfd> fds;
  for (;;) {
    write_input();
    std::erase_if(clients_, [](const Client& c) { return !c.fd; });
    fds.clear();
    // Slots: 0 pidfd, 1-2 streams, 3 listener, 4 input, then clients.
    fds.push_back({exited ? -1 : started.pidfd.get(), POLLIN, 0});
    for (int s : streams) fds.push_back({s, POLLIN, 0});
    if (streams[0] < 0 && streams[1] < 0 && exited) break;
    fds.push_back({exited ? -1 : listen_.get(), POLLIN, 0});
    fds.push_back({exited || input_.empty() ? -1 : input_fd_, POLLOUT, 0});
    bool take_input = !exited && input_.size() < kInputBacklog;
    for (const auto& c : clients_)
      fds.push_back({c.fd.get(), static_cast<short>((take_input ? POLLIN : 0) | (c.queue.empty() ? 0 : POLLOUT)), 0});
    int timeout = -1;
    if (exited) {
      // Output still held open by a process that escaped the end of the pid
      // namespace is not waited for long.
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      timeout = static_cast<int>(left.count());
    }
    size_t extra_at = fds.size();
    bool with_extra = extra && !exited;
    if (with_extra) extra->prepare(fds, &timeout);
    int r = ::poll(fds.data(), fds.size(), timeout);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_errno("poll");
    if (r == 0 && exited) break;
    if (with_extra) extra->dispatch(fds.data() + extra_at, fds.size() - extra_at);
    if (fds[0].revents) {
      while (::waitpid(started.pid, &status, 0) < 0 && errno == EINTR) {
      }
      exited = true;
      deadline = std::chrono::steady_clock::now() + 2s;
    }
    for (int i = 0; i < 2; ++i) {
      if (!fds[1 + i].revents) continue;
      ssize_t got = ::read(streams[i], buf, sizeof buf);
      if (got > 0) {
        std::string_view data(buf, static_cast<size_t>(got));
        log_.write(i == 0 ? LogStream::Stdout : LogStream::Stderr, data);
        broadcast(i == 0 ? AttachMsg::Stdout : AttachMsg::Stderr, data);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        streams[i] = -1;  // EOF (EIO on a pty whose last holder closed it)
        if (i == 0 && pty >= 0) input_.clear();
      }
    }
    if (fds[3].revents) accept_clients();
    for (size_t k = 0; k < clients_.size() && 5 + k < extra_at; ++k) {
      auto& c = clients_[k];
      short ev = fds[5 + k].revents;
      if (!ev || !c.fd) continue;
      if ((ev & POLLOUT) && !flush(c)) c.fd.reset();
      if (ev & (POLLIN | POLLHUP | POLLERR)) read_client(c);
    }
  }
  log_.flush();
  input_fd_ = -1;
  stdin_wr_.reset();
  input_.clear();
  close_input_ = false;
  return status;
}

void MonitorIo::finish(int exit_code) {
  broadcast(AttachMsg::Exit, std::to_string(exit_code));
  for (auto& c : clients_) {
    if (!c.fd) continue;
    // Blocking now: a client gets its last output before the close.
    int flags = ::fcntl(c.fd.get(), F_GETFL);
    ::fcntl(c.fd.get(), F_SETFL, flags & ~O_NONBLOCK);
    pollfd p{c.fd.get(), POLLOUT, 0};
    while (!c.queue.empty() && ::poll(&p, 1, 1000) > 0 && flush(c)) {
    }
  }
  clients_.clear();
}

void ControlServer::prepare(std::vector<pollfd>& fds, int*) {
  fds.push_back({listen_.get(), POLLIN, 0});
  for (const auto& c : clients_) fds.push_back({c.get(), POLLIN, 0});
}

void ControlServer::dispatch(const pollfd* fds, size_t n) {
  if (n != 1 + clients_.size()) return;
  for (size_t k = 0; k < clients_.size(); ++k) {
    if (!fds[1 + k].revents) continue;
    char buf[4096];
    ssize_t got = ::recv(clients_[k].get(), buf, sizeof buf, MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    auto kind = static_cast<AttachMsg>(got > 0 ? buf[0] : 0);
    if (kind == AttachMsg::Connect || kind == AttachMsg::Disconnect)
      send_msg(clients_[k].get(), AttachMsg::Reply, control_(kind, std::string_view(buf + 1, static_cast<size_t>(got - 1))),
               true);
    clients_[k].reset();  // one request each
  }
  std::erase_if(clients_, [](const UniqueFd& c) { return !c; });
  if (fds[0].revents & POLLIN)
    while (clients_.size() < 16) {
      UniqueFd c(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!c) break;
      clients_.push_back(std::move(c));
    }
}

}  // namespace cabin::runtime
