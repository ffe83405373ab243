#include "engine/lifecycle.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "engine/create.h"
#include "engine/health.h"
#include "engine/secrets.h"
#include "engine/volumes.h"
#include "format/units.h"
#include "net/members.h"
#include "net/stack.h"
#include "net/store.h"
#include "runtime/executor.h"
#include "runtime/attach.h"
#include "runtime/logfile.h"
#include "runtime/monitor_io.h"
#include "runtime/netdev.h"
#include "runtime/supervise.h"
#include "runtime/terminal.h"
#include "security/seccomp.h"
#include "storage/events.h"
#include "storage/rootfs.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/netns_child.h"
#include "util/process.h"
#include "util/signals.h"

extern char** environ;

namespace cabin::engine {
namespace {

using namespace std::chrono_literals;

// How long stop waits for a container's waiter to record an exit.
constexpr std::chrono::seconds kWaiterGrace{10};

std::string now() { return format::rfc3339_nano(std::chrono::system_clock::now()); }

storage::MountedRootfs mount_root(const config::StorePaths& paths, const storage::ContainerStore& containers,
                                  const storage::ContainerRecord& rec, const runtime::StartConfig& cfg) {
  if (!rec.rootfs.empty() && cfg.lower_dirs.empty()) return {};  // --rootfs DIR: the user's directory as it is
  std::string dir = containers.dir(rec.id);
  // --rootfs FILE: the squashfs file is the one lower layer.
  storage::MountedRootfs squashfs;
  if (!rec.rootfs.empty())
    squashfs = with_context(fmt::format("--rootfs {}", rec.rootfs),
                            [&] { return storage::mount_squashfs(rec.rootfs, cfg.lower_dirs.at(0)); });
  storage::RootfsRequest req{cfg.lower_dirs, fs::join(dir, "upper"), fs::join(dir, "work"), fs::join(dir, "merged"),
                             cfg.shift, cfg.rm};
  auto root = storage::mount_rootfs(storage::choose_driver(paths.graphroot, paths.driver), req);
  if (!rec.rootfs.empty()) root.keep_below(std::move(squashfs));
  return root;
}

security::SeccompFilter filter_for(const config::StorePaths& paths, const runtime::StartConfig& cfg) {
  if (!cfg.spec.seccomp) return {};
  return security::cached_filter(fs::join(paths.graphroot, "cache"), cfg.seccomp_profile,
                                 security::CapSet{cfg.spec.caps.bounding});
}

bool waiter_alive(const config::StorePaths& paths, const std::string& id, const storage::ContainerState& st) {
  return st.monitor_start != 0 && st.boot_id == boot_id() &&
         process_start_time(st.monitor_pid) == st.monitor_start && fs::exists(waiter_marker(paths, id));
}

// The container's PID 1 as a pidfd, if it is still the process recorded.
UniqueFd open_container_pid(const storage::ContainerState& st) {
  if (st.pid <= 0 || st.pid_start == 0 || st.boot_id != boot_id()) return {};
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
  if (fd && process_start_time(st.pid) != st.pid_start) fd.reset();
  return fd;
}

void make_pipe(UniqueFd& rd, UniqueFd& wr) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
  rd.reset(p[0]);
  wr.reset(p[1]);
}

// The waiter's record of a started container.
void mark_running(storage::ContainerState& st, const runtime::Started& started) {
  static const uint64_t self_start = process_start_time(::getpid());
  st.status = "running";
  st.pid = started.pid;
  st.pid_start = process_start_time(started.pid);
  st.monitor_pid = ::getpid();
  st.monitor_start = self_start;
  st.boot_id = boot_id();
  st.started_at = now();
  st.finished_at.clear();
  st.exit_code = 0;
  st.error.clear();
  st.restarting = false;
}

// The process's pid, at each start, in pidfile_path's file, as Podman
// writes it: the digits alone.
void write_pidfile(const storage::ContainerStore& containers, const std::string& id, const runtime::StartConfig& cfg,
                   pid_t pid) {
  try {
    fs::write_file_atomic(pidfile_path(containers, id, cfg), std::to_string(pid), 0644);
  } catch (const Error& e) {
    log::warn("container {}: {}", id.substr(0, 12), e.what());
  }
}

// A --pidfile that cannot be written fails the start before anything runs,
// as runc's --pid-file fails it under Podman.
void check_pidfile(const runtime::StartConfig& cfg) {
  if (cfg.pidfile.empty()) return;
  if (!UniqueFd(::open(cfg.pidfile.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)))
    throw_errno("write --pidfile {}", cfg.pidfile);
}

void mark_exited(storage::ContainerState& st, int code) {
  st.status = "exited";
  st.pid = 0;
  st.pid_start = 0;
  st.exit_code = code;
  st.finished_at = now();
  st.restarting = false;
}

// The waiter's marker goes, with the attach socket in it.
void remove_marker(const std::string& path) {
  ::unlink(fs::join(path, runtime::kAttachSocket).c_str());
  ::rmdir(path.c_str());
}

// Keeps runroot/containers/ID while the waiter lives.
class Marker {
 public:
  Marker(const config::StorePaths& paths, const std::string& id) : path_(waiter_marker(paths, id)) {
    config::ensure_private_dir(paths.runroot);
    fs::mkdir_p(path_, 0700);
  }
  ~Marker() { remove_marker(path_); }
  Marker(const Marker&) = delete;
  Marker& operator=(const Marker&) = delete;

 private:
  std::string path_;
};

// --rm: the container and its anonymous volumes go.
void remove_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                      const storage::ContainerRecord& rec) {
  try {
    containers.remove(rec.id);
    remove_anonymous_volumes(paths, containers, rec);
  } catch (const Error& e) {
    log::warn("removing container {}: {}", rec.id, e.what());
  }
}

// ---- the monitor ----

// Whether the policy restarts a container that ended with code, when it has
// been restarted `count` times and the user has not stopped it.
bool should_restart(const runtime::RestartPolicy& p, const storage::ContainerState& st, int code) {
  if (st.stop_requested) return false;
  if (p.name == "always" || p.name == "unless-stopped") return true;
  if (p.name == "on-failure") return code != 0 && (p.max_retries == 0 || st.restart_count < p.max_retries);
  return false;
}

void report(int fd, const std::string& text) {
  if (fd < 0) return;
  ssize_t ignored = ::write(fd, text.data(), text.size());
  (void)ignored;
}

}  // namespace

void container_event(const config::StorePaths& paths, const storage::ContainerRecord& rec, const std::string& status,
                     std::optional<int> exit_code, const std::string& health_status) {
  storage::Event e;
  e.type = "container";
  e.status = status;
  e.id = rec.id;
  e.name = rec.name;
  e.image = rec.image;
  e.attributes = rec.labels;
  if (exit_code) e.attributes[std::string(storage::kEventExitCode)] = std::to_string(*exit_code);
  if (!health_status.empty()) e.attributes[std::string(storage::kEventHealthStatus)] = health_status;
  storage::record_event(paths, std::move(e));
}

namespace {

// The container's network while its waiter lives: its membership of
// user-defined networks, and the stack (user-mode stack, relays).
struct Networking {
  std::unique_ptr<net::Membership> members;
  std::unique_ptr<net::Stack> stack;
  void attach(runtime::Started& started) {
    if (stack) stack->attach(std::move(started.taps), started.pidfd.get());
  }
  PollSource* poll() { return stack.get(); }
  // The container is done with its networks: its peers stop seeing its
  // name, and its published ports and devices are free, before anyone sees
  // it stopped (a start right after must find them free; closing the tap
  // devices can take a tenth of a second, more under load).
  void leave() {
    stack.reset();
    members.reset();
  }

  // network connect/disconnect, asked of the monitor while the container
  // (pidfd) runs; cfg follows, for its restarts. "" or an error.
  std::string control(runtime::AttachMsg kind, std::string_view data, runtime::StartConfig& cfg, int pidfd) {
    try {
      if (!members || !stack || pidfd < 0) fail("the container is on no network that can change while it runs");
      auto is_outbound = [](const runtime::TapSpec& t) { return std::string_view(t.name) == "tap0"; };
      auto& nets = cfg.net.networks;
      auto& taps = cfg.spec.taps;
      bool had_outbound = members->outbound();
      if (kind == runtime::AttachMsg::Disconnect) {
        std::string name(data);
        auto link = std::find_if(members->links().begin(), members->links().end(),
                                 [&](const net::Link& l) { return l.network == name; });
        if (link != members->links().end())
          std::erase_if(taps, [&](const runtime::TapSpec& t) { return t.address == link->ip && !is_outbound(t); });
        stack->disconnect(name);  // the relay and its tap: the device is gone
        members->remove(name);
        std::erase_if(nets, [&](const net::Attachment& a) { return a.network == name; });
      } else {
        auto j = nlohmann::json::parse(data);
        net::Attachment a{j.at("network"), j.at("aliases"), j.at("ip"), j.at("mac")};
        const net::Link& link = members->add(a);
        try {
          auto spec = tap_for(link, cfg);
          stack->connect(link, make_tap_in(pidfd, spec));
          taps.push_back(spec);
        } catch (...) {
          members->remove(a.network);
          throw;
        }
        nets.push_back(a);
      }
      // A way out came or went with the network: the user-mode stack's
      // device (and its default route) with it.
      if (members->outbound() && !had_outbound) {
        auto spec = net::tap_specs(cfg.net, members->links()).front();
        stack->set_outbound(make_tap_in(pidfd, spec));
        taps.insert(taps.begin(), spec);
      } else if (!members->outbound() && had_outbound) {
        stack->set_outbound({});
        std::erase_if(taps, is_outbound);
      }
      return "";
    } catch (const std::exception& e) {
      return e.what();
    }
  }

 private:
  // The link's device, named with the lowest ethN the container's others
  // do not have.
  static runtime::TapSpec tap_for(const net::Link& link, const runtime::StartConfig& cfg) {
    net::NetConfig one = cfg.net;
    one.mode = net::Mode::Bridge;
    auto specs = net::tap_specs(one, {link});
    runtime::TapSpec t = specs.back();
    for (unsigned i = 0;; ++i) {
      auto name = fmt::format("eth{}", i);
      if (std::none_of(cfg.spec.taps.begin(), cfg.spec.taps.end(), [&](const auto& o) { return name == o.name; })) {
        std::snprintf(t.name, sizeof t.name, "%s", name.c_str());
        return t;
      }
    }
  }
  // Makes the device in the container's network namespace from a child
  // that joins it (we stay in ours) and passes the fd back.
  static UniqueFd make_tap_in(int pidfd, const runtime::TapSpec& t) {
    UniqueFd ours;
    pid_t pid = fork_in_netns(pidfd, &ours, [&](int sock) {
      const char* what = "make the device";
      int fd = runtime::make_tap(t, &what);
      if (fd < 0) {
        auto text = fmt::format("{}: {}", what, std::strerror(-fd));
        (void)!::write(sock, text.data(), text.size());
        return 1;
      }
      return send_fd(sock, fd) == 0 ? 0 : 1;
    });
    int fd = recv_fds_or_text(ours.get());
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return UniqueFd(fd);
  }
  // An fd, or the child's error text thrown.
  static int recv_fds_or_text(int sock) {
    char text[256];
    ssize_t n = ::recv(sock, text, sizeof text, MSG_PEEK);
    if (n > 1 || (n == 1 && text[0] != 0)) {
      n = ::recv(sock, text, sizeof text - 1, 0);
      fail("make the network device: {}", std::string_view(text, static_cast<size_t>(std::max<ssize_t>(n, 0))));
    }
    int fd = recv_fd(sock);
    if (fd < 0) throw_errno("receive the network device");
    return fd;
  }
};

// --ipc, --uts, --pid (and a pod's sharing): the namespaces to join go
// into cfg.spec, as paths of the process that holds them.
void prepare_namespaces(storage::ContainerStore& containers, const config::StorePaths& paths,
                        runtime::StartConfig& cfg) {
  struct Kind {
    const std::string& mode;
    bool& make_new;
    std::string& join;
    const char* ns;
  };
  auto& s = cfg.spec;
  for (const Kind& k : {Kind{cfg.ipc_mode, s.new_ipcns, s.join_ipcns, "ipc"}, Kind{cfg.uts_mode, s.new_utsns, s.join_utsns, "uts"},
                        Kind{cfg.pid_mode, s.new_pidns, s.join_pidns, "pid"}}) {
    k.make_new = k.mode != "host";
    k.join.clear();
    if (k.mode.starts_with("ns:")) {
      k.join = k.mode.substr(3);
    } else if (k.mode.starts_with("container:")) {
      auto other = containers.find(k.mode.substr(10));
      if (!other) fail("cannot join the {} namespace of container {}: it no longer exists", k.ns, k.mode.substr(10));
      pid_t pid = -1;
      if (!running_pidfd(containers, paths, other->id, &pid))
        fail("cannot join the {} namespace of container {}: it is not running", k.ns, other->name);
      k.join = fmt::format("/proc/{}/ns/{}", pid, k.ns);
    }
  }
}

// The tap devices the child makes and the namespace it joins go into
// cfg.spec; the stack comes back with the published ports already bound.
Networking prepare_network(storage::ContainerStore& containers, const config::StorePaths& paths,
                           const storage::ContainerRecord& rec, runtime::StartConfig& cfg) {
  const auto& n = cfg.net;
  Networking out;
  if (n.mode == net::Mode::Container) {
    auto other = containers.find(n.target);
    if (!other) fail("cannot join the network namespace of container {}: it no longer exists", n.target);
    pid_t pid = -1;
    if (!running_pidfd(containers, paths, other->id, &pid))
      fail("cannot join the network namespace of container {}: it is not running", other->name);
    // Its network namespace belongs to the user namespace we are in
    // (cmd's enter_userns_to_start joined it) or to one below it.
    cfg.spec.join_netns = fmt::format("/proc/{}/ns/net", pid);
    // Its names and resolvers too, as Podman shares them (its hosts file
    // follows its networks' members).
    std::string ours = fs::join(containers.dir(rec.id), "userdata/"), theirs = fs::join(containers.dir(other->id), "userdata/");
    for (auto& m : cfg.spec.mounts)
      for (const char* file : {"hosts", "resolv.conf"})
        if (m.source == ours + file && fs::exists(theirs + file)) m.source = theirs + file;
  } else if (n.mode == net::Mode::Ns) {
    cfg.spec.join_netns = n.target;
  }
  prepare_namespaces(containers, paths, cfg);
  if (n.mode == net::Mode::Bridge)
    out.members = net::Membership::join(
        paths, n, {rec.id, rec.name, cfg.spec.hostname, fs::join(containers.dir(rec.id), "userdata/hosts")});
  std::vector<net::Link> links;
  if (out.members) links = out.members->links();
  cfg.spec.taps = net::tap_specs(n, links);
  if (!cfg.spec.taps.empty()) out.stack = net::make_stack(n, links);
  return out;
}

}  // namespace

storage::MountedRootfs mount_container_root(const config::StorePaths& paths, const storage::ContainerStore& containers,
                                            const storage::ContainerRecord& rec, const runtime::StartConfig& cfg) {
  return mount_root(paths, containers, rec, cfg);
}

std::string waiter_marker(const config::StorePaths& paths, const std::string& id) {
  return fs::join(paths.runroot, "containers/" + id);
}

storage::ContainerState repair_locked(storage::ContainerStore& containers, const config::StorePaths& paths,
                                      const std::string& id, storage::ContainerState st) {
  if (!st.active() || waiter_alive(paths, id, st)) return st;
  // Its waiter is gone (killed, or this is another boot): the container died
  // with it (PR_SET_PDEATHSIG); make sure, and say so. Nobody restarts it.
  if (st.running()) {
    if (UniqueFd pid = open_container_pid(st)) ::syscall(SYS_pidfd_send_signal, pid.get(), SIGKILL, nullptr, 0);
    mark_exited(st, 128 + SIGKILL);
  }
  st.restarting = false;
  try {
    containers.write_state(id, st);
  } catch (const Error& e) {
    // A full disk: what is known is still the answer; the next look repairs it.
    log::warn("container {} is no longer running, which could not be recorded: {}", id.substr(0, 12), e.what());
    return st;
  }
  remove_marker(waiter_marker(paths, id));
  return st;
}

storage::ContainerState current_state(storage::ContainerStore& containers, const config::StorePaths& paths,
                                      const std::string& id) {
  auto st = containers.state(id);
  if (!st.active() || waiter_alive(paths, id, st)) return st;
  auto lock = containers.lock(id);
  return repair_locked(containers, paths, id, containers.state(id));
}

int run_foreground(storage::ContainerStore& containers, const config::StorePaths& paths,
                   const storage::ContainerRecord& rec, const runtime::StartConfig& config, bool interactive) {
  runtime::StartConfig cfg = config;
  check_pidfile(cfg);
  auto network = prepare_network(containers, paths, rec, cfg);
  auto rootfs = mount_root(paths, containers, rec, cfg);
  VolumeSetup volumes(paths, cfg.spec);
  auto filter = filter_for(paths, cfg);
  Marker marker(paths, rec.id);
  sigset_t old_mask;
  runtime::block_signals(&old_mask);
  ScopeGuard restore_mask([&] { ::sigprocmask(SIG_SETMASK, &old_mask, nullptr); });
  // A container that outlives its run keeps a log, as under a monitor: its
  // output goes through cabin. A --rm one writes to cabin's stdio directly.
  std::optional<runtime::LogWriter> log;
  UniqueFd out_rd, out_wr, err_rd, err_wr;
  if (!cfg.rm) {
    log.emplace(fs::join(containers.dir(rec.id), "userdata/ctr.log"), cfg.log_max_size);
    if (!cfg.spec.terminal) {
      make_pipe(out_rd, out_wr);
      make_pipe(err_rd, err_wr);
    }
  }
  auto started = [&] {
    SecretFiles secrets(paths, rec.id, cfg);  // mounted by the child: gone once it runs
    return runtime::start_container(secrets.spec(), filter, old_mask, {-1, out_wr.get(), err_wr.get()});
  }();
  volumes.started();
  out_wr.reset();
  err_wr.reset();
  network.attach(started);
  {
    auto lock = containers.lock(rec.id);
    auto st = containers.state(rec.id);
    mark_running(st, started);
    st.stop_requested = false;
    containers.write_state(rec.id, st);
  }
  write_pidfile(containers, rec.id, cfg, started.pid);
  container_event(paths, rec, "start");
  // --health-on-failure=restart acts as kill here: nothing restarts a
  // foreground container.
  HealthTimer health(containers, paths, rec, cfg);
  health.started(started.pidfd.get());
  runtime::SuperviseOptions so;
  so.pid = started.pid;
  so.pidfd = started.pidfd.get();
  so.pty_master = started.pty_master.get();
  so.stdin_open = interactive;
  so.sig_proxy = cfg.sig_proxy;
  so.out_fd = out_rd.get();
  so.err_fd = err_rd.get();
  // network connect/disconnect reach it through its control socket.
  std::optional<runtime::ControlServer> control;
  PollSet extra;
  extra.sources.push_back(&health);
  if (network.poll()) extra.sources.push_back(network.poll());
  if (cfg.net.mode == net::Mode::Bridge) {
    control.emplace(runtime::listen_attach(waiter_marker(paths, rec.id), runtime::kControlSocket),
                    [&](runtime::AttachMsg kind, std::string_view data) {
                      return network.control(kind, data, cfg, started.pidfd.get());
                    });
    extra.sources.push_back(&*control);
  }
  so.extra = &extra;
  if (log)
    so.tee = [&](int stream, std::string_view data) {
      log->write(stream == 2 ? runtime::LogStream::Stderr : runtime::LogStream::Stdout, data);
    };
  int code = runtime::exit_code_of(runtime::supervise(so));
  health.stopped();
  control.reset();
  network.leave();
  if (log) log->flush();
  try {
    auto lock = containers.lock(rec.id);
    auto st = containers.state(rec.id);
    mark_exited(st, code);
    containers.write_state(rec.id, st);
  } catch (const Error& e) {
    // A full disk: the container's exit code is still the answer (and a
    // --rm container goes anyway).
    if (!cfg.rm) log::warn("container {} exited with code {}, which could not be recorded: {}", rec.name, code, e.what());
  }
  container_event(paths, rec, "died", code);
  if (cfg.rm) {
    rootfs = {};
    remove_container(containers, paths, rec);
    container_event(paths, rec, "remove");
  }
  return code;
}

void start_detached(storage::ContainerStore& containers, const config::StorePaths& paths,
                    const storage::ContainerRecord& rec, int attach_fd) {
  auto lock = containers.lock(rec.id);
  auto st = repair_locked(containers, paths, rec.id, containers.state(rec.id));
  if (st.running()) return;

  // The monitor: this program again, in its own session, inheriting our
  // user and mount namespaces; it mounts the root (a fuse-overlayfs helper
  // is then its child and dies with it). It reports on fd 3.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd report_rd(fds[0]), report_wr(fds[1]);
  char self[4096];
  ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (len < 0) throw_errno("readlink /proc/self/exe");
  std::string exe(self, static_cast<size_t>(len));
  // main.cpp's monitor_fast_path expects exactly this shape.
  std::vector<std::string> args = {exe, "--root", paths.graphroot, "--runroot", paths.runroot};
  if (!paths.driver.empty()) args.insert(args.end(), {"--storage-driver", paths.driver});
  args.insert(args.end(), {"__monitor", rec.id});
  if (attach_fd >= 0) args.emplace_back("--attached");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  ScopeGuard free_spawn([&] {
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  });
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&fa, 0, 1);
  posix_spawn_file_actions_adddup2(&fa, 0, 2);
  posix_spawn_file_actions_adddup2(&fa, report_wr.get(), 3);
  if (attach_fd >= 0) posix_spawn_file_actions_adddup2(&fa, attach_fd, 4);
  // Nothing of our caller's (a test runner's pipes) lingers.
  posix_spawn_file_actions_addclosefrom_np(&fa, attach_fd >= 0 ? 5 : 4);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int rc = ::posix_spawn(&pid, exe.c_str(), &fa, &attr, argv.data(), environ);
  if (rc != 0) throw Error(rc, "start the container's monitor");
  report_wr.reset();
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(report_rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  if (text == "ok") return;
  // "CODE MESSAGE" from the monitor, or nothing if it died.
  int status;
  ::waitpid(pid, &status, WNOHANG);
  auto space = text.find(' ');
  if (text.empty() || space == std::string::npos) fail("the container's monitor died before the container started");
  throw Error(text.substr(space + 1), std::atoi(text.substr(0, space).c_str()));
}

namespace {

// Asks a running container's monitor to join or leave a network; its error
// text when it could not.
std::string ask_monitor(const config::StorePaths& paths, const storage::ContainerRecord& rec, runtime::AttachMsg kind,
                        const std::string& payload) {
  // A monitor's attach socket, or the control socket of a foreground run.
  UniqueFd sock = runtime::connect_attach(waiter_marker(paths, rec.id));
  if (!sock) sock = runtime::connect_attach(waiter_marker(paths, rec.id), runtime::kControlSocket);
  if (!sock) fail("the monitor of container {} went away", rec.name);
  if (!runtime::send_msg(sock.get(), kind, payload)) fail("the monitor of container {} went away", rec.name);
  std::string buf(65536, '\0');
  for (;;) {  // output broadcast to attached clients comes first
    ssize_t n = ::recv(sock.get(), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("the monitor of container {} went away", rec.name);
    if (static_cast<runtime::AttachMsg>(buf[0]) == runtime::AttachMsg::Reply)
      return buf.substr(1, static_cast<size_t>(n) - 1);
  }
}

// The container's networks as ps and inspect show them without start.json.
void record_networks(storage::ContainerStore& containers, storage::ContainerRecord rec, const net::NetConfig& n) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& a : n.networks) names.push_back(a.network);
  if (!rec.config.is_object()) rec.config = nlohmann::json::object();
  rec.config["networks"] = names;
  containers.update(rec);
}

}  // namespace

void connect_network(storage::ContainerStore& containers, const config::StorePaths& paths,
                     const storage::ContainerRecord& rec, const net::Attachment& a) {
  net::Attachment want = a;
  bool running;
  {
    auto lock = containers.lock(rec.id);
    auto cfg = load_start_config(containers, rec.id);
    if (cfg.net.mode != net::Mode::Bridge) fail("{:?} is not supported: invalid network mode", net::mode_name(cfg.net));
    auto n = net::NetworkStore(paths).get(a.network);
    want.network = n.name;
    for (const auto& have : cfg.net.networks)
      if (have.network == n.name)
        fail("container {} is already connected to network {:?}: network is already connected", rec.id, n.name);
    if (!want.ip.empty()) {
      auto c = net::parse_cidr(n.subnet);
      if ((net::parse_ipv4(want.ip) & c.netmask()) != c.network)
        fail("requested static ip {} not in any subnet on network {}", want.ip, n.name);
    }
    running = repair_locked(containers, paths, rec.id, containers.state(rec.id)).running();
  }
  // Not under the container's lock: the monitor takes it when the container exits.
  if (running) {
    nlohmann::json j = {{"network", want.network}, {"aliases", want.aliases}, {"ip", want.ip}, {"mac", want.mac}};
    if (auto err = ask_monitor(paths, rec, runtime::AttachMsg::Connect, json_text(j)); !err.empty()) throw Error(err);
  }
  auto lock = containers.lock(rec.id);
  auto cfg = load_start_config(containers, rec.id);
  cfg.net.networks.push_back(want);
  save_start_config(containers, rec.id, cfg);
  record_networks(containers, *containers.find(rec.id), cfg.net);
}

void disconnect_network(storage::ContainerStore& containers, const config::StorePaths& paths,
                        const storage::ContainerRecord& rec, const std::string& network) {
  std::string name;
  bool running;
  {
    auto lock = containers.lock(rec.id);
    auto cfg = load_start_config(containers, rec.id);
    if (cfg.net.mode != net::Mode::Bridge) fail("{:?} is not supported: invalid network mode", net::mode_name(cfg.net));
    name = net::NetworkStore(paths).get(network).name;
    if (std::none_of(cfg.net.networks.begin(), cfg.net.networks.end(), [&](const auto& h) { return h.network == name; }))
      fail("container {} is not connected to network {}: network not found", rec.id, name);
    running = repair_locked(containers, paths, rec.id, containers.state(rec.id)).running();
  }
  if (running)
    if (auto err = ask_monitor(paths, rec, runtime::AttachMsg::Disconnect, name); !err.empty()) throw Error(err);
  auto lock = containers.lock(rec.id);
  auto cfg = load_start_config(containers, rec.id);
  std::erase_if(cfg.net.networks, [&](const net::Attachment& h) { return h.network == name; });
  save_start_config(containers, rec.id, cfg);
  record_networks(containers, *containers.find(rec.id), cfg.net);
}

int monitor_main(const config::StorePaths& paths, const std::string& id, int report_fd, int attach_fd) {
  storage::ContainerStore containers(paths);
  bool first = true;
  try {
    auto rec = containers.find(id);
    if (!rec || rec->id != id) fail("no container with ID {}", id);
    auto cfg = load_start_config(containers, id);
    check_pidfile(cfg);
    auto network = prepare_network(containers, paths, *rec, cfg);
    auto rootfs = mount_root(paths, containers, *rec, cfg);
    VolumeSetup volumes(paths, cfg.spec);
    auto filter = filter_for(paths, cfg);
    std::string dir = containers.dir(id);
    runtime::LogWriter log(fs::join(dir, "userdata/ctr.log"), cfg.log_max_size);
    Marker marker(paths, id);
    runtime::MonitorIo io(log, runtime::listen_attach(waiter_marker(paths, id)));
    if (attach_fd >= 0) {
      // start -a: the client is there from the start; its terminal's size
      // is the pty's first.
      auto size = io.adopt(UniqueFd(attach_fd));
      if (size && cfg.spec.terminal) cfg.spec.console_size = {size->ws_row, size->ws_col};
    }
    HealthTimer health(containers, paths, *rec, cfg);
    PollSet extra;
    extra.sources.push_back(&health);
    if (network.poll()) extra.sources.push_back(network.poll());
    int live_pidfd = -1;  // the container's, while it runs
    io.set_control([&](runtime::AttachMsg kind, std::string_view data) {
      return network.control(kind, data, cfg, live_pidfd);
    });
    sigset_t old_mask;
    runtime::block_signals(&old_mask);
    // Between runs of a restart policy the lock is held from the check for
    // a stop until the new run is recorded, so that a stop in between is
    // either seen here or finds the container running.
    std::optional<fs::FileLock> restart_lock;
    for (int attempt = 0;; ++attempt) {
      // -i keeps the container's stdin open (a pipe) for attach.
      UniqueFd out_rd, out_wr, err_rd, err_wr, in_rd, in_wr;
      if (!cfg.spec.terminal) {
        make_pipe(out_rd, out_wr);
        make_pipe(err_rd, err_wr);
        if (cfg.spec.stdin_open) make_pipe(in_rd, in_wr);
      }
      runtime::Started started;
      try {
        SecretFiles secrets(paths, id, cfg);  // mounted by the child: gone once it runs
        started = runtime::start_container(secrets.spec(), filter, old_mask, {in_rd.get(), out_wr.get(), err_wr.get()});
        volumes.started();
      } catch (const Error& e) {
        if (first) throw;
        restart_lock.reset();
        auto lock = containers.lock(id);
        auto st = containers.state(id);
        mark_exited(st, e.exit_code());
        containers.write_state(id, st);
        log::warn("restarting container {}: {}", id, e.what());
        break;
      }
      out_wr.reset();
      err_wr.reset();
      in_rd.reset();
      network.attach(started);
      {
        // The starter holds the lock until it has our first report.
        std::optional<fs::FileLock> lock = std::move(restart_lock);
        restart_lock.reset();
        if (!first && !lock) lock = containers.lock(id);
        auto st = containers.state(id);
        mark_running(st, started);
        if (first) st.stop_requested = false;
        containers.write_state(id, st);
      }
      write_pidfile(containers, id, cfg, started.pid);
      container_event(paths, *rec, first ? "start" : "restart");
      if (first) {
        report(report_fd, "ok");
        ::close(report_fd);
        report_fd = -1;
        first = false;
        trim_resident_set();  // what starting took is not kept for the container's life
      }
      live_pidfd = started.pidfd.get();
      health.started(live_pidfd);
      int code = runtime::exit_code_of(io.run(started, out_rd.get(), err_rd.get(), std::move(in_wr), &extra));
      health.stopped();
      live_pidfd = -1;
      // No further run (a stop asks first): the networks are left before
      // the exit is recorded.
      bool health_restart = health.take_restart();
      bool left = !health_restart && !should_restart(cfg.restart, containers.state(id), code);
      if (left) network.leave();
      bool again;
      int restarts;
      {
        auto lock = containers.lock(id);
        auto st = containers.state(id);
        mark_exited(st, code);
        again = !left && (health_restart ? !st.stop_requested : should_restart(cfg.restart, st, code));
        if (again) ++st.restart_count;
        st.restarting = again;
        restarts = st.restart_count;
        containers.write_state(id, st);
      }
      container_event(paths, *rec, "died", code);
      io.finish(code);
      if (!again) break;
      // Docker's back-off: 100 ms, doubling, at most a minute.
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(100ms * (1 << std::min(restarts - 1, 10)), 60s));
      restart_lock = containers.lock(id);
      if (auto st = containers.state(id); st.stop_requested) {
        st.restarting = false;
        containers.write_state(id, st);
        restart_lock.reset();
        break;
      }
    }
    if (cfg.rm) {
      rootfs = {};
      remove_container(containers, paths, *rec);
      container_event(paths, *rec, "remove");
    }
    return 0;
  } catch (const Error& e) {
    if (first) {
      report(report_fd, fmt::format("{} {}", e.exit_code(), e.what()));
    } else {
      // Nobody hears a monitor (its stderr is /dev/null): inspect shows why.
      try {
        auto lock = containers.lock(id);
        auto st = containers.state(id);
        st.error = e.what();
        containers.write_state(id, st);
      } catch (const Error&) {
      }
    }
    return e.exit_code();
  }
}

bool signal_container(storage::ContainerStore& containers, const config::StorePaths& paths, const std::string& id,
                      int sig) {
  auto lock = containers.lock(id);
  auto st = repair_locked(containers, paths, id, containers.state(id));
  if (!st.running()) return false;
  UniqueFd pid = open_container_pid(st);
  if (!pid) return false;
  st.stop_requested = true;
  containers.write_state(id, st);
  if (::syscall(SYS_pidfd_send_signal, pid.get(), sig, nullptr, 0) != 0 && errno != ESRCH)
    throw_errno("send signal {} to container {}", sig, id);
  return true;
}

void freeze_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                      const storage::ContainerRecord& rec, bool pause) {
  auto st = current_state(containers, paths, rec.id);
  if (!st.running())
    fail("{:?} is not {}, can't {}: container state improper", st.status, pause ? "running" : "paused",
         pause ? "pause" : "unpause");
  fail("{} needs the container in a cgroup with a freezer; rootless containers get one only on a cgroup v2 host "
       "with a subtree delegated to the user, and cabin does not set up cgroups yet",
       pause ? "pause" : "unpause");
}

void stop_container(storage::ContainerStore& containers, const config::StorePaths& paths, const std::string& id,
                    int stop_signal, std::chrono::seconds timeout) {
  UniqueFd pid;
  {
    auto lock = containers.lock(id);
    auto st = repair_locked(containers, paths, id, containers.state(id));
    if (!st.running()) {
      // Between two runs of a restart policy: no further run.
      if (!st.stop_requested && waiter_alive(paths, id, st)) {
        st.stop_requested = true;
        st.restarting = false;
        containers.write_state(id, st);
      }
      return;
    }
    // A process that is gone already (reaped by its waiter, which has not
    // recorded the exit yet) is not signalled, but waited for all the same.
    pid = open_container_pid(st);
    st.stop_requested = true;
    if (pid) st.status = "stopping";
    containers.write_state(id, st);
  }
  auto exited_within = [&](std::chrono::milliseconds ms) {
    if (!pid) return true;
    pollfd p{pid.get(), POLLIN, 0};
    int r;
    do r = ::poll(&p, 1, static_cast<int>(ms.count()));
    while (r < 0 && errno == EINTR);
    return r > 0;
  };
  bool sent = pid && timeout.count() > 0 && ::syscall(SYS_pidfd_send_signal, pid.get(), stop_signal, nullptr, 0) == 0;
  if (!pid || (timeout.count() > 0 && !sent && errno == ESRCH)) {
    // It ended on its own since the state was read: nothing to signal or
    // warn about; its waiter records the exit.
  } else if (sent && exited_within(timeout)) {
  } else {
    if (timeout.count() > 0) {
      auto rec = containers.find(id);
      log::warn("StopSignal {} failed to stop container {} in {} seconds, resorting to SIGKILL",
                signal_name(stop_signal), rec ? rec->name : id, timeout.count());
    }
    ::syscall(SYS_pidfd_send_signal, pid.get(), SIGKILL, nullptr, 0);
    exited_within(10s);
  }
  // The waiter records the exit, with its code, once it has reaped the
  // process. A waiter that has not after a long while (a machine under
  // heavy load) is not waited for further when the process is known to be
  // gone: the exit is recorded here, as a kill's, and the waiter's own
  // record, if it comes, puts the real code over it.
  if (wait_stopped(containers, paths, id, kWaiterGrace) || !exited_within(0ms)) return;
  auto lock = containers.lock(id);
  auto st = containers.state(id);
  if (!st.running()) return;
  log::warn("the waiter of container {} has not recorded its exit {} s after its end: recorded as killed",
            id.substr(0, 12), kWaiterGrace.count());
  mark_exited(st, 128 + SIGKILL);
  containers.write_state(id, st);
}

void force_remove_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                            const storage::ContainerRecord& rec, std::optional<std::chrono::seconds> timeout) {
  if (current_state(containers, paths, rec.id).running()) {
    auto cfg = load_start_config(containers, rec.id);
    stop_container(containers, paths, rec.id, parse_signal(cfg.stop_signal),
                   timeout ? *timeout : std::chrono::seconds(cfg.stop_timeout));
  }
  containers.remove(rec.id);
  container_event(paths, rec, "remove");
}

namespace {

runtime::AttachClientOptions client_options(const runtime::StartConfig& cfg, const AttachOptions& o) {
  runtime::AttachClientOptions c;
  c.tty = cfg.spec.terminal;
  c.relay_stdin = o.stdin && cfg.spec.stdin_open;
  c.detach_keys = runtime::parse_detach_keys(o.detach_keys);
  c.sig_proxy = o.sig_proxy && !c.tty;  // with a pty, keys are input, not signals
  return c;
}

runtime::AttachResult attach_with(storage::ContainerStore& containers, const config::StorePaths& paths,
                                  const std::string& id, runtime::AttachClientOptions c, int sock) {
  UniqueFd pid = open_container_pid(containers.state(id));
  c.pidfd = pid.get();
  auto a = runtime::attach_client(sock, c);
  if (!a.detached && !a.exit_code && containers.find(id)) {
    // The monitor went without saying how the container ended (killed?):
    // the state has it, once repaired.
    wait_stopped(containers, paths, id, 10s);
    a.exit_code = current_state(containers, paths, id).exit_code;
  }
  return a;
}

}  // namespace

runtime::AttachResult attach_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                                       const storage::ContainerRecord& rec, const AttachOptions& o) {
  auto cfg = load_start_config(containers, rec.id);
  runtime::AttachClientOptions c;
  try {
    c = client_options(cfg, o);
  } catch (Error& e) {
    throw e.add_context(fmt::format("attaching to container {}", rec.id));
  }
  auto st = current_state(containers, paths, rec.id);
  if (!st.running()) fail("you can only attach to running containers");
  UniqueFd sock = runtime::connect_attach(waiter_marker(paths, rec.id));
  if (!sock)
    fail("container {} runs in the foreground of the cabin that started it: only containers started with -d "
         "or `cabin start` can be attached to",
         rec.name);
  return attach_with(containers, paths, rec.id, c, sock.get());
}

runtime::AttachResult start_attached(storage::ContainerStore& containers, const config::StorePaths& paths,
                                     const storage::ContainerRecord& rec, const AttachOptions& o) {
  auto cfg = load_start_config(containers, rec.id);
  auto c = client_options(cfg, o);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
  UniqueFd mine(sv[0]), theirs(sv[1]);
  if (c.tty)
    if (auto ws = runtime::own_window_size())
      runtime::send_msg(mine.get(), runtime::AttachMsg::Resize,
                        std::string_view(reinterpret_cast<const char*>(&*ws), sizeof *ws));
  start_detached(containers, paths, rec, theirs.get());
  theirs.reset();
  return attach_with(containers, paths, rec.id, c, mine.get());
}

bool wait_stopped(storage::ContainerStore& containers, const config::StorePaths& paths, const std::string& id,
                  std::optional<std::chrono::milliseconds> timeout) {
  auto until = timeout ? std::chrono::steady_clock::now() + *timeout : std::chrono::steady_clock::time_point::max();
  auto pause = 2ms;
  while (current_state(containers, paths, id).running()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::milliseconds>(pause * 2, 50ms);
  }
  return true;
}

}  // namespace cabin::engine

namespace cabin::engine {

UniqueFd running_pidfd(storage::ContainerStore& containers, const config::StorePaths& paths, const std::string& id,
                       pid_t* pid) {
  auto st = current_state(containers, paths, id);
  if (!st.running()) return {};
  if (pid) *pid = st.pid;
  return open_container_pid(st);
}

int foreign_namespaces(pid_t pid) {
  static constexpr std::pair<const char*, int> kKinds[] = {
      {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},  {"pid", CLONE_NEWPID},       {"uts", CLONE_NEWUTS},
      {"ipc", CLONE_NEWIPC},   {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP},
  };
  int flags = 0;
  for (const auto& [name, flag] : kKinds) {
    struct stat mine {}, theirs {};
    if (::stat(fmt::format("/proc/self/ns/{}", name).c_str(), &mine) != 0) continue;
    if (::stat(fmt::format("/proc/{}/ns/{}", pid, name).c_str(), &theirs) != 0) throw_errno("the container's {} namespace", name);
    if (mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev) flags |= flag;
  }
  return flags;
}

namespace {

// A process that waits for a pty master on the returned socket and reads
// it until the terminal's last user has gone; it ends at once if the socket
// closes without one.
UniqueFd start_pty_holder() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
  UniqueFd mine(sv[0]), theirs(sv[1]);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    mine.reset();
    ::setsid();
    // Nobody waits for our stdio (a shell's $(…)) to close.
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < 3; ++i) ::dup2(null, i);
    int master = recv_fd(theirs.get());
    if (master < 0) ::_exit(0);
    int flags = ::fcntl(master, F_GETFL);
    ::fcntl(master, F_SETFL, flags & ~O_NONBLOCK);
    char buf[4096];
    while (::read(master, buf, sizeof buf) > 0 || errno == EINTR) {
    }
    ::_exit(0);
  }
  return mine;
}

}  // namespace

int exec_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                   const storage::ContainerRecord& rec, const ExecOptions& o) {
  if (o.command.empty()) fail("must provide a non-empty command to start an exec session: invalid argument");
  auto st = current_state(containers, paths, rec.id);
  UniqueFd pid = st.running() ? open_container_pid(st) : UniqueFd{};
  if (!pid) fail("can only create exec sessions on running containers: container state improper");
  auto cfg = load_start_config(containers, rec.id);
  auto filter = filter_for(paths, cfg);
  runtime::ContainerSpec spec;
  spec.args = o.command;
  spec.env = cfg.spec.env;
  if (o.tty && std::none_of(spec.env.begin(), spec.env.end(), [](const auto& e) { return e.rfind("TERM=", 0) == 0; }))
    spec.env.push_back("TERM=xterm");
  for (const auto& e : secret_env(paths, cfg)) runtime::set_env(spec.env, e);
  runtime::add_env(spec.env, o.env_files, o.env);  // host files and values: before leaving the host
  spec.cwd = o.workdir.empty() ? cfg.spec.cwd : o.workdir;
  spec.create_cwd = false;
  spec.terminal = o.tty;
  spec.stdin_open = o.interactive;
  spec.no_new_privileges = cfg.spec.no_new_privileges;
  spec.seccomp = cfg.spec.seccomp;
  spec.hostname.clear();

  // Detaching (exec -it) leaves the process running: something must then
  // hold its terminal's master, or the kernel hangs the terminal up. A
  // process forked now, outside the container, takes it and drains it.
  UniqueFd holder;
  if (o.tty && o.interactive && !o.detach && !o.detach_keys.empty()) holder = start_pty_holder();

  if (::setns(pid.get(), foreign_namespaces(st.pid)) != 0) throw_errno("join the namespaces of container {}", rec.name);
  // From here on "/" is the container's root.
  spec.user = cfg.spec.user;
  if (!o.user.empty()) {
    std::string home;
    spec.user = runtime::resolve_user(o.user, fs::read_file_if_exists("/etc/passwd").value_or(""),
                                      fs::read_file_if_exists("/etc/group").value_or(""), &home);
  }
  security::CapSet caps = o.privileged ? security::all_caps() : security::CapSet{cfg.spec.caps.bounding};
  spec.caps = security::process_caps(caps, spec.user.uid == 0, {});

  sigset_t old_mask;
  runtime::block_signals(&old_mask);
  ScopeGuard restore_mask([&] { ::sigprocmask(SIG_SETMASK, &old_mask, nullptr); });
  auto started = runtime::exec_in_container(spec, filter, old_mask);
  if (o.started) o.started(started.pid);
  if (o.detach) return 0;
  runtime::SuperviseOptions so;
  so.pid = started.pid;
  so.pidfd = started.pidfd.get();
  so.pty_master = started.pty_master.get();
  so.stdin_open = o.interactive;
  bool detached = false;
  if (holder) {
    so.detach_keys = o.detach_keys;
    so.detached = &detached;
  }
  int status = runtime::supervise(so);
  if (detached) {
    send_fd(holder.get(), started.pty_master.get());
    return 0;
  }
  return runtime::exit_code_of(status);
}

}  // namespace cabin::engine
