// Layer extraction. Every entry is created with *at() calls relative to a
// directory fd that was resolved inside the layer root, so no entry can touch
// anything outside root_fd, whatever symlinks the layer (or an earlier entry
// of it) holds:
//   - entry names are normalised lexically; ".." above the root is an error;
//   - the parent directory is opened with openat2(RESOLVE_IN_ROOT), which
//     resolves symlinks as if root_fd were "/" (what the container will see);
//   - the final component is never followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW,
//     O_EXCL, or a name that was just removed);
//   - hardlink targets are resolved without following any symlink at all.
// Directory modes and times are applied at the end, deepest first: creating
// children changes a directory's mtime, and a read-only directory must stay
// writable while the layer fills it.
#include "storage/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"

namespace cabin::storage {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr const char* kOpaqueXattr = "user.overlay.opaque";

// Symlinks are followed, but only inside the root ("/" and ".." stop there).
constexpr uint64_t kResolveInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
// No symlink is followed at all; used for single components we walk ourselves
// and for hardlink targets, whose path a tar writer never takes via a symlink.
constexpr uint64_t kResolvePhysical = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;

using Parts = std::vector<std::string>;

int openat2_retry(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = resolve;
  // EAGAIN: a concurrent rename or mount somewhere; the kernel asks to retry.
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if ((errno == EAGAIN && attempt < 32) || errno == EINTR) continue;
    return -1;
  }
}

// Lexical normalisation of an archive path: leading "/" and "./" go, "." and
// empty components are dropped, ".." removes the previous component.
// nullopt when a ".." would climb above the root.
std::optional<Parts> normalize(std::string_view raw) {
  Parts parts;
  size_t pos = 0;
  while (pos <= raw.size()) {
    size_t slash = raw.find('/', pos);
    if (slash == std::string_view::npos) slash = raw.size();
    std::string_view c = raw.substr(pos, slash - pos);
    pos = slash + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.emplace_back(c);
  }
  return parts;
}

std::string join(const Parts& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out;
}

// "/proc/self/fd/N/NAME": reaches NAME in the directory behind an O_PATH fd
// with path-based calls (lsetxattr, setxattr), which have no *at() form before
// Linux 6.13. NAME is one component, so the path stays short.
std::string proc_path(int dirfd, std::string_view name = {}) {
  if (name.empty()) return fmt::format("/proc/self/fd/{}", dirfd);
  return fmt::format("/proc/self/fd/{}/{}", dirfd, name);
}

std::string archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown archive error";
}

// Names come from archive_entry_*(): the raw header bytes (libarchive keeps
// them when the locale cannot represent a pax UTF-8 name, with ARCHIVE_WARN);
// the UTF-8 form is the fallback.
const char* entry_pathname(archive_entry* e) {
  const char* p = archive_entry_pathname(e);
  return p ? p : archive_entry_pathname_utf8(e);
}
const char* entry_symlink(archive_entry* e) {
  const char* p = archive_entry_symlink(e);
  return p ? p : archive_entry_symlink_utf8(e);
}
const char* entry_hardlink(archive_entry* e) {
  const char* p = archive_entry_hardlink(e);
  return p ? p : archive_entry_hardlink_utf8(e);
}

void pwrite_all(int fd, const char* data, size_t size, off_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write");
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
}

bool is_ignorable_xattr_error(int err) {
  return err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EACCES || err == E2BIG ||
         err == ERANGE || err == EINVAL;
}

// Mode and times of a directory entry, applied after all entries.
struct DirMeta {
  Parts parts;
  dev_t dev = 0;
  ino_t ino = 0;
  mode_t mode = 0;
  struct timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
};

class Extractor {
 public:
  Extractor(archive* reader, int root_fd, const ExtractOptions& options)
      : ar_(reader), root_(root_fd), opt_(options) {}

  ExtractResult run() {
    while (true) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(ar_, &e);
      if (r == ARCHIVE_EOF) break;
      // ARCHIVE_WARN: e.g. a pax UTF-8 name the locale cannot show; the raw
      // bytes are still there. Anything worse (RETRY on a damaged header,
      // FATAL on truncation) stops: never a silently partial layer.
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) fail("read layer: {}", archive_message(ar_));
      ++result_.entries;
      const char* name = entry_pathname(e);
      if (!name) fail("read layer: entry {} has no name", result_.entries);
      std::string_view raw = name;
      current_entry_ = raw;
      with_context(fmt::format("layer entry {:?}", raw), [&] { extract_entry(e, raw); });
    }
    finish_directories();
    if (result_.skipped_devices > 0 && opt_.warn) {
      opt_.warn(fmt::format("skipped {} device node{}: mknod is not permitted here (first: {:?})",
                            result_.skipped_devices, result_.skipped_devices == 1 ? "" : "s",
                            first_skipped_device_));
    }
    return result_;
  }

 private:
  void extract_entry(archive_entry* e, std::string_view raw) {
    auto normalized = normalize(raw);
    if (!normalized) fail("path escapes the layer root");
    Parts& parts = *normalized;
    if (parts.empty()) return;  // "/", "./": the root itself
    const std::string& name = parts.back();

    // Whiteouts (OCI image-spec layer.md) in overlay's native form.
    if (opt_.whiteouts && name.starts_with(kWhiteoutPrefix)) {
      UniqueFd dir = open_dir(parts, parts.size() - 1, /*create=*/true);
      if (name == kOpaqueMarker) return make_opaque(dir.get(), parts);
      if (name.starts_with(kWhiteoutMetaPrefix)) return;  // .wh..wh.plnk and friends
      if (opt_.on_entry) {
        Parts target = parts;
        target.back() = name.substr(kWhiteoutPrefix.size());
        opt_.on_entry(join(target, target.size()), nullptr, false);
      }
      return make_whiteout(dir.get(), parts);
    }

    UniqueFd dir = open_dir(parts, parts.size() - 1, /*create=*/true);
    const char* target = entry_hardlink(e);
    if (opt_.on_entry)
      opt_.on_entry(join(parts, parts.size()), e, !target && archive_entry_filetype(e) == AE_IFREG);
    if (target) return make_hardlink(e, dir.get(), parts, target);

    switch (archive_entry_filetype(e)) {
      case AE_IFREG:
        return make_file(e, dir.get(), parts);
      case AE_IFDIR:
        return make_directory(e, dir.get(), parts);
      case AE_IFLNK:
        return make_symlink(e, dir.get(), parts);
      case AE_IFIFO:
      case AE_IFCHR:
      case AE_IFBLK:
        return make_node(e, dir.get(), parts);
      default:
        fail("unsupported entry type {:#o}", static_cast<unsigned>(archive_entry_filetype(e)));
    }
  }

  // --- resolution -----------------------------------------------------------

  UniqueFd dup_root() {
    UniqueFd fd(::fcntl(root_, F_DUPFD_CLOEXEC, 0));
    if (!fd) throw_errno("dup layer root");
    return fd;
  }

  // Opens parts[0..n) as an O_PATH directory fd; symlinks on the way are
  // resolved inside the root. With create, missing directories are made
  // (0755, owned by 0:0 like Docker); without, a missing one gives an empty fd.
  UniqueFd open_dir(const Parts& parts, size_t n, bool create) {
    if (n == 0) return dup_root();
    std::string path = join(parts, n);
    if (path.size() < PATH_MAX) {
      UniqueFd fd(openat2_retry(root_, path, O_PATH | O_DIRECTORY, kResolveInRoot));
      if (fd) return fd;
      if (errno != ENOENT) throw_errno("open parent directory {:?}", path);
    }
    return walk_dir(parts, n, create);
  }

  // The slow path, one component at a time: makes missing directories, and
  // handles paths longer than PATH_MAX (fds, not path strings). A symlink met
  // on the way is resolved by openat2(RESOLVE_IN_ROOT) of the path so far,
  // which needs that prefix to be shorter than PATH_MAX; tar writers never
  // store a path through a symlink, so only a crafted layer hits that limit.
  UniqueFd walk_dir(const Parts& parts, size_t n, bool create) {
    UniqueFd cur = dup_root();
    std::string logical;
    for (size_t i = 0; i < n; ++i) {
      const std::string& c = parts[i];
      if (i) logical += '/';
      logical += c;
      UniqueFd next(openat2_retry(cur.get(), c, O_PATH | O_DIRECTORY, kResolvePhysical));
      if (!next && errno == ENOENT) {
        if (!create) return UniqueFd();
        if (::mkdirat(cur.get(), c.c_str(), 0755) != 0 && errno != EEXIST)
          throw_errno("create parent directory {:?}", logical);
        // A directory we made: make its mode exact (umask) and owner root's.
        // An EEXIST above means a dangling symlink: the open below fails.
        next.reset(openat2_retry(cur.get(), c, O_PATH | O_DIRECTORY, kResolvePhysical));
        if (next) {
          if (::fchmodat(cur.get(), c.c_str(), 0755, AT_SYMLINK_NOFOLLOW) != 0)
            throw_errno("chmod parent directory {:?}", logical);
          set_owner(cur.get(), c, -1, 0, 0);
        }
      }
      if (!next && errno == ELOOP) {
        if (logical.size() >= PATH_MAX)
          fail("parent directory {:?}...: a symlink in a path longer than PATH_MAX is not supported",
               logical.substr(0, 64));
        next.reset(openat2_retry(root_, logical, O_PATH | O_DIRECTORY, kResolveInRoot));
      }
      if (!next) throw_errno("open parent directory {:?}", logical);
      cur = std::move(next);
    }
    return cur;
  }

  // Opens parts[0..n) without following any symlink, in PATH_MAX-sized
  // chunks. An empty fd and err set on failure.
  UniqueFd open_physical_dir(const Parts& parts, size_t n, int& err) {
    UniqueFd cur = dup_root();
    size_t i = 0;
    while (i < n) {
      std::string chunk = parts[i++];
      while (i < n && chunk.size() + 1 + parts[i].size() < PATH_MAX) {
        chunk += '/';
        chunk += parts[i++];
      }
      UniqueFd next(openat2_retry(cur.get(), chunk, O_PATH | O_DIRECTORY, kResolvePhysical));
      if (!next) {
        err = errno;
        return UniqueFd();
      }
      cur = std::move(next);
    }
    return cur;
  }

  // --- removal ---------------------------------------------------------------

  // lstat of NAME in dir; nullopt when absent.
  std::optional<struct stat> lstat_at(int dir, const std::string& name) {
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
    if (errno == ENOENT) return std::nullopt;
    throw_errno("stat");
  }

  // Removes whatever is at NAME (a directory with its tree): tar semantics,
  // the later entry wins.
  void remove_existing(int dir, const std::string& name, const std::string& path,
                       const std::optional<struct stat>& st) {
    if (!st) return;
    if (S_ISDIR(st->st_mode)) {
      fs::remove_all_at(dir, name);
      forget_directories_under(path);
    } else if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
      throw_errno("remove existing {:?}", path);
    }
  }

  // Runs create (an *at() call: -1 and errno on failure); when NAME exists,
  // removes it and runs create again. Trying first saves an lstat per entry.
  template <typename Create>
  int create_replacing(int dir, const std::string& name, const std::string& path, Create&& create) {
    int r = create();
    if (r >= 0 || errno != EEXIST) return r;
    remove_existing(dir, name, path, lstat_at(dir, name));
    return create();
  }

  void forget_directories_under(const std::string& path) {
    for (auto it = dirs_.lower_bound(path); it != dirs_.end() && it->first.starts_with(path);) {
      if (it->first.size() == path.size() || it->first[path.size()] == '/')
        it = dirs_.erase(it);
      else
        ++it;
    }
  }

  // --- entry types ---------------------------------------------------------

  void make_file(archive_entry* e, int dir, const Parts& parts) {
    const std::string& name = parts.back();
    std::string path = join(parts, parts.size());
    UniqueFd fd(create_replacing(dir, name, path, [&] {
      return ::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }));
    if (!fd) throw_errno("create file");
    write_data(e, fd.get());
    set_owner(-1, name, fd.get(), archive_entry_uid(e), archive_entry_gid(e));
    set_xattrs(e, fd.get(), -1, name);
    // After chown, which clears setuid and setgid.
    if (::fchmod(fd.get(), archive_entry_perm(e)) != 0) throw_errno("chmod");
    auto times = entry_times(e);
    if (::futimens(fd.get(), times.data()) != 0) throw_errno("set times");
  }

  void write_data(archive_entry* e, int fd) {
    int64_t end = 0;
    while (true) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      int r = archive_read_data_block(ar_, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) fail("read data: {}", archive_message(ar_));
      // Blocks come with their offset: the gaps of a sparse entry stay holes.
      pwrite_all(fd, static_cast<const char*>(buf), size, offset);
      end = std::max<int64_t>(end, offset + static_cast<int64_t>(size));
    }
    // A sparse file may end in a hole.
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > end) {
      if (::ftruncate(fd, archive_entry_size(e)) != 0) throw_errno("truncate");
    }
  }

  void make_directory(archive_entry* e, int dir, const Parts& parts) {
    const std::string& name = parts.back();
    std::string path = join(parts, parts.size());
    auto st = lstat_at(dir, name);
    if (!st || !S_ISDIR(st->st_mode)) {
      remove_existing(dir, name, path, st);
      // Owner-writable until the end (see finish_directories).
      if (::mkdirat(dir, name.c_str(), 0700) != 0) throw_errno("create directory");
      st = lstat_at(dir, name);
      if (!st || !S_ISDIR(st->st_mode)) fail("directory vanished while extracting");
    }
    set_owner(dir, name, -1, archive_entry_uid(e), archive_entry_gid(e));
    set_xattrs(e, -1, dir, name);
    DirMeta meta;
    meta.parts = parts;
    meta.dev = st->st_dev;
    meta.ino = st->st_ino;
    meta.mode = archive_entry_perm(e);
    auto times = entry_times(e);
    std::copy(times.begin(), times.end(), meta.times);
    dirs_[path] = std::move(meta);  // a duplicate entry: the later one wins
  }

  void make_symlink(archive_entry* e, int dir, const Parts& parts) {
    const std::string& name = parts.back();
    const char* target = entry_symlink(e);
    if (!target || !*target) fail("symlink without a target");
    // The target is stored verbatim: it is resolved by whoever follows it,
    // and we never follow it here.
    if (create_replacing(dir, name, join(parts, parts.size()),
                         [&] { return ::symlinkat(target, dir, name.c_str()); }) != 0)
      throw_errno("create symlink");
    set_owner(dir, name, -1, archive_entry_uid(e), archive_entry_gid(e));
    set_xattrs(e, -1, dir, name);
    auto times = entry_times(e);
    if (::utimensat(dir, name.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno("set times");
  }

  void make_node(archive_entry* e, int dir, const Parts& parts) {
    const std::string& name = parts.back();
    std::string path = join(parts, parts.size());
    auto type = archive_entry_filetype(e);
    if (type == AE_IFIFO) {
      if (create_replacing(dir, name, path, [&] { return ::mkfifoat(dir, name.c_str(), 0600); }) != 0)
        throw_errno("create fifo");
    } else {
      mode_t kind = type == AE_IFCHR ? S_IFCHR : S_IFBLK;
      dev_t rdev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
      // (EEXIST comes before EPERM: an existing NAME is removed either way.)
      if (create_replacing(dir, name, path, [&] { return ::mknodat(dir, name.c_str(), kind | 0600, rdev); }) != 0) {
        // No CAP_MKNOD in the initial namespace: skip it, warn once at the end.
        if (errno != EPERM) throw_errno("create device node");
        if (result_.skipped_devices++ == 0) first_skipped_device_ = path;
        return;
      }
    }
    set_owner(dir, name, -1, archive_entry_uid(e), archive_entry_gid(e));
    set_xattrs(e, -1, dir, name);
    if (::fchmodat(dir, name.c_str(), archive_entry_perm(e), AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno("chmod");
    auto times = entry_times(e);
    if (::utimensat(dir, name.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno("set times");
  }

  // The inode already carries the metadata of the entry that created it;
  // a hardlink entry only adds a name (like GNU tar and libarchive, for
  // hardlink entries without data; data on a hardlink entry is ignored).
  void make_hardlink(archive_entry*, int dir, const Parts& parts, std::string_view raw_target) {
    const std::string& name = parts.back();
    auto target = normalize(raw_target);
    if (!target) fail("hardlink target {:?} escapes the layer root", raw_target);
    if (target->empty()) fail("hardlink target {:?} is the layer root", raw_target);
    // No symlink is followed, neither on the way nor at the end: the target
    // must be an entry of this layer, by its real path.
    int err = 0;
    UniqueFd tdir = open_physical_dir(*target, target->size() - 1, err);
    UniqueFd tfd;
    if (tdir) {
      tfd.reset(openat2_retry(tdir.get(), target->back(), O_PATH | O_NOFOLLOW, kResolvePhysical));
      err = errno;
    }
    if (!tfd) {
      if (err == ELOOP) fail("hardlink target {:?} goes through a symlink", raw_target);
      throw Error(err, fmt::format("hardlink target {:?}", raw_target));
    }
    struct stat tst;
    if (::fstat(tfd.get(), &tst) != 0) throw_errno("stat hardlink target {:?}", raw_target);
    if (S_ISDIR(tst.st_mode)) fail("hardlink target {:?} is a directory", raw_target);

    auto st = lstat_at(dir, name);
    if (st && st->st_dev == tst.st_dev && st->st_ino == tst.st_ino) return;  // already that file
    remove_existing(dir, name, join(parts, parts.size()), st);
    // linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH in the initial
    // namespace; following the /proc magic link of an O_PATH fd does not.
    if (::linkat(AT_FDCWD, proc_path(tfd.get()).c_str(), dir, name.c_str(), AT_SYMLINK_FOLLOW) != 0)
      throw_errno("create hardlink to {:?}", raw_target);
  }

  // ".wh..wh..opq" in D: D hides the lower layers' contents.
  void make_opaque(int dir, const Parts& parts) {
    if (::setxattr(proc_path(dir).c_str(), kOpaqueXattr, "y", 1, 0) == 0) return;
    int err = errno;
    std::string path = join(parts, parts.size() - 1);
    if (path.empty()) path = ".";
    if (err == ENOTSUP || err == EOPNOTSUPP || err == EPERM)
      throw Error(err, fmt::format("whiteouts cannot be created on this filesystem: set {} on {:?}",
                                   kOpaqueXattr, path));
    throw Error(err, fmt::format("set {} on {:?}", kOpaqueXattr, path));
  }

  // ".wh.NAME": NAME is deleted; overlay's form is a 0/0 character device.
  void make_whiteout(int dir, const Parts& parts) {
    std::string target = parts.back().substr(kWhiteoutPrefix.size());
    if (target.empty() || target == "." || target == "..") fail("invalid whiteout name");
    std::string path = join(parts, parts.size() - 1);
    path = path.empty() ? target : path + "/" + target;
    // Unprivileged since Linux 5.8 (a 0/0 device is not a real device).
    if (create_replacing(dir, target, path,
                         [&] { return ::mknodat(dir, target.c_str(), S_IFCHR, makedev(0, 0)); }) != 0) {
      if (errno == EPERM || errno == EOPNOTSUPP || errno == EINVAL)
        throw_errno("whiteouts cannot be created on this filesystem: mknod {:?} 0/0", path);
      throw_errno("create whiteout {:?}", path);
    }
  }

  // --- metadata ----------------------------------------------------------------

  // Owner of fd, or of NAME in dir (not followed). An id outside our mapping
  // (EINVAL) or a missing capability (EPERM) leaves the caller's owner.
  void set_owner(int dir, const std::string& name, int fd, la_int64_t uid, la_int64_t gid) {
    if (!opt_.chown) return;
    constexpr la_int64_t kMaxId = static_cast<la_int64_t>(UINT32_MAX) - 1;  // -1 means "keep"
    if (uid < 0 || gid < 0 || uid > kMaxId || gid > kMaxId) {
      ++result_.chown_failures;
      return;
    }
    int r = fd >= 0 ? ::fchown(fd, static_cast<uid_t>(uid), static_cast<gid_t>(gid))
                    : ::fchownat(dir, name.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid),
                                 AT_SYMLINK_NOFOLLOW);
    if (r == 0) return;
    if (errno != EINVAL && errno != EPERM) throw_errno("chown {}:{}", uid, gid);
    ++result_.chown_failures;
  }

  // Extended attributes from the archive (SCHILY.xattr.*), on fd or on NAME in
  // dir (not followed).
  void set_xattrs(archive_entry* e, int fd, int dir, const std::string& name) {
    if (archive_entry_xattr_reset(e) == 0) return;
    std::string path;
    const char* key;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
      std::string_view k = key;
      // A layer must not forge overlay's own metadata (whiteouts, opaque
      // directories, redirects, metacopy): those come only from whiteouts.
      if (k.starts_with("user.overlay.") || k.starts_with("trusted.overlay.")) continue;
      int r;
      if (fd >= 0) {
        r = ::fsetxattr(fd, key, value, size, 0);
      } else {
        if (path.empty()) path = proc_path(dir, name);
        r = ::lsetxattr(path.c_str(), key, value, size, 0);
      }
      if (r == 0) continue;
      int err = errno;
      if (!is_ignorable_xattr_error(err)) throw_errno("set xattr {}", k);
      // security.* and trusted.* are commonly refused in a user namespace or
      // by the filesystem; quietly so.
      if (k.starts_with("security.") || k.starts_with("trusted.")) continue;
      if (opt_.warn && warned_xattrs_.insert(std::string(k)).second) {
        // Once per xattr name and layer.
        opt_.warn(fmt::format("layer entry {:?}: cannot set xattr {}: {}", current_entry_, k,
                              std::strerror(err)));
      }
    }
  }

  static std::array<struct timespec, 2> entry_times(archive_entry* e) {
    std::array<struct timespec, 2> ts = {{{0, UTIME_OMIT}, {0, UTIME_OMIT}}};
    if (archive_entry_mtime_is_set(e)) {
      ts[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
      ts[0] = ts[1];
    }
    if (archive_entry_atime_is_set(e)) ts[0] = {archive_entry_atime(e), archive_entry_atime_nsec(e)};
    return ts;
  }

  // Directory modes and times, deepest first, so that neither creating a
  // child nor a parent's final (maybe read-only, maybe not searchable) mode
  // gets in the way. A directory replaced or removed later in the layer is
  // recognised by its inode and left alone.
  void finish_directories() {
    std::vector<DirMeta*> order;
    order.reserve(dirs_.size());
    for (auto& [path, meta] : dirs_) order.push_back(&meta);
    std::stable_sort(order.begin(), order.end(),
                     [](const DirMeta* a, const DirMeta* b) { return a->parts.size() > b->parts.size(); });
    for (DirMeta* meta : order) {
      const std::string& name = meta->parts.back();
      std::string path = join(meta->parts, meta->parts.size());
      with_context(fmt::format("layer directory {:?}", path), [&] {
        UniqueFd dir;
        try {
          dir = open_dir(meta->parts, meta->parts.size() - 1, /*create=*/false);
        } catch (const Error&) {
          return;  // its parent was replaced by something else
        }
        if (!dir) return;
        struct stat st;
        if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
        if (!S_ISDIR(st.st_mode) || st.st_dev != meta->dev || st.st_ino != meta->ino) return;
        if (::fchmodat(dir.get(), name.c_str(), meta->mode, AT_SYMLINK_NOFOLLOW) != 0)
          throw_errno("chmod");
        if (::utimensat(dir.get(), name.c_str(), meta->times, AT_SYMLINK_NOFOLLOW) != 0)
          throw_errno("set times");
      });
    }
  }

  archive* ar_;
  int root_;
  const ExtractOptions& opt_;
  ExtractResult result_;
  std::map<std::string, DirMeta> dirs_;
  std::string first_skipped_device_;
  std::set<std::string> warned_xattrs_;
  std::string current_entry_;
};

}  // namespace

ExtractResult extract_layer(struct archive* reader, int root_fd, const ExtractOptions& options) {
  return Extractor(reader, root_fd, options).run();
}

}  // namespace cabin::storage
