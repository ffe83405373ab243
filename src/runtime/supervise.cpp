#include "runtime/supervise.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "runtime/attach.h"
#include "runtime/terminal.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/log.h"

namespace cabin::runtime {
namespace {

// Every signal that can be blocked: SIGKILL and SIGSTOP cannot, and glibc
// leaves out its two internal real-time signals. Synchronous faults in cabin
// itself (SIGSEGV, …) still kill it: the kernel unblocks them to deliver.
sigset_t handled_signals() {
  sigset_t set;
  ::sigfillset(&set);
  return set;
}

// Podman's --sig-proxy forwards everything it can catch except SIGCHLD,
// SIGPIPE and SIGURG, which are meant for the podman process itself; SIGWINCH
// becomes a resize of the pty instead (the kernel then signals the container).
bool proxied(int sig) {
  return sig != SIGCHLD && sig != SIGPIPE && sig != SIGURG && sig != SIGWINCH;
}

int send_signal(const SuperviseOptions& o, int sig) {
  if (o.pidfd >= 0) return static_cast<int>(::syscall(SYS_pidfd_send_signal, o.pidfd, sig, nullptr, 0));
  return ::kill(o.pid, sig);
}

class Supervisor {
 public:
  explicit Supervisor(const SuperviseOptions& o) : o_(o) {}

  int run() {
    sigset_t set = handled_signals();
    sigset_t old;
    // Normally a no-op (the caller called block_signals before fork); the
    // previous mask is restored once the pending signals have been consumed.
    ::sigprocmask(SIG_BLOCK, &set, &old);
    ScopeGuard restore([&] { ::sigprocmask(SIG_SETMASK, &old, nullptr); });
    sfd_ = UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd_) throw_errno("signalfd");

    std::optional<RawMode> raw;
    if (o_.pty_master >= 0) {
      // The master is cabin's alone, so it may be non-blocking (a full pty
      // input buffer must not stop the output relay); stdin and stdout are
      // shared with the shell and stay as they are.
      int flags = ::fcntl(o_.pty_master, F_GETFL);
      if (flags < 0 || ::fcntl(o_.pty_master, F_SETFL, flags | O_NONBLOCK) < 0)
        throw_errno("set the container's terminal non-blocking");
      stdin_live_ = o_.stdin_open;
      if (o_.stdin_open) raw.emplace(STDIN_FILENO);
      resize();
    }

    check_exit();  // it may have exited before the signalfd existed
    while (!exited_) {
      if (keys_.detached()) {
        *o_.detached = true;
        return 0;
      }
      fds_.clear();
      auto add = [&](int fd, short events) {
        fds_.push_back({fd, events, 0});
        return static_cast<int>(fds_.size() - 1);
      };
      auto& fds = fds_;
      int i_sig = add(sfd_.get(), POLLIN);
      int i_pidfd = o_.pidfd >= 0 ? add(o_.pidfd, POLLIN) : -1;
      int i_master = -1;
      if (o_.pty_master >= 0 && !master_hup_)
        i_master = add(o_.pty_master, static_cast<short>(POLLIN | (in_len_ > 0 ? POLLOUT : 0)));
      int i_stdin = stdin_live_ && in_len_ == 0 ? add(STDIN_FILENO, POLLIN) : -1;
      int i_out = pipes_[0] >= 0 ? add(pipes_[0], POLLIN) : -1;
      int i_err = pipes_[1] >= 0 ? add(pipes_[1], POLLIN) : -1;
      // All slaves closed while PID 1 lives: look again every 100ms in case
      // the container reopens /dev/tty, without spinning on POLLHUP meanwhile.
      int timeout = master_hup_ ? 100 : -1;
      size_t extra_at = fds.size();
      if (o_.extra) o_.extra->prepare(fds, &timeout);
      int rc = ::poll(fds.data(), fds.size(), timeout);
      if (rc < 0) {
        if (errno == EINTR) continue;
        throw_errno("poll");
      }
      if (rc == 0) master_hup_ = false;
      if (o_.extra) o_.extra->dispatch(fds.data() + extra_at, fds.size() - extra_at);
      if (fds[i_sig].revents) read_signals();
      if (i_pidfd >= 0 && fds[i_pidfd].revents) check_exit();
      if (i_master >= 0 && (fds[i_master].revents & POLLOUT)) write_input();
      if (i_master >= 0 && (fds[i_master].revents & (POLLIN | POLLHUP | POLLERR))) relay_output();
      if (i_stdin >= 0 && fds[i_stdin].revents) read_input();
      if (i_out >= 0 && fds[i_out].revents) relay_pipe(0);
      if (i_err >= 0 && fds[i_err].revents) relay_pipe(1);
    }
    if (o_.pty_master >= 0) drain_output();
    drain_pipes();
    read_signals();  // drop what arrived for a container that is gone
    return status_;
  }

 private:
  void check_exit() {
    if (exited_) return;
    pid_t r;
    do r = ::waitpid(o_.pid, &status_, WNOHANG | __WALL);
    while (r < 0 && errno == EINTR);
    if (r < 0) throw_errno("wait for the container process {}", o_.pid);
    exited_ = r == o_.pid;
  }

  void read_signals() {
    signalfd_siginfo si;
    while (::read(sfd_.get(), &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD) {
        check_exit();
      } else if (sig == SIGWINCH) {
        if (o_.pty_master >= 0) resize();
      } else if (o_.sig_proxy && proxied(sig) && !exited_) {
        if (send_signal(o_, sig) < 0 && errno != ESRCH)
          log::warn("forward signal {} to the container: {}", sig, std::strerror(errno));
      }
    }
  }

  // Podman takes the size of stdin; stdout serves when only it is a terminal.
  void resize() {
    if (!copy_window_size(STDIN_FILENO, o_.pty_master)) copy_window_size(STDOUT_FILENO, o_.pty_master);
  }

  // stdin → buffer; the buffer goes to the master when it is writable.
  void read_input() {
    ssize_t n = ::read(STDIN_FILENO, in_, sizeof(in_));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
      // EOF (or EIO from a background job): stop reading, as Podman and
      // Docker do for -it, but leave the pty open.
      stdin_live_ = false;
      return;
    }
    in_off_ = 0;
    in_len_ = static_cast<size_t>(n);
    if (o_.detached) {
      std::string pass = keys_.feed(std::string_view(in_, in_len_));
      in_len_ = pass.size();
      std::memcpy(in_, pass.data(), pass.size());
    }
    write_input();
  }

  void write_input() {
    while (in_len_ > 0) {
      ssize_t n = ::write(o_.pty_master, in_ + in_off_, in_len_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;  // wait for POLLOUT
      if (n <= 0) {  // EIO: no slave open, the input has no reader
        in_len_ = 0;
        return;
      }
      in_off_ += static_cast<size_t>(n);
      in_len_ -= static_cast<size_t>(n);
    }
  }

  // Master → stdout until EAGAIN; false once the master reports EIO/EOF
  // (every slave closed).
  bool relay_output() {
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(o_.pty_master, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return true;
      if (n <= 0) {
        master_hup_ = true;
        in_len_ = 0;  // pending input has no reader
        return false;
      }
      // A closed stdout (EPIPE; SIGPIPE is consumed by the signalfd) does not
      // stop the container: its output is read and dropped, as Podman does.
      if (o_.tee) o_.tee(1, std::string_view(buf, static_cast<size_t>(n)));
      if (stdout_ok_ && !write_all(STDOUT_FILENO, std::string_view(buf, static_cast<size_t>(n)))) {
        stdout_ok_ = false;
        log::debug("write container output: {}", std::strerror(errno));
      }
    }
  }

  // PID 1 exited: when it is a namespace's PID 1 the kernel has already
  // killed and reaped the rest, so the slaves are closed and read() returns
  // what they wrote, then EIO. A slave held elsewhere only gets a short grace.
  void drain_output() {
    while (relay_output()) {
      pollfd p{o_.pty_master, POLLIN, 0};
      int rc = ::poll(&p, 1, 100);
      if (rc == 0 || (rc < 0 && errno != EINTR)) break;
    }
  }

  // A container pipe → cabin's stdout or stderr, and the tee; -1 once at EOF.
  void relay_pipe(int i) {
    char buf[16384];
    ssize_t n;
    do n = ::read(pipes_[i], buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      pipes_[i] = -1;
      return;
    }
    if (o_.tee) o_.tee(i + 1, std::string_view(buf, static_cast<size_t>(n)));
    if (pipe_ok_[i] && !write_all(i + 1, std::string_view(buf, static_cast<size_t>(n)))) pipe_ok_[i] = false;
  }

  // After PID 1's exit the pipes give what was written, then EOF; a writer
  // that escaped the namespace gets a short grace only.
  void drain_pipes() {
    while (pipes_[0] >= 0 || pipes_[1] >= 0) {
      pollfd p[2];
      nfds_t n = 0;
      int which[2];
      for (int i = 0; i < 2; ++i)
        if (pipes_[i] >= 0) {
          which[n] = i;
          p[n++] = {pipes_[i], POLLIN, 0};
        }
      int rc = ::poll(p, n, 2000);
      if (rc == 0 || (rc < 0 && errno != EINTR)) break;
      for (nfds_t k = 0; k < n; ++k)
        if (p[k].revents) relay_pipe(which[k]);
    }
  }

  const SuperviseOptions& o_;
  DetachMatcher keys_{o_.detached ? o_.detach_keys : std::string()};
  int pipes_[2] = {o_.out_fd, o_.err_fd};
  bool pipe_ok_[2] = {true, true};
  UniqueFd sfd_;
  bool exited_ = false;
  int status_ = 0;
  std::vector<pollfd> fds_;
  bool stdin_live_ = false;
  bool stdout_ok_ = true;
  bool master_hup_ = false;
  char in_[4096];
  size_t in_off_ = 0, in_len_ = 0;
};

}  // namespace

int supervise(const SuperviseOptions& o) { return Supervisor(o).run(); }

void block_signals(sigset_t* old) {
  sigset_t set = handled_signals();
  if (::sigprocmask(SIG_BLOCK, &set, old) < 0) throw_errno("block signals");
}

int init_loop(pid_t child) {
  // Runs in the container after fork: stack only, no throwing, and only
  // rt_sigaction, rt_sigprocmask, rt_sigtimedwait, wait4 and kill.
  // Blocked signals are queued even for a namespace's PID 1, which otherwise
  // only receives the signals it has handlers for.
  sigset_t set;
  ::sigfillset(&set);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  // With SIGCHLD ignored children would be reaped unseen.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGCHLD, &dfl, nullptr);

  for (;;) {
    // Reap before waiting: SIGCHLD may have come before the mask was set, and
    // one SIGCHLD can stand for several exits.
    int status;
    pid_t r;
    while ((r = ::waitpid(-1, &status, WNOHANG | __WALL)) != 0) {
      if (r < 0) {
        if (errno == EINTR) continue;
        return kExitError;  // ECHILD: child was not ours
      }
      if (r == child) {
        // Reap whatever else has already exited; the kernel kills the rest
        // of the namespace when PID 1 exits.
        while (::waitpid(-1, nullptr, WNOHANG | __WALL) > 0) {
        }
        return exit_code_of(status);
      }
    }
    siginfo_t si;
    int sig = ::sigwaitinfo(&set, &si);
    if (sig < 0 || sig == SIGCHLD) continue;
    ::kill(child, sig);  // ESRCH: it just exited, the next pass reaps it
  }
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return kExitError;
}

}  // namespace cabin::runtime
