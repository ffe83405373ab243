#include <catch2/catch.hpp>

#include "error_of.h"
#include "storage/volumes.h"
#include "util/error.h"
#include "util/fs.h"

using namespace cabin;

namespace {

}  // namespace

TEST_CASE("volumes: create, find, list, update, remove", "[volumes]") {
  fs::TempDir dir{"/tmp", "cabin-volumes-test-"};
  config::StorePaths paths{dir.path() + "/root", dir.path() + "/run", ""};
  storage::VolumeStore store(paths);
  auto lock = store.lock();  // makes graphroot/volumes; its lock file is not a volume
  storage::Volume v;
  v.name = "db";
  v.labels = {{"team", "x"}};
  v = store.create(v);
  CHECK(fs::is_dir(store.mountpoint("db")));
  CHECK(store.mountpoint("db") == dir.path() + "/root/volumes/db/_data");
  CHECK((v.needs_copy_up && v.needs_chown && !v.anonymous && !v.created.empty()));
  CHECK(cabin::test::error_of([&] { store.create(v); }) == "volume with name db already exists: volume already exists");

  storage::Volume anon;
  anon.anonymous = true;
  anon = store.create(anon);
  CHECK(anon.name.size() == 64);
  auto all = store.list();
  REQUIRE(all.size() == 2);

  v.needs_chown = false;
  store.update(v);
  auto found = store.find("db");
  REQUIRE(found);
  CHECK((!found->needs_chown && found->labels.at("team") == "x"));
  CHECK(!store.find("../db"));  // names are checked before they become paths

  store.remove("db");
  CHECK(!store.find("db"));
  CHECK(!fs::exists(dir.path() + "/root/volumes/db"));
  CHECK(store.list().size() == 1);
}

TEST_CASE("volumes: options as Podman's local driver takes them, rootless", "[volumes]") {
  using storage::check_volume_options;
  CHECK(cabin::test::error_of([] { check_volume_options({{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m,mode=0700,uid=5"}}); }) == "no error");
  CHECK(cabin::test::error_of([] { check_volume_options({{"type", "bind"}, {"device", "/tmp"}}); }) == "no error");
  CHECK(cabin::test::error_of([] { check_volume_options({{"type", "none"}, {"o", "bind"}, {"device", "/tmp"}}); }) == "no error");
  CHECK(cabin::test::error_of([] { check_volume_options({{"o", "uid=1000,gid=1000"}}); }) == "no error");
  CHECK(cabin::test::error_of([] { check_volume_options({{"nocopy", ""}}); }) == "no error");
  CHECK(cabin::test::error_of([] { check_volume_options({{"foo", "bar"}}); }) ==
        "invalid mount option foo for driver 'local': invalid argument");
  CHECK(cabin::test::error_of([] { check_volume_options({{"type", "bind"}, {"device", "/nonexistent-cabin"}}); }) ==
        "invalid volume option device for driver 'local': stat /nonexistent-cabin: No such file or directory");
  CHECK(cabin::test::error_of([] { check_volume_options({{"o", "uid=x"}}); }) == "invalid volume option \"uid=x\": uid must be a number from 0 to 4294967295");
  CHECK(cabin::test::error_of([] { check_volume_options({{"type", "tmpfs"}, {"o", "bogus"}}); }) == "invalid tmpfs volume option \"bogus\"");

  storage::Volume t;
  t.options = {{"type", "tmpfs"}, {"o", "size=1m,nocopy"}};
  CHECK((t.tmpfs() && !t.bind() && !t.copy() && t.tmpfs_data() == "size=1m"));
  storage::Volume b;
  b.options = {{"type", "none"}, {"o", "bind"}, {"device", "/srv"}};
  CHECK((b.bind() && b.copy()));
}
