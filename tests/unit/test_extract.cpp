// Layer extraction: tars are built in memory with libarchive's pax writer and
// extracted into a fresh directory. Runs unprivileged; checks that need root
// (owners, device nodes) or a user namespace say so and skip themselves.
#include "storage/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/store.h"
#include "storage/unpack.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"

using cabin::Error;
using cabin::UniqueFd;
using cabin::storage::extract_layer;
using cabin::storage::ExtractOptions;
using cabin::storage::ExtractResult;

namespace {

constexpr time_t kTime = 1700000000;

// One archive entry to write.
struct Spec {
  std::string path;
  unsigned type = AE_IFREG;
  mode_t perm = 0644;
  std::string data;
  std::string link;  // symlink target, or hardlink target when hardlink
  bool hardlink = false;
  int64_t uid = 0;
  int64_t gid = 0;
  time_t mtime = kTime;
  long mtime_nsec = 0;
  unsigned rdev_major = 0;
  unsigned rdev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
  // (offset, length) data regions of a sparse file; data is the full content.
  std::vector<std::pair<int64_t, int64_t>> sparse;
  // The size in the header, when not data's (a sparse file whose data holds
  // only its regions).
  std::optional<int64_t> size;
};

Spec File(std::string path, std::string data = "", mode_t perm = 0644) {
  Spec s;
  s.path = std::move(path);
  s.data = std::move(data);
  s.perm = perm;
  return s;
}
Spec Dir(std::string path, mode_t perm = 0755) {
  Spec s;
  s.path = std::move(path);
  s.type = AE_IFDIR;
  s.perm = perm;
  return s;
}
Spec Symlink(std::string path, std::string target) {
  Spec s;
  s.path = std::move(path);
  s.type = AE_IFLNK;
  s.perm = 0777;
  s.link = std::move(target);
  return s;
}
Spec Hardlink(std::string path, std::string target) {
  Spec s;
  s.path = std::move(path);
  s.link = std::move(target);
  s.hardlink = true;
  return s;
}
Spec Node(std::string path, unsigned type, unsigned major = 0, unsigned minor = 0) {
  Spec s;
  s.path = std::move(path);
  s.type = type;
  s.perm = 0600;
  s.rdev_major = major;
  s.rdev_minor = minor;
  return s;
}

la_ssize_t append_to_string(archive*, void* out, const void* buf, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), size);
  return static_cast<la_ssize_t>(size);
}

// A pax tar in memory. archive_write_open with a callback rather than
// archive_write_open_memory: no buffer size to guess.
std::string make_tar(const std::vector<Spec>& specs) {
  std::string out;
  std::unique_ptr<archive, decltype(&archive_write_free)> w(archive_write_new(), archive_write_free);
  REQUIRE(archive_write_set_format_pax(w.get()) == ARCHIVE_OK);
  REQUIRE(archive_write_open(w.get(), &out, nullptr, append_to_string, nullptr) == ARCHIVE_OK);
  for (const Spec& s : specs) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_copy_pathname(e.get(), s.path.c_str());
    if (s.hardlink) {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_copy_hardlink(e.get(), s.link.c_str());
      archive_entry_set_size(e.get(), 0);
    } else {
      archive_entry_set_filetype(e.get(), s.type);
      if (s.type == AE_IFLNK) archive_entry_copy_symlink(e.get(), s.link.c_str());
      archive_entry_set_size(e.get(), s.type != AE_IFREG ? 0 : s.size ? *s.size : static_cast<la_int64_t>(s.data.size()));
    }
    archive_entry_set_perm(e.get(), s.perm);
    archive_entry_set_uid(e.get(), s.uid);
    archive_entry_set_gid(e.get(), s.gid);
    archive_entry_set_mtime(e.get(), s.mtime, s.mtime_nsec);
    archive_entry_set_rdevmajor(e.get(), s.rdev_major);
    archive_entry_set_rdevminor(e.get(), s.rdev_minor);
    for (const auto& [k, v] : s.xattrs) archive_entry_xattr_add_entry(e.get(), k.c_str(), v.data(), v.size());
    for (const auto& [off, len] : s.sparse) archive_entry_sparse_add_entry(e.get(), off, len);
    REQUIRE(archive_write_header(w.get(), e.get()) == ARCHIVE_OK);
    if (!s.hardlink && s.type == AE_IFREG && !s.data.empty())
      REQUIRE(archive_write_data(w.get(), s.data.data(), s.data.size()) ==
              static_cast<la_ssize_t>(s.data.size()));
  }
  REQUIRE(archive_write_close(w.get()) == ARCHIVE_OK);
  return out;
}

ExtractResult extract(const std::string& tar, int root_fd, const ExtractOptions& options = {}) {
  std::unique_ptr<archive, decltype(&archive_read_free)> r(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(r.get());
  archive_read_support_format_gnutar(r.get());
  REQUIRE(archive_read_open_memory(r.get(), tar.data(), tar.size()) == ARCHIVE_OK);
  return extract_layer(r.get(), root_fd, options);
}

std::string tmp_parent() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

std::string read_text(const std::string& path) { return cabin::fs::read_file(path); }

struct stat lstat_of(const std::string& path) {
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

bool present(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string readlink_of(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  REQUIRE(n >= 0);
  return std::string(buf, static_cast<size_t>(n));
}

std::string xattr_of(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
  if (n < 0) return "<" + std::string(std::strerror(errno)) + ">";
  return std::string(buf, static_cast<size_t>(n));
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    if (slash > pos) out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

// A scratch directory holding the layer root and sentinels around it:
//   scratch/outside-file, scratch/outside/keep, scratch/root (extract here).
// snapshot() describes everything but root, to prove hostile layers left it
// untouched.
struct Scratch {
  cabin::fs::TempDir dir{tmp_parent(), "cabin-extract-"};
  std::string root = dir.path() + "/root";
  UniqueFd root_fd;

  Scratch() {
    cabin::fs::write_file_atomic(dir.path() + "/outside-file", "sentinel", 0644);
    cabin::fs::mkdir_p(dir.path() + "/outside", 0755);
    cabin::fs::write_file_atomic(dir.path() + "/outside/keep", "keep", 0644);
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    root_fd.reset(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(root_fd);
  }

  std::string in_root(const std::string& rel) const { return root + "/" + rel; }
  std::string outside(const std::string& rel) const { return dir.path() + "/" + rel; }

  std::map<std::string, std::string> snapshot() const {
    std::map<std::string, std::string> out;
    walk(dir.path(), "", out);
    return out;
  }

 private:
  static void walk(const std::string& abs, const std::string& rel, std::map<std::string, std::string>& out) {
    DIR* d = ::opendir(abs.c_str());
    REQUIRE(d != nullptr);
    while (dirent* ent = ::readdir(d)) {
      std::string name = ent->d_name;
      if (name == "." || name == ".." || (rel.empty() && name == "root")) continue;
      std::string a = abs + "/" + name, r = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      REQUIRE(::lstat(a.c_str(), &st) == 0);
      std::string desc = fmt::format("mode={:o} nlink={} mtime={}.{} size={}", st.st_mode, st.st_nlink,
                                     st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size);
      if (S_ISREG(st.st_mode)) desc += " data=" + read_text(a);
      out[r] = desc;
      if (S_ISDIR(st.st_mode)) walk(a, r, out);
    }
    ::closedir(d);
  }
};

// Extracting tar must fail with exactly message and touch nothing outside.
void require_hostile_error(const std::vector<Spec>& specs, const std::string& message) {
  Scratch s;
  auto before = s.snapshot();
  REQUIRE_THROWS_WITH(extract(make_tar(specs), s.root_fd.get()), message);
  CHECK(s.snapshot() == before);
}

// Runs fn in a child process inside a new user namespace where only our own
// uid and gid are mapped (to 0), as cabin runs on hosts without subuid
// ranges. fn's string goes back through a pipe. nullopt: no user namespaces.
std::optional<std::string> in_single_id_userns(const std::function<std::string()>& fn) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    int code = ::unshare(CLONE_NEWUSER) == 0 ? 0 : 3;
    if (code == 0) {
      // /proc files cannot be replaced by rename: write them directly.
      auto write_proc = [](const char* path, const std::string& data) {
        int fd = ::open(path, O_WRONLY | O_CLOEXEC);
        bool ok = fd >= 0 && ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
        if (fd >= 0) ::close(fd);
        return ok;
      };
      if (!write_proc("/proc/self/setgroups", "deny") ||
          !write_proc("/proc/self/uid_map", fmt::format("0 {} 1\n", uid)) ||
          !write_proc("/proc/self/gid_map", fmt::format("0 {} 1\n", gid))) {
        code = 3;
      } else {
        try {
          out = fn();
        } catch (const std::exception& e) {
          out = std::string("exception: ") + e.what();
          code = 1;
        } catch (...) {  // a failed REQUIRE: never return into Catch here
          out = "failed assertion in the child";
          code = 1;
        }
      }
    }
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(code);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 3) return std::nullopt;
  INFO(out);
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

}  // namespace

TEST_CASE("extract: files, directories, modes and times", "[extract]") {
  Scratch s;
  Spec file = File("etc/hosts", "127.0.0.1 localhost\n", 0640);
  file.mtime_nsec = 123456789;
  Spec suid = File("usr/bin/su", "#!elf", 04755);
  Spec dir = Dir("etc", 0750);
  dir.mtime = kTime - 1000;
  dir.mtime_nsec = 42;
  Spec ro = Dir("ro", 0555);
  Spec hidden = Dir("hidden", 0);  // not even searchable: children first, then mode
  std::vector<Spec> specs = {dir, file, suid, ro, File("ro/inside", "x", 0444), hidden,
                             File("hidden/deep", "y"), Dir("./"), File("./dot/slash", "z")};
  ExtractResult r = extract(make_tar(specs), s.root_fd.get());
  CHECK(r.entries == specs.size());
  CHECK(r.skipped_devices == 0);

  CHECK(read_text(s.in_root("etc/hosts")) == "127.0.0.1 localhost\n");
  struct stat st = lstat_of(s.in_root("etc/hosts"));
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(st.st_mtim.tv_sec == kTime);
  CHECK(st.st_mtim.tv_nsec == 123456789);

  CHECK((lstat_of(s.in_root("usr/bin/su")).st_mode & 07777) == 04755);
  // Implicit parents: 0755.
  CHECK((lstat_of(s.in_root("usr")).st_mode & 07777) == 0755);
  CHECK((lstat_of(s.in_root("usr/bin")).st_mode & 07777) == 0755);

  // Directory times survive the children created after them.
  st = lstat_of(s.in_root("etc"));
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 07777) == 0750);
  CHECK(st.st_mtim.tv_sec == kTime - 1000);
  CHECK(st.st_mtim.tv_nsec == 42);

  CHECK((lstat_of(s.in_root("ro")).st_mode & 07777) == 0555);
  CHECK((lstat_of(s.in_root("ro/inside")).st_mode & 07777) == 0444);
  CHECK((lstat_of(s.in_root("hidden")).st_mode & 07777) == 0);
  REQUIRE(::chmod(s.in_root("hidden").c_str(), 0700) == 0);
  CHECK(read_text(s.in_root("hidden/deep")) == "y");
  CHECK(read_text(s.in_root("dot/slash")) == "z");
}

TEST_CASE("extract: owners", "[extract]") {
  Spec f = File("owned", "data", 04755);
  f.uid = 1000;
  f.gid = 1001;
  Spec d = Dir("ownd");
  d.uid = 1002;
  d.gid = 1003;
  Spec l = Symlink("ownl", "owned");
  l.uid = 1004;
  l.gid = 1005;
  std::string tar = make_tar({f, d, l, File("implicit/child")});

  SECTION("chown off: everything is ours, nothing counted") {
    Scratch s;
    ExtractOptions o;
    o.chown = false;
    ExtractResult r = extract(tar, s.root_fd.get(), o);
    CHECK(r.chown_failures == 0);
    CHECK(lstat_of(s.in_root("owned")).st_uid == ::geteuid());
    CHECK((lstat_of(s.in_root("owned")).st_mode & 07777) == 04755);
  }
  SECTION("chown on") {
    if (::geteuid() != 0) {
      WARN("not root: owner checks skipped");
      return;
    }
    Scratch s;
    ExtractResult r = extract(tar, s.root_fd.get());
    CHECK(r.chown_failures == 0);
    struct stat st = lstat_of(s.in_root("owned"));
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1001);
    CHECK((st.st_mode & 07777) == 04755);  // mode after chown: setuid kept
    CHECK(lstat_of(s.in_root("ownd")).st_uid == 1002);
    CHECK(lstat_of(s.in_root("ownd")).st_gid == 1003);
    CHECK(lstat_of(s.in_root("ownl")).st_uid == 1004);
    CHECK(lstat_of(s.in_root("ownl")).st_gid == 1005);
    CHECK(lstat_of(s.in_root("implicit")).st_uid == 0);
    CHECK(lstat_of(s.in_root("implicit")).st_gid == 0);
  }
}

TEST_CASE("extract: symlinks are stored verbatim and never followed", "[extract]") {
  Scratch s;
  Spec abs = Symlink("abs", s.outside("outside-file"));
  abs.mtime = kTime - 5;
  std::vector<Spec> specs = {abs, Symlink("rel", "../../../x"), Symlink("dangling", "no/such"),
                             Symlink("dir/nl\nlink", "t\narget")};
  auto before = s.snapshot();
  extract(make_tar(specs), s.root_fd.get());
  CHECK(readlink_of(s.in_root("abs")) == s.outside("outside-file"));
  CHECK(lstat_of(s.in_root("abs")).st_mtim.tv_sec == kTime - 5);
  CHECK(readlink_of(s.in_root("rel")) == "../../../x");
  CHECK(readlink_of(s.in_root("dangling")) == "no/such");
  CHECK(readlink_of(s.in_root("dir/nl\nlink")) == "t\narget");
  CHECK(s.snapshot() == before);
}

TEST_CASE("extract: hardlinks share the inode", "[extract]") {
  Scratch s;
  std::vector<Spec> specs = {File("a", "shared", 0600), Hardlink("b", "a"), Hardlink("sub/c", "./a"),
                             Hardlink("/d", "/a"), Symlink("sl", "a"), Hardlink("sl2", "sl"),
                             Hardlink("b", "a")};  // duplicate: nothing to do
  ExtractResult r = extract(make_tar(specs), s.root_fd.get());
  CHECK(r.entries == specs.size());
  struct stat a = lstat_of(s.in_root("a"));
  CHECK(a.st_nlink == 4);
  CHECK(lstat_of(s.in_root("b")).st_ino == a.st_ino);
  CHECK(lstat_of(s.in_root("sub/c")).st_ino == a.st_ino);
  CHECK(lstat_of(s.in_root("d")).st_ino == a.st_ino);
  // A hardlink to a symlink links the symlink itself.
  CHECK(lstat_of(s.in_root("sl2")).st_ino == lstat_of(s.in_root("sl")).st_ino);
  CHECK(S_ISLNK(lstat_of(s.in_root("sl2")).st_mode));
}

TEST_CASE("extract: fifos and device nodes", "[extract]") {
  Scratch s;
  std::vector<std::string> warnings;
  ExtractOptions o;
  o.warn = [&](std::string_view m) { warnings.emplace_back(m); };
  Spec fifo = Node("run/fifo", AE_IFIFO);
  fifo.perm = 0620;
  std::vector<Spec> specs = {fifo, Node("dev/null", AE_IFCHR, 1, 3), Node("dev/zero", AE_IFCHR, 1, 5),
                             Node("dev/loop0", AE_IFBLK, 7, 0)};
  ExtractResult r = extract(make_tar(specs), s.root_fd.get(), o);
  struct stat st = lstat_of(s.in_root("run/fifo"));
  CHECK(S_ISFIFO(st.st_mode));
  CHECK((st.st_mode & 07777) == 0620);
  if (r.skipped_devices == 0) {
    // Allowed to mknod (root in the initial namespace).
    CHECK(warnings.empty());
    st = lstat_of(s.in_root("dev/null"));
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(1, 3));
    CHECK(S_ISBLK(lstat_of(s.in_root("dev/loop0")).st_mode));
  } else {
    CHECK(r.skipped_devices == 3);
    CHECK(!present(s.in_root("dev/null")));
    CHECK(warnings == std::vector<std::string>{
                          "skipped 3 device nodes: mknod is not permitted here (first: \"dev/null\")"});
  }
}

TEST_CASE("extract: whiteouts become overlay whiteouts", "[extract]") {
  Scratch s;
  std::vector<Spec> specs = {
      Dir("etc"),
      File("etc/gone", "x"),
      File("etc/.wh.gone"),  // removes what this layer made, then whiteout
      Dir("var/lib/tree"),
      File("var/lib/tree/f"),
      File("var/lib/.wh.tree"),  // a whole tree
      File("opq/.wh..wh..opq"),  // opaque, the directory made on the way
      Dir("opq2"),
      File("opq2/kept", "k"),
      File("opq2/.wh..wh..opq"),
      File("usr/.wh..wh.plnk"),  // other .wh..wh. names are skipped
      File("top/.wh.deleted"),
  };
  extract(make_tar(specs), s.root_fd.get());
  for (const char* w : {"etc/gone", "var/lib/tree", "top/deleted"}) {
    INFO(w);
    struct stat st = lstat_of(s.in_root(w));
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(0, 0));
  }
  CHECK(!present(s.in_root("etc/.wh.gone")));
  CHECK(!present(s.in_root("var/lib/.wh.tree")));
  CHECK(xattr_of(s.in_root("opq"), "user.overlay.opaque") == "y");
  CHECK(xattr_of(s.in_root("opq2"), "user.overlay.opaque") == "y");
  CHECK(read_text(s.in_root("opq2/kept")) == "k");
  CHECK(!present(s.in_root("opq/.wh..wh..opq")));
  CHECK(!present(s.in_root("usr/.wh..wh.plnk")));
  CHECK(S_ISDIR(lstat_of(s.in_root("usr")).st_mode));

  SECTION("a whiteout named . or .. is refused") {
    Scratch t;
    REQUIRE_THROWS_WITH(extract(make_tar({File("a/.wh..")}), t.root_fd.get()),
                        "layer entry \"a/.wh..\": invalid whiteout name");
  }
}

TEST_CASE("extract: xattrs, and forged overlay xattrs are dropped", "[extract]") {
  Scratch s;
  Spec d = Dir("d");
  d.xattrs = {{"user.overlay.opaque", "y"}, {"trusted.overlay.opaque", "y"}, {"user.note", "dir"}};
  Spec f = File("f", "data", 0444);  // read-only: xattrs go on before the mode
  f.xattrs = {{"user.overlay.redirect", "/etc"},
              {"trusted.overlay.metacopy", ""},
              {"user.mime", "text/plain"},
              {"user.bin", std::string("\0\1\2", 3)}};
  // user.* is refused on symlinks: warned once per name. security.* and
  // trusted.* (root only) are dropped quietly when refused.
  Spec l1 = Symlink("l1", "f");
  l1.xattrs = {{"user.x", "1"}, {"trusted.cabin-test", "1"}, {"security.cabin-test", "1"}};
  Spec l2 = Symlink("l2", "f");
  l2.xattrs = l1.xattrs;
  std::vector<std::string> warnings;
  ExtractOptions o;
  o.warn = [&](std::string_view m) { warnings.emplace_back(m); };
  extract(make_tar({d, f, l1, l2}), s.root_fd.get(), o);
  CHECK(warnings == std::vector<std::string>{"layer entry \"l1\": cannot set xattr user.x: Operation not permitted"});
  CHECK(xattr_of(s.in_root("d"), "user.note") == "dir");
  CHECK(xattr_of(s.in_root("f"), "user.mime") == "text/plain");
  CHECK(xattr_of(s.in_root("f"), "user.bin") == std::string("\0\1\2", 3));
  char list[1024];
  ssize_t n = ::llistxattr(s.in_root("d").c_str(), list, sizeof list);
  REQUIRE(n >= 0);
  CHECK(std::string(list, static_cast<size_t>(n)).find("overlay") == std::string::npos);
  n = ::llistxattr(s.in_root("f").c_str(), list, sizeof list);
  REQUIRE(n >= 0);
  CHECK(std::string(list, static_cast<size_t>(n)).find("overlay") == std::string::npos);
}

TEST_CASE("extract: sparse files keep their holes", "[extract]") {
  Scratch s;
  constexpr int64_t kSize = 16 << 20;
  std::string data(kSize, '\0');
  std::fill_n(data.begin() + (1 << 20), 4096, 'A');
  std::fill_n(data.begin() + (8 << 20), 4096, 'B');
  Spec f = File("sparse", data);
  f.sparse = {{1 << 20, 4096}, {8 << 20, 4096}};  // and a hole at the end
  std::string tar = make_tar({f});
  CHECK(tar.size() < (1 << 20));  // the writer really stored it sparse
  extract(tar, s.root_fd.get());
  struct stat st = lstat_of(s.in_root("sparse"));
  CHECK(st.st_size == kSize);
  CHECK(st.st_blocks * 512 < (1 << 20));
  CHECK(read_text(s.in_root("sparse")) == data);
}

TEST_CASE("extract: long names, deep paths, odd names", "[extract]") {
  Scratch s;
  std::string long_name(255, 'n');
  std::string deep;  // > PATH_MAX
  std::vector<std::string> comps;
  for (int i = 0; i < 40; ++i) {
    comps.push_back(fmt::format("{:03}", i) + std::string(150, 'd'));
    deep += (deep.empty() ? "" : "/") + comps.back();
  }
  REQUIRE(deep.size() > PATH_MAX);
  Spec deep_dir = Dir(deep, 0700);
  deep_dir.mtime = kTime - 7;
  std::vector<Spec> specs = {File(long_name, "long"),
                             File(deep + "/implicit-parents", "deep1"),  // parents made on the way
                             deep_dir,
                             File(deep + "/leaf", "deep2"),
                             Symlink(deep + "/link", "leaf"),
                             Hardlink(deep + "/hard", deep + "/leaf"),
                             File("new\nline", "nl"),
                             File("sp ace/\ttab", "ws")};
  extract(make_tar(specs), s.root_fd.get());
  CHECK(read_text(s.in_root(long_name)) == "long");
  CHECK(read_text(s.in_root("new\nline")) == "nl");
  CHECK(read_text(s.in_root("sp ace/\ttab")) == "ws");

  // Walk down with fds: the full path is too long for one syscall.
  UniqueFd cur(::open(s.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (const auto& c : comps) {
    cur.reset(::openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    REQUIRE(cur);
  }
  struct stat dst;
  REQUIRE(::fstat(cur.get(), &dst) == 0);
  CHECK((dst.st_mode & 07777) == 0700);
  CHECK(dst.st_mtim.tv_sec == kTime - 7);
  struct stat leaf, hard;
  REQUIRE(::fstatat(cur.get(), "leaf", &leaf, AT_SYMLINK_NOFOLLOW) == 0);
  REQUIRE(::fstatat(cur.get(), "hard", &hard, AT_SYMLINK_NOFOLLOW) == 0);
  CHECK(leaf.st_ino == hard.st_ino);
  CHECK(leaf.st_size == 5);
  char target[16] = {};
  CHECK(::readlinkat(cur.get(), "link", target, sizeof target - 1) == 4);
  CHECK(std::string(target) == "leaf");
  REQUIRE(::fstatat(cur.get(), "implicit-parents", &leaf, 0) == 0);
}

TEST_CASE("extract: symlinks in paths longer than PATH_MAX", "[extract]") {
  std::string rest;  // 30 components, ~4.5 KiB
  for (int i = 0; i < 30; ++i) rest += fmt::format("/{:02}", i) + std::string(148, 'r');
  SECTION("a symlink early in the path is followed inside the root") {
    Scratch s;
    auto before = s.snapshot();
    extract(make_tar({Dir("target"), Symlink("a/jump", "../../../target"), File("a/jump" + rest + "/f", "deep")}),
            s.root_fd.get());
    UniqueFd cur(::open(s.in_root("target").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(cur);
    for (const auto& c : split_path(rest)) {
      cur.reset(::openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      REQUIRE(cur);
    }
    struct stat st;
    REQUIRE(::fstatat(cur.get(), "f", &st, AT_SYMLINK_NOFOLLOW) == 0);
    CHECK(st.st_size == 4);
    CHECK(s.snapshot() == before);
  }
  SECTION("a symlink beyond PATH_MAX is refused") {
    std::string dir = "x" + rest;
    std::string entry = dir + "/jump/f";
    require_hostile_error({Dir(dir), Symlink(dir + "/jump", "/"), File(entry)},
                          fmt::format("layer entry \"{}\": parent directory \"{}\"...: a symlink in a path "
                                      "longer than PATH_MAX is not supported",
                                      entry, entry.substr(0, 64)));
  }
}

TEST_CASE("extract: later entries replace earlier ones", "[extract]") {
  Scratch s;
  auto before = s.snapshot();
  Spec d = Dir("dir-then-file", 0700);
  std::vector<Spec> specs = {
      File("dup", "first"),
      File("dup", "second"),
      File("file-then-dir", "x"),
      Dir("file-then-dir", 0711),
      d,
      File("dir-then-file/child/grandchild", "x"),
      File("dir-then-file", "now a file"),
      Dir("kept"),
      File("kept/child", "c"),
      Dir("kept", 0701),  // an existing directory is kept, its metadata updated
      Symlink("link-then-file", s.outside("outside-file")),
      File("link-then-file", "not through the link"),
      Symlink("link-then-dir", s.outside("outside")),
      Dir("link-then-dir", 0777),
      File("file-then-link", "x"),
      Symlink("file-then-link", "target"),
      Node("fifo-then-file", AE_IFIFO),
      File("fifo-then-file", "f"),
  };
  extract(make_tar(specs), s.root_fd.get());
  CHECK(read_text(s.in_root("dup")) == "second");
  CHECK(S_ISDIR(lstat_of(s.in_root("file-then-dir")).st_mode));
  CHECK((lstat_of(s.in_root("file-then-dir")).st_mode & 07777) == 0711);
  CHECK(read_text(s.in_root("dir-then-file")) == "now a file");
  CHECK((lstat_of(s.in_root("dir-then-file")).st_mode & 07777) == 0644);
  CHECK(read_text(s.in_root("kept/child")) == "c");
  CHECK((lstat_of(s.in_root("kept")).st_mode & 07777) == 0701);
  CHECK(read_text(s.in_root("link-then-file")) == "not through the link");
  CHECK(S_ISDIR(lstat_of(s.in_root("link-then-dir")).st_mode));
  CHECK(readlink_of(s.in_root("file-then-link")) == "target");
  CHECK(read_text(s.in_root("fifo-then-file")) == "f");
  CHECK(s.snapshot() == before);
}

TEST_CASE("extract: hostile paths stay inside the root", "[extract][hostile]") {
  SECTION("../escape") {
    require_hostile_error({File("../escape", "x")}, "layer entry \"../escape\": path escapes the layer root");
  }
  SECTION("a/../../escape") {
    require_hostile_error({File("a/../../escape", "x")},
                          "layer entry \"a/../../escape\": path escapes the layer root");
  }
  SECTION("./.. as a directory") {
    // (The writer stores directories with a trailing slash.)
    require_hostile_error({Dir("./..")}, "layer entry \"./../\": path escapes the layer root");
  }
  SECTION("a name with a newline is quoted on one line") {
    require_hostile_error({File("x\n/../../y")}, "layer entry \"x\\n/../../y\": path escapes the layer root");
  }
  SECTION("absolute paths land inside the root") {
    Scratch s;
    auto before = s.snapshot();
    extract(make_tar({File("/etc/passwd-like", "root:x:0:0"), File(s.outside("outside-file"), "inside"),
                      File("/a/../b", "b")}),
            s.root_fd.get());
    CHECK(read_text(s.in_root("etc/passwd-like")) == "root:x:0:0");
    CHECK(read_text(s.in_root(s.outside("outside-file"))) == "inside");
    CHECK(read_text(s.in_root("b")) == "b");
    CHECK(s.snapshot() == before);
  }
  SECTION("a symlink to an absolute directory is resolved inside the root") {
    Scratch s;
    auto before = s.snapshot();
    // The same path exists inside the root (made by the layer) and outside.
    extract(make_tar({Symlink("evil", s.outside("outside")), Dir(s.outside("outside")),
                      File("evil/file", "lands inside")}),
            s.root_fd.get());
    CHECK(read_text(s.in_root(s.outside("outside/file"))) == "lands inside");
    CHECK(s.snapshot() == before);
  }
  SECTION("evil -> ../../.. then evil/x") {
    Scratch s;
    auto before = s.snapshot();
    extract(make_tar({Symlink("evil", "../../.."), File("evil/x", "x"), Symlink("up", "/.."),
                      File("up/y", "y"), Symlink("dir/evil2", "../../../outside"), Dir("outside"),
                      File("dir/evil2/z", "z")}),
            s.root_fd.get());
    CHECK(read_text(s.in_root("x")) == "x");
    CHECK(read_text(s.in_root("y")) == "y");
    CHECK(read_text(s.in_root("outside/z")) == "z");
    CHECK(s.snapshot() == before);
  }
  SECTION("replacing a symlink to outside never follows it") {
    Scratch s;
    auto before = s.snapshot();
    extract(make_tar({Symlink("f", s.outside("outside-file")), File("f", "pwned"),
                      Symlink("d", s.outside("outside")), Dir("d", 0777), Symlink("w", s.outside("outside")),
                      File(".wh.w"), Symlink("h", s.outside("outside-file")), File("real", "r"),
                      Hardlink("h", "real")}),
            s.root_fd.get());
    CHECK(read_text(s.in_root("f")) == "pwned");
    CHECK(S_ISDIR(lstat_of(s.in_root("d")).st_mode));
    CHECK(S_ISCHR(lstat_of(s.in_root("w")).st_mode));
    CHECK(lstat_of(s.in_root("h")).st_ino == lstat_of(s.in_root("real")).st_ino);
    CHECK(s.snapshot() == before);
  }
  SECTION("symlink loops") {
    require_hostile_error({Symlink("a", "b"), Symlink("b", "a"), File("a/x")},
                          "layer entry \"a/x\": open parent directory \"a\": Too many levels of symbolic links");
    require_hostile_error({Symlink("self", "self"), Dir("self/sub")},
                          "layer entry \"self/sub/\": open parent directory \"self\": Too many levels of "
                          "symbolic links");
  }
  SECTION("a file where a directory is needed") {
    require_hostile_error({File("f"), File("f/x")},
                          "layer entry \"f/x\": open parent directory \"f\": Not a directory");
  }
}

TEST_CASE("extract: hostile hardlinks", "[extract][hostile]") {
  SECTION("hardlink to ../outside-file") {
    require_hostile_error({Hardlink("x", "../outside-file")},
                          "layer entry \"x\": hardlink target \"../outside-file\" escapes the layer root");
  }
  SECTION("hardlink to a/../../outside-file") {
    require_hostile_error({Dir("a"), Hardlink("x", "a/../../outside-file")},
                          "layer entry \"x\": hardlink target \"a/../../outside-file\" escapes the layer root");
  }
  SECTION("hardlink through a symlinked directory") {
    require_hostile_error({Dir("d"), File("d/f"), Symlink("link", "d"), Hardlink("x", "link/f")},
                          "layer entry \"x\": hardlink target \"link/f\" goes through a symlink");
  }
  SECTION("hardlink to the root or a directory") {
    require_hostile_error({Hardlink("x", "./")}, "layer entry \"x\": hardlink target \"./\" is the layer root");
    require_hostile_error({Dir("d"), Hardlink("x", "d")},
                          "layer entry \"x\": hardlink target \"d\" is a directory");
  }
  SECTION("hardlink to a missing file") {
    require_hostile_error({Hardlink("x", "nope")},
                          "layer entry \"x\": hardlink target \"nope\": No such file or directory");
  }
}

// Hostile cases whose layer or message names the scratch directory.
TEST_CASE("extract: hostile entries naming host paths", "[extract][hostile]") {
  Scratch s;
  auto before = s.snapshot();
  SECTION("symlink to a host directory, then a file through it") {
    std::string tar = make_tar({Symlink("evil", s.outside("outside")), File("evil/file", "x")});
    REQUIRE_THROWS_WITH(extract(tar, s.root_fd.get()),
                        "layer entry \"evil/file\": open parent directory \"evil\": No such file or directory");
  }
  SECTION("hardlink to an absolute host path") {
    std::string target = s.outside("outside-file");
    std::string tar = make_tar({Hardlink("x", target)});
    REQUIRE_THROWS_WITH(extract(tar, s.root_fd.get()),
                        fmt::format("layer entry \"x\": hardlink target \"{}\": No such file or directory", target));
  }
  SECTION("hardlink through a symlink to a host directory") {
    std::string tar = make_tar({Symlink("host", s.dir.path()), Hardlink("x", "host/outside-file")});
    REQUIRE_THROWS_WITH(extract(tar, s.root_fd.get()),
                        "layer entry \"x\": hardlink target \"host/outside-file\" goes through a symlink");
  }
  SECTION("opaque marker through a symlink to a host directory") {
    std::string tar = make_tar({Symlink("host", s.outside("outside")), File("host/.wh..wh..opq")});
    REQUIRE_THROWS_WITH(extract(tar, s.root_fd.get()),
                        "layer entry \"host/.wh..wh..opq\": open parent directory \"host\": No such file or "
                        "directory");
    CHECK(xattr_of(s.outside("outside"), "user.overlay.opaque") == "<No data available>");
  }
  CHECK(s.snapshot() == before);
}

TEST_CASE("extract: truncated archives are errors", "[extract][hostile]") {
  std::string big(100000, 'x');
  std::string tar = make_tar({File("small", "s"), File("big", big), File("after", "a")});
  size_t big_data = tar.find(std::string(512, 'x'));
  REQUIRE(big_data != std::string::npos);

  SECTION("in the middle of a file's data") {
    Scratch s;
    REQUIRE_THROWS_WITH(extract(tar.substr(0, big_data + 5000), s.root_fd.get()),
                        "layer entry \"big\": read data: Truncated tar archive");
  }
  SECTION("in the middle of a header") {
    Scratch s;
    size_t after = big_data + ((big.size() + 511) / 512) * 512;  // the next header block
    REQUIRE_THROWS_WITH(extract(tar.substr(0, after + 100), s.root_fd.get()),
                        "read layer: Truncated tar archive");
  }
}

// Whiteouts delete: one that named a path outside the layer would delete a
// host file. Each is resolved like any other entry's parent.
TEST_CASE("extract: hostile whiteouts stay inside the root", "[extract][hostile]") {
  SECTION("../.wh.NAME and a/../../.wh.NAME") {
    require_hostile_error({File("../.wh.outside-file")},
                          "layer entry \"../.wh.outside-file\": path escapes the layer root");
    require_hostile_error({Dir("a"), File("a/../../.wh.outside-file")},
                          "layer entry \"a/../../.wh.outside-file\": path escapes the layer root");
  }
  SECTION("through symlinks and absolute paths: whiteouts inside the root only") {
    Scratch s;
    auto before = s.snapshot();
    extract(make_tar({Symlink("up", "../../.."), File("up/.wh.outside-file"), File("up/.wh.outside"),
                      File(s.outside(".wh.outside-file")), Symlink("host", s.dir.path()),
                      Dir(s.dir.path()), File("host/outside/.wh..wh..opq"), File("host/outside/.wh.keep")}),
            s.root_fd.get());
    for (const std::string& w : std::vector<std::string>{"outside-file", "outside", s.outside("outside-file"),
                                                         s.outside("outside/keep")}) {
      INFO(w);
      struct stat st = lstat_of(s.in_root(w));
      CHECK(S_ISCHR(st.st_mode));
      CHECK(st.st_rdev == makedev(0, 0));
    }
    CHECK(xattr_of(s.in_root(s.outside("outside")), "user.overlay.opaque") == "y");
    CHECK(xattr_of(s.outside("outside"), "user.overlay.opaque") == "<No data available>");
    CHECK(s.snapshot() == before);
  }
  SECTION("through a symlink to a host directory the layer does not have") {
    Scratch s;
    auto before = s.snapshot();
    REQUIRE_THROWS_WITH(extract(make_tar({Symlink("evil", s.outside("outside")), File("evil/.wh.keep")}),
                                s.root_fd.get()),
                        "layer entry \"evil/.wh.keep\": open parent directory \"evil\": No such file or directory");
    CHECK(s.snapshot() == before);
  }
}

// A sparse entry can claim any size: holes cost nothing, a size beyond what
// the filesystem can hold is a one-line error.
TEST_CASE("extract: huge sparse files", "[extract][hostile]") {
  Spec f = File("huge", std::string(4096, 'A'));
  f.sparse = {{0, 4096}};
  SECTION("1 TiB of holes is extracted as holes") {
    Scratch s;
    f.size = int64_t{1} << 40;
    std::string tar = make_tar({f});
    CHECK(tar.size() < 64 * 1024);
    extract(tar, s.root_fd.get());
    struct stat st = lstat_of(s.in_root("huge"));
    CHECK(st.st_size == int64_t{1} << 40);
    CHECK(st.st_blocks * 512 < (1 << 20));
  }
  SECTION("8 EiB: more than any filesystem holds") {
    f.size = INT64_MAX;
    require_hostile_error({f}, "layer entry \"huge\": truncate: File too large");
  }
}

namespace {

la_ssize_t append_bytes(archive*, void* out, const void* buf, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), size);
  return static_cast<la_ssize_t>(size);
}

// A compressed tar of one file of n zero bytes: a few KiB that expand n-fold.
std::string bomb(int filter, int64_t n) {
  std::string out;
  std::unique_ptr<archive, decltype(&archive_write_free)> w(archive_write_new(), archive_write_free);
  REQUIRE(archive_write_set_format_pax_restricted(w.get()) == ARCHIVE_OK);
  REQUIRE(archive_write_add_filter(w.get(), filter) == ARCHIVE_OK);
  REQUIRE(archive_write_open(w.get(), &out, nullptr, append_bytes, nullptr) == ARCHIVE_OK);
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
  archive_entry_copy_pathname(e.get(), "bomb");
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), n);
  REQUIRE(archive_write_header(w.get(), e.get()) == ARCHIVE_OK);
  std::string zeros(1 << 20, '\0');
  for (int64_t left = n; left > 0; left -= static_cast<int64_t>(zeros.size()))
    REQUIRE(archive_write_data(w.get(), zeros.data(), zeros.size()) > 0);
  REQUIRE(archive_write_close(w.get()) == ARCHIVE_OK);
  return out;
}

}  // namespace

// A registry that sends other bytes than the digest names: whatever breaks
// first (the decompressor here), the error names the digests.
TEST_CASE("unpack: a corrupt compressed stream of another digest names the digests", "[extract][hostile]") {
  cabin::fs::TempDir dir(tmp_parent(), "cabin-unpack-");
  cabin::storage::Store store{cabin::config::StorePaths{dir.path() + "/root", dir.path() + "/run", ""}};
  std::string blob = bomb(ARCHIVE_FILTER_GZIP, 1 << 20);
  std::string cut = blob.substr(0, 40);  // the gzip header and a little of the first block
  size_t pos = 0;
  auto reader = [&](char* buf, size_t n) {
    n = std::min(n, cut.size() - pos);
    std::memcpy(buf, cut.data() + pos, n);
    pos += n;
    return static_cast<ssize_t>(n);
  };
  cabin::storage::ExtractOptions o;
  o.chown = false;
  {
    auto staging = store.stage_layer();
    REQUIRE_THROWS_WITH(cabin::storage::unpack_layer(reader, staging, o, cabin::sha256_digest(blob)),
                        fmt::format("the blob's digest is {}, not {} as the manifest says", cabin::sha256_digest(cut),
                                    cabin::sha256_digest(blob)));
  }
  pos = 0;
  {
    auto staging = store.stage_layer();
    REQUIRE_THROWS_WITH(cabin::storage::unpack_layer(reader, staging, o),
                        "read layer: truncated gzip input");
  }
  CHECK(cabin::fs::list_dir(dir.path() + "/root/tmp").empty());
}

// A decompression bomb: there is no limit of its own on what a layer may
// expand to (as with containers/storage): the filesystem's free space is
// the limit, and running out of it is a one-line error that leaves the
// store's staging area empty. Here the store is on a 4 MiB tmpfs, mounted
// in a user and mount namespace of the test's own.
TEST_CASE("unpack: a decompression bomb on a full filesystem fails cleanly", "[extract][hostile][userns]") {
  cabin::fs::TempDir mnt(tmp_parent(), "cabin-bomb-");
  for (int filter : {ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD}) {
    INFO("filter " << filter);
    std::string blob = bomb(filter, int64_t{64} << 20);
    CHECK(blob.size() < (1 << 20));  // 64 MiB from less than 1 MiB
    auto out = in_single_id_userns([&]() -> std::string {
      if (::unshare(CLONE_NEWNS) != 0 || ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          ::mount("tmpfs", mnt.path().c_str(), "tmpfs", 0, "size=4m") != 0)
        return "no tmpfs: " + std::string(std::strerror(errno));
      cabin::storage::Store store{cabin::config::StorePaths{mnt.path() + "/root", mnt.path() + "/run", ""}};
      std::string err;
      try {
        auto staging = store.stage_layer();
        size_t pos = 0;
        cabin::storage::ExtractOptions o;
        o.chown = false;
        cabin::storage::unpack_layer(
            [&](char* buf, size_t n) {
              n = std::min(n, blob.size() - pos);
              std::memcpy(buf, blob.data() + pos, n);
              pos += n;
              return static_cast<ssize_t>(n);
            },
            staging, o, cabin::sha256_digest(blob));
      } catch (const Error& e) {
        err = fmt::format("{} (errno {})", e.what(), e.err() == ENOSPC ? "ENOSPC" : std::to_string(e.err()));
      }
      // Nothing left in the staging area, and the space is free again.
      std::string left;
      for (const auto& name : cabin::fs::list_dir(mnt.path() + "/root/tmp")) left += name + " ";
      struct statvfs vfs;
      if (::statvfs(mnt.path().c_str(), &vfs) != 0) return "statvfs failed";
      bool freed = vfs.f_bfree * vfs.f_bsize > (3u << 20);
      return fmt::format("{}|left: {}|freed: {}", err, left, freed);
    });
    if (!out) {
      WARN("user namespaces are not available: skipped");
      return;
    }
    if (out->starts_with("no tmpfs")) {
      WARN(*out << ": skipped");
      return;
    }
    CHECK(*out == "layer entry \"bomb\": write: No space left on device (errno ENOSPC)|left: |freed: true");
  }
}

TEST_CASE("extract: in a user namespace with only our own id", "[extract][userns]") {
  Scratch s;
  std::vector<Spec> specs = {Node("dev/null", AE_IFCHR, 1, 3), Node("dev/sda", AE_IFBLK, 8, 0),
                             File("etc/.wh.gone"), File("opq/.wh..wh..opq")};
  Spec owned = File("owned", "x", 04755);
  owned.uid = 1000;
  owned.gid = 1000;
  specs.push_back(owned);
  std::string tar = make_tar(specs);
  auto out = in_single_id_userns([&] {
    std::vector<std::string> warnings;
    ExtractOptions o;
    o.warn = [&](std::string_view m) { warnings.emplace_back(m); };
    ExtractResult r = extract(tar, s.root_fd.get(), o);
    return fmt::format("entries={} skipped={} chown_failures={} warnings={}", r.entries, r.skipped_devices,
                       r.chown_failures, fmt::join(warnings, "|"));
  });
  if (!out) {
    WARN("user namespaces are not available: skipped");
    return;
  }
  CHECK(*out ==
        "entries=5 skipped=2 chown_failures=1 warnings=skipped 2 device nodes: mknod is not permitted here "
        "(first: \"dev/null\")");
  CHECK(!present(s.in_root("dev/null")));
  struct stat st = lstat_of(s.in_root("etc/gone"));
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(0, 0));
  CHECK(xattr_of(s.in_root("opq"), "user.overlay.opaque") == "y");
  st = lstat_of(s.in_root("owned"));
  CHECK(st.st_uid == ::geteuid());
  CHECK((st.st_mode & 07777) == 04755);
}
