// cp, export and diff. The container's side of a copy runs in a child
// process whose view of the container's root is an fd: a running
// container's own root (the child joins its user and mount namespaces, so
// the container's ids and mounts are what it sees), or a stopped
// container's root mounted by cabin. Paths there are resolved with
// openat2(RESOLVE_IN_ROOT), so a symlink in the container never leads out
// of it. The two sides exchange a tar stream over a pipe; the receiving
// side unpacks it with the layer extractor, which creates nothing outside
// the directory it is given.
#include "engine/copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>

#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/secrets.h"
#include "storage/tarstream.h"
#include "storage/unpack.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/signals.h"

namespace cabin::engine {
namespace {

// ---- paths -------------------------------------------------------------------

struct SplitPath {
  std::string dir, base;
  bool trailing_slash = false;  // "dir/"
  bool contents = false;        // "dir/.": what is in it, not itself
};

SplitPath split_path(std::string p) {
  SplitPath s;
  if (p.size() >= 2 && p.ends_with("/.")) {
    s.contents = true;
    p.resize(p.size() - 2);
    if (p.empty()) p = "/";
  }
  while (p.size() > 1 && p.back() == '/') {
    s.trailing_slash = true;
    p.pop_back();
  }
  if (p == "/" || p == ".") {
    s.dir = p;
    s.base = ".";
    s.contents = true;
    return s;
  }
  auto slash = p.rfind('/');
  s.dir = slash == std::string::npos ? "." : slash == 0 ? "/" : p.substr(0, slash);
  s.base = slash == std::string::npos ? p : p.substr(slash + 1);
  return s;
}

// One side of a copy: the host's filesystem, or the tree at a root fd.
struct Side {
  int root = -1;      // -1: the host (paths as they are)
  std::string where;  // "the host" or "container NAME", for messages

  UniqueFd open(const std::string& path, int flags) const {
    if (root < 0) return UniqueFd(::open(path.c_str(), flags | O_CLOEXEC));
    return fs::open_in_root(root, path, flags);
  }

  [[noreturn]] void not_found(const std::string& path, int err) const {
    std::string why = std::strerror(err);
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));  // as Go spells errnos
    throw Error(fmt::format("{:?} could not be found on {}: {}", path, where, why));
  }

  // A directory, opened; throws Podman's "could not be found" when it is
  // not there.
  UniqueFd dir(const std::string& path) const {
    UniqueFd d = open(path, O_PATH | O_DIRECTORY);
    if (!d) not_found(path, errno);
    return d;
  }

  // The directory holding s.base, opened; throws Podman's "could not be
  // found" when it is not there.
  UniqueFd parent(const std::string& path, const SplitPath& s) const {
    UniqueFd d = open(s.dir, O_PATH | O_DIRECTORY);
    if (!d) not_found(path, errno);
    return d;
  }
};

// What a path is: 'd' a directory, 'f' anything else, 'n' nothing (in an
// existing directory). Follows a final symlink when follow.
char kind_of(const Side& side, const std::string& path, bool follow = false) {
  auto s = split_path(path);
  UniqueFd dir = side.parent(path, s);
  struct stat st {};
  if (s.base == ".") return 'd';
  if (::fstatat(dir.get(), s.base.c_str(), &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return 'n';
    side.not_found(path, errno);
  }
  return S_ISDIR(st.st_mode) ? 'd' : 'f';
}

// Writes a tar of path on side to fd: the tree itself under the name top,
// or (top empty) what a directory holds.
void tar_path(const Side& side, const std::string& path, const std::string& top, int fd,
              std::optional<std::pair<uid_t, gid_t>> owner) {
  auto s = split_path(path);
  UniqueFd dir = side.parent(path, s);
  storage::write_tree_tar(fd, {dir.get(), s.base, top, owner, false});
}

// Unpacks a tar from fd into the directory dir (opened O_PATH).
void untar_into(int fd, int dir, bool chown) {
  storage::ExtractOptions eo;
  eo.chown = chown;
  eo.whiteouts = false;
  storage::extract_tar_fd(fd, dir, eo);
}

// ---- the container's side -------------------------------------------------------

// The container's root, reachable by the child Inside starts.
struct View {
  UniqueFd pidfd;  // running: the child joins its user namespace
  int ns_flags = 0;
  UniqueFd proc_root;  // running: /proc/PID/root (our /proc stays ours)
  storage::MountedRootfs mount;  // stopped: mounted here
  std::string root;
  std::optional<fs::FileLock> lock;  // stopped: not started meanwhile
  std::string where;
};

View open_view(storage::ContainerStore& containers, const config::StorePaths& paths,
               const storage::ContainerRecord& rec) {
  // The archive module is loaded now: the child may not see its file.
  storage::default_extract_options();
  View v;
  v.where = "container " + rec.name;
  pid_t pid = 0;
  v.pidfd = running_pidfd(containers, paths, rec.id, &pid);
  if (v.pidfd) {
    v.ns_flags = foreign_namespaces(pid) & CLONE_NEWUSER;
    v.proc_root.reset(::open(fmt::format("/proc/{}/root", pid).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!v.proc_root) throw_errno("open the root of {}", v.where);
    return v;
  }
  v.lock = containers.lock(rec.id);
  auto cfg = load_start_config(containers, rec.id);
  v.mount = mount_container_root(paths, containers, rec, cfg);
  v.root = v.mount.path().empty() ? rec.rootfs : v.mount.path();  // --rootfs DIR mounts nothing
  return v;
}

// A child process inside the view running fn(side); wait() returns fn's
// result or throws its error.
class Inside {
 public:
  Inside(const View& v, const std::function<std::string(const Side&)>& fn) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
    UniqueFd rd(p[0]), wr(p[1]);
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw_errno("fork");
    if (pid_ == 0) {
      rd.reset();
      std::string msg;
      int code = 0;
      ::signal(SIGPIPE, SIG_IGN);  // a closed reader is a write error, said as such
      try {
        if (v.ns_flags && ::setns(v.pidfd.get(), v.ns_flags) != 0) throw_errno("join the namespaces of {}", v.where);
        UniqueFd root(v.proc_root ? ::dup(v.proc_root.get())
                                  : ::open(v.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw_errno("open the root of {}", v.where);
        msg = "0" + fn(Side{root.get(), v.where});
      } catch (const Error& e) {
        msg = "1" + std::string(e.what());
        code = e.exit_code();
      } catch (const std::exception& e) {
        msg = "1" + std::string(e.what());
        code = kExitError;
      }
      write_all(wr.get(), msg);
      ::_exit(code);
    }
    result_ = std::move(rd);
  }

  std::string wait() {
    std::string msg;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(result_.get(), buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      msg.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    if (msg.empty()) fail("the copy process died (wait status {})", status);
    if (msg[0] == '1') fail("{}", msg.substr(1));
    return msg.substr(1);
  }

 private:
  pid_t pid_ = -1;
  UniqueFd result_;
};

std::string in_view(const View& v, const std::function<std::string(const Side&)>& fn) { return Inside(v, fn).wait(); }

struct Pipe {
  UniqueFd rd, wr;
  Pipe() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
    rd.reset(p[0]);
    wr.reset(p[1]);
  }
};

// A tar stream between the two sides of a copy, over a pipe:
// container_side runs in the view with its end, host_side here with ours;
// the container writes when to_host. Both run to the end; the child's
// error, else ours, is thrown.
void stream(const View& v, bool to_host, const std::function<void(const Side&, int)>& container_side,
            const std::function<void(int)>& host_side) {
  Pipe pipe;
  UniqueFd& theirs = to_host ? pipe.wr : pipe.rd;
  UniqueFd& ours = to_host ? pipe.rd : pipe.wr;
  Inside child(v, [&](const Side& c) {
    ours.reset();
    container_side(c, theirs.get());
    return std::string();
  });
  theirs.reset();
  // A child that stops reading (its side failed) is an EPIPE here, and its
  // error is the one said: not a SIGPIPE that kills cabin first.
  IgnoreSigpipe no_sigpipe;
  std::optional<Error> failed;
  try {
    host_side(ours.get());
  } catch (Error& e) {
    failed = e;
  }
  ours.reset();  // the child sees the end of its input, or a closed reader
  child.wait();
  if (failed) throw *failed;
}

// Where a copy lands: the directory to unpack into, and the name the
// source's top takes there (empty: its contents go straight in).
struct Landing {
  std::string dir, top;
};

// Docker's rules: into an existing directory under the source's name; onto
// a missing path (whose directory exists) under that path's name; over an
// existing file only with a file.
Landing plan(const std::string& src, char src_kind, const std::string& dest, char dest_kind,
             const std::string& dest_where, bool overwrite) {
  auto s = split_path(src);
  auto d = split_path(dest);
  std::string src_top = s.contents ? "" : s.base;
  if (dest_kind == 'd') return {dest, src_top};
  if (dest_kind == 'n' && d.trailing_slash) Side{-1, dest_where}.not_found(dest, ENOENT);
  if (dest_kind == 'f' && src_kind == 'd' && !overwrite)
    fail("cannot overwrite non-directory {:?} with directory {:?}", dest, src);
  return {d.dir, d.base};
}

}  // namespace

bool needs_userns(storage::ContainerStore& containers, const config::StorePaths& paths, const std::string& id) {
  return !current_state(containers, paths, id).running();
}

void copy_from_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                         const storage::ContainerRecord& rec, const std::string& src, const std::string& dest,
                         const CopyOptions& o) {
  View v = open_view(containers, paths, rec);
  std::string kinds = in_view(v, [&](const Side& c) { return std::string(1, kind_of(c, src)); });
  if (kinds[0] == 'n') fail("{:?} could not be found on {}: no such file or directory", src, v.where);
  if (dest == "-") {
    // The tar goes to our stdout as the child writes it.
    auto s = split_path(src);
    in_view(v, [&](const Side& c) {
      tar_path(c, src, s.contents ? "" : s.base, STDOUT_FILENO, std::nullopt);
      return std::string();
    });
    return;
  }
  Side host{-1, "the host"};
  Landing l = plan(src, kinds[0], dest, kind_of(host, dest, true), host.where, o.overwrite);
  UniqueFd into = host.dir(l.dir);
  if (l.top.empty() && kinds[0] != 'd') fail("{:?} is not a directory", src);
  stream(
      v, /*to_host=*/true, [&](const Side& c, int fd) { tar_path(c, src, l.top, fd, std::nullopt); },
      [&](int fd) { untar_into(fd, into.get(), /*chown=*/false); });  // the copies are the user's own
}

void copy_into_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                         const storage::ContainerRecord& rec, const std::string& src, const std::string& dest,
                         const CopyOptions& o) {
  Side host{-1, "the host"};
  char src_kind = src == "-" ? 'd' : kind_of(host, src);
  if (src_kind == 'n') host.not_found(src, ENOENT);
  auto cfg = load_start_config(containers, rec.id);
  std::pair<uid_t, gid_t> owner{0, 0};
  if (o.archive) owner = {cfg.spec.user.uid, cfg.spec.user.gid};
  View v = open_view(containers, paths, rec);
  std::string dest_kind = in_view(v, [&](const Side& c) { return std::string(1, kind_of(c, dest, true)); });
  if (src == "-") {
    if (dest_kind[0] != 'd') fail("{:?} could not be found on {}: not a directory", dest, v.where);
    in_view(v, [&](const Side& c) {
      untar_into(STDIN_FILENO, c.dir(dest).get(), true);
      return std::string();
    });
    return;
  }
  Landing l = plan(src, src_kind, dest, dest_kind[0], v.where, o.overwrite);
  stream(
      v, /*to_host=*/false, [&](const Side& c, int fd) { untar_into(fd, c.dir(l.dir).get(), true); },
      [&](int fd) { tar_path(host, src, l.top, fd, owner); });
}

void export_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                      const storage::ContainerRecord& rec, int out_fd) {
  // Secrets' mount points stay out, and so does a running container's
  // secret files mounted there.
  auto secrets = secret_paths(load_start_config(containers, rec.id));
  View v = open_view(containers, paths, rec);
  in_view(v, [&](const Side& c) {
    storage::TarTree tree{c.root, ".", "", std::nullopt, true};
    if (!secrets.empty()) tree.skip = [&](const std::string& arcname, const struct stat&) { return secrets.count(arcname) > 0; };
    storage::write_tree_tar(out_fd, tree);
    return std::string();
  });
}

namespace {

// Whether upper/rel is overlay's mark of a deleted file: a 0/0 character
// device (or, from fuse-overlayfs without mknod, a ".wh." file).
bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

void walk_upper(int dir, const std::string& rel, const std::vector<std::string>& lowers, std::vector<Change>& out) {
  int fd = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = fd < 0 ? nullptr : ::fdopendir(fd);
  if (d == nullptr) {
    if (fd >= 0) ::close(fd);
    throw_errno("read {}", rel.empty() ? "/" : rel);
  }
  ScopeGuard close_dir([&] { ::closedir(d); });
  while (dirent* de = ::readdir(d)) {
    std::string name = de->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (name.starts_with(".wh.")) {
      if (!name.starts_with(".wh..wh.")) out.push_back({'D', rel + "/" + name.substr(4)});
      continue;
    }
    std::string path = rel + "/" + name;
    if (is_whiteout(st)) {
      out.push_back({'D', path});
      continue;
    }
    bool in_lower = std::any_of(lowers.begin(), lowers.end(), [&](const std::string& l) {
      struct stat ls {};
      return ::lstat((l + path).c_str(), &ls) == 0;
    });
    out.push_back({in_lower ? 'C' : 'A', path});
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(::openat(::dirfd(d), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub) walk_upper(sub.get(), path, lowers, out);
    }
  }
}

}  // namespace

std::vector<Change> container_changes(storage::ContainerStore& containers, const config::StorePaths& paths,
                                      const storage::ContainerRecord& rec) {
  if (!rec.rootfs.empty()) fail("container {} runs on a directory of yours (--rootfs): it has no image to differ from", rec.name);
  if (storage::choose_driver(paths.graphroot, paths.driver) == storage::Driver::Vfs)
    fail("diff needs an overlay's upper layer: the vfs storage driver keeps none");
  auto cfg = load_start_config(containers, rec.id);
  std::string upper = fs::join(containers.dir(rec.id), "upper");
  UniqueFd dir(::open(upper.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  std::vector<Change> out;
  if (!dir) {
    if (errno == ENOENT) return out;  // never mounted
    throw_errno("open {}", upper);
  }
  walk_upper(dir.get(), "", cfg.lower_dirs, out);
  std::sort(out.begin(), out.end(), [](const Change& a, const Change& b) { return a.path < b.path; });
  // cabin's own mount points are not the container's changes, nor are the
  // directories that only changed by holding them (as Podman reports it).
  static constexpr std::string_view kOwn[] = {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/run/.containerenv"};
  std::erase_if(out, [](const Change& c) {
    return c.kind == 'A' && std::find(std::begin(kOwn), std::end(kOwn), c.path) != std::end(kOwn);
  });
  for (size_t i = out.size(); i-- > 0;) {
    bool held = std::any_of(std::begin(kOwn), std::end(kOwn), [&](std::string_view p) {
      return p.starts_with(out[i].path + "/");
    });
    bool has_children = i + 1 < out.size() && out[i + 1].path.starts_with(out[i].path + "/");
    if (out[i].kind == 'C' && held && !has_children) out.erase(out.begin() + static_cast<long>(i));
  }
  return out;
}

}  // namespace cabin::engine
