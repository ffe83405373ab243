#include "runtime/attach.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "runtime/terminal.h"
#include "util/error.h"
#include "util/strings.h"

namespace cabin::runtime {
namespace {

// The socket's address through an O_PATH fd of its directory, which keeps
// it short whatever the directory's path.
sockaddr_un socket_address(int dir_fd, std::string_view name) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%.*s", dir_fd, static_cast<int>(name.size()),
                name.data());
  return addr;
}

UniqueFd open_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open {}", dir);
  return fd;
}

// Signals the client handles itself rather than dying of them.
bool ends_client(int sig) { return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT; }

}  // namespace

bool send_msg(int sock, AttachMsg kind, std::string_view data, bool dontwait) {
  char head = static_cast<char>(kind);
  iovec iov[2] = {{&head, 1}, {const_cast<char*>(data.data()), data.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = data.empty() ? 1 : 2;
  ssize_t n;
  do n = ::sendmsg(sock, &msg, MSG_NOSIGNAL | (dontwait ? MSG_DONTWAIT : 0));
  while (n < 0 && errno == EINTR);
  return n >= 0;
}

UniqueFd listen_attach(const std::string& dir, std::string_view name) {
  UniqueFd dfd = open_dir(dir);
  UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!sock) throw_errno("socket");
  sockaddr_un addr = socket_address(dfd.get(), name);
  ::unlinkat(dfd.get(), std::string(name).c_str(), 0);
  if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("bind the {} socket in {}", name, dir);
  if (::listen(sock.get(), 16) != 0) throw_errno("listen on the {} socket", name);
  return sock;
}

UniqueFd connect_attach(const std::string& dir, std::string_view name) {
  UniqueFd dfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock) throw_errno("socket");
  sockaddr_un addr = socket_address(dfd.get(), name);
  if (!dfd || ::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  return sock;
}

std::string parse_detach_keys(std::string_view keys) {
  std::string out;
  if (keys.empty()) return out;
  for (const auto& key : split(keys, ',')) {
    if (key.size() == 1) {
      out += key[0];
      continue;
    }
    std::string lower(key);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    static constexpr std::string_view kCtrl = "@abcdefghijklmnopqrstuvwxyz[\\]^_";
    size_t at = lower.size() == 6 && lower.rfind("ctrl-", 0) == 0 ? kCtrl.find(lower[5]) : std::string_view::npos;
    if (at == std::string_view::npos) fail("invalid detach keys: Unknown character: '{}'", key);
    out += static_cast<char>(at);
  }
  return out;
}

std::string DetachMatcher::feed(std::string_view input) {
  std::string pass;
  if (keys_.empty()) return std::string(input);
  for (char c : input) {
    if (detached_) break;  // what follows the sequence is not the container's
    if (c == keys_[matched_]) {
      if (++matched_ == keys_.size()) detached_ = true;
      continue;
    }
    // Not the sequence after all: what was held back goes on, and c may
    // start the sequence again.
    pass.append(keys_, 0, matched_);
    matched_ = 0;
    if (c == keys_[0]) {
      if (++matched_ == keys_.size()) detached_ = true;
    } else {
      pass += c;
    }
  }
  return pass;
}

std::optional<winsize> own_window_size() {
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) return ws;
  return std::nullopt;
}

AttachResult attach_client(int sock, const AttachClientOptions& o) {
  AttachResult result;
  sigset_t set, old;
  ::sigfillset(&set);
  ::sigprocmask(SIG_BLOCK, &set, &old);
  int fatal = 0;
  {
    ScopeGuard restore_mask([&] { ::sigprocmask(SIG_SETMASK, &old, nullptr); });
    UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd) throw_errno("signalfd");
    std::optional<RawMode> raw;
    if (o.tty && o.relay_stdin) raw.emplace(STDIN_FILENO);
    auto resize = [&] {
      if (!o.tty) return;
      if (auto ws = own_window_size())
        send_msg(sock, AttachMsg::Resize, std::string_view(reinterpret_cast<const char*>(&*ws), sizeof *ws));
    };
    resize();
    DetachMatcher keys(o.detach_keys);
    bool stdin_live = o.relay_stdin;
    std::string buf(65536 + 1, '\0');
    for (;;) {
      pollfd fds[3] = {{sock, POLLIN, 0}, {sfd.get(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
      int r = ::poll(fds, stdin_live ? 3 : 2, -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw_errno("poll");
      if (fds[1].revents) {
        signalfd_siginfo si;
        while (::read(sfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
          int sig = static_cast<int>(si.ssi_signo);
          if (sig == SIGWINCH) {
            resize();
          } else if (o.sig_proxy && o.pidfd >= 0 && sig != SIGCHLD && sig != SIGPIPE && sig != SIGURG) {
            ::syscall(SYS_pidfd_send_signal, o.pidfd, sig, nullptr, 0);
          } else if (ends_client(sig)) {
            fatal = sig;
          }
        }
        if (fatal) break;
      }
      if (stdin_live && fds[2].revents) {
        ssize_t n = ::read(STDIN_FILENO, buf.data(), 4096);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) {
          // Input ended: a pipe's end closes the container's stdin (as
          // Podman's attach does); a pty stays open.
          stdin_live = false;
          if (!o.tty) send_msg(sock, AttachMsg::CloseStdin, {});
        } else {
          std::string pass = keys.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
          if (!pass.empty()) send_msg(sock, AttachMsg::Stdin, pass);
          if (keys.detached()) {
            result.detached = true;
            break;
          }
        }
      }
      if (fds[0].revents) {
        ssize_t n;
        do n = ::recv(sock, buf.data(), buf.size(), 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0) break;  // the container ended (or the monitor died)
        std::string_view data(buf.data() + 1, static_cast<size_t>(n) - 1);
        switch (static_cast<AttachMsg>(buf[0])) {
          case AttachMsg::Stdout: write_all(STDOUT_FILENO, data); break;
          case AttachMsg::Stderr: write_all(STDERR_FILENO, data); break;
          case AttachMsg::Exit: result.exit_code = std::atoi(std::string(data).c_str()); break;
          default: break;
        }
      }
    }
  }
  if (fatal) {
    // Die of it as we would have without the relay (the terminal restored).
    ::signal(fatal, SIG_DFL);
    ::raise(fatal);
  }
  return result;
}

}  // namespace cabin::runtime
