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
#include <memory>
#include <set>
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

// name below prefix ("a/b/" + "../x" is "a/b/x"), without a trailing slash.
std::string below(const std::string& prefix, const std::string& name) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string::npos) j = name.size();
    std::string part = name.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = prefix;
  for (const auto& p : parts) out += (out.empty() || out.back() == '/' ? "" : "/") + p;
  return out;
}

struct TarWriter {
  archive* a;
  const TarTree& tree;
  dev_t one_fs = 0;  // non-zero: no descent into other filesystems
  std::map<std::pair<dev_t, ino_t>, std::string> links;

  // The tree's overrides of owner, mode and time.
  void adjust(archive_entry* e) {
    if (tree.owner) {
      archive_entry_set_uid(e, tree.owner->first);
      archive_entry_set_gid(e, tree.owner->second);
      archive_entry_set_uname(e, nullptr);
      archive_entry_set_gname(e, nullptr);
    }
    if (tree.mode && archive_entry_filetype(e) != AE_IFLNK) archive_entry_set_perm(e, *tree.mode);
    if (tree.mtime) {
      archive_entry_set_mtime(e, *tree.mtime, 0);
      archive_entry_unset_atime(e);
      archive_entry_unset_ctime(e);
    }
  }

  // The entries of the archive on fd, under prefix.
  void copy_archive(int fd, const std::string& prefix) {
    archive* r = archive_read_new();
    ScopeGuard free_reader([&] { archive_read_free(r); });
    archive_read_support_format_all(r);
    archive_read_support_filter_all(r);
    if (archive_read_open_fd(r, fd, 65536) != ARCHIVE_OK) fail("read the archive: {}", archive_error_string(r));
    archive_entry* e;
    int rc;
    while ((rc = archive_read_next_header(r, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
      std::string name = below(prefix, archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
      if (name.empty()) continue;  // the archive's "./"
      if (archive_entry_filetype(e) == AE_IFDIR) name += "/";
      archive_entry_set_pathname(e, name.c_str());
      if (const char* link = archive_entry_hardlink(e)) archive_entry_set_hardlink(e, below(prefix, link).c_str());
      adjust(e);
      check(archive_write_header(a, e), name);
      const void* buf;
      size_t len;
      la_int64_t off;
      while ((rc = archive_read_data_block(r, &buf, &len, &off)) == ARCHIVE_OK)
        if (archive_write_data(a, buf, len) < 0) check(ARCHIVE_FATAL, name);
      if (rc != ARCHIVE_EOF) fail("read the archive: {}: {}", name, archive_error_string(r));
    }
    if (rc != ARCHIVE_EOF) fail("read the archive: {}", archive_error_string(r));
  }

  // An empty regular file named arcname (whiteouts).
  void marker(const std::string& arcname, const struct stat& like) {
    archive_entry* e = archive_entry_new();
    ScopeGuard free_entry([&] { archive_entry_free(e); });
    archive_entry_set_pathname(e, arcname.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0);
    archive_entry_set_size(e, 0);
    archive_entry_set_mtime(e, like.st_mtim.tv_sec, like.st_mtim.tv_nsec);
    if (tree.mtime) archive_entry_set_mtime(e, *tree.mtime, 0);
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
    if (tree.skip && tree.skip(arcname, st)) return;
    if (tree.overlay_upper && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
      auto slash = arcname.rfind('/');
      marker(slash == std::string::npos ? ".wh." + arcname : arcname.substr(0, slash + 1) + ".wh." + arcname.substr(slash + 1), st);
      return;
    }
    archive_entry* e = archive_entry_new();
    ScopeGuard free_entry([&] { archive_entry_free(e); });
    bool dir = S_ISDIR(st.st_mode);
    archive_entry_set_pathname(e, (dir ? arcname + "/" : arcname).c_str());
    archive_entry_copy_stat(e, &st);
    adjust(e);
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
    if (dir && tree.overlay_upper && opaque_dir(parent, name)) marker(arcname + "/.wh..wh..opq", st);
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
    TarWriter w{out.a, tree, 0, {}};
    if (tree.archive_fd >= 0) {
      w.copy_archive(tree.archive_fd, tree.arcname);
      continue;
    }
    if (tree.one_filesystem) {
      struct stat st {};
      if (::fstatat(tree.parent_fd, tree.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat {}", tree.name);
      w.one_fs = st.st_dev;
    }
    if (tree.arcname.empty())
      w.write_children(tree.parent_fd, tree.name, "");
    else
      w.write(tree.parent_fd, tree.name, tree.arcname);
    struct stat now {};
    now.st_mtim.tv_sec = tree.mtime ? *tree.mtime : 0;
    for (const auto& path : tree.whiteouts) {
      auto slash = path.rfind('/');
      w.marker(slash == std::string::npos ? ".wh." + path : path.substr(0, slash + 1) + ".wh." + path.substr(slash + 1), now);
    }
  }
  out.finish();
}

void write_tree_tar(int out_fd, const TarTree& tree) { write_trees_tar(out_fd, {tree}); }

void write_tar_entries(int out_fd, const std::vector<TarEntry>& entries) {
  TarOut out(out_fd);
  std::set<std::string> dirs;
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
  auto header = [&](const std::string& name, mode_t type, uint64_t size) {
    archive_entry_clear(e.get());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    if (archive_write_header(out.a, e.get()) != ARCHIVE_OK) fail("write the tar: {}", archive_error_string(out.a));
  };
  for (const auto& t : entries) {
    // Parent directories first, once.
    for (size_t slash = t.name.find('/'); slash != std::string::npos; slash = t.name.find('/', slash + 1))
      if (auto d = t.name.substr(0, slash); dirs.insert(d).second) header(d, AE_IFDIR, 0);
    header(t.name, AE_IFREG, t.stream ? t.size : t.data.size());
    uint64_t written = 0;
    auto put = [&](const char* p, size_t n) {
      if (written + n > (t.stream ? t.size : t.data.size())) fail("write the tar: {} is longer than it said", t.name);
      if (archive_write_data(out.a, p, n) != static_cast<la_ssize_t>(n)) fail("write the tar: {}", archive_error_string(out.a));
      written += n;
    };
    if (t.stream) {
      t.stream(put);
      if (written != t.size) fail("write the tar: {} is {} bytes, not {} as it said", t.name, written, t.size);
    } else {
      put(t.data.data(), t.data.size());
    }
  }
  out.finish();
}

void for_each_tar_entry(int in_fd, const std::function<void(const TarEntryInfo&, const TarRead&)>& fn) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), in_fd, 1 << 16) != ARCHIVE_OK) fail("read the archive: {}", archive_error_string(a.get()));
  archive_entry* e = nullptr;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) fail("read the archive: {}", archive_error_string(a.get()));
    TarEntryInfo info;
    const char* name = archive_entry_pathname(e);
    info.name = name ? name : "";
    while (info.name.rfind("./", 0) == 0) info.name.erase(0, 2);
    switch (archive_entry_filetype(e)) {
      case AE_IFREG: info.type = archive_entry_hardlink(e) ? 'h' : 'f'; break;
      case AE_IFDIR: info.type = 'd'; break;
      case AE_IFLNK: info.type = 'l'; break;
      default: info.type = archive_entry_hardlink(e) ? 'h' : 'o';
    }
    if (const char* l = archive_entry_hardlink(e)) info.link = l;
    if (const char* l = archive_entry_symlink(e)) info.link = l;
    info.size = static_cast<uint64_t>(std::max<la_int64_t>(0, archive_entry_size(e)));
    fn(info, [&](char* buf, size_t n) -> size_t {
      la_ssize_t got = archive_read_data(a.get(), buf, n);
      if (got < 0) fail("read the archive: {}", archive_error_string(a.get()));
      return static_cast<size_t>(got);
    });
  }
}

bool is_archive(int fd) {
  archive* a = archive_read_new();
  ScopeGuard free_reader([&] { archive_read_free(a); });
  archive_read_support_format_all(a);
  archive_read_support_filter_all(a);
  archive_entry* e;
  bool yes = archive_read_open_fd(a, fd, 65536) == ARCHIVE_OK && archive_read_next_header(a, &e) == ARCHIVE_OK &&
             archive_format(a) != ARCHIVE_FORMAT_RAW && archive_format(a) != ARCHIVE_FORMAT_EMPTY;
  ::lseek(fd, 0, SEEK_SET);
  return yes;
}

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
