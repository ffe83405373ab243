// Small filesystem helpers; every fd is opened O_CLOEXEC.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "util/fd.h"

namespace cabin::fs {

// path opened below the directory root with openat2(RESOLVE_IN_ROOT): ".."
// and symlinks (absolute ones too) never lead out of root, as they would
// not for a process chrooted there. An invalid fd (errno set) when it fails.
UniqueFd open_in_root(int root, const std::string& path, int flags);


// 12 random hex digits, for names that must not collide.
std::string random_suffix();

std::string read_file(const std::string& path);
// The target of the symlink at path. Throws Error.
std::string read_link(const std::string& path);
// Copies what can be read from in (to its end) to out. Throws Error.
void copy_fd(int in, int out);
// nullopt when the file does not exist; other errors throw.
std::optional<std::string> read_file_if_exists(const std::string& path);
// Writes to PATH.tmp-XXXX then renames over path, so readers see old or new.
// Sync::Filesystem flushes the whole filesystem (syncfs) before the rename:
// a record written that way never reaches the disk ahead of the files it
// points to (unpacked layers), whatever the filesystem's journal mode. It
// costs the writeback of everything dirty, so it is only for records whose
// loss or dangling would lose user data.
enum class Sync { None, Filesystem };
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                       Sync sync = Sync::None);

// Overwrites the existing file path in place with data (pwrite, then
// truncate): no new file, so no new inode and, for a small file within the
// block it already has, no new block. For a state file on a full disk, where
// write_file_atomic fails; a reader may see a torn write. Throws Error.
void overwrite_file(const std::string& path, std::string_view data);
void mkdir_p(const std::string& path, mode_t mode = 0755);
bool exists(const std::string& path);
bool is_dir(const std::string& path);
// Removes a tree without following symlinks; missing is fine. Directories
// without write permission are made writable first.
void remove_all(const std::string& path);
void remove_all_at(int dirfd, const std::string& name);
// Total bytes of regular files under path (st_blocks-free: apparent size).
uint64_t tree_size(const std::string& path);
// The names in a directory (without . and ..), unsorted; none when it
// cannot be read.
std::vector<std::string> list_dir(const std::string& dir);
// The names in the directory open on fd (without . and ..), sorted.
std::vector<std::string> list_dir_fd(int fd);
std::string join(std::string_view a, std::string_view b);

// An advisory lock (flock) on a file, released on destruction.
class FileLock {
 public:
  enum class Mode { Shared, Exclusive };
  FileLock() = default;
  // Blocks until the lock is held.
  static FileLock acquire(const std::string& path, Mode mode);
  explicit operator bool() const { return static_cast<bool>(fd_); }

 private:
  friend class LockedTempDir;
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  // Whether the locked file is still the one at path: not unlinked or
  // replaced since it was opened.
  bool is_at(const std::string& path) const;
  UniqueFd fd_;
};

// A directory created under parent and removed on destruction unless kept.
class TempDir {
 public:
  TempDir(const std::string& parent, std::string_view prefix);
  TempDir(TempDir&& o) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

// A temporary directory in use: a file "lock" in it is held for as long as
// the object lives, so cleaners (claim_abandoned) leave it be. Removed on
// destruction unless kept: its contents, then the lock file, then the
// directory, so that no cleaner can lock it while it is half removed.
class LockedTempDir {
 public:
  // Made under parent, its lock held before it appears there.
  static LockedTempDir create(const std::string& parent, std::string_view prefix);
  // For cleaners: the directory at dir, taken over, when no live process
  // holds its lock (its maker was killed) or it has no lock file (it is not
  // a LockedTempDir, or its owner emptied it); nullopt when it is in use or
  // gone, or not yet renamed into place.
  static std::optional<LockedTempDir> claim_abandoned(const std::string& dir);
  LockedTempDir(LockedTempDir&& o) noexcept;
  LockedTempDir& operator=(LockedTempDir&&) = delete;
  ~LockedTempDir();
  const std::string& path() const { return path_; }
  void keep() { keep_ = true; }
  // Removes it now (what destruction does unless kept).
  void remove();

 private:
  LockedTempDir(std::string path, FileLock lock) : path_(std::move(path)), lock_(std::move(lock)) {}
  std::string path_;
  FileLock lock_;
  bool keep_ = false;
};

}  // namespace cabin::fs
