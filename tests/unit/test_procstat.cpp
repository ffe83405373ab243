// runtime/procstat against real processes: plain children, and a stand-in
// container in new user, PID and network namespaces (skipped with a warning
// where unprivileged user namespaces are not available).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/procstat.h"
#include "util/error.h"

using namespace cabin;
using namespace cabin::runtime;
using namespace std::chrono_literals;

namespace {

bool write_file(const char* path, const std::string& data) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ::close(fd);
  return ok;
}

[[noreturn]] void wait_forever() {
  while (true) ::pause();
}

// A child that waits until killed; SIGKILLed and reaped on destruction.
class Child {
 public:
  Child() {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      wait_forever();
    }
  }
  ~Child() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

// The stand-in container. A helper process starts a session (no
// controlling terminal), unshares user, PID and network namespaces, maps
// root to the caller's ids and forks the container's PID 1,
// "procstat-init", which forks "procstat-busy" (burns 60 ms of CPU) and
// "procstat-idle", and reports ready once the busy one has burnt its CPU.
// init() is -1 when the namespaces cannot be had here.
class FakeContainer {
 public:
  FakeContainer() {
    int pid_pipe[2], ready_pipe[2];
    REQUIRE(::pipe2(pid_pipe, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(ready_pipe, O_CLOEXEC) == 0);
    uid_t uid = ::geteuid();
    gid_t gid = ::getegid();
    helper_ = ::fork();
    REQUIRE(helper_ >= 0);
    if (helper_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::close(pid_pipe[0]);
      ::close(ready_pipe[0]);
      ::setsid();
      int32_t init = -1;
      if (::unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET) == 0 &&
          write_file("/proc/self/setgroups", "deny") &&
          write_file("/proc/self/uid_map", fmt::format("0 {} 1\n", uid)) &&
          write_file("/proc/self/gid_map", fmt::format("0 {} 1\n", gid))) {
        init = ::fork();
        if (init == 0) run_init(ready_pipe[1]);
      }
      ::close(ready_pipe[1]);
      (void)!::write(pid_pipe[1], &init, sizeof init);
      if (init > 0) ::waitpid(init, nullptr, 0);
      ::_exit(0);
    }
    ::close(pid_pipe[1]);
    ::close(ready_pipe[1]);
    int32_t init = -1;
    if (::read(pid_pipe[0], &init, sizeof init) == sizeof init && init > 0) {
      char c = 0;
      if (::read(ready_pipe[0], &c, 1) == 1 && c == 'R') init_ = init;
    }
    // PID 1 reports ready just before it goes to sleep: until it sleeps,
    // its state is still R.
    for (int i = 0; init_ > 0 && i < 200 && state_of(init_) != 'S'; ++i) ::usleep(10000);
    ::close(pid_pipe[0]);
    ::close(ready_pipe[0]);
  }
  ~FakeContainer() { stop(); }

  pid_t init() const { return init_; }

  // Killing PID 1 kills every process of its namespace; it has reaped them
  // all when the helper, which waits for it, exits.
  void stop() {
    if (helper_ <= 0) return;
    if (init_ > 0) ::kill(init_, SIGKILL);
    ::waitpid(helper_, nullptr, 0);
    helper_ = -1;
  }

 private:
  [[noreturn]] static void run_init(int ready) {
    ::prctl(PR_SET_NAME, "procstat-init");
    int spun[2];
    if (::pipe2(spun, O_CLOEXEC) != 0) ::_exit(1);
    if (::fork() == 0) {
      ::prctl(PR_SET_NAME, "procstat-busy");
      timespec ts{};
      do ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
      while (ts.tv_sec == 0 && ts.tv_nsec < 60000000);
      (void)!::write(spun[1], "x", 1);
      wait_forever();
    }
    if (::fork() == 0) {
      ::prctl(PR_SET_NAME, "procstat-idle");
      wait_forever();
    }
    char c;
    if (::read(spun[0], &c, 1) == 1) (void)!::write(ready, "R", 1);
    ::close(ready);
    wait_forever();
  }

  // A process's state letter from /proc/PID/stat ('?' when unreadable).
  static char state_of(pid_t pid) {
    char path[64], buf[512];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return '?';
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return '?';
    buf[n] = '\0';
    const char* close = std::strrchr(buf, ')');
    return close && close[1] == ' ' ? close[2] : '?';
  }

  pid_t helper_ = -1;
  pid_t init_ = -1;
};

std::string user_name(uid_t uid) {
  passwd* pw = ::getpwuid(uid);
  return pw ? pw->pw_name : std::to_string(uid);
}

const std::vector<std::string> kDefaultHeaders = {"USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"};

}  // namespace

TEST_CASE("durations print as Go's time.Duration", "[procstat]") {
  CHECK(go_duration(0ns) == "0s");
  CHECK(go_duration(450ns) == "450ns");
  CHECK(go_duration(1500ns) == "1.5µs");
  CHECK(go_duration(20ms) == "20ms");
  CHECK(go_duration(1s) == "1s");
  CHECK(go_duration(2s) == "2s");
  CHECK(go_duration(3540346120ns) == "3.54034612s");
  CHECK(go_duration(11411681556ns) == "11.411681556s");
  CHECK(go_duration(65s) == "1m5s");
  CHECK(go_duration(1h) == "1h0m0s");
  CHECK(go_duration(2h + 5min + 38s + 737137571ns) == "2h5m38.737137571s");
  CHECK(go_duration(-1500ms) == "-1.5s");
}

TEST_CASE("percentages print as podman stats prints them", "[procstat]") {
  CHECK(percent_string(0) == "0.00%");
  CHECK(percent_string(99.176350196202) == "99.18%");
  CHECK(percent_string(0.004166) == "0.00%");
  CHECK(percent_string(250) == "250.00%");
  // Go's 'g' form of these has an exponent, which Podman cuts off.
  CHECK(percent_string(1.5e-05) == "1.50%");
  CHECK(percent_string(2345678.0) == "2.35%");
  CHECK(percent_string(std::nan("")) == "NaN%");
  CHECK(percent_string(std::numeric_limits<double>::infinity()) == "+Inf%");
}

TEST_CASE("top knows psgo's descriptors", "[procstat]") {
  auto all = top_descriptors();
  CHECK(all.size() == 30);
  CHECK(std::is_sorted(all.begin(), all.end()));
  for (const char* d : {"user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args", "comm", "group", "nice",
                        "rgroup", "ruser", "vsz", "rss", "pgid", "stime", "label", "seccomp", "capeff", "capinh",
                        "capprm", "capbnd", "capamb", "hpid", "huser", "hgroup", "hgroups", "groups", "state"})
    CHECK(std::find(all.begin(), all.end(), d) != all.end());
  CHECK(is_top_descriptor("%C"));
  CHECK(is_top_descriptor(" pcpu "));
  CHECK_FALSE(is_top_descriptor("bogus"));
  CHECK_FALSE(is_top_descriptor("%Z"));
}

TEST_CASE("top's table is laid out as podman top's", "[procstat]") {
  // Podman 4.3.1's output for a busybox container, byte for byte.
  TopTable t{kDefaultHeaders,
             {{"root", "1", "0", "0.000", "3.54034612s", "?", "0s", "sleep 2000 "},
              {"root", "7", "1", "0.000", "3.540448254s", "?", "0s", "sleep 1000 "},
              {"root", "8", "1", "56.489", "3.540501546s", "?", "2s",
               "sh -c sleep 1000 & yes > /dev/null & exec sleep 2000 "}}};
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* f = ::open_memstream(&buf, &size);
  REQUIRE(f);
  print_top(f, t);
  std::fclose(f);
  std::string out(buf, size);
  std::free(buf);
  CHECK(out ==
        "USER        PID         PPID        %CPU        ELAPSED       TTY         TIME        COMMAND\n"
        "root        1           0           0.000       3.54034612s   ?           0s          sleep 2000 \n"
        "root        7           1           0.000       3.540448254s  ?           0s          sleep 1000 \n"
        "root        8           1           56.489      3.540501546s  ?           2s          "
        "sh -c sleep 1000 & yes > /dev/null & exec sleep 2000 \n");
}

TEST_CASE("an unknown descriptor is psgo's error, before any process is read", "[procstat]") {
  CHECK_THROWS_WITH(top(::getpid(), {"pid", "bogus"}), "'bogus': unknown descriptor");
  CHECK_THROWS_WITH(top(::getpid(), {"pid,%Z"}), "'%Z': unknown descriptor");
  // Even for a process that does not exist: psgo checks descriptors first.
  CHECK_THROWS_WITH(top(std::numeric_limits<pid_t>::max(), {"nope"}), "'nope': unknown descriptor");
}

TEST_CASE("a process in the caller's PID namespace", "[procstat]") {
  Child child;
  auto pids = container_pids(child.pid());
  REQUIRE(!pids.empty());
  CHECK(pids.front() == child.pid());
  CHECK(std::is_sorted(pids.begin() + 1, pids.end()));
  // Same namespace as the caller: the caller is one of its processes.
  CHECK(std::find(pids.begin(), pids.end(), ::getpid()) != pids.end());

  // No host view of a process that is not in a namespace below the caller's.
  auto t = top(child.pid(), {"pid", "hpid", "huser"});
  auto row = std::find_if(t.rows.begin(), t.rows.end(),
                          [&](const auto& r) { return r[0] == std::to_string(child.pid()); });
  REQUIRE(row != t.rows.end());
  CHECK((*row)[1] == "?");
  CHECK((*row)[2] == "?");
}

TEST_CASE("a process that is gone", "[procstat]") {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(0);
  REQUIRE(::waitpid(pid, nullptr, 0) == pid);
  CHECK(container_pids(pid).empty());
  try {
    top(pid);
    FAIL("top of a gone process did not throw");
  } catch (const Error& e) {
    CHECK(e.err() == ESRCH);
    CHECK(e.message() == fmt::format("process {}", pid));
  }
  StatsSample s = sample_stats(pid);
  CHECK(s.pids == 0);
  CHECK(s.cpu_ns == 0);
  CHECK(s.mem_bytes == 0);
  CHECK(s.mem_limit == 0);
  auto c = stats_columns(nullptr, s);
  CHECK(c.mem_usage == "0B / 0B");
  CHECK(c.mem_perc == "0.00%");
  CHECK(c.cpu_perc == "0.00%");
  CHECK(c.cpu_time == "0s");
  CHECK(c.pids == "0");
}

TEST_CASE("a process the caller may not inspect", "[procstat]") {
  struct stat st;
  REQUIRE(::stat("/proc/1", &st) == 0);
  if (::geteuid() == 0 || st.st_uid == ::geteuid()) return;  // nothing is hidden from root
  CHECK(container_pids(1).empty());
  try {
    top(1);
    FAIL("top of another user's process did not throw");
  } catch (const Error& e) {
    CHECK(e.err() == EACCES);
    CHECK(e.message() == "read /proc/1/ns/pid");
  }
}

TEST_CASE("a container in its own user, PID and network namespaces", "[procstat]") {
  FakeContainer ctr;
  pid_t init = ctr.init();
  if (init <= 0) {
    WARN("unprivileged user and PID namespaces are not available: skipped");
    return;
  }

  SECTION("container_pids: PID 1 first, then its children") {
    auto pids = container_pids(init);
    REQUIRE(pids.size() == 3);
    CHECK(pids.front() == init);
    CHECK(pids[1] < pids[2]);
    CHECK(std::find(pids.begin(), pids.end(), ::getpid()) == pids.end());
  }

  SECTION("top with the default descriptors") {
    auto t = top(init);
    CHECK(t.headers == kDefaultHeaders);
    REQUIRE(t.rows.size() == 3);
    // Inside: root (the caller's id is mapped to 0), PIDs 1, 2, 3.
    for (size_t i = 0; i < 3; ++i) {
      CHECK(t.rows[i][0] == "root");
      CHECK(t.rows[i][1] == std::to_string(i + 1));
      CHECK(t.rows[i][2] == (i == 0 ? "0" : "1"));
      CHECK(t.rows[i][5] == "?");  // no controlling terminal
    }
    // The busy one has used its CPU time, psgo's whole seconds: 0s.
    CHECK(t.rows[1][6] == "0s");
    CHECK(t.rows[1][3] == "0.000");
    CHECK(t.rows[0][4].back() == 's');
  }

  SECTION("top with other descriptors, several in one argument") {
    auto t = top(init, {"pid,comm", "hpid", "huser", "user", "group", "state", "seccomp", "capeff", "ppid,pgid"});
    CHECK(t.headers == std::vector<std::string>{"PID", "COMMAND", "HPID", "HUSER", "USER", "GROUP", "STATE", "SECCOMP",
                                                "EFFECTIVE CAPS", "PPID", "PGID"});
    REQUIRE(t.rows.size() == 3);
    const auto& r = t.rows[0];
    CHECK(r[0] == "1");
    CHECK(r[1] == "procstat-init");
    CHECK(r[2] == std::to_string(init));
    CHECK(r[3] == user_name(::geteuid()));
    CHECK(r[4] == "root");
    CHECK(r[5] == "root");
    CHECK(r[6] == "S");
    CHECK((r[7] == "disabled" || r[7] == "filter"));
    // Root of its own user namespace: every capability there.
    CHECK((r[8] == "full" || r[8].find("CHOWN") != std::string::npos));
    CHECK(r[9] == "0");
    CHECK(r[10] == "0");  // the helper's session, outside the container
    CHECK(t.rows[1][1] == "procstat-busy");
    CHECK(t.rows[2][1] == "procstat-idle");
    CHECK(t.rows[1][9] == "1");
  }

  SECTION("stats") {
    StatsSample s = sample_stats(init);
    CHECK(s.pids == 3);
    CHECK(s.mem_bytes > 0);
    CHECK(s.mem_limit > s.mem_bytes);
    CHECK(s.cpu_ns >= 30000000);  // the busy one's 60 ms, in 10 ms ticks
    CHECK(s.running > 0ns);
    CHECK(s.net_rx == 0);  // its own network namespace has only lo
    CHECK(s.net_tx == 0);
    double avg = avg_cpu_percent(s);
    CHECK(avg > 0);
    CHECK(cpu_percent(nullptr, s) == avg);
    auto c = stats_columns(nullptr, s);
    CHECK(c.pids == "3");
    CHECK(c.net_io == "0B / 0B");
    CHECK(c.cpu_perc == c.avg_cpu);

    StatsSample later = sample_stats(init);
    CHECK(cpu_percent(&s, later) < 50);  // nothing is busy any more
  }

  ctr.stop();
  CHECK(container_pids(init).empty());
}

TEST_CASE("CPU % and MEM % between two samples", "[procstat]") {
  StatsSample a, b;
  a.at = std::chrono::steady_clock::time_point(100s);
  b.at = a.at + 2s;
  a.cpu_ns = 1000000000;
  b.cpu_ns = 2000000000;
  CHECK(cpu_percent(&a, b) == Approx(50.0));
  b.cpu_ns = 6000000000;  // 2.5 CPUs busy: not divided by the number of CPUs
  CHECK(cpu_percent(&a, b) == Approx(250.0));
  b.cpu_ns = 500000000;  // fewer than before: other processes
  CHECK(cpu_percent(&a, b) == 0);
  b.cpu_ns = a.cpu_ns;
  CHECK(cpu_percent(&a, b) == 0);
  b.at = a.at;
  b.cpu_ns = 2000000000;
  CHECK(cpu_percent(&a, b) == 0);

  // Without a previous sample: since the container started.
  b.running = 10s;
  CHECK(cpu_percent(nullptr, b) == Approx(20.0));
  CHECK(avg_cpu_percent(b) == Approx(20.0));

  // Figures from a real podman stats: 1.053MB / 25.28GB, 0.00%.
  b.mem_bytes = 1053000;
  b.mem_limit = 25276026880;
  CHECK(mem_percent(b) == Approx(0.004166).epsilon(0.001));
  b.cpu_ns = 11411681556;
  b.running = 11499000000ns;
  b.pids = 3;
  b.net_rx = 1536;
  b.net_tx = 2500000;
  b.block_read = 0;
  b.block_write = 123456789;
  auto c = stats_columns(nullptr, b);
  CHECK(c.cpu_perc == "99.24%");
  CHECK(c.avg_cpu == "99.24%");
  CHECK(c.mem_usage == "1.053MB / 25.28GB");
  CHECK(c.mem_perc == "0.00%");
  CHECK(c.net_io == "1.536kB / 2.5MB");
  CHECK(c.block_io == "0B / 123.5MB");
  CHECK(c.pids == "3");
  CHECK(c.cpu_time == "11.411681556s");

  CHECK(stats_headers() == std::vector<std::string>{"ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET IO",
                                                    "BLOCK IO", "PIDS", "CPU TIME", "AVG CPU %"});
}
