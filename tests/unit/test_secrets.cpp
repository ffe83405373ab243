#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "engine/secrets.h"
#include "error_of.h"
#include "storage/secrets.h"
#include "util/error.h"
#include "util/fs.h"

using namespace cabin;

TEST_CASE("secrets: create, find, replace, remove; values only in their own 0600 file", "[secrets]") {
  fs::TempDir dir{"/tmp", "cabin-secrets-test-"};
  config::StorePaths paths{dir.path() + "/root", dir.path() + "/run", ""};
  storage::SecretStore store(paths);
  auto lock = store.lock();
  storage::Secret s;
  s.name = "db";
  s.labels = {{"team", "x"}};
  s = store.create(s, "hunter2", false);
  CHECK(s.id.size() == 25);
  CHECK(s.driver_options.at("path") == dir.path() + "/root/secrets/filedriver");
  CHECK(store.value(s) == "hunter2");
  struct stat st {};
  REQUIRE(::stat((store.data_dir() + "/" + s.id).c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  REQUIRE(::stat((dir.path() + "/root/secrets").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  CHECK(fs::read_file(dir.path() + "/root/secrets/secrets.json").find("hunter2") == std::string::npos);

  CHECK(test::error_of([&] { store.create(s, "other", false); }) == "db: secret name in use");
  auto again = store.create(s, "other", true);
  CHECK((again.id == s.id && again.created == s.created && store.value(again) == "other"));
  CHECK(store.find(s.id.substr(0, 5))->name == "db");
  CHECK(test::error_of([&] { store.get("nosuch"); }) == "no secret with name or id \"nosuch\": no such secret");
  storage::Secret bad;
  bad.name = "-x";
  CHECK(test::error_of([&] { store.create(bad, "v", false); }).ends_with("-x: invalid secret name"));
  bad.name = "empty";
  CHECK(test::error_of([&] { store.create(bad, "", false); }) ==
        "secret data must be larger than 0 and less than 512000 bytes");
  CHECK(store.list().size() == 1);
  store.remove(again);
  CHECK(store.list().empty());
  CHECK(!fs::exists(store.data_dir() + "/" + s.id));
}

TEST_CASE("secrets: --secret values", "[secrets]") {
  auto u = engine::parse_secret_flag("tok");
  CHECK((!u.env && u.target == "/run/secrets/tok" && u.uid == 0 && u.gid == 0 && u.mode == 0444));
  u = engine::parse_secret_flag("tok,target=app/key,uid=1000,gid=2000,mode=0400");
  CHECK((u.target == "/run/secrets/app/key" && u.uid == 1000 && u.gid == 2000 && u.mode == 0400));
  u = engine::parse_secret_flag("tok,type=env");
  CHECK((u.env && u.target == "tok"));
  u = engine::parse_secret_flag("tok,type=env,target=API_KEY");
  CHECK((u.env && u.target == "API_KEY"));
  CHECK(test::error_of([] { engine::parse_secret_flag("tok,type=env,mode=0400"); }) ==
        "invalid --secret \"tok,type=env,mode=0400\": UID, GID, Mode options cannot be set with secret type env");
  CHECK(test::error_of([] { engine::parse_secret_flag("tok,mode=0999"); }) ==
        "invalid --secret \"tok,mode=0999\": mode must be an octal mode");
  CHECK(test::error_of([] { engine::parse_secret_flag(",type=env"); }).starts_with("invalid --secret"));
  CHECK(test::error_of([] { engine::parse_secret_flag("tok,target=/a/../b"); }).ends_with("without \"..\""));

  runtime::StartConfig cfg;
  cfg.secrets = {engine::parse_secret_flag("a"), engine::parse_secret_flag("b,target=/etc/b"),
                 engine::parse_secret_flag("c,type=env")};
  CHECK(engine::secret_paths(cfg) == std::set<std::string>{"run/secrets", "run/secrets/a", "etc/b"});
  auto back = runtime::start_config_from_json(runtime::to_json(cfg));
  REQUIRE(back.secrets.size() == 3);
  CHECK((back.secrets[1].target == "/etc/b" && back.secrets[2].env && back.secrets[0].mode == 0444));
}
