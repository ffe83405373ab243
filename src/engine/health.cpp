#include "engine/health.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "engine/lifecycle.h"
#include "format/units.h"
#include "runtime/supervise.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/signals.h"

namespace cabin::engine {
namespace {

using Clock = std::chrono::system_clock;

std::string health_path(const storage::ContainerStore& containers, const std::string& id) {
  return fs::join(containers.dir(id), "userdata/healthcheck.log");
}

void write_health(const storage::ContainerStore& containers, const std::string& id, const runtime::HealthState& s) {
  fs::write_file_atomic(health_path(containers, id), json_text(runtime::to_json(s)) + "\n", 0600);
}

// The check's command in the container: its exit code (-1 when it ran out
// of time and was killed) and the first bytes of its output.
int exec_check(storage::ContainerStore& containers, const config::StorePaths& paths,
               const storage::ContainerRecord& rec, const runtime::HealthConfig& h, std::string& output) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd out_rd(fds[0]), out_wr(fds[1]);
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd pid_rd(fds[0]), pid_wr(fds[1]);
  pid_t child = ::fork();
  if (child < 0) throw_errno("fork");
  if (child == 0) {
    // Joins the container (exec_container does), so this is a process of
    // its own; its stdio is the pipe. No return.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out_wr.get(), 1) < 0 || ::dup2(out_wr.get(), 2) < 0) ::_exit(125);
    int code;
    try {
      ExecOptions o;
      o.command = h.command();
      o.started = [&](pid_t pid) { (void)!::write(pid_wr.get(), &pid, sizeof pid); };
      code = exec_container(containers, paths, rec, o);
    } catch (const Error& e) {
      (void)!::write(2, e.what(), std::strlen(e.what()));
      code = e.exit_code();
    } catch (...) {
      code = kExitError;
    }
    ::_exit(code);
  }
  out_wr.reset();
  pid_wr.reset();
  auto deadline = std::chrono::steady_clock::now() + h.timeout;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out_rd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count() + 1, INT32_MAX)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;  // the deadline is checked above
    ssize_t n = ::read(out_rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, std::min(static_cast<size_t>(n), runtime::kMaxHealthOutput - std::min(output.size(), runtime::kMaxHealthOutput)));
  }
  if (timed_out) {
    // The command dies and the child reaps it (a zombie left to the
    // container's PID 1 might never be); before the command ran, the child.
    pid_t pid;
    if (::fcntl(pid_rd.get(), F_SETFL, O_NONBLOCK) == 0 && ::read(pid_rd.get(), &pid, sizeof pid) == sizeof pid)
      ::kill(pid, SIGKILL);
    else
      ::kill(child, SIGKILL);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return timed_out ? -1 : runtime::exit_code_of(status);
}

}  // namespace

std::optional<runtime::HealthState> read_health(const storage::ContainerStore& containers, const std::string& id) {
  auto text = fs::read_file_if_exists(health_path(containers, id));
  if (!text) return std::nullopt;
  return runtime::health_state_from_json(nlohmann::json::parse(*text, nullptr, false));
}

std::string health_status(const storage::ContainerStore& containers, const std::string& id) {
  auto h = read_health(containers, id);
  return h ? h->status : "";
}

void reset_health(const storage::ContainerStore& containers, const std::string& id) {
  write_health(containers, id, runtime::HealthState{});
}

CheckOutcome run_health_check(storage::ContainerStore& containers, const config::StorePaths& paths,
                              const storage::ContainerRecord& rec, const runtime::HealthConfig& h) {
  auto st = current_state(containers, paths, rec.id);
  if (!st.running()) fail("container {} is not running", rec.id);
  CheckOutcome out;
  auto start = Clock::now();
  out.result.start = format::rfc3339_nano(start);
  out.result.exit_code = exec_check(containers, paths, rec, h, out.result.output);
  out.result.end = format::rfc3339_nano(Clock::now());
  std::string before;
  {
    auto lock = containers.lock(rec.id);
    st = containers.state(rec.id);
    auto health = read_health(containers, rec.id).value_or(runtime::HealthState{});
    before = health.status;
    bool in_start_period = !st.started_at.empty() && start < format::parse_rfc3339(st.started_at) + h.start_period;
    runtime::record_result(health, h, out.result, in_start_period);
    out.status = health.status;
    write_health(containers, rec.id, health);
  }
  if (out.status != before) container_event(paths, rec, "health_status", std::nullopt, out.status);
  return out;
}

HealthTimer::HealthTimer(storage::ContainerStore& containers, const config::StorePaths& paths,
                         const storage::ContainerRecord& rec, const runtime::StartConfig& cfg)
    : containers_(containers), paths_(paths), rec_(rec), health_(cfg.health), stop_signal_(cfg.stop_signal),
      stop_timeout_(cfg.stop_timeout) {}

HealthTimer::~HealthTimer() {
  if (child_ <= 0) return;
  ::kill(child_, SIGKILL);
  while (::waitpid(child_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

void HealthTimer::started(int pidfd) {
  if (!health_) return;
  if (child_ > 0) {  // a check of the run before
    ::kill(child_, SIGKILL);
    reap();
  }
  container_pidfd_ = pidfd;
  started_ms_ = monotonic_ms();
  kill_at_ms_ = -1;
  reset_health(containers_, rec_.id);
  due_ms_ = health_->interval.count() > 0
                ? started_ms_ + std::chrono::duration_cast<std::chrono::milliseconds>(health_->next_wait(true)).count()
                : -1;
}

void HealthTimer::stopped() {
  container_pidfd_ = -1;
  due_ms_ = kill_at_ms_ = -1;
}

bool HealthTimer::take_restart() { return std::exchange(restart_, false); }

void HealthTimer::prepare(std::vector<pollfd>& fds, int* timeout_ms) {
  int64_t now = monotonic_ms();
  if (child_fd_) fds.push_back({child_fd_.get(), POLLIN, 0});
  else if (due_ms_ >= 0) lower_timeout(timeout_ms, static_cast<int>(std::max<int64_t>(due_ms_ - now, 0)));
  if (kill_at_ms_ >= 0) lower_timeout(timeout_ms, static_cast<int>(std::max<int64_t>(kill_at_ms_ - now, 0)));
}

void HealthTimer::dispatch(const pollfd* fds, size_t n) {
  if (n > 0 && fds[0].revents) reap();
  int64_t now = monotonic_ms();
  if (kill_at_ms_ >= 0 && now >= kill_at_ms_) {
    ::syscall(SYS_pidfd_send_signal, container_pidfd_, SIGKILL, nullptr, 0);
    kill_at_ms_ = -1;
  }
  if (!child_fd_ && due_ms_ >= 0 && now >= due_ms_) spawn();
}

void HealthTimer::spawn() {
  due_ms_ = -1;
  pid_t pid = ::fork();
  if (pid < 0) return;  // the next interval tries again
  if (pid == 0) {
    // The check runs here, so that the waiter goes on; the exit code says
    // the health after it. No return: the waiter's objects are not ours.
    int code = 3;
    try {
      auto out = run_health_check(containers_, paths_, rec_, *health_);
      code = out.status == "healthy" ? 0 : out.status == "unhealthy" ? 1 : 2;
    } catch (...) {
    }
    ::_exit(code);
  }
  child_ = pid;
  child_fd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

void HealthTimer::reap() {
  int status = 0;
  while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
  }
  child_ = -1;
  child_fd_.reset();
  if (container_pidfd_ < 0) return;  // it has ended meanwhile
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 3;
  if (code == 1 && health_->on_failure != "none") return act();
  bool in_start_period = code == 2 && monotonic_ms() - started_ms_ <
      std::chrono::duration_cast<std::chrono::milliseconds>(health_->start_period).count();
  if (health_->interval.count() > 0)
    due_ms_ = monotonic_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(health_->next_wait(in_start_period)).count();
}

// --health-on-failure: kill now; stop and restart as `stop` does (the stop
// signal, SIGKILL after the stop timeout), stop with no restart after it,
// restart with one whatever the policy.
void HealthTimer::act() {
  const std::string& a = health_->on_failure;
  if (a == "kill") {
    ::syscall(SYS_pidfd_send_signal, container_pidfd_, SIGKILL, nullptr, 0);
    return;
  }
  if (a == "stop") {
    auto lock = containers_.lock(rec_.id);
    auto st = containers_.state(rec_.id);
    st.stop_requested = true;
    containers_.write_state(rec_.id, st);
  } else {
    restart_ = true;
  }
  ::syscall(SYS_pidfd_send_signal, container_pidfd_, parse_signal(stop_signal_), nullptr, 0);
  kill_at_ms_ = monotonic_ms() + int64_t{stop_timeout_} * 1000;
}

}  // namespace cabin::engine
