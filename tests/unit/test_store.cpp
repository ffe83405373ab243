#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "error_of.h"
#include "storage/store.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fs.h"

using namespace cabin;
using Catch::Matchers::Equals;

namespace {

struct TestStore {
  fs::TempDir dir{"/tmp", "cabin-store-test-"};
  storage::Store store{config::StorePaths{dir.path() + "/root", dir.path() + "/run", ""}};
};

storage::ImageRecord record(char fill, std::vector<std::string> names, std::string created = "2024-01-01T00:00:00Z") {
  storage::ImageRecord r;
  r.id = std::string(64, fill);
  r.names = std::move(names);
  r.digest = "sha256:" + std::string(63, fill) + "0";
  r.digests = {r.digest};
  r.created = created;
  return r;
}

}  // namespace

TEST_CASE("store: blobs are verified before they are stored", "[store]") {
  TestStore t;
  std::string data = "{\"a\":1}";
  std::string d = sha256_digest(data);
  t.store.put_blob(d, data);
  CHECK(t.store.has_blob(d));
  CHECK(t.store.get_blob(d) == data);
  std::string other = sha256_digest("x");
  CHECK_THAT(cabin::test::error_of([&] { t.store.put_blob(other, data); }),
             Equals("blob " + other + ": content does not match its digest"));
  CHECK_FALSE(t.store.has_blob(other));
}

TEST_CASE("store: tags move between images, digested names stay", "[store]") {
  TestStore t;
  t.store.add_image(record('a', {"docker.io/library/busybox:latest", "docker.io/library/busybox@sha256:" + std::string(64, '1')}));
  t.store.add_image(record('b', {"docker.io/library/busybox:latest"}));
  auto a = t.store.get_image(std::string(64, 'a'));
  CHECK(a.names == std::vector<std::string>{"docker.io/library/busybox@sha256:" + std::string(64, '1')});
  CHECK(a.repo_tags().empty());
  CHECK(t.store.get_image("busybox").id == std::string(64, 'b'));
  CHECK(t.store.images().size() == 2);
}

TEST_CASE("store: lookup by name, short name, id prefix and digest", "[store]") {
  TestStore t;
  t.store.add_image(record('a', {"127.0.0.1:5000/busybox:latest"}));
  t.store.add_image(record('b', {"localhost/busybox:1"}));
  t.store.add_image(record('c', {"quay.io/ns/app:2"}, "2024-02-01T00:00:00Z"));
  auto id = [&](std::string_view q) {
    auto r = t.store.find_image(q);
    return r ? r->id.substr(0, 1) : std::string("-");
  };
  CHECK(id("127.0.0.1:5000/busybox") == "a");
  CHECK(id("127.0.0.1:5000/busybox:latest") == "a");
  CHECK(id("busybox") == "a");
  CHECK(id("busybox:1") == "b");
  CHECK(id("localhost/busybox:1") == "b");
  CHECK(id("ns/app:2") == "c");
  CHECK(id("app:2") == "c");
  CHECK(id("app") == "-");
  CHECK(id("docker.io/library/busybox") == "-");
  CHECK(id("ccc") == "c");
  CHECK(id(std::string(64, 'c')) == "c");
  CHECK(id("sha256:" + std::string(64, 'c')) == "c");
  CHECK(id("sha256:" + std::string(63, 'c') + "0") == "c");
  CHECK(id("quay.io/ns/app@sha256:" + std::string(63, 'c') + "0") == "c");
  CHECK(id("quay.io/ns/other@sha256:" + std::string(63, 'c') + "0") == "-");
  CHECK_THAT(cabin::test::error_of([&] { t.store.get_image("nope"); }), Equals("nope: image not known"));
}

TEST_CASE("store: an ambiguous id prefix is an error", "[store]") {
  TestStore t;
  auto r1 = record('a', {});
  r1.id = "abc1" + std::string(60, '0');
  auto r2 = record('b', {});
  r2.id = "abc2" + std::string(60, '0');
  t.store.add_image(r1);
  t.store.add_image(r2);
  CHECK_THAT(cabin::test::error_of([&] { t.store.find_image("abc"); }),
             Equals("abc: image ID prefix is ambiguous: it matches abc200000000 and abc100000000"));
  CHECK(t.store.find_image("abc1")->id == r1.id);
}

TEST_CASE("store: layers are staged, committed once, and collected when unused", "[store]") {
  TestStore t;
  std::string diff_id = "sha256:" + std::string(64, 'd');
  for (int i = 0; i < 2; ++i) {
    auto staging = t.store.stage_layer();
    std::ofstream(staging.diff_dir() + "/file") << "copy " << i;
    t.store.commit_layer(std::move(staging), storage::LayerInfo{diff_id, 6, diff_id, 6, "x"});
  }
  CHECK(t.store.has_layer(diff_id));
  CHECK(fs::read_file(t.store.layer_diff_dir(diff_id) + "/file") == "copy 0");
  // the losing copy was removed, nothing stays in tmp/
  CHECK(std::filesystem::is_empty(t.dir.path() + "/root/tmp"));
  auto rec = record('e', {"localhost/x:latest"});
  rec.layers = {diff_id};
  t.store.add_image(rec);
  t.store.garbage_collect();
  CHECK(t.store.has_layer(diff_id));
  t.store.remove_image(rec.id);
  t.store.garbage_collect();
  CHECK_FALSE(t.store.has_layer(diff_id));
}

TEST_CASE("store: stale staging directories are cleaned, live ones kept", "[store]") {
  TestStore t;
  auto live = t.store.stage_layer();
  fs::mkdir_p(t.dir.path() + "/root/tmp/layer-dead/diff");
  t.store.clean_stale_staging();
  CHECK(fs::exists(live.diff_dir()));
  CHECK_FALSE(fs::exists(t.dir.path() + "/root/tmp/layer-dead"));
}

// Pulls clean tmp/ while other commands stage layers there: a directory a
// cleaner takes between its creation and its lock must not fail the stager
// (CI once saw "mkdir …/tmp/layer-XXXXXX/diff: No such file or directory").
TEST_CASE("store: staging while others clean: each stage succeeds, only stale ones are removed", "[store]") {
  TestStore t;
  std::atomic<int> staging_left = 2, cleans = 0;
  std::mutex mu;
  std::vector<std::string> failures;
  auto failed = [&](std::string what) {
    std::lock_guard g(mu);
    failures.push_back(std::move(what));
  };
  auto stager = [&] {
    for (int i = 0; i < 400; ++i) {
      try {
        auto staging = t.store.stage_layer();
        std::ofstream(staging.diff_dir() + "/file") << i;
        if (fs::read_file(staging.diff_dir() + "/file") != std::to_string(i)) failed("staged file changed");
      } catch (const Error& e) {
        failed(e.what());
      }
    }
    --staging_left;
  };
  auto cleaner = [&] {
    while (staging_left > 0) {
      try {
        t.store.clean_stale_staging();
        ++cleans;
      } catch (const Error& e) {
        failed(e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back(stager);
  for (int i = 0; i < 2; ++i) threads.emplace_back(cleaner);
  for (auto& th : threads) th.join();
  CHECK(failures == std::vector<std::string>{});
  CHECK(cleans > 0);
  CHECK(std::filesystem::is_empty(t.dir.path() + "/root/tmp"));
}

TEST_CASE("store: names are normalised like Podman's tag", "[store]") {
  CHECK(storage::normalize_image_name("myimg") == "localhost/myimg:latest");
  CHECK(storage::normalize_image_name("ns/myimg:1") == "localhost/ns/myimg:1");
  CHECK(storage::normalize_image_name("quay.io/a/b") == "quay.io/a/b:latest");
}
