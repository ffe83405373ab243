// The container child: a flat list of named steps (see start_container).
//
// Everything the child needs is prepared by the parent (C strings, the
// seccomp program); the child allocates nothing, throws nothing, and reports
// the first failure as {step, errno, detail} over a CLOEXEC pipe, whose EOF
// tells the parent that exec succeeded.
#include "runtime/executor.h"

#include <fcntl.h>
#include <poll.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "rootless/fixes.h"
#include "rootless/userns.h"
#include "runtime/supervise.h"
#include "runtime/terminal.h"
#include "util/error.h"

namespace cabin::runtime {
namespace {

// The steps, named for the error message: "mount /proc: Permission denied".
enum class Step : uint32_t {
  UserNamespace,
  MakePrivate,
  MountRootfs,
  MountProc,
  MountSys,
  MountDev,
  MountUser,
  MaskPath,
  ReadonlyPath,
  CreateWorkdir,
  RemountReadonly,
  PivotRoot,
  SetHostname,
  JoinNamespace,
  Network,
  Sysctl,
  SetupTerminal,
  Rlimit,
  NoNewPrivs,
  Seccomp,
  DropCaps,
  SetUser,
  ChangeDir,
  Init,
  Exec,
};

const char* step_name(Step s) {
  switch (s) {
    case Step::UserNamespace: return "enter the container's user namespace";
    case Step::MakePrivate: return "make mounts private";
    case Step::MountRootfs: return "mount the root filesystem";
    case Step::MountProc: return "mount /proc";
    case Step::MountSys: return "mount /sys";
    case Step::MountDev: return "set up /dev";
    case Step::MountUser: return "mount";
    case Step::MaskPath: return "mask";
    case Step::ReadonlyPath: return "make read-only";
    case Step::CreateWorkdir: return "create working directory";
    case Step::RemountReadonly: return "make the root filesystem read-only";
    case Step::PivotRoot: return "pivot_root";
    case Step::SetHostname: return "set hostname";
    case Step::JoinNamespace: return "join the namespace";
    case Step::Network: return "set up the network:";
    case Step::Sysctl: return "set sysctl";
    case Step::SetupTerminal: return "set up the terminal";
    case Step::Rlimit: return "set rlimit";
    case Step::NoNewPrivs: return "set no_new_privs";
    case Step::Seccomp: return "load the seccomp filter";
    case Step::DropCaps: return "set capabilities";
    case Step::SetUser: return "set user";
    case Step::ChangeDir: return "change to the working directory";
    case Step::Init: return "start init";
    case Step::Exec: return "exec";
  }
  return "set up";
}

struct Report {
  Step step;
  int err;
  char detail[512];
};

// What the child reads: the plan as C strings, built before clone.
struct ChildPlan {
  const ContainerSpec* spec;
  const security::SeccompFilter* filter;
  sigset_t mask;
  int report_fd;
  int tty_sock;
  int rootfs_fd = -1;       // the assembled root, opened by cabin
  std::array<int, 3> stdio{-1, -1, -1};
  struct Bind {
    int tree = -1;  // a detached copy of the source
    bool is_dir = false;
    int data = -1;  // the source itself (O_PATH), to fill or chown it (MountSpec fill, init_owner, chown)
  };
  std::vector<Bind> binds;  // one per spec->mounts entry (tree -1 for tmpfs)
  int userns_sync = -1;     // keep-id: readable once cabin has written our id maps
  int net_sock = -1;        // the tap fds go back through it
  int netns_fd = -1;        // a network namespace to join (spec->join_netns)
  int ipcns_fd = -1, utsns_fd = -1;  // IPC and UTS namespaces to join
  int parent_pidfd = -1;    // cabin itself: gone before PR_SET_PDEATHSIG took hold?
  char ping_groups[32] = "0 0";  // "LOW HIGH": the container's whole gid range
  bool userns_has_root = false;
  bool exec_mode = false;   // exec: namespaces and root are the caller's already
  std::vector<const char*> argv, envp;
  std::vector<std::string> path_dirs;  // PATH inside, for a bare command name
};

// ---- child helpers: no allocation, return 0 or -errno ----

[[noreturn]] void child_fail(const ChildPlan& p, Step step, int err, const char* detail) {
  Report r{};
  r.step = step;
  r.err = err < 0 ? -err : err;
  if (detail) {
    std::strncpy(r.detail, detail, sizeof r.detail - 1);
  }
  ssize_t ignored = ::write(p.report_fd, &r, sizeof r);
  (void)ignored;
  ::_exit(kExitError);
}

#define CHECK(step, expr, detail)                          \
  do {                                                     \
    if ((expr) < 0) child_fail(p, (step), errno, (detail)); \
  } while (0)

long openat2_in(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = resolve;
  long fd;
  do fd = ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

// Opens (O_PATH) the container path `path` under root, resolving symlinks as
// if root were "/", so nothing outside the root can be reached. With
// create, missing directories are made, and the last component becomes a
// directory (as_dir) or an empty file; a dangling symlink on the way is
// followed (inside root) and what it names is created, as runc does.
// Returns an fd or -1 with errno.
int open_in_root(int root, const char* path, bool create, bool as_dir) {
  constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = openat2_in(root, path, O_PATH, kInRoot);
  if (fd >= 0 || errno != ENOENT || !create) return static_cast<int>(fd);
  // Walk the components, creating what is missing.
  char buf[4096], link[4096], next[4096];
  size_t len = std::strlen(path);
  if (len >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(buf, path, len + 1);
  int hops = 0;
restart:
  len = std::strlen(buf);
  for (size_t i = 1; i <= len; ++i) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    bool last = buf[i] == '\0';
    buf[i] = '\0';
    long probe = openat2_in(root, buf, O_PATH, kInRoot);
    if (probe >= 0) {
      ::close(static_cast<int>(probe));
    } else if (errno == ENOENT) {
      // Create the component in its (already resolved) parent.
      char* slash = std::strrchr(buf, '/');
      *slash = '\0';
      long parent = openat2_in(root, slash == buf ? "/" : buf, O_PATH | O_DIRECTORY, kInRoot);
      *slash = '/';
      if (parent < 0) return -1;
      const char* name = slash + 1;
      ssize_t n = ::readlinkat(static_cast<int>(parent), name, link, sizeof link - 1);
      if (n >= 0) {
        // A dangling symlink: go on from where it points, within root.
        ::close(static_cast<int>(parent));
        if (++hops > 40) {
          errno = ELOOP;
          return -1;
        }
        link[n] = '\0';
        *slash = '\0';
        const char* rest = last ? "" : buf + i + 1;
        int w = link[0] == '/' ? std::snprintf(next, sizeof next, "%s/%s", link, rest)
                               : std::snprintf(next, sizeof next, "%s/%s/%s", buf, link, rest);
        if (w < 0 || static_cast<size_t>(w) >= sizeof next) {
          errno = ENAMETOOLONG;
          return -1;
        }
        // Without a trailing slash, so the last component is created as asked.
        while (w > 1 && next[w - 1] == '/') next[--w] = '\0';
        std::memcpy(buf, next, static_cast<size_t>(w) + 1);  // starts with '/'
        goto restart;
      }
      int r;
      if (!last || as_dir) {
        r = ::mkdirat(static_cast<int>(parent), name, 0755);
      } else {
        r = ::mknodat(static_cast<int>(parent), name, S_IFREG | 0644, 0);
      }
      int e = errno;
      ::close(static_cast<int>(parent));
      if (r < 0 && e != EEXIST) {
        errno = e;
        return -1;
      }
    } else {
      return -1;
    }
    if (!last) buf[i] = '/';
  }
  return static_cast<int>(openat2_in(root, buf, O_PATH, kInRoot));
}

// "/proc/self/fd/N": a mount target that is exactly the opened file.
struct FdPath {
  char s[32];
  explicit FdPath(int fd) { std::snprintf(s, sizeof s, "/proc/self/fd/%d", fd); }
};

int set_attr(int fd, uint64_t set, bool recursive) {
  mount_attr attr{};
  attr.attr_set = set;
  return ::mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr);
}

// A detached copy of the mount tree at source (a host path), read-only if
// asked. Returns an fd or -1 with errno.
int clone_tree(const char* source, bool recursive, bool read_only) {
  int tree = ::open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (tree >= 0 && read_only && set_attr(tree, MOUNT_ATTR_RDONLY, recursive) < 0) {
    int e = errno;
    ::close(tree);
    errno = e;
    return -1;
  }
  return tree;
}

int attach(int tree, int target) {
  return ::move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

// Bind-mounts source (a host path) onto the opened target.
int bind_onto(const char* source, int target, bool recursive, bool read_only) {
  int tree = clone_tree(source, recursive, read_only);
  if (tree < 0) return -1;
  int r = attach(tree, target);
  int e = errno;
  ::close(tree);
  errno = e;
  return r;
}

// The root was assembled by cabin before the clone (storage/rootfs.h). The
// child starts in it (cabin's fd, before the mount namespace is its own) and
// binds it onto itself, so that pivot_root gets a mount point of its own.
// No path leads there: the container's root may not be allowed through the
// store's directories (--uidmap). Returns the new mount's root.
int mount_rootfs(const ChildPlan& p) {
  const char* rootfs = p.spec->rootfs.c_str();
  CHECK(Step::MountRootfs, ::fchdir(p.rootfs_fd), rootfs);
  CHECK(Step::MountRootfs, ::unshare(CLONE_NEWNS), "new mount namespace");
  // Nothing mounted here may propagate back to cabin's namespace.
  CHECK(Step::MakePrivate, ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "/");
  int tree = ::open_tree(AT_FDCWD, ".", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  CHECK(Step::MountRootfs, tree, rootfs);
  CHECK(Step::MountRootfs, ::move_mount(tree, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH), rootfs);
  return tree;
}

// A new procfs for the new (or joined) pid namespace; the host's bound for
// --pid host, whose namespace no user namespace of ours owns.
void mount_proc(const ChildPlan& p, int root) {
  int t = open_in_root(root, "/proc", true, true);
  CHECK(Step::MountProc, t, "/proc");
  if (!p.spec->new_pidns && p.spec->join_pidns.empty()) {
    CHECK(Step::MountProc, bind_onto("/proc", t, true, false), "/proc");
    ::close(t);
    return;
  }
  FdPath fp(t);
  CHECK(Step::MountProc, ::mount("proc", fp.s, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "/proc");
  ::close(t);
}

// sysfs can only be mounted by the owner of the network namespace; with the
// host's network (--network host) the host's /sys is bound read-only
// instead, as rootless Podman does.
void mount_sys(const ChildPlan& p, int root) {
  int t = open_in_root(root, "/sys", true, true);
  CHECK(Step::MountSys, t, "/sys");
  FdPath fp(t);
  unsigned long ro = p.spec->mount_sysfs_ro ? MS_RDONLY : 0;
  if (::mount("sysfs", fp.s, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, nullptr) < 0) {
    CHECK(Step::MountSys, bind_onto("/sys", t, true, p.spec->mount_sysfs_ro), "/sys");
  }
  ::close(t);
}

// /dev: a small tmpfs with the host's harmless devices bound in (a user
// namespace cannot mknod them), a private devpts, /dev/shm and /dev/mqueue.
void mount_dev(const ChildPlan& p, int root) {
  const ContainerSpec& s = *p.spec;
  int dev = open_in_root(root, "/dev", true, true);
  CHECK(Step::MountDev, dev, "/dev");
  if (s.dev_from_host) {
    CHECK(Step::MountDev, bind_onto("/dev", dev, true, false), "/dev");
    ::close(dev);
    return;
  }
  FdPath fp(dev);
  CHECK(Step::MountDev, ::mount("tmpfs", fp.s, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"), "/dev");
  ::close(dev);
  dev = open_in_root(root, "/dev", false, true);
  CHECK(Step::MountDev, dev, "/dev");
  static const char* const kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};
  char host[64];
  for (const char* name : kDevices) {
    int f = ::openat(dev, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
    CHECK(Step::MountDev, f, name);
    std::snprintf(host, sizeof host, "/dev/%s", name);
    CHECK(Step::MountDev, bind_onto(host, f, false, false), host);
    ::close(f);
  }
  static const char* const kLinks[][2] = {{"/proc/self/fd", "fd"},      {"/proc/self/fd/0", "stdin"},
                                          {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                          {"/proc/kcore", "core"},       {"pts/ptmx", "ptmx"}};
  for (const auto& l : kLinks) CHECK(Step::MountDev, ::symlinkat(l[0], dev, l[1]), l[1]);
  for (const char* d : {"pts", "shm", "mqueue"}) CHECK(Step::MountDev, ::mkdirat(dev, d, 0755), d);
  // gid=5 (tty) only exists when the mapping has it; a single-id mapping has not.
  int pts = ::openat(dev, "pts", O_PATH | O_CLOEXEC);
  FdPath pp(pts);
  if (::mount("devpts", pp.s, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0) {
    CHECK(Step::MountDev, ::mount("devpts", pp.s, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"),
          "/dev/pts");
  }
  ::close(pts);
  int shm = ::openat(dev, "shm", O_PATH | O_CLOEXEC);
  FdPath sp(shm);
  char shm_data[64];
  std::snprintf(shm_data, sizeof shm_data, "mode=1777,size=%llu", static_cast<unsigned long long>(s.shm_size));
  CHECK(Step::MountDev, ::mount("shm", sp.s, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm_data), "/dev/shm");
  ::close(shm);
  // mqueue belongs to the IPC namespace: the host's (--ipc host) is not ours
  // to mount.
  if (s.new_ipcns || !s.join_ipcns.empty()) {
    int mq = ::openat(dev, "mqueue", O_PATH | O_CLOEXEC);
    FdPath mp(mq);
    CHECK(Step::MountDev, ::mount("mqueue", mp.s, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr),
          "/dev/mqueue");
    ::close(mq);
  }
  ::close(dev);
}

// Kept out of copy_tree's frame, which recursion multiplies.
[[gnu::noinline]] int copy_symlink(int from, int to, const char* name) {
  char target[4096];
  ssize_t len = ::readlinkat(from, name, target, sizeof target - 1);
  if (len < 0) return -1;
  target[len] = '\0';
  return ::symlinkat(target, to, name);
}

// Copies the directory `from` into `to`, owners, modes and times kept
// (tmpcopyup). Sockets, and devices a user namespace cannot create, are
// skipped. Returns 0 or -1 with errno.
int copy_tree(int from, int to, int depth) {
  if (depth > 48) {  // 48 frames of ~2.3 KiB on the 256 KiB setup stack
    errno = ELOOP;
    return -1;
  }
  char entries[2048];
  for (;;) {
    long n = ::syscall(SYS_getdents64, from, entries, sizeof entries);
    if (n < 0) return -1;
    if (n == 0) return 0;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(entries + off);
      off += d->d_reclen;
      const char* name = d->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      struct stat st{};
      if (::fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return -1;
      int r = 0;
      if (S_ISDIR(st.st_mode)) {
        int sub = ::openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 || ::mkdirat(to, name, 0700) < 0) return -1;
        int dsub = ::openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = dsub < 0 ? -1 : copy_tree(sub, dsub, depth + 1);
        int e = errno;
        ::close(sub);
        if (dsub >= 0) ::close(dsub);
        errno = e;
      } else if (S_ISREG(st.st_mode)) {
        int in = ::openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        int out = in < 0 ? -1 : ::openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (out < 0) r = -1;
        for (off_t left = st.st_size; r == 0 && left > 0;) {
          ssize_t c = ::copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(left), 0);
          if (c <= 0) {
            if (c < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP))
              c = ::sendfile(out, in, nullptr, static_cast<size_t>(left));
            if (c <= 0) r = -1;
          }
          if (c > 0) left -= c;
        }
        int e = errno;
        if (in >= 0) ::close(in);
        if (out >= 0) ::close(out);
        errno = e;
      } else if (S_ISLNK(st.st_mode)) {
        r = copy_symlink(from, to, name);
      } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        if (::mknodat(to, name, st.st_mode, st.st_rdev) < 0) continue;  // EPERM for devices
      } else {
        continue;  // sockets
      }
      if (r < 0) return -1;
      if (::fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL) return -1;
      if (!S_ISLNK(st.st_mode) && ::fchmodat(to, name, st.st_mode & 07777, 0) < 0) return -1;
      timespec times[2] = {st.st_atim, st.st_mtim};
      ::utimensat(to, name, times, AT_SYMLINK_NOFOLLOW);
    }
  }
}

// Gives the tree at dir (and dir) to uid:gid. 0 or -1 with errno.
int chown_tree(int dir, uid_t uid, gid_t gid, int depth) {
  if (depth > 48) {
    errno = ELOOP;
    return -1;
  }
  if (::fchown(dir, uid, gid) < 0) return -1;
  char entries[2048];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir, entries, sizeof entries);
    if (n <= 0) return static_cast<int>(n);
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(entries + off);
      off += d->d_reclen;
      const char* name = d->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      if (d->d_type == DT_DIR) {
        int sub = ::openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r = sub < 0 ? -1 : chown_tree(sub, uid, gid, depth + 1);
        int e = errno;
        if (sub >= 0) ::close(sub);
        errno = e;
        if (r < 0) return -1;
      } else if (::fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
        return -1;
      }
    }
  }
}

// A volume's first use and :U, on the source itself (data: O_PATH), so that
// a read-only mount of it does not matter. below: what the root has at the
// destination (O_RDONLY directory), or -1.
void prepare_source(const ChildPlan& p, const MountSpec& m, int data, int below) {
  const char* dst = m.destination.c_str();
  struct stat st{};
  CHECK(Step::MountUser, ::fstatat(data, "", &st, AT_EMPTY_PATH), dst);
  if (!S_ISDIR(st.st_mode)) {  // a file bound with :U
    if (m.chown) CHECK(Step::MountUser, ::fchownat(data, "", p.spec->user.uid, p.spec->user.gid, AT_EMPTY_PATH), dst);
    return;
  }
  int dir = ::openat(data, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK(Step::MountUser, dir, dst);
  if (m.fill && below >= 0) CHECK(Step::MountUser, copy_tree(below, dir, 0), dst);
  if (m.init_owner) {
    // Podman's rule: the container user's, then, where the image has the
    // directory, its owner and mode.
    struct stat img{};
    if (below >= 0 && ::fstat(below, &img) == 0) {
      CHECK(Step::MountUser, ::fchown(dir, img.st_uid, img.st_gid), dst);
      CHECK(Step::MountUser, ::fchmod(dir, img.st_mode & 07777), dst);
    } else {
      CHECK(Step::MountUser, ::fchown(dir, p.spec->user.uid, p.spec->user.gid), dst);
    }
  }
  if (m.chown) CHECK(Step::MountUser, chown_tree(dir, p.spec->user.uid, p.spec->user.gid, 0), dst);
  ::close(dir);
}

// Bind sources come as trees cabin cloned (the container's root may not be
// allowed to walk the paths to them).
void mount_user(const ChildPlan& p, int root) {
  for (size_t i = 0; i < p.spec->mounts.size(); ++i) {
    const MountSpec& m = p.spec->mounts[i];
    const char* dst = m.destination.c_str();
    bool bind = m.kind == MountSpec::Kind::Bind;
    if (bind && p.binds[i].data >= 0) {
      int below = -1;
      if (m.fill || m.init_owner) {
        int at = open_in_root(root, dst, false, true);
        if (at >= 0) {
          below = ::openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // -1 for a file: nothing to copy
          ::close(at);
        }
      }
      prepare_source(p, m, p.binds[i].data, below);
      if (below >= 0) ::close(below);
    }
    int t = open_in_root(root, dst, true, !bind || p.binds[i].is_dir);
    CHECK(Step::MountUser, t, dst);
    if (bind) {
      CHECK(Step::MountUser, attach(p.binds[i].tree, t), dst);
    } else {
      // tmpcopyup: what the root has there, read through an fd opened
      // before the tmpfs hides it.
      int below = m.copy_up ? ::openat(t, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
      FdPath fp(t);
      unsigned long ro = m.read_only ? MS_RDONLY : 0;
      // Read-only tmpfs: filled first, made read-only after.
      CHECK(Step::MountUser, ::mount("tmpfs", fp.s, "tmpfs", m.flags | (below >= 0 ? 0 : ro), m.data.c_str()), dst);
      if (below >= 0) {
        int top = open_in_root(root, dst, false, true);
        int tdir = top < 0 ? -1 : ::openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(Step::MountUser, tdir, dst);
        CHECK(Step::MountUser, copy_tree(below, tdir, 0), dst);
        if (ro) CHECK(Step::MountUser, set_attr(top, MOUNT_ATTR_RDONLY, false), dst);
        ::close(tdir);
        ::close(top);
        ::close(below);
      }
    }
    ::close(t);
  }
}

// Masked paths: /dev/null over files, an empty read-only tmpfs over
// directories; paths this kernel does not have are skipped.
void mask_paths(const ChildPlan& p, int root) {
  for (const auto& path : p.spec->masked_paths) {
    int t = open_in_root(root, path.c_str(), false, false);
    if (t < 0 && errno == ENOENT) continue;
    CHECK(Step::MaskPath, t, path.c_str());
    struct stat st{};
    CHECK(Step::MaskPath, ::fstatat(t, "", &st, AT_EMPTY_PATH), path.c_str());
    if (S_ISDIR(st.st_mode)) {
      FdPath fp(t);
      CHECK(Step::MaskPath, ::mount("tmpfs", fp.s, "tmpfs", MS_RDONLY, "size=0"), path.c_str());
    } else {
      CHECK(Step::MaskPath, bind_onto("/dev/null", t, false, false), path.c_str());
    }
    ::close(t);
  }
}

// Read-only paths: a read-only copy of the subtree mounted over itself.
void readonly_paths(const ChildPlan& p, int root) {
  for (const auto& path : p.spec->readonly_paths) {
    int t = open_in_root(root, path.c_str(), false, false);
    if (t < 0 && errno == ENOENT) continue;
    CHECK(Step::ReadonlyPath, t, path.c_str());
    int tree = ::open_tree(t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
    CHECK(Step::ReadonlyPath, tree, path.c_str());
    CHECK(Step::ReadonlyPath, set_attr(tree, MOUNT_ATTR_RDONLY, true), path.c_str());
    CHECK(Step::ReadonlyPath, ::move_mount(tree, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
          path.c_str());
    ::close(tree);
    ::close(t);
  }
}

// pivot_root(".", ".") stacks the old root under the new one; detaching it
// leaves only the container's mounts (no path back to the host).
void pivot_into(const ChildPlan& p, int root) {
  const char* rootfs = p.spec->rootfs.c_str();
  CHECK(Step::PivotRoot, ::fchdir(root), rootfs);
  CHECK(Step::PivotRoot, ::syscall(SYS_pivot_root, ".", "."), rootfs);
  CHECK(Step::PivotRoot, ::umount2(".", MNT_DETACH), "old root");
  CHECK(Step::PivotRoot, ::chdir("/"), "/");
}

// The command starts with default dispositions, whatever cabin inherited
// (a shell's background job ignores SIGINT and SIGQUIT).
void reset_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
}

// Runs the command: a bare name is looked up in the container's PATH.
[[noreturn]] void exec_command(const ChildPlan& p) {
  const char* file = p.argv[0];
  auto* argv = const_cast<char* const*>(p.argv.data());
  auto* envp = const_cast<char* const*>(p.envp.data());
  if (std::strchr(file, '/')) {
    ::execve(file, argv, envp);
    child_fail(p, Step::Exec, errno, file);
  }
  int err = ENOENT;
  char path[4096];
  for (const auto& dir : p.path_dirs) {
    if (std::snprintf(path, sizeof path, "%s/%s", dir.c_str(), file) >= static_cast<int>(sizeof path)) continue;
    ::execve(path, argv, envp);
    if (errno == EACCES) err = EACCES;  // remember, keep looking (as execvp)
    else if (errno != ENOENT && errno != ENOTDIR) err = errno;
  }
  child_fail(p, Step::Exec, err, file);
}

// keep-id: wait until cabin has written this namespace's id maps, then
// become its root (when the mapping has one) so setup runs as root.
void join_user_namespace(const ChildPlan& p) {
  char byte;
  ssize_t n;
  do n = ::read(p.userns_sync, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(kExitError);  // cabin failed and reports why
  ::close(p.userns_sync);
  if (p.userns_has_root) {
    CHECK(Step::UserNamespace, ::setresgid(0, 0, 0), "setgid 0");
    CHECK(Step::UserNamespace, ::setresuid(0, 0, 0), "setuid 0");
  }
}

// The network namespace's devices: lo up, then the taps, whose fds go to
// cabin in one message.
void setup_network(const ChildPlan& p) {
  const ContainerSpec& s = *p.spec;
  if (p.netns_fd >= 0) {
    CHECK(Step::Network, ::setns(p.netns_fd, CLONE_NEWNET), "join the network namespace");
    return;
  }
  if (!s.new_netns || !s.join_netns.empty()) return;  // host's, or joined before the clone
  if (int e = loopback_up(); e < 0) child_fail(p, Step::Network, e, "bring lo up");
  // ping without CAP_NET_RAW (ICMP datagram sockets) for every group, as
  // Docker sets it; the user-mode stack answers or forwards the echo.
  if (int fd = ::open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC); fd >= 0) {
    (void)!::write(fd, p.ping_groups, std::strlen(p.ping_groups));
    ::close(fd);
  }
  if (s.taps.empty()) return;
  // A device that comes up announces its address (gratuitous ARP), so that
  // peers holding an old owner's MAC for a reused address learn the new one.
  if (int fd = ::open("/proc/sys/net/ipv4/conf/default/arp_notify", O_WRONLY | O_CLOEXEC); fd >= 0) {
    (void)!::write(fd, "1", 1);
    ::close(fd);
  }
  int fds[kMaxPassedFds];
  size_t n = 0;
  for (const auto& t : s.taps) {
    if (n == kMaxPassedFds) child_fail(p, Step::Network, E2BIG, "too many networks");
    const char* what = nullptr;
    int fd = make_tap(t, &what);
    if (fd < 0) child_fail(p, Step::Network, fd, what);
    fds[n++] = fd;
  }
  if (int err = send_fds(p.net_sock, fds, n); err < 0)
    child_fail(p, Step::Network, err, "pass the tap devices");
  for (size_t i = 0; i < n; ++i) ::close(fds[i]);
  ::close(p.net_sock);
}

// A pod's infra: PID 1 of the pod's namespaces, which reaps what is left to
// it and ends (exit 0) on SIGTERM, SIGINT or SIGHUP, as Podman's pause does.
// --sysctl: through cabin's /proc (the container's is not mounted yet),
// whose net and IPC entries are those of the opener's namespaces, by now
// the container's.
void write_sysctls(const ChildPlan& p) {
  for (const auto& [key, value] : p.spec->sysctls) {
    char path[512];
    int n = std::snprintf(path, sizeof path, "/proc/sys/%s", key.c_str());
    if (n < 0 || static_cast<size_t>(n) >= sizeof path) child_fail(p, Step::Sysctl, ENAMETOOLONG, key.c_str());
    for (char* c = path + 10; *c; ++c)
      if (*c == '.') *c = '/';
    int fd = ::open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    CHECK(Step::Sysctl, fd, key.c_str());
    CHECK(Step::Sysctl, ::write(fd, value.data(), value.size()), key.c_str());
    ::close(fd);
  }
}

int infra_loop() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&set, sig);
  ::sigprocmask(SIG_SETMASK, &set, nullptr);
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&set, &info);
    if (sig == SIGCHLD) {
      while (::waitpid(-1, nullptr, WNOHANG) > 0) {
      }
    } else if (sig > 0) {
      return 0;
    }
  }
}

[[noreturn]] void container_main(const ChildPlan& p) {
  const ContainerSpec& s = *p.spec;
  for (int i = 0; i < 3; ++i)
    if (p.stdio[i] >= 0) CHECK(Step::SetupTerminal, ::dup2(p.stdio[i], i), "stdio");
  if (p.exec_mode) goto in_root;
  {
  if (s.userns) join_user_namespace(p);
  // Before the mounts: /dev/mqueue is the joined IPC namespace's.
  if (p.ipcns_fd >= 0) CHECK(Step::JoinNamespace, ::setns(p.ipcns_fd, CLONE_NEWIPC), s.join_ipcns.c_str());
  if (p.utsns_fd >= 0) CHECK(Step::JoinNamespace, ::setns(p.utsns_fd, CLONE_NEWUTS), s.join_utsns.c_str());
  setup_network(p);
  write_sysctls(p);
  int root = mount_rootfs(p);
  // Order: /proc and /sys before the paths masked in them; /dev before user
  // mounts so that a -v onto /dev/x lands on the tmpfs; masks last so no user
  // mount can uncover them.
  mount_proc(p, root);
  mount_sys(p, root);
  mount_dev(p, root);
  mount_user(p, root);
  mask_paths(p, root);
  readonly_paths(p, root);
  if (s.create_cwd && s.cwd != "/") {
    int t = open_in_root(root, s.cwd.c_str(), true, true);
    CHECK(Step::CreateWorkdir, t, s.cwd.c_str());
    ::close(t);
  }
  if (s.read_only) CHECK(Step::RemountReadonly, set_attr(root, MOUNT_ATTR_RDONLY, false), s.rootfs.c_str());
  pivot_into(p, root);
  ::close(root);
  }
in_root:

  // A shared or the host's UTS namespace keeps its name.
  if (!s.hostname.empty() && s.new_utsns && s.join_utsns.empty())
    CHECK(Step::SetHostname, ::sethostname(s.hostname.data(), s.hostname.size()), s.hostname.c_str());
  if (s.terminal) {
    int r = setup_container_tty(p.tty_sock);
    if (r < 0) child_fail(p, Step::SetupTerminal, r, "/dev/ptmx");
    // Wait until cabin has given the pty its window size, so the command
    // starts with the right one.
    char ready;
    while (::read(p.tty_sock, &ready, 1) < 0 && errno == EINTR) {
    }
    ::close(p.tty_sock);
  } else {
    // PID 1 leads its own session, as under runc.
    ::setsid();
    if (!s.stdin_open) {
      int null = ::open("/dev/null", O_RDONLY);
      CHECK(Step::SetupTerminal, null, "/dev/null");
      CHECK(Step::SetupTerminal, ::dup2(null, 0), "/dev/null");
      if (null != 0) ::close(null);
    }
  }
  ::umask(s.umask);
  for (const auto& rl : s.rlimits) CHECK(Step::Rlimit, ::setrlimit(static_cast<__rlimit_resource>(rl.resource), &rl.value), nullptr);

  // Without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes on
  // before the capabilities are dropped; with it, as late as possible.
  if (s.no_new_privileges) CHECK(Step::NoNewPrivs, ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), nullptr);
  if (!p.filter->empty() && !s.no_new_privileges) {
    int r = p.filter->load();
    if (r < 0) child_fail(p, Step::Seccomp, r, nullptr);
  }
  int r = security::drop_bounding(s.caps);
  if (r < 0) child_fail(p, Step::DropCaps, r, "bounding set");
  CHECK(Step::SetUser, ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), nullptr);
  if (!s.user.keep_groups && ::setgroups(s.user.groups.size(), s.user.groups.data()) < 0 && errno != EPERM)
    child_fail(p, Step::SetUser, errno, "setgroups");
  CHECK(Step::SetUser, ::setresgid(s.user.gid, s.user.gid, s.user.gid), "setgid");
  CHECK(Step::SetUser, ::setresuid(s.user.uid, s.user.uid, s.user.uid), "setuid");
  r = security::apply_caps(s.caps);
  if (r < 0) child_fail(p, Step::DropCaps, r, nullptr);
  CHECK(Step::ChangeDir, ::chdir(s.cwd.c_str()), s.cwd.c_str());
  if (!p.filter->empty() && s.no_new_privileges) {
    r = p.filter->load();
    if (r < 0) child_fail(p, Step::Seccomp, r, nullptr);
  }
  // Dies with whoever waits for it (after the uid change, which clears it).
  // A cabin killed before this line sends no signal: its pidfd says so.
  if (!p.exec_mode) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    struct pollfd gone = {p.parent_pidfd, POLLIN, 0};
    if (p.parent_pidfd >= 0 && ::poll(&gone, 1, 0) > 0) ::_exit(128 + SIGKILL);
  }
  // Every fd cabin holds, except the report pipe, closes at exec; those
  // --preserve-fds passes stay open (cabin opened nothing over them: run
  // checked that they were open when it started).
  ::syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  for (int fd = 3; fd < 3 + s.preserve_fds; ++fd) ::fcntl(fd, F_SETFD, 0);

  if (s.infra) {
    ::syscall(SYS_close_range, 3, ~0U, 0);
    ::_exit(infra_loop());
  }
  if (s.init) {
    // cabin stays as PID 1 and reaps; the command runs as its child.
    pid_t child = ::fork();
    CHECK(Step::Init, child, "fork");
    if (child == 0) {
      reset_signals();
      ::sigprocmask(SIG_SETMASK, &p.mask, nullptr);
      exec_command(p);
    }
    // Nothing of cabin's stays open in PID 1, which never execs: the report
    // pipe (EOF for the parent once the command has exec'd), and what a
    // detached container's monitor holds, such as the pipe its starter
    // reads to the end.
    ::syscall(SYS_close_range, 3, ~0U, 0);
    ::_exit(init_loop(child));
  }
  reset_signals();
  ::sigprocmask(SIG_SETMASK, &p.mask, nullptr);
  exec_command(p);
}

#undef CHECK

// The error for a child's report, with Podman's exit codes for exec.
Error report_error(const Report& r) {
  std::string detail(r.detail, strnlen(r.detail, sizeof r.detail));
  if (r.step == Step::Exec) {
    if (r.err == ENOENT)
      return Error(detail.find('/') == std::string::npos
                       ? fmt::format("exec {:?}: executable file not found in $PATH", detail)
                       : fmt::format("exec {:?}: no such file or directory", detail),
                   kExitNotFound);
    return Error(r.err, fmt::format("exec {:?}", detail), kExitCannotInvoke);
  }
  if (r.step == Step::ChangeDir && (r.err == ENOENT || r.err == ENOTDIR))
    return Error(r.err == ENOENT ? fmt::format("workdir {:?} does not exist", detail)
                                 : fmt::format("workdir {:?} exists, but is not a directory", detail),
                 kExitCannotInvoke);
  if (r.step == Step::ChangeDir) return Error(r.err, fmt::format("workdir {:?}", detail), kExitCannotInvoke);
  if (r.step == Step::Network && detail == "/dev/net/tun")
    return Error(fmt::format("cannot open /dev/net/tun: {}: user-mode networking needs it (fix: {})",
                             std::strerror(r.err), rootless::fix::open_tun()));
  std::string what = step_name(r.step);
  if (!detail.empty()) what += " " + detail;
  return Error(r.err, what);
}

// An id map file takes the whole map in one write.
void write_map(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno("open {}", path);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw_errno("write {:?} to {}", text, path);
}

int child_entry(void* arg) { container_main(*static_cast<const ChildPlan*>(arg)); }

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CABIN_ASAN 1
#endif
#elif defined(__SANITIZE_ADDRESS__)
#define CABIN_ASAN 1
#endif

// The child shares cabin's memory and cabin waits until it has exec'd
// (CLONE_VM | CLONE_VFORK, as posix_spawn): no page tables are copied and
// no page is copied on write, which is most of what a fork costs. The child
// writes only to its own stack. Not when the child must wait for cabin
// (keep-id: cabin writes its id maps; -t: cabin sets the window size) or
// forks itself (--init).
pid_t clone_child(const ChildPlan& p, uint64_t flags, int* pidfd, bool share_memory) {
#ifdef CABIN_ASAN
  // The sanitizer build (docs/security.md): the child runs on a copy of
  // cabin's stack, as after fork. On a stack of its own, AddressSanitizer
  // reports the switch at the child's execve, into a log file that the
  // container's mount namespace does not have, and dies of it.
  (void)share_memory;
  long pid = ::syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, nullptr, pidfd, nullptr, 0L);
  if (pid == 0) child_entry(const_cast<ChildPlan*>(&p));
  return static_cast<pid_t>(pid);
#else
  constexpr size_t kStack = 256 * 1024;
  void* stack = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) throw_errno("allocate the container's setup stack");
  int cflags = static_cast<int>(flags) | CLONE_PIDFD | SIGCHLD;
  if (share_memory) cflags |= CLONE_VM | CLONE_VFORK;
  pid_t pid = ::clone(child_entry, static_cast<char*>(stack) + kStack, cflags,
                      const_cast<ChildPlan*>(&p), pidfd);
  int err = errno;
  // With CLONE_VFORK the child has exec'd or exited by now; otherwise it
  // has its own copy of the stack.
  ::munmap(stack, kStack);
  errno = err;
  return pid;
#endif
}

}  // namespace

// start_container and exec_in_container: the same child, which in exec mode
// finds its namespaces and root already there (the caller joined them).
namespace {

Started launch(const ContainerSpec& spec, const security::SeccompFilter& filter, const sigset_t& child_mask,
               std::array<int, 3> stdio, bool exec_mode) {
  ChildPlan p;
  p.exec_mode = exec_mode;
  p.stdio = stdio;
  p.spec = &spec;
  p.filter = &filter;
  p.mask = child_mask;
  for (const auto& a : spec.args) p.argv.push_back(a.c_str());
  p.argv.push_back(nullptr);
  for (const auto& e : spec.env) p.envp.push_back(e.c_str());
  p.envp.push_back(nullptr);
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : spec.env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    p.path_dirs.push_back(end > start ? path.substr(start, end - start) : ".");
    start = end + 1;
  }
  if (spec.args.empty()) fail("no command specified");

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd report_rd(fds[0]), report_wr(fds[1]);
  UniqueFd tty_parent, tty_child;
  if (spec.terminal) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
    tty_parent.reset(fds[0]);
    tty_child.reset(fds[1]);
  }
  p.report_fd = report_wr.get();
  p.tty_sock = tty_child.get();
  UniqueFd net_parent, net_child, netns;
  if (!exec_mode && !spec.taps.empty()) {
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
    net_parent.reset(fds[0]);
    net_child.reset(fds[1]);
    p.net_sock = net_child.get();
  }
  {
    // The range is one of kernel ids: cabin's namespace maps its ids in
    // order (the user's own below the subordinate ones), so its whole range
    // does; a keep-id namespace does not, so only the process's group.
    const auto& gids = rootless::userns_state().mapping.gids;
    uint64_t low = 0, high = INT32_MAX;
    if (spec.userns) {
      low = high = spec.user.gid;
    } else if (!gids.empty()) {
      high = 0;
      for (const auto& r : gids) high = std::max<uint64_t>(high, uint64_t{r.container_id} + r.size - 1);
    }
    std::snprintf(p.ping_groups, sizeof p.ping_groups, "%lu %lu", static_cast<unsigned long>(low),
                  static_cast<unsigned long>(std::min<uint64_t>(high, INT32_MAX)));
  }
  if (!exec_mode && !spec.join_netns.empty()) {
    netns.reset(::open(spec.join_netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns) throw_errno("open the network namespace {}", spec.join_netns);
    if (!spec.userns) {
      p.netns_fd = netns.get();
    } else {
      // A child in a user namespace of its own has no rights over the
      // network namespace: it inherits it from us instead. We stay there
      // (we have no rights over the host's to come back), which a waiter
      // that runs no network stack can do.
      if (::setns(netns.get(), CLONE_NEWNET) != 0) throw_errno("join the network namespace {}", spec.join_netns);
    }
  }
  // IPC and UTS namespaces are joined by the child; a pid namespace only
  // takes children, so the waiter joins it for the clone and stays (it has
  // no rights over the host's to come back to): the processes it forks
  // later (healthchecks, helpers that join the container) belong there too.
  UniqueFd ipcns, utsns, pidns;
  auto open_ns = [](const std::string& ns_path) {
    UniqueFd fd(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open the namespace {}", ns_path);
    return fd;
  };
  if (!exec_mode && !spec.join_ipcns.empty()) {
    ipcns = open_ns(spec.join_ipcns);
    p.ipcns_fd = ipcns.get();
  }
  if (!exec_mode && !spec.join_utsns.empty()) {
    utsns = open_ns(spec.join_utsns);
    p.utsns_fd = utsns.get();
  }
  if (!exec_mode && !spec.join_pidns.empty()) pidns = open_ns(spec.join_pidns);
  UniqueFd sync_rd, sync_wr;
  if (spec.userns && !exec_mode) {
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
    sync_rd.reset(fds[0]);
    sync_wr.reset(fds[1]);
    p.userns_sync = sync_rd.get();
    p.userns_has_root = rootless::to_host(spec.userns->uids, 0) >= 0;
  }

  UniqueFd rootfs;
  if (!exec_mode) {
    rootfs.reset(::open(spec.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootfs) throw_errno("open the root filesystem {}", spec.rootfs);
  }
  p.rootfs_fd = rootfs.get();
  std::vector<UniqueFd> trees;
  for (const auto& m : exec_mode ? std::vector<MountSpec>{} : spec.mounts) {
    ChildPlan::Bind b;
    if (m.kind == MountSpec::Kind::Bind) {
      trees.emplace_back(clone_tree(m.source.c_str(), m.recursive, m.read_only));
      if (!trees.back()) throw_errno("mount {}", m.source);
      // Volumes are mounted nosuid and nodev, as Podman mounts them.
      if (!m.volume.empty() && set_attr(trees.back().get(), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, m.recursive) < 0)
        throw_errno("mount {}", m.source);
      struct stat st {};
      if (::fstat(trees.back().get(), &st) != 0) throw_errno("stat {}", m.source);
      b = {trees.back().get(), S_ISDIR(st.st_mode)};
      if (m.fill || m.init_owner || m.chown) {
        trees.emplace_back(::open(m.source.c_str(), O_PATH | O_CLOEXEC));
        if (!trees.back()) throw_errno("open {}", m.source);
        b.data = trees.back().get();
      }
    }
    p.binds.push_back(b);
  }

  // The mount namespace comes after the clone (mount_rootfs).
  uint64_t flags = 0;
  if (spec.new_pidns && spec.join_pidns.empty()) flags |= CLONE_NEWPID;
  if (spec.new_utsns && spec.join_utsns.empty()) flags |= CLONE_NEWUTS;
  if (spec.new_ipcns && spec.join_ipcns.empty()) flags |= CLONE_NEWIPC;
  if (spec.userns) flags |= CLONE_NEWUSER;
  if (spec.new_netns && spec.join_netns.empty()) flags |= CLONE_NEWNET;
  if (spec.new_cgroupns) flags |= CLONE_NEWCGROUP;
  if (exec_mode) flags = 0;
  std::fflush(nullptr);
  UniqueFd self;
  if (!exec_mode) {
    self.reset(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
    p.parent_pidfd = self.get();
  }
  int pidfd = -1;
  if (pidns && ::setns(pidns.get(), CLONE_NEWPID) != 0) throw_errno("join the pid namespace {}", spec.join_pidns);
  pid_t pid = clone_child(p, flags, &pidfd,
                          (exec_mode || !spec.userns) && !spec.init && !spec.terminal && !spec.infra);
  self.reset();
  if (pid < 0) throw_errno("create the container's namespaces");

  Started started;
  started.pid = pid;
  started.pidfd.reset(pidfd);
  report_wr.reset();
  tty_child.reset();
  net_child.reset();
  if (spec.userns && !exec_mode) {
    // As root of cabin's namespace we may map any of its ids into the child's.
    try {
      write_map(fmt::format("/proc/{}/uid_map", pid), rootless::map_text(spec.userns->uids));
      write_map(fmt::format("/proc/{}/gid_map", pid), rootless::map_text(spec.userns->gids));
    } catch (Error& e) {
      ::kill(pid, SIGKILL);
      int status;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      throw e.add_context("set up the container's user namespace");
    }
    if (::write(sync_wr.get(), "1", 1) != 1) throw_errno("start the container");
    sync_wr.reset();
    sync_rd.reset();
  }
  if (spec.terminal) {
    // The child sends the pty just before exec; it closes the socket
    // without sending when it fails earlier.
    int master = recv_fd(tty_parent.get());
    if (master >= 0) {
      started.pty_master.reset(master);
      if (spec.console_size) {
        winsize ws{};
        ws.ws_row = spec.console_size->first;
        ws.ws_col = spec.console_size->second;
        ::ioctl(master, TIOCSWINSZ, &ws);
      } else if (!copy_window_size(STDIN_FILENO, master)) {
        copy_window_size(STDOUT_FILENO, master);
      }
      (void)!::write(tty_parent.get(), "1", 1);
    }
  }
  Report r{};
  ssize_t n;
  do n = ::read(report_rd.get(), &r, sizeof r);
  while (n < 0 && errno == EINTR);
  // A report (written atomically: it is smaller than PIPE_BUF) means the
  // child failed and exited; EOF means exec closed the pipe.
  bool failed = n == static_cast<ssize_t>(sizeof r);
  if (failed || (spec.terminal && !started.pty_master)) {
    int status;
    if (!failed) ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (failed) throw report_error(r);
    fail("set up the terminal: the container sent no pty");
  }
  if (net_parent) {
    // Sent before exec, so it is there now.
    int taps[kMaxPassedFds];
    int got = recv_fds(net_parent.get(), taps, kMaxPassedFds, MSG_DONTWAIT);
    for (int i = 0; i < got; ++i) started.taps.emplace_back(taps[i]);
    if (started.taps.size() != spec.taps.size()) {
      ::kill(pid, SIGKILL);
      int status;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      fail("set up the network: the container sent no tap device");
    }
  }
  return started;
}

}  // namespace

Started start_container(const ContainerSpec& spec, const security::SeccompFilter& filter,
                        const sigset_t& child_mask, std::array<int, 3> stdio) {
  return launch(spec, filter, child_mask, stdio, false);
}

Started exec_in_container(const ContainerSpec& spec, const security::SeccompFilter& filter,
                          const sigset_t& child_mask, std::array<int, 3> stdio) {
  // The child is in the container's pid namespace from birth and runs
  // cabin's binary until it execs: as a dumpable process, the container's
  // processes could open its /proc/PID/exe, keep it, and write cabin's
  // binary once nothing runs that copy any more (the runc CVE-2019-5736
  // class). Not dumpable (inherited by the child, undone by its execve),
  // /proc/PID/exe needs CAP_SYS_PTRACE over cabin's namespace. The caller
  // only execs into the container and waits: nothing needs it dumpable.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw_errno("prctl PR_SET_DUMPABLE");
  return launch(spec, filter, child_mask, stdio, true);
}

}  // namespace cabin::runtime
