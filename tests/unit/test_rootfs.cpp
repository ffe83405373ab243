// Storage drivers: names, the fuse-overlayfs id mapping, the vfs copy (runs
// unprivileged: the files belong to the test user), the store's driver
// record, and a fuse-overlayfs mount inside a user namespace (skipped with a
// reason where fuse-overlayfs, /dev/fuse or user namespaces are missing).
#include "storage/rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/fs.h"
#include "util/process.h"

using cabin::Error;
using cabin::rootless::IdMapping;
using cabin::rootless::IdRange;
using cabin::storage::Driver;
using cabin::storage::RootfsRequest;
namespace fs = cabin::fs;
namespace storage = cabin::storage;

namespace {

std::string tmp_parent() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

void write(const std::string& path, const std::string& data, mode_t mode = 0644) {
  fs::mkdir_p(path.substr(0, path.rfind('/')), 0755);
  fs::write_file_atomic(path, data, mode);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

void whiteout(const std::string& path) { REQUIRE(::mknod(path.c_str(), S_IFCHR | 0600, makedev(0, 0)) == 0); }

void opaque(const std::string& dir) {
  fs::mkdir_p(dir, 0755);
  REQUIRE(::setxattr(dir.c_str(), "user.overlay.opaque", "y", 1, 0) == 0);
}

bool present(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

struct stat lstat_of(const std::string& path) {
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

std::string xattr_of(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
  if (n < 0) return "<" + std::string(std::strerror(errno)) + ">";
  return std::string(buf, static_cast<size_t>(n));
}

// "path type" for every entry under root, sorted; regular files add their
// content, symlinks their target.
std::string tree(const std::string& root, const std::string& rel = "") {
  std::vector<std::string> names;
  DIR* d = ::opendir((rel.empty() ? root : root + "/" + rel).c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) {
    std::string r = rel.empty() ? n : rel + "/" + n;
    std::string abs = root + "/" + r;
    struct stat st = lstat_of(abs);
    if (S_ISDIR(st.st_mode)) {
      out += r + "/\n" + tree(root, r);
    } else if (S_ISLNK(st.st_mode)) {
      char buf[PATH_MAX];
      ssize_t k = ::readlink(abs.c_str(), buf, sizeof buf);
      out += r + " -> " + std::string(buf, static_cast<size_t>(k > 0 ? k : 0)) + "\n";
    } else if (S_ISREG(st.st_mode)) {
      out += r + " = " + fs::read_file(abs) + "\n";
    } else {
      out += r + fmt::format(" mode {:o}\n", st.st_mode & S_IFMT);
    }
  }
  return out;
}

// Two layers exercising what overlay does with them:
//   lower: etc/passwd (xattr user.test), bin/sh 0755, hardlinks hl1 = hl2,
//          link -> etc/passwd, gone, gonedir/x, opq/{a,sub/b}, keep/{a},
//          ro/ (0555) with f, replaced/child, file2dir, fifo
//   upper: whiteouts for gone and gonedir, opq/ opaque with new, keep/c,
//          replaced (a file now), file2dir/inner, etc/passwd changed,
//          ro/added
struct Layers {
  fs::TempDir dir{tmp_parent(), "cabin-rootfs-"};
  std::string lower = dir.path() + "/lower", upper = dir.path() + "/upper";
  std::string target = dir.path() + "/merged";

  Layers() {
    write(lower + "/etc/passwd", "root:x:0:0");
    REQUIRE(::setxattr((lower + "/etc/passwd").c_str(), "user.test", "v", 1, 0) == 0);
    write(lower + "/bin/sh", "#!", 0755);
    write(lower + "/hl1", "linked");
    REQUIRE(::link((lower + "/hl1").c_str(), (lower + "/hl2").c_str()) == 0);
    REQUIRE(::symlink("etc/passwd", (lower + "/link").c_str()) == 0);
    write(lower + "/gone", "x");
    write(lower + "/gonedir/x", "x");
    write(lower + "/opq/a", "a");
    write(lower + "/opq/sub/b", "b");
    write(lower + "/keep/a", "a");
    write(lower + "/ro/f", "f");
    REQUIRE(::chmod((lower + "/ro").c_str(), 0555) == 0);
    write(lower + "/replaced/child", "c");
    write(lower + "/file2dir", "was a file");
    REQUIRE(::mkfifo((lower + "/fifo").c_str(), 0640) == 0);
    struct timespec times[2] = {{1600000000, 0}, {1600000000, 123}};
    REQUIRE(::utimensat(AT_FDCWD, (lower + "/bin/sh").c_str(), times, 0) == 0);

    fs::mkdir_p(upper, 0755);
    whiteout(upper + "/gone");
    whiteout(upper + "/gonedir");
    opaque(upper + "/opq");
    write(upper + "/opq/new", "new");
    write(upper + "/keep/c", "c");
    write(upper + "/replaced", "now a file");
    write(upper + "/file2dir/inner", "inner");
    write(upper + "/etc/passwd", "root:x:0:0:changed");
    fs::mkdir_p(upper + "/ro", 0755);
    write(upper + "/ro/added", "added");
    REQUIRE(::chmod((upper + "/ro").c_str(), 0555) == 0);
    fs::mkdir_p(target, 0755);
  }

  RootfsRequest request(const std::string& merged) const {
    RootfsRequest r;
    r.lower_dirs = {upper, lower};  // top first
    r.upper_dir = dir.path() + "/c-upper";
    r.work_dir = dir.path() + "/c-work";
    fs::mkdir_p(r.upper_dir, 0755);
    fs::mkdir_p(r.work_dir, 0755);
    r.target = merged;
    return r;
  }
};

const char* kMerged =
    "bin/\n"
    "bin/sh = #!\n"
    "etc/\n"
    "etc/passwd = root:x:0:0:changed\n"
    "fifo mode 10000\n"
    "file2dir/\n"
    "file2dir/inner = inner\n"
    "hl1 = linked\n"
    "hl2 = linked\n"
    "keep/\n"
    "keep/a = a\n"
    "keep/c = c\n"
    "link -> etc/passwd\n"
    "opq/\n"
    "opq/new = new\n"
    "replaced = now a file\n"
    "ro/\n"
    "ro/added = added\n"
    "ro/f = f\n";

// Runs fn in a child in a new user and mount namespace where only our own
// uid and gid are mapped (to 0). nullopt: no user namespaces here.
std::optional<std::string> in_userns(const std::function<std::string()>& fn) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    int code = 3;
    auto write_proc = [](const char* path, const std::string& data) {
      int fd = ::open(path, O_WRONLY | O_CLOEXEC);
      bool ok = fd >= 0 && ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
      if (fd >= 0) ::close(fd);
      return ok;
    };
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 && write_proc("/proc/self/setgroups", "deny") &&
        write_proc("/proc/self/uid_map", fmt::format("0 {} 1\n", uid)) &&
        write_proc("/proc/self/gid_map", fmt::format("0 {} 1\n", gid))) {
      try {
        out = fn();
        code = 0;
      } catch (const std::exception& e) {
        out = std::string("exception: ") + e.what();
        code = 1;
      } catch (...) {  // a failed REQUIRE: never return into Catch here
        out = "failed assertion in the child";
        code = 1;
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

bool mounted_at(const std::string& path) {
  std::string text = fs::read_file("/proc/self/mountinfo");
  return text.find(" " + path + " ") != std::string::npos;
}

}  // namespace

TEST_CASE("storage driver names", "[rootfs]") {
  CHECK(storage::parse_driver("overlay") == Driver::Overlay);
  CHECK(storage::parse_driver("overlay2") == Driver::Overlay);
  CHECK(storage::parse_driver("fuse-overlayfs") == Driver::FuseOverlayfs);
  CHECK(storage::parse_driver("vfs") == Driver::Vfs);
  for (auto d : {Driver::Overlay, Driver::FuseOverlayfs, Driver::Vfs})
    CHECK(storage::parse_driver(storage::driver_name(d)) == d);
  REQUIRE_THROWS_WITH(storage::parse_driver("btrfs"),
                      "unknown storage driver \"btrfs\": cabin supports overlay, fuse-overlayfs and vfs");
}

TEST_CASE("fuse-overlayfs mapping: container id to the id in cabin's namespace", "[rootfs]") {
  // Podman's keep-id for uid 1000 with 65536 subordinate ids.
  std::vector<IdRange> keep_id = {{0, 1, 1000}, {1000, 0, 1}, {1001, 1001, 64536}};
  CHECK(storage::fuse_overlayfs_mapping(keep_id) == "0:1:1000:1000:0:1:1001:1001:64536");
  CHECK(storage::fuse_overlayfs_mapping({}) == "");
}

TEST_CASE("vfs: layers copied with whiteouts, opaque directories and hardlinks", "[rootfs]") {
  Layers l;
  auto m = storage::mount_rootfs(Driver::Vfs, l.request(l.target));
  CHECK(m.path() == l.target);
  CHECK(tree(l.target) == kMerged);
  CHECK(lstat_of(l.target + "/hl1").st_ino == lstat_of(l.target + "/hl2").st_ino);
  CHECK(lstat_of(l.target + "/hl1").st_ino != lstat_of(l.lower + "/hl1").st_ino);  // a copy
  CHECK((lstat_of(l.target + "/bin/sh").st_mode & 07777) == 0755);
  CHECK(lstat_of(l.target + "/bin/sh").st_mtim.tv_sec == 1600000000);
  CHECK(lstat_of(l.target + "/bin/sh").st_mtim.tv_nsec == 123);
  CHECK((lstat_of(l.target + "/ro").st_mode & 07777) == 0555);
  CHECK((lstat_of(l.target + "/fifo").st_mode & 07777) == 0640);
  // etc/passwd comes from the upper layer, without the lower's xattr.
  CHECK(xattr_of(l.target + "/etc/passwd", "user.test") == "<No data available>");
  CHECK(xattr_of(l.target + "/opq", "user.overlay.opaque") == "<No data available>");
  CHECK(lstat_of(l.target + "/keep/a").st_uid == ::geteuid());
  // The layers are untouched.
  CHECK(present(l.lower + "/gone"));
  CHECK(present(l.lower + "/opq/sub/b"));
}

TEST_CASE("vfs: xattrs of a lower file are copied", "[rootfs]") {
  fs::TempDir dir{tmp_parent(), "cabin-rootfs-"};
  write(dir.path() + "/l/f", "x");
  REQUIRE(::setxattr((dir.path() + "/l/f").c_str(), "user.test", "v", 1, 0) == 0);
  fs::mkdir_p(dir.path() + "/m", 0755);
  RootfsRequest r;
  r.lower_dirs = {dir.path() + "/l"};
  r.target = dir.path() + "/m";
  storage::mount_rootfs(Driver::Vfs, r);
  CHECK(xattr_of(dir.path() + "/m/f", "user.test") == "v");
}

TEST_CASE("vfs: owners go through the shift", "[rootfs]") {
  if (::geteuid() != 0) {
    WARN("chown to other owners needs root: skipped");
    return;
  }
  fs::TempDir dir{tmp_parent(), "cabin-rootfs-"};
  write(dir.path() + "/l/root", "x");
  write(dir.path() + "/l/user", "x");
  REQUIRE(::chown((dir.path() + "/l/user").c_str(), 1000, 1000) == 0);
  REQUIRE(::lchown((dir.path() + "/l").c_str(), 0, 0) == 0);
  fs::mkdir_p(dir.path() + "/m", 0755);
  RootfsRequest r;
  r.lower_dirs = {dir.path() + "/l"};
  r.target = dir.path() + "/m";
  IdMapping keep_id;
  keep_id.uids = keep_id.gids = {{0, 1, 1000}, {1000, 0, 1}, {1001, 1001, 64536}};
  r.shift = keep_id;
  storage::mount_rootfs(Driver::Vfs, r);
  CHECK(lstat_of(dir.path() + "/m/root").st_uid == 1);
  CHECK(lstat_of(dir.path() + "/m/root").st_gid == 1);
  CHECK(lstat_of(dir.path() + "/m/user").st_uid == 0);
  CHECK(lstat_of(dir.path() + "/m/user").st_gid == 0);
}

TEST_CASE("driver record: remembered, reused, re-probed when corrupt", "[rootfs]") {
  fs::TempDir dir{tmp_parent(), "cabin-rootfs-"};
  std::string g = dir.path() + "/graph";
  std::string record = storage::driver_record_path(g);
  CHECK(record == g + "/driver.json");

  SECTION("info reports overlay for a new store without probing") {
    CHECK(storage::reported_driver(g, "") == "overlay");
    CHECK(storage::reported_driver(g, "vfs") == "vfs");
    CHECK(!present(record));
  }
  SECTION("a requested driver is remembered") {
    CHECK(storage::choose_driver(g, "vfs") == Driver::Vfs);
    CHECK(fs::read_file(record) == "{\"driver\":\"vfs\",\"why\":\"requested\"}\n");
    CHECK(storage::choose_driver(g, "") == Driver::Vfs);
    CHECK(storage::reported_driver(g, "") == "vfs");
  }
  SECTION("a different driver on a store that has one fails as Podman does") {
    fs::mkdir_p(g, 0700);
    fs::write_file_atomic(record, "{\"driver\":\"vfs\"}\n");
    REQUIRE_THROWS_WITH(storage::choose_driver(g, "overlay"),
                        "database graph driver \"vfs\" does not match our graph driver \"overlay\": database "
                        "configuration mismatch (" +
                            g + " was set up with vfs: use that driver, or remove the store to start over with "
                                "overlay)");
    CHECK(storage::choose_driver(g, "vfs") == Driver::Vfs);
  }
  SECTION("overlay and fuse-overlayfs share a store") {
    fs::mkdir_p(g, 0700);
    fs::write_file_atomic(record, "{\"driver\":\"overlay\"}\n");
    if (storage::fuse_overlayfs_unusable().empty()) {
      CHECK(storage::choose_driver(g, "fuse-overlayfs") == Driver::FuseOverlayfs);
      CHECK(storage::reported_driver(g, "") == "overlay");  // the record stays
    } else {
      REQUIRE_THROWS_WITH(storage::choose_driver(g, "fuse-overlayfs"),
                          "storage driver fuse-overlayfs cannot be used: " + storage::fuse_overlayfs_unusable());
    }
  }
  SECTION("a corrupt or missing record is probed again") {
    fs::mkdir_p(g, 0700);
    fs::write_file_atomic(record, "{\"driver\":");
    Driver d = storage::choose_driver(g, "");
    auto text = fs::read_file(record);
    CHECK(text.find("\"driver\":\"" + storage::driver_name(d) + "\"") != std::string::npos);
    CHECK(storage::reported_driver(g, "") == storage::driver_name(d));
    // The probe left nothing behind in graphroot/tmp.
    DIR* t = ::opendir((g + "/tmp").c_str());
    REQUIRE(t != nullptr);
    int entries = 0;
    while (dirent* e = ::readdir(t)) entries += std::string(e->d_name) != "." && std::string(e->d_name) != "..";
    ::closedir(t);
    CHECK(entries == 0);
  }
}

TEST_CASE("fuse-overlayfs: mounted in a user namespace, unmounted by the destructor", "[rootfs][userns]") {
  if (auto why = storage::fuse_overlayfs_unusable(); !why.empty()) {
    WARN("skipped: " + why);
    return;
  }
  Layers l;
  auto out = in_userns([&] {
    std::string result;
    {
      auto m = storage::mount_rootfs(Driver::FuseOverlayfs, l.request(l.target));
      if (!mounted_at(l.target)) return std::string("not mounted");
      result = tree(l.target);
      fs::write_file_atomic(l.target + "/etc/new", "created");
      ::unlink((l.target + "/keep/a").c_str());
    }
    if (mounted_at(l.target)) return std::string("still mounted");
    // The helper was reaped: we have no children left.
    if (::waitpid(-1, nullptr, WNOHANG) != -1 || errno != ECHILD) return std::string("helper not reaped");
    return result;
  });
  if (!out) {
    WARN("user namespaces are not available: skipped");
    return;
  }
  CHECK(*out == kMerged);
  auto upper = l.request(l.target).upper_dir;
  CHECK(fs::read_file(upper + "/etc/new") == "created");
  struct stat st = lstat_of(upper + "/keep/a");  // a whiteout
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(0, 0));
}

TEST_CASE("fuse-overlayfs: paths with ':', ',' and '\\'", "[rootfs][userns]") {
  if (auto why = storage::fuse_overlayfs_unusable(); !why.empty()) {
    WARN("skipped: " + why);
    return;
  }
  fs::TempDir dir{tmp_parent(), "cabin-rootfs-"};
  RootfsRequest r;
  r.lower_dirs = {dir.path() + "/top:layer", dir.path() + "/bottom,layer\\x"};
  r.upper_dir = dir.path() + "/up,per\\";
  r.work_dir = dir.path() + "/wo,rk:";
  r.target = dir.path() + "/merged";
  write(r.lower_dirs[0] + "/top", "t");
  write(r.lower_dirs[1] + "/bottom", "b");
  for (const auto& d : {r.upper_dir, r.work_dir, r.target}) fs::mkdir_p(d, 0755);
  auto out = in_userns([&] {
    auto m = storage::mount_rootfs(Driver::FuseOverlayfs, r);
    fs::write_file_atomic(r.target + "/new", "n");
    return tree(r.target);
  });
  if (!out) {
    WARN("user namespaces are not available: skipped");
    return;
  }
  CHECK(*out == "bottom = b\nnew = n\ntop = t\n");
  CHECK(fs::read_file(r.upper_dir + "/new") == "n");

  // fuse-overlayfs splits its upper directory at ':' even when given as an fd.
  r.upper_dir = dir.path() + "/up:per";
  fs::mkdir_p(r.upper_dir, 0755);
  REQUIRE_THROWS_WITH(storage::mount_rootfs(Driver::FuseOverlayfs, r),
                      "storage driver fuse-overlayfs: fuse-overlayfs cannot use an upper directory whose path "
                      "contains ':' (" +
                          r.upper_dir + "): use a store path without ':' (--root)");
}

TEST_CASE("fuse-overlayfs: a failing helper is reported", "[rootfs][userns]") {
  if (auto why = storage::fuse_overlayfs_unusable(); !why.empty()) {
    WARN("skipped: " + why);
    return;
  }
  fs::TempDir dir{tmp_parent(), "cabin-rootfs-"};
  auto out = in_userns([&] {
    RootfsRequest r;
    r.lower_dirs = {dir.path() + "/missing"};
    r.upper_dir = r.work_dir = r.target = dir.path();
    try {
      storage::mount_rootfs(Driver::FuseOverlayfs, r);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("mounted");
  });
  if (!out) {
    WARN("user namespaces are not available: skipped");
    return;
  }
  CHECK_THAT(*out, Catch::StartsWith("storage driver fuse-overlayfs: fuse-overlayfs exit status 1: "));
  CHECK_THAT(*out, Catch::Contains(dir.path() + "/missing"));
}

TEST_CASE("fuse-overlayfs: owners shifted both ways", "[rootfs][userns]") {
  if (auto why = storage::fuse_overlayfs_unusable(); !why.empty()) {
    WARN("skipped: " + why);
    return;
  }
  if (::geteuid() != 0) {
    WARN("files of several owners need root: skipped");
    return;
  }
  // As root the test process itself has all ids: no user namespace needed.
  Layers l;
  REQUIRE(::lchown((l.lower + "/keep/a").c_str(), 1000, 1000) == 0);
  REQUIRE(::lchown((l.lower + "/bin/sh").c_str(), 0, 0) == 0);
  auto out = in_userns([] { return std::string(); });  // only to learn whether namespaces work
  if (!out) {
    WARN("user namespaces are not available: skipped");
    return;
  }
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 1;
    try {
      if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(2);
      RootfsRequest r = l.request(l.target);
      IdMapping keep_id;
      keep_id.uids = keep_id.gids = {{0, 1, 1000}, {1000, 0, 1}, {1001, 1001, 64536}};
      r.shift = keep_id;
      {
        auto m = storage::mount_rootfs(Driver::Overlay, r);  // overlay falls back to fuse-overlayfs
        bool ok = lstat_of(l.target + "/bin/sh").st_uid == 1 && lstat_of(l.target + "/keep/a").st_uid == 0 &&
                  lstat_of(l.target + "/keep/a").st_gid == 0;
        fs::write_file_atomic(l.target + "/by-root", "x");  // created by id 0: stored as 1000
        fs::write_file_atomic(l.target + "/by-one", "x");
        ok = ok && ::chown((l.target + "/by-one").c_str(), 1, 1) == 0;  // shown 1: stored as 0
        code = ok ? 0 : 3;
      }
      struct stat a, b;
      if (::lstat((r.upper_dir + "/by-root").c_str(), &a) != 0 || a.st_uid != 1000) code = 4;
      if (::lstat((r.upper_dir + "/by-one").c_str(), &b) != 0 || b.st_uid != 0) code = 5;
    } catch (...) {
      code = 6;
    }
    _exit(code);
  }
  int status;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 2) {
    WARN("cannot make a private mount namespace: skipped");
    return;
  }
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("squashfs files are recognised by their magic", "[rootfs]") {
  auto dir = std::filesystem::temp_directory_path() / "cabin-squashfs-magic";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "sub");
  fs::write_file_atomic((dir / "text").string(), "not squashfs");
  fs::write_file_atomic((dir / "short").string(), "hsq");
  fs::write_file_atomic((dir / "magic").string(), std::string("hsqs") + std::string(60, '\0'));
  CHECK_FALSE(storage::is_squashfs_file((dir / "text").string()));
  CHECK_FALSE(storage::is_squashfs_file((dir / "short").string()));
  CHECK_FALSE(storage::is_squashfs_file((dir / "sub").string()));
  CHECK_FALSE(storage::is_squashfs_file((dir / "missing").string()));
  CHECK(storage::is_squashfs_file((dir / "magic").string()));
  std::filesystem::remove_all(dir);
}

TEST_CASE("squashfs: mounted with squashfuse below an overlay, both gone with the root", "[rootfs][userns]") {
  if (auto why = storage::squashfuse_unusable(); !why.empty()) {
    WARN("skipped: " + why);
    return;
  }
  if (cabin::find_in_path("mksquashfs").empty()) {
    WARN("skipped: mksquashfs is not installed");
    return;
  }
  auto dir = std::filesystem::temp_directory_path() / "cabin-squashfs-mount";
  std::filesystem::remove_all(dir);
  for (const char* d : {"src/etc", "lower", "upper", "work", "merged"}) std::filesystem::create_directories(dir / d);
  fs::write_file_atomic((dir / "src/etc/hello").string(), "from the file");
  std::string file = (dir / "image.sqsh").string();
  REQUIRE(cabin::run_process({cabin::find_in_path("mksquashfs"), (dir / "src").string(), file, "-quiet", "-no-progress"})
              .exited_ok());
  auto sha_before = fs::read_file(file);
  auto out = in_userns([&] {
    std::string result;
    {
      storage::RootfsRequest r;
      r.lower_dirs = {(dir / "lower").string()};
      r.upper_dir = (dir / "upper").string();
      r.work_dir = (dir / "work").string();
      r.target = (dir / "merged").string();
      auto below = storage::mount_squashfs(file, r.lower_dirs[0]);
      auto driver = storage::probe_driver((dir / "store").string()).driver;
      auto root = storage::mount_rootfs(driver, r);
      root.keep_below(std::move(below));
      result = fs::read_file(r.target + "/etc/hello");
      fs::write_file_atomic(r.target + "/etc/hello", "changed");
      if (driver == storage::Driver::Vfs) return std::string("from the file");  // a copy: nothing to unmount
    }
    if (mounted_at((dir / "lower").string())) return std::string("squashfs still mounted");
    if (::waitpid(-1, nullptr, WNOHANG) != -1 || errno != ECHILD) return std::string("helper not reaped");
    return result;
  });
  if (!out) {
    WARN("user namespaces are not available: skipped");
    return;
  }
  CHECK(*out == "from the file");
  CHECK(fs::read_file(file) == sha_before);
  std::filesystem::remove_all(dir);
}
