#include "storage/tarstream.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <map>
#include <vector>

#include "util/error.h"
#include "util/fd.h"

namespace cabin::storage {
namespace {

bool opaque_dir(int parent, const std::string& name) {
  UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  char v[2];
  for (const char* attr : {"user.overlay.opaque", "trusted.overlay.opaque"})
    if (fd && ::fgetxattr(fd.get(), attr, v, sizeof v) == 1 && v[0] == 'y') return true;
  return false;
}

struct TarWriter {
  archive* a;
  std::optional<std::pair<uid_t, gid_t>> owner;  // every entry's owner instead of the file's
  dev_t one_fs = 0;                               // non-zero: no descent into other filesystems
  bool overlay_upper = false;
  const std::function<bool(const std::string&, const struct stat&)>* skip = nullptr;
  std::map<std::pair<dev_t, ino_t>, std::string> links;

  // An empty regular file named arcname (whiteouts).
  void marker(const std::string& arcname, const struct stat& like) {
    archive_entry* e = archive_entry_new();
    ScopeGuard free_entry([&] { archive_entry_free(e); });
    archive_entry_set_pathname(e, arcname.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0);
    archive_entry_set_size(e, 0);
    archive_entry_set_mtime(e, like.st_mtim.tv_sec, like.st_mtim.tv_nsec);
    check(archive_write_header(a, e), arcname);
  }

  void check(int r, const std::string& what) {
    if (r < ARCHIVE_WARN) fail("write the tar: {}: {}", what, archive_error_string(a));
  }

  // Writes parent/name as arcname, and a directory's contents below it.
  void write(int parent, const std::string& name, const std::string& arcname) {
    struct stat st {};
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat {}", arcname);
    if (S_ISSOCK(st.st_mode)) return;  // tar has no sockets
    if (skip && *skip && (*skip)(arcname, st)) return;
    if (overlay_upper && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
      auto slash = arcname.rfind('/');
      marker(slash == std::string::npos ? ".wh." + arcname : arcname.substr(0, slash + 1) + ".wh." + arcname.substr(slash + 1), st);
      return;
    }
    archive_entry* e = archive_entry_new();
    ScopeGuard free_entry([&] { archive_entry_free(e); });
    bool dir = S_ISDIR(st.st_mode);
    archive_entry_set_pathname(e, (dir ? arcname + "/" : arcname).c_str());
    archive_entry_copy_stat(e, &st);
    if (owner) {
      archive_entry_set_uid(e, owner->first);
      archive_entry_set_gid(e, owner->second);
    }
    UniqueFd content;
    if (S_ISLNK(st.st_mode)) {
      std::string target(PATH_MAX, '\0');
      ssize_t n = ::readlinkat(parent, name.c_str(), target.data(), target.size());
      if (n < 0) throw_errno("read link {}", arcname);
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e, target.c_str());
    } else if (S_ISREG(st.st_mode)) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      if (st.st_nlink > 1) {
        if (auto it = links.find(key); it != links.end()) {
          archive_entry_set_hardlink(e, it->second.c_str());
          archive_entry_set_size(e, 0);
          check(archive_write_header(a, e), arcname);
          return;
        }
        links.emplace(key, arcname);
      }
      content.reset(::openat(parent, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!content) throw_errno("open {}", arcname);
    } else if (!dir) {
      archive_entry_set_size(e, 0);
    }
    check(archive_write_header(a, e), arcname);
    if (content) {
      char buf[65536];
      ssize_t n;
      while ((n = ::read(content.get(), buf, sizeof buf)) > 0)
        if (archive_write_data(a, buf, static_cast<size_t>(n)) < 0) check(ARCHIVE_FATAL, arcname);
      if (n < 0) throw_errno("read {}", arcname);
    }
    if (dir && overlay_upper && opaque_dir(parent, name)) marker(arcname + "/.wh..wh..opq", st);
    if (dir && (one_fs == 0 || st.st_dev == one_fs)) write_children(parent, name, arcname + "/");
  }

  // The entries of parent/name, as prefix + their names.
  void write_children(int parent, const std::string& name, const std::string& prefix) {
    int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw_errno("open directory {}", prefix.empty() ? "/" : prefix);
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
      ::close(fd);
      throw_errno("read directory {}", prefix);
    }
    ScopeGuard close_dir([&] { ::closedir(d); });
    std::vector<std::string> names;
    while (dirent* de = ::readdir(d)) {
      std::string n = de->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) write(::dirfd(d), n, prefix + n);
  }
};

// A tar writer on fd; finish() completes the archive.
struct TarOut {
  archive* a = archive_write_new();
  explicit TarOut(int fd) {
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    if (archive_write_open_fd(a, fd) != ARCHIVE_OK) fail("write the tar: {}", archive_error_string(a));
  }
  ~TarOut() { archive_write_free(a); }
  void finish() {
    if (archive_write_close(a) != ARCHIVE_OK) fail("write the tar: {}", archive_error_string(a));
  }
};

}  // namespace

void write_trees_tar(int out_fd, const std::vector<TarTree>& trees) {
  TarOut out(out_fd);
  for (const auto& tree : trees) {
    TarWriter w{out.a, tree.owner, 0, tree.overlay_upper, &tree.skip, {}};
    if (tree.one_filesystem) {
      struct stat st {};
      if (::fstatat(tree.parent_fd, tree.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat {}", tree.name);
      w.one_fs = st.st_dev;
    }
    if (tree.arcname.empty())
      w.write_children(tree.parent_fd, tree.name, "");
    else
      w.write(tree.parent_fd, tree.name, tree.arcname);
  }
  out.finish();
}

void write_tree_tar(int out_fd, const TarTree& tree) { write_trees_tar(out_fd, {tree}); }

void extract_tar_fd(int in_fd, int dir_fd, const ExtractOptions& options) {
  archive* r = archive_read_new();
  ScopeGuard free_reader([&] { archive_read_free(r); });
  archive_read_support_format_tar(r);
  archive_read_support_filter_all(r);
  if (archive_read_open_fd(r, in_fd, 65536) != ARCHIVE_OK) fail("read the tar: {}", archive_error_string(r));
  UniqueFd target(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!target) throw_errno("open the destination");
  extract_layer(r, target.get(), options);
}

}  // namespace cabin::storage
