#include "util/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <random>

#include "util/error.h"

namespace cabin::fs {

UniqueFd open_in_root(int root, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd;
  do fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
  while (fd < 0 && errno == EAGAIN);
  return UniqueFd(static_cast<int>(fd));
}


std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") out.emplace_back(n);
  }
  ::closedir(d);
  return out;
}

std::string read_link(const std::string& path) {
  std::string target(4096, '\0');
  ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
  if (n < 0) throw_errno("read link {}", path);
  target.resize(static_cast<size_t>(n));
  return target;
}

void copy_fd(int in, int out) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read");
    if (n == 0) return;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw_errno("write");
      done += w;
    }
  }
}

std::vector<std::string> list_dir_fd(int fd) {
  std::vector<std::string> out;
  int own = ::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = own < 0 ? nullptr : ::fdopendir(own);
  if (!d) {
    if (own >= 0) ::close(own);
    return out;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") out.emplace_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  std::string out(a);
  if (out.back() != '/') out += '/';
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  out += b;
  return out;
}

std::optional<std::string> read_file_if_exists(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("open {}", path);
  }
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read {}", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const std::string& path) {
  auto data = read_file_if_exists(path);
  if (!data) throw Error(ENOENT, fmt::format("open {}", path));
  return *data;
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:012x}", rng() & 0xffffffffffffULL);
}

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode, Sync sync) {
  std::string tmp = path + ".tmp-" + random_suffix();
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) throw_errno("create {}", tmp);
  ScopeGuard cleanup([&] { ::unlink(tmp.c_str()); });
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write {}", tmp);
    }
    off += static_cast<size_t>(n);
  }
  if (sync == Sync::Filesystem && ::syncfs(fd.get()) != 0) throw_errno("sync {}", tmp);
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename {} to {}", tmp, path);
  cleanup.dismiss();
}

void overwrite_file(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) throw_errno("open {}", path);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::pwrite(fd.get(), data.data() + off, data.size() - off, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write {}", path);
    }
    off += static_cast<size_t>(n);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(data.size())) != 0) throw_errno("truncate {}", path);
}

void mkdir_p(const std::string& path, mode_t mode) {
  if (path.empty()) return;
  if (::mkdir(path.c_str(), mode) == 0) return;
  if (errno == EEXIST) {
    if (is_dir(path)) return;
    throw Error(ENOTDIR, fmt::format("mkdir {}", path));
  }
  if (errno != ENOENT) throw_errno("mkdir {}", path);
  auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) mkdir_p(path.substr(0, slash), mode);
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir {}", path);
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

static void remove_children(int dfd, const std::string& where) {
  int dup = ::fcntl(dfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) throw_errno("dup {}", where);
  DIR* dir = ::fdopendir(dup);
  if (!dir) {
    ::close(dup);
    throw_errno("opendir {}", where);
  }
  ScopeGuard close_dir([&] { ::closedir(dir); });
  while (struct dirent* ent = ::readdir(dir)) {
    std::string_view name = ent->d_name;
    if (name == "." || name == "..") continue;
    remove_all_at(dfd, std::string(name));
  }
}

void remove_all_at(int dirfd, const std::string& name) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) throw_errno("remove {}", name);
  UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) {
    if (errno == ENOENT) return;  // removed meanwhile
    if (errno == EACCES) {
      ::fchmodat(dirfd, name.c_str(), 0700, 0);
      sub.reset(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!sub) throw_errno("open {}", name);
  }
  struct stat st;
  if (::fstat(sub.get(), &st) == 0 && (st.st_mode & 0700) != 0700) ::fchmod(sub.get(), 0700);
  remove_children(sub.get(), name);
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    throw_errno("remove {}", name);
}

void remove_all(const std::string& path) { remove_all_at(AT_FDCWD, path); }

uint64_t tree_size(const std::string& path) {
  uint64_t total = 0;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) return S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return 0;
  while (struct dirent* ent = ::readdir(dir)) {
    std::string_view name = ent->d_name;
    if (name == "." || name == "..") continue;
    total += tree_size(join(path, name));
  }
  ::closedir(dir);
  return total;
}

FileLock FileLock::acquire(const std::string& path, Mode mode) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw_errno("open lock {}", path);
  int op = mode == Mode::Shared ? LOCK_SH : LOCK_EX;
  while (::flock(fd.get(), op) != 0) {
    if (errno != EINTR) throw_errno("lock {}", path);
  }
  return FileLock(std::move(fd));
}

bool FileLock::is_at(const std::string& path) const {
  struct stat held, named;
  return ::fstat(fd_.get(), &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
         held.st_ino == named.st_ino;
}

TempDir::TempDir(const std::string& parent, std::string_view prefix) {
  std::string templ = join(parent, std::string(prefix) + "XXXXXX");
  if (!::mkdtemp(templ.data())) throw_errno("create temporary directory in {}", parent);
  path_ = templ;
}

TempDir::TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)), keep_(o.keep_) {
  o.keep_ = true;
}

TempDir::~TempDir() {
  if (keep_ || path_.empty()) return;
  try {
    remove_all(path_);
  } catch (...) {
  }
}

namespace {
constexpr std::string_view kUnnamed = ".new-";
}

LockedTempDir LockedTempDir::create(const std::string& parent, std::string_view prefix) {
  // Made and locked under a name cleaners pass over, then renamed: in
  // parent, it is never without its held lock.
  for (int attempt = 0; attempt < 100; ++attempt) {
    TempDir fresh(parent, std::string(kUnnamed) + std::string(prefix));
    auto lock = FileLock::acquire(join(fresh.path(), "lock"), FileLock::Mode::Exclusive);
    std::string path = join(parent, fresh.path().substr(fresh.path().rfind('/') + 1 + kUnnamed.size()));
    if (::rename(fresh.path().c_str(), path.c_str()) != 0) {
      if (errno == EEXIST || errno == ENOTEMPTY) continue;  // a stale one of that name
      throw_errno("rename {} to {}", fresh.path(), path);
    }
    fresh.keep();
    return LockedTempDir(path, std::move(lock));
  }
  fail("create a temporary directory in {}: every name was taken", parent);
}

std::optional<LockedTempDir> LockedTempDir::claim_abandoned(const std::string& dir) {
  if (std::string_view(dir).substr(dir.rfind('/') + 1).starts_with(kUnnamed)) return std::nullopt;
  std::string path = join(dir, "lock");
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd && errno == ENOENT) return LockedTempDir(dir, FileLock());  // not ours, or emptied by its owner
  if (!fd) throw_errno("open lock {}", path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::nullopt;
    throw_errno("lock {}", path);
  }
  FileLock lock(std::move(fd));
  if (!lock.is_at(path)) return std::nullopt;  // removed meanwhile
  return LockedTempDir(dir, std::move(lock));
}

LockedTempDir::LockedTempDir(LockedTempDir&& o) noexcept
    : path_(std::move(o.path_)), lock_(std::move(o.lock_)), keep_(o.keep_) {
  o.keep_ = true;
}

void LockedTempDir::remove() {
  keep_ = true;
  // The lock goes last: until the directory is empty, cleaners find it held.
  for (const auto& name : list_dir(path_))
    if (name != "lock") remove_all(join(path_, name));
  if (lock_ && ::unlink(join(path_, "lock").c_str()) != 0 && errno != ENOENT) throw_errno("remove {}/lock", path_);
  // Empty now; a cleaner may take it from here.
  if (::rmdir(path_.c_str()) != 0 && errno != ENOENT) throw_errno("remove {}", path_);
}

LockedTempDir::~LockedTempDir() {
  if (keep_ || path_.empty()) return;
  try {
    remove();
  } catch (...) {
  }
}

}  // namespace cabin::fs
