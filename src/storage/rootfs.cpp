// Storage drivers: see rootfs.h. In order: the store's driver record and the
// probe, native overlay, fuse-overlayfs (a helper process we keep), vfs (a
// copy applying the layers' whiteouts).
#include "storage/rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "rootless/fixes.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/process.h"
#include "util/strings.h"

namespace cabin::storage {

namespace {

constexpr const char* kFuseProgram = "fuse-overlayfs";
constexpr const char* kSquashfuse = "squashfuse";
constexpr const char* kOpaqueXattr = "user.overlay.opaque";
// How long fuse-overlayfs may take to mount (it opens every layer first).
constexpr std::chrono::seconds kMountTimeout{20};

// overlay and fuse-overlayfs keep a container's changes the same way (an
// upper and a work directory; Podman calls both "overlay"), vfs does not.
bool same_layout(Driver a, Driver b) { return (a == Driver::Vfs) == (b == Driver::Vfs); }

std::optional<Driver> read_record(const std::string& graphroot) {
  try {
    auto text = fs::read_file_if_exists(driver_record_path(graphroot));
    if (!text) return std::nullopt;
    return parse_driver(nlohmann::json::parse(*text).at("driver").get<std::string>());
  } catch (const std::exception& e) {
    log::debug("ignoring {}: {}", driver_record_path(graphroot), e.what());
    return std::nullopt;  // corrupt: probe again
  }
}

void write_record(const std::string& graphroot, Driver d, const std::string& why) {
  nlohmann::ordered_json j = {{"driver", driver_name(d)}};
  if (!why.empty()) j["why"] = why;
  with_context("remember the storage driver", [&] {
    fs::mkdir_p(graphroot, 0700);
    fs::write_file_atomic(driver_record_path(graphroot), json_text(j) + "\n", 0600);
  });
}

// ---- native overlay ----------------------------------------------------------

// The kernel's overlay, mounted in our user namespace with userxattr, each
// layer added with "lowerdir+" (Linux 6.8) so the number of layers is not
// limited by the page-sized option string.
void mount_overlay(const RootfsRequest& r) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) throw_errno("overlay: fsopen");
  auto set = [&](const char* key, const std::string& value) {
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0)
      throw_errno("overlay: {} {}", key, value);
  };
  for (const auto& dir : r.lower_dirs) set("lowerdir+", dir);
  set("upperdir", r.upper_dir);
  set("workdir", r.work_dir);
  if (::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, 0) != 0) throw_errno("overlay: userxattr");
  if (r.volatile_upper && ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0) != 0)
    throw_errno("overlay: volatile");
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) throw_errno("overlay: mount");
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) throw_errno("overlay: fsmount");
  if (::move_mount(mnt.get(), "", AT_FDCWD, r.target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    throw_errno("overlay: mount on {}", r.target);
}

// Mounts a two-layer overlay in graphroot/tmp and removes a lower file
// through it (a whiteout in the upper layer), then unmounts. Empty when that
// worked, else why not.
std::string probe_overlay(const std::string& graphroot) {
  std::string tmp = fs::join(graphroot, "tmp");
  fs::mkdir_p(tmp, 0700);
  // Store::clean_stale_staging removes unlocked directories in tmp.
  auto dir = fs::LockedTempDir::create(tmp, "overlay-probe-");
  RootfsRequest r;
  for (const char* sub : {"lower1", "lower2", "upper", "work", "merged"}) fs::mkdir_p(fs::join(dir.path(), sub), 0755);
  fs::write_file_atomic(fs::join(dir.path(), "lower1/file"), "x");
  r.lower_dirs = {fs::join(dir.path(), "lower2"), fs::join(dir.path(), "lower1")};
  r.upper_dir = fs::join(dir.path(), "upper");
  r.work_dir = fs::join(dir.path(), "work");
  r.target = fs::join(dir.path(), "merged");
  try {
    mount_overlay(r);
  } catch (const Error& e) {
    return e.what();
  }
  int rc = ::unlink(fs::join(r.target, "file").c_str());
  int err = errno;
  ::umount2(r.target.c_str(), MNT_DETACH);
  if (rc != 0) return fmt::format("overlay: remove a lower layer's file: {}", std::strerror(err));
  return "";
}

// ---- fuse-overlayfs ------------------------------------------------------------

// Mount points in /proc/self/mountinfo escape space, tab, newline and
// backslash as \ooo.
std::string unescape_mountinfo(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool octal = true;
      for (size_t k = 1; k <= 3; ++k) {
        if (s[i + k] < '0' || s[i + k] > '7') octal = false;
        v = v * 8 + (s[i + k] - '0');
      }
      if (octal) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// True when the last mount on path (a canonical path) is a FUSE mount.
bool fuse_mounted_at(const std::string& path) {
  auto text = fs::read_file_if_exists("/proc/self/mountinfo").value_or("");
  bool fuse = false;
  for (const auto& line : split(text, '\n')) {
    auto f = split(line, ' ');
    if (f.size() < 5 || unescape_mountinfo(f[4]) != path) continue;
    auto dash = line.find(" - ");
    fuse = dash != std::string::npos && line.compare(dash + 3, 4, "fuse") == 0;
  }
  return fuse;
}

// What fuse-overlayfs printed (to a memfd), on one line, without the notice
// it prints on every start.
std::string helper_output(int fd) {
  std::string text;
  char buf[4096];
  off_t off = 0;
  ssize_t n;
  while ((n = ::pread(fd, buf, sizeof buf, off)) > 0 && text.size() < 65536) {
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  std::vector<std::string> lines;
  for (const auto& l : split(text, '\n')) {
    auto t = std::string(trim(l));
    if (!t.empty() && t != "unknown argument ignored: lazytime") lines.push_back(t);
  }
  return lines.empty() ? "no output" : join(lines, "; ");
}

std::string describe_status(int status) {
  ProcessResult r;
  r.status = status;
  return r.describe();
}

// Waits up to grace for pid to exit; true when it was reaped.
bool reap_within(pid_t pid, std::chrono::milliseconds grace) {
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    int status;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    struct timespec ts {0, 2'000'000};
    ::nanosleep(&ts, nullptr);
  }
}

// Stops the helper: it exits by itself once its mount is gone; SIGTERM
// (libfuse unmounts and exits) and then SIGKILL if it does not.
void stop_helper(pid_t pid) {
  if (reap_within(pid, std::chrono::milliseconds(1000))) return;
  ::kill(pid, SIGTERM);
  if (reap_within(pid, std::chrono::milliseconds(2000))) return;
  ::kill(pid, SIGKILL);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// Starts a FUSE program (args: its path, -f to stay in the foreground, its
// options, the mount point `target`, canonical) as our child, passing it
// the fds in `inherited`, and waits until its mount shows in
// /proc/self/mountinfo. Returns the helper's pid. `name` is for messages.
pid_t start_fuse_helper(const std::string& name, std::vector<std::string> args, const std::string& target,
                        const std::vector<UniqueFd>& inherited) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  UniqueFd out(::memfd_create("fuse-helper-output", MFD_CLOEXEC));
  if (!out) throw_errno("memfd_create");
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) throw_errno("open /dev/null");
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd exec_rd(p[0]), exec_wr(p[1]);
  sigset_t none;
  ::sigemptyset(&none);
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // Async-signal-safe calls only. Its own session keeps the terminal's ^C
    // away (cabin forwards signals to the container, not to the helper); the
    // death signal stops it if cabin dies without unmounting.
    ::setsid();
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(null.get(), STDIN_FILENO);
    ::dup2(out.get(), STDOUT_FILENO);
    ::dup2(out.get(), STDERR_FILENO);
    // Only the fds it is given: not a monitor's report pipe or a caller's
    // --preserve-fds, which a helper outliving them would hold open.
    ::syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    for (const auto& fd : inherited) ::fcntl(fd.get(), F_SETFD, 0);
    ::execv(argv[0], argv.data());
    int err = errno;
    (void)!::write(exec_wr.get(), &err, sizeof err);
    ::_exit(127);
  }
  exec_wr.reset();
  bool started = false;
  ScopeGuard reap([&] {
    if (started) return;
    ::umount2(target.c_str(), MNT_DETACH);  // in case it mounted just as we gave up
    ::kill(pid, SIGKILL);
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  });
  int err = 0;
  ssize_t n;
  while ((n = ::read(exec_rd.get(), &err, sizeof err)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof err)) throw Error(err, fmt::format("exec {}", args[0]));

  auto deadline = std::chrono::steady_clock::now() + kMountTimeout;
  long sleep_ns = 200'000;
  for (;;) {
    if (fuse_mounted_at(target)) break;
    int status;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      started = true;  // reaped
      fail("{} {}: {}", name, describe_status(status), helper_output(out.get()));
    }
    if (std::chrono::steady_clock::now() >= deadline)
      fail("{} did not mount {} within {} seconds: {}", name, target, kMountTimeout.count(),
           helper_output(out.get()));
    struct timespec ts {0, sleep_ns};
    ::nanosleep(&ts, nullptr);
    sleep_ns = std::min(sleep_ns * 2, 20'000'000L);
  }
  started = true;
  return pid;
}

// Starts fuse-overlayfs in the foreground (-f) as our child and waits until
// its mount shows in /proc/self/mountinfo. Returns the helper's pid.
pid_t start_fuse_overlayfs(const RootfsRequest& r) {
  if (auto why = fuse_overlayfs_unusable(); !why.empty()) fail("{}", why);
  std::string program = find_in_path(kFuseProgram);

  // fuse-overlayfs splits lowerdir= at ':' (with no escape) and its options
  // at ',' (a backslash escapes). A directory whose path holds any of these
  // goes as /proc/self/fd/N, an fd the helper inherits and resolves at
  // start. Not the upper one: fuse-overlayfs splits it at ':' once resolved.
  if (r.upper_dir.find(':') != std::string::npos)
    fail("fuse-overlayfs cannot use an upper directory whose path contains ':' ({}): use a store path "
         "without ':' (--root)",
         r.upper_dir);
  std::vector<UniqueFd> inherited;
  auto spell = [&](const std::string& path) -> std::string {
    if (path.find_first_of(":,\\") == std::string::npos) return path;
    UniqueFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_errno("open {}", path);
    UniqueFd high(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));  // never 0-2, which the child replaces
    if (!high) throw_errno("dup");
    std::string spelled = fmt::format("/proc/self/fd/{}", high.get());
    inherited.push_back(std::move(high));
    return spelled;
  };
  std::vector<std::string> lowers;
  for (const auto& d : r.lower_dirs) lowers.push_back(spell(d));
  std::string opts =
      fmt::format("lowerdir={},upperdir={},workdir={}", join(lowers, ":"), spell(r.upper_dir), spell(r.work_dir));
  // FUSE lets only the mounting user in unless allow_other: the container's
  // non-root users, and its root under --uidmap, are other users. (Only
  // processes in our user namespace can reach the mount; fuse-overlayfs
  // turns on default_permissions, so the kernel checks modes as usual.)
  opts += ",allow_other";
  if (r.shift)
    opts += fmt::format(",uidmapping={},gidmapping={}", fuse_overlayfs_mapping(r.shift->uids),
                        fuse_overlayfs_mapping(r.shift->gids));
  char* real = ::realpath(r.target.c_str(), nullptr);
  if (!real) throw_errno("{}", r.target);
  std::string target = real;
  std::free(real);

  return start_fuse_helper(kFuseProgram, {program, "-f", "-o", opts, target}, target, inherited);
}

// ---- vfs ------------------------------------------------------------------------

std::string proc_path(int dirfd, std::string_view name) { return fmt::format("/proc/self/fd/{}/{}", dirfd, name); }

bool ignorable_xattr_error(int err) {
  return err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EACCES || err == E2BIG || err == ERANGE ||
         err == EINVAL;
}

std::vector<std::string> list_names(int dirfd) {
  UniqueFd fd(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
  if (!fd) throw_errno("dup");
  // fdopendir reads from the fd's offset: start at the beginning.
  ::lseek(fd.get(), 0, SEEK_SET);
  DIR* d = ::fdopendir(fd.get());
  if (!d) throw_errno("read directory");
  fd.release();
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  int err = errno;
  ::closedir(d);
  if (err) throw Error(err, "read directory");
  return names;
}

// Copies the layers bottom-up into the target, as overlay would show them:
// a 0/0 character device deletes the path below it, a directory marked
// user.overlay.opaque hides what lower layers have in it. Owners go through
// the shift when there is one. Directory modes and times are applied last,
// deepest first: filling a directory changes its times, and a read-only
// one must stay writable until then.
class VfsCopier {
 public:
  explicit VfsCopier(const RootfsRequest& r) : r_(r) {}

  void run() {
    root_.reset(::open(r_.target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_) throw_errno("open {}", r_.target);
    for (auto it = r_.lower_dirs.rbegin(); it != r_.lower_dirs.rend(); ++it) {
      with_context(fmt::format("copy layer {}", *it), [&] {
        UniqueFd src(::open(it->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!src) throw_errno("open");
        links_.clear();
        copy_dir(src.get(), root_.get(), "");
      });
    }
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      struct open_how how = {};
      how.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
      how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
      UniqueFd d(static_cast<int>(::syscall(SYS_openat2, root_.get(), it->first.c_str(), &how, sizeof how)));
      if (!d) throw_errno("open {}", it->first);
      if (::fchmod(d.get(), it->second.mode) != 0) throw_errno("chmod {}", it->first);
      ::futimens(d.get(), it->second.times);
    }
    if (owner_failures_ > 0)
      log::warn("vfs: {} files keep the owner cabin gave them: their owners are not mapped here (first: {:?})",
                owner_failures_, first_owner_failure_);
  }

 private:
  struct DirMeta {
    mode_t mode;
    struct timespec times[2];
  };

  // Forgets directory metadata at and under path (it was removed).
  void forget(const std::string& path) {
    dirs_.erase(path);
    std::string prefix = path + "/";
    for (auto it = dirs_.lower_bound(prefix); it != dirs_.end() && it->first.starts_with(prefix);)
      it = dirs_.erase(it);
  }

  void remove(int dst, const std::string& name, const std::string& path) {
    fs::remove_all_at(dst, name);
    forget(path);
  }

  void copy_dir(int src, int dst, const std::string& rel) {
    for (const auto& name : list_names(src)) {
      std::string path = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat {}", path);
      struct stat old;
      bool exists = ::fstatat(dst, name.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
      if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {  // whiteout
        if (exists) remove(dst, name, path);
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        copy_subdir(src, dst, name, path, st, exists && S_ISDIR(old.st_mode) ? &old : nullptr, exists);
        continue;
      }
      if (exists) remove(dst, name, path);
      copy_entry(src, dst, name, path, st);
    }
  }

  void copy_subdir(int src, int dst, const std::string& name, const std::string& path, const struct stat& st,
                   const struct stat* old_dir, bool exists) {
    UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!s) throw_errno("open {}", path);
    if (exists && !old_dir) remove(dst, name, path);
    if (!old_dir) {
      if (::mkdirat(dst, name.c_str(), 0700) != 0) throw_errno("mkdir {}", path);
    }
    UniqueFd d(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) throw_errno("open {}", path);
    if (old_dir && opaque(s.get())) {
      for (const auto& child : list_names(d.get())) remove(d.get(), child, path + "/" + child);
    }
    set_owner(d.get(), "", path, st);
    copy_xattrs(src, name, d.get(), "", path, /*replace=*/old_dir != nullptr);
    DirMeta m{st.st_mode & 07777, {st.st_atim, st.st_mtim}};
    dirs_[path] = m;
    // Until the end it must stay writable and searchable for us.
    ::fchmod(d.get(), 0700);
    copy_dir(s.get(), d.get(), path);
  }

  static bool opaque(int dirfd) {
    char v[8];
    ssize_t n = ::fgetxattr(dirfd, kOpaqueXattr, v, sizeof v);
    return n == 1 && v[0] == 'y';
  }

  void copy_entry(int src, int dst, const std::string& name, const std::string& path, const struct stat& st) {
    // A file linked more than once in this layer: link to the first copy.
    auto key = std::make_pair(st.st_dev, st.st_ino);
    if (st.st_nlink > 1) {
      if (auto it = links_.find(key); it != links_.end()) {
        if (::linkat(root_.get(), it->second.c_str(), dst, name.c_str(), 0) != 0)
          throw_errno("link {} to {}", path, it->second);
        return;
      }
    }
    if (create(src, dst, name, path, st) && st.st_nlink > 1) links_[key] = path;
  }

  // False when a device node could not be made (as in a user namespace).
  bool create(int src, int dst, const std::string& name, const std::string& path, const struct stat& st) {
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    switch (st.st_mode & S_IFMT) {
      case S_IFREG: {
        UniqueFd in(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!in) throw_errno("open {}", path);
        UniqueFd o(::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!o) throw_errno("create {}", path);
        copy_data(in.get(), o.get(), st.st_size, path);
        set_owner(o.get(), "", path, st);
        // After chown, which clears set-id bits and file capabilities.
        if (::fchmod(o.get(), st.st_mode & 07777) != 0) throw_errno("chmod {}", path);
        copy_xattrs(src, name, dst, name, path, false);
        ::futimens(o.get(), times);
        return true;
      }
      case S_IFLNK: {
        std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : PATH_MAX), '\0');
        ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size());
        if (n < 0) throw_errno("readlink {}", path);
        target.resize(static_cast<size_t>(n));
        if (::symlinkat(target.c_str(), dst, name.c_str()) != 0) throw_errno("symlink {}", path);
        set_owner(dst, name, path, st);
        ::utimensat(dst, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
        return true;
      }
      default: {  // fifo, socket, device
        if (::mknodat(dst, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
          // Devices cannot be made in a user namespace (where extraction
          // could not make them either).
          if (errno == EPERM && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) return false;
          throw_errno("mknod {}", path);
        }
        set_owner(dst, name, path, st);
        if (::fchmodat(dst, name.c_str(), st.st_mode & 07777, 0) != 0) throw_errno("chmod {}", path);
        copy_xattrs(src, name, dst, name, path, false);
        ::utimensat(dst, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
        return true;
      }
    }
  }

  static void copy_data(int in, int out, off_t size, const std::string& path) {
    if (size == 0) return;
    if (::ioctl(out, FICLONE, in) == 0) return;  // a reflink where the filesystem has them
    off_t done = 0;
    bool plain = false;
    while (done < size && !plain) {
      ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(size - done), 0);
      if (n > 0) {
        done += n;
      } else if (n == 0) {
        break;  // the file shrank
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) {
        plain = true;
      } else {
        throw_errno("copy {}", path);
      }
    }
    if (!plain) return;
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::pread(in, buf, sizeof buf, done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("read {}", path);
      if (n == 0) return;
      for (ssize_t w = 0; w < n;) {
        ssize_t m = ::pwrite(out, buf + w, static_cast<size_t>(n - w), done + w);
        if (m < 0 && errno == EINTR) continue;
        if (m < 0) throw_errno("write {}", path);
        w += m;
      }
      done += n;
    }
  }

  // Owner of fd, or of NAME in the directory fd (not followed).
  void set_owner(int fd, const std::string& name, const std::string& path, const struct stat& st) {
    int64_t uid = st.st_uid, gid = st.st_gid;
    if (r_.shift) {
      uid = rootless::to_host(r_.shift->uids, st.st_uid);
      gid = rootless::to_host(r_.shift->gids, st.st_gid);
    }
    int rc = -1;
    errno = EINVAL;
    if (uid >= 0 && gid >= 0) {
      rc = name.empty() ? ::fchown(fd, static_cast<uid_t>(uid), static_cast<gid_t>(gid))
                        : ::fchownat(fd, name.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid),
                                     AT_SYMLINK_NOFOLLOW);
    }
    if (rc == 0) return;
    if (errno != EINVAL && errno != EPERM) throw_errno("chown {}", path);
    if (owner_failures_++ == 0) first_owner_failure_ = path;
  }

  // Extended attributes of NAME in src onto NAME in dst (empty names: the
  // directories themselves), except overlay's own. replace: drop those the
  // source does not have (a directory of a lower layer, now the upper's).
  void copy_xattrs(int src, const std::string& sname, int dst, const std::string& dname, const std::string& path,
                   bool replace) {
    std::string from = sname.empty() ? fmt::format("/proc/self/fd/{}", src) : proc_path(src, sname);
    std::string to = dname.empty() ? fmt::format("/proc/self/fd/{}", dst) : proc_path(dst, dname);
    auto names = [](const std::string& p) {
      std::vector<std::string> out;
      ssize_t n = ::llistxattr(p.c_str(), nullptr, 0);
      if (n <= 0) return out;
      std::string buf(static_cast<size_t>(n), '\0');
      n = ::llistxattr(p.c_str(), buf.data(), buf.size());
      if (n <= 0) return out;
      for (size_t pos = 0; pos < static_cast<size_t>(n);) {
        std::string k(buf.c_str() + pos);
        pos += k.size() + 1;
        if (!k.starts_with("user.overlay.") && !k.starts_with("trusted.overlay.")) out.push_back(k);
      }
      return out;
    };
    auto have = names(from);
    if (replace) {
      for (const auto& k : names(to))
        if (std::find(have.begin(), have.end(), k) == have.end()) ::lremovexattr(to.c_str(), k.c_str());
    }
    for (const auto& k : have) {
      ssize_t n = ::lgetxattr(from.c_str(), k.c_str(), nullptr, 0);
      if (n < 0) continue;
      std::string v(static_cast<size_t>(n), '\0');
      n = ::lgetxattr(from.c_str(), k.c_str(), v.data(), v.size());
      if (n < 0) continue;
      v.resize(static_cast<size_t>(n));
      if (::lsetxattr(to.c_str(), k.c_str(), v.data(), v.size(), 0) != 0 && !ignorable_xattr_error(errno))
        throw_errno("set {} on {}", k, path);
    }
  }

  const RootfsRequest& r_;
  UniqueFd root_;
  std::map<std::string, DirMeta> dirs_;                        // by path in the target
  std::map<std::pair<dev_t, ino_t>, std::string> links_;       // this layer's first copies
  uint64_t owner_failures_ = 0;
  std::string first_owner_failure_;
};

}  // namespace

std::string driver_name(Driver d) {
  switch (d) {
    case Driver::Overlay: return "overlay";
    case Driver::FuseOverlayfs: return "fuse-overlayfs";
    case Driver::Vfs: return "vfs";
  }
  return "overlay";
}

Driver parse_driver(const std::string& name) {
  if (name == "overlay" || name == "overlay2") return Driver::Overlay;
  if (name == "fuse-overlayfs") return Driver::FuseOverlayfs;
  if (name == "vfs") return Driver::Vfs;
  fail("unknown storage driver {:?}: cabin supports overlay, fuse-overlayfs and vfs", name);
}

std::string driver_record_path(const std::string& graphroot) { return fs::join(graphroot, "driver.json"); }

// Why a FUSE program cannot be used: not installed (fix: `install`), or
// /dev/fuse closed. Empty when it can.
std::string fuse_program_unusable(const char* program, const std::string& install) {
  if (find_in_path(program).empty()) return fmt::format("{} is not installed (fix: {})", program, install);
  UniqueFd fd(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
  if (fd) return "";
  int err = errno;
  if (err == ENOENT || err == ENODEV || err == ENXIO)
    return fmt::format("/dev/fuse: {} (fix: {})", std::strerror(err), rootless::fix::load_fuse());
  return fmt::format("open /dev/fuse: {} (fix: {})", std::strerror(err), rootless::fix::open_fuse());
}

std::string fuse_overlayfs_unusable() {
  return fuse_program_unusable(kFuseProgram, rootless::fix::install_fuse_overlayfs());
}

std::string squashfuse_unusable() { return fuse_program_unusable(kSquashfuse, rootless::fix::install_squashfuse()); }

bool is_squashfs_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  char magic[4];
  return ::pread(fd.get(), magic, sizeof magic, 0) == 4 && std::memcmp(magic, "hsqs", 4) == 0;
}

MountedRootfs mount_squashfs(const std::string& file, const std::string& target) {
  if (auto why = squashfuse_unusable(); !why.empty()) fail("{}", why);
  char* real = ::realpath(target.c_str(), nullptr);
  if (!real) throw_errno("{}", target);
  std::string where = real;
  std::free(real);
  MountedRootfs m;
  m.path_ = where;
  // allow_other: the container's other users read it too; the kernel checks
  // the files' modes (default_permissions), as on any filesystem.
  m.helper_ = start_fuse_helper(kSquashfuse, {find_in_path(kSquashfuse), "-f", "-o", "allow_other,default_permissions",
                                              file, where},
                                where, {});
  m.mounted_ = true;
  return m;
}

void MountedRootfs::keep_below(MountedRootfs below) { below_ = std::make_unique<MountedRootfs>(std::move(below)); }

std::string fuse_overlayfs_mapping(const std::vector<rootless::IdRange>& ranges) {
  std::vector<std::string> parts;
  for (const auto& r : ranges) parts.push_back(fmt::format("{}:{}:{}", r.container_id, r.host_id, r.size));
  return join(parts, ":");
}

Driver choose_driver(const std::string& graphroot, const std::string& requested) {
  auto recorded = read_record(graphroot);
  if (!requested.empty()) {
    Driver want = parse_driver(requested);
    if (recorded && !same_layout(*recorded, want))
      fail("database graph driver {:?} does not match our graph driver {:?}: database configuration mismatch "
           "({} was set up with {}: use that driver, or remove the store to start over with {})",
           driver_name(*recorded), driver_name(want), graphroot, driver_name(*recorded), driver_name(want));
    if (want == Driver::FuseOverlayfs) {
      if (auto why = fuse_overlayfs_unusable(); !why.empty())
        fail("storage driver fuse-overlayfs cannot be used: {}", why);
    }
    if (!recorded) write_record(graphroot, want, "requested");
    return want;
  }
  if (recorded) return *recorded;

  // First use of the store: the first driver that works here.
  auto [d, why] = probe_driver(graphroot);
  log::debug("storage driver for {}: {}{}", graphroot, driver_name(d), why.empty() ? "" : " (" + why + ")");
  write_record(graphroot, d, why);
  return d;
}

DriverChoice probe_driver(const std::string& graphroot) {
  DriverChoice c{Driver::Overlay, ""};
  std::string overlay = probe_overlay(graphroot);
  if (overlay.empty()) return c;
  std::string fuse = fuse_overlayfs_unusable();
  c.driver = fuse.empty() ? Driver::FuseOverlayfs : Driver::Vfs;
  c.why = fuse.empty() ? "native overlay: " + overlay : fmt::format("native overlay: {}; fuse-overlayfs: {}", overlay, fuse);
  return c;
}

std::string reported_driver(const std::string& graphroot, const std::string& requested) {
  if (!requested.empty()) return driver_name(parse_driver(requested));
  if (auto recorded = read_record(graphroot)) return driver_name(*recorded);
  return "overlay";
}

std::string recorded_driver_reason(const std::string& graphroot) {
  try {
    auto text = fs::read_file_if_exists(driver_record_path(graphroot));
    return text ? nlohmann::json::parse(*text).value("why", "") : "";
  } catch (const std::exception&) {
    return "";
  }
}

MountedRootfs::MountedRootfs(MountedRootfs&& o) noexcept
    : path_(std::move(o.path_)),
      helper_(std::exchange(o.helper_, -1)),
      mounted_(std::exchange(o.mounted_, false)),
      below_(std::move(o.below_)) {}

MountedRootfs& MountedRootfs::operator=(MountedRootfs&& o) noexcept {
  if (this != &o) {
    this->~MountedRootfs();
    new (this) MountedRootfs(std::move(o));
  }
  return *this;
}

MountedRootfs::~MountedRootfs() {
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  if (helper_ > 0) stop_helper(helper_);
}

MountedRootfs mount_rootfs(Driver driver, const RootfsRequest& request) {
  // Native overlay cannot present shifted owners: fuse-overlayfs can.
  if (driver == Driver::Overlay && request.shift) {
    if (auto why = fuse_overlayfs_unusable(); !why.empty())
      fail("a container in its own user namespace needs fuse-overlayfs with the overlay driver: {}", why);
    driver = Driver::FuseOverlayfs;
  }
  MountedRootfs m;
  m.path_ = request.target;
  with_context(fmt::format("storage driver {}", driver_name(driver)), [&] {
    switch (driver) {
      case Driver::Overlay:
        try {
          mount_overlay(request);
        } catch (const Error& e) {
          if (e.err() != EPERM && e.err() != EINVAL && e.err() != ENODEV) throw;
          throw Error(fmt::format("{} (native overlay does not work here: use --storage-driver fuse-overlayfs "
                                  "or vfs)",
                                  e.what()));
        }
        m.mounted_ = true;
        break;
      case Driver::FuseOverlayfs:
        m.helper_ = start_fuse_overlayfs(request);
        m.mounted_ = true;
        break;
      case Driver::Vfs:
        VfsCopier(request).run();
        break;
    }
  });
  return m;
}

}  // namespace cabin::storage
