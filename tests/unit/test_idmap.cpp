#include <catch2/catch.hpp>

#include "rootless/idmap.h"
#include "rootless/userns.h"
#include "util/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

using namespace cabin::rootless;

TEST_CASE("subuid entries by name and by id, comments and junk skipped") {
  std::string text = "# comment\nalice:100000:65536\nbob:200000:1000\n1001:300000:10\nbad line\nalice:x:1\n";
  auto r = parse_subid(text, "alice", 1000);
  REQUIRE(r.size() == 1);
  CHECK(r[0].host_id == 100000);
  CHECK(r[0].size == 65536);
  auto carol = parse_subid(text, "carol", 1001);
  REQUIRE(carol.size() == 1);
  CHECK(carol[0].host_id == 300000);
}

TEST_CASE("mapping: own id at 0, ranges after it") {
  auto m = mapping_for(1000, 1000, "alice", "alice:100000:65536\nalice:500000:10\n", "alice:100000:65536\n");
  REQUIRE(m.uids.size() == 3);
  CHECK(m.uids[0] == IdRange{0, 1000, 1});
  CHECK(m.uids[1] == IdRange{1, 100000, 65536});
  CHECK(m.uids[2] == IdRange{65537, 500000, 10});
  CHECK(m.gids.size() == 2);
  CHECK(!m.single_id());
  CHECK(map_text(m.gids) == "0 1000 1\n1 100000 65536\n");
  CHECK(to_host(m.uids, 0) == 1000);
  CHECK(to_host(m.uids, 1) == 100000);
  CHECK(to_host(m.uids, 65537) == 500000);
  CHECK(to_host(m.uids, 70000) == -1);
}

TEST_CASE("no ranges (or only uid ranges) means a single-id mapping") {
  CHECK(mapping_for(1000, 1000, "alice", "", "").single_id());
  CHECK(mapping_for(1000, 1000, "alice", "alice:100000:65536\n", "").single_id());
}

TEST_CASE("single-id maps are written setgroups first") {
  cabin::fs::TempDir dir("/tmp", "cabin-test-");
  write_single_id_maps(dir.path(), 1234, 5678);
  CHECK(cabin::fs::read_file(dir.path() + "/setgroups") == "deny");
  CHECK(cabin::fs::read_file(dir.path() + "/uid_map") == "0 1234 1\n");
  CHECK(cabin::fs::read_file(dir.path() + "/gid_map") == "0 5678 1\n");
}

namespace {
// Runs fn with fd 2 sent to a file; returns what it wrote.
template <typename Fn>
std::string stderr_of(const std::string& dir, Fn fn) {
  std::string path = cabin::fs::join(dir, "stderr");
  std::fflush(stderr);
  int saved = ::dup(2);
  int f = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ::dup2(f, 2);
  ::close(f);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  return cabin::fs::read_file(path);
}
}  // namespace

TEST_CASE("a store remembers its mapping and warns, counting ids, when it changes") {
  cabin::fs::TempDir dir("/tmp", "cabin-idmap-");
  UsernsState full{mapping_for(1000, 1000, "alice", "alice:100000:65536\n", "alice:100000:65536\n"), true, "", "alice"};
  UsernsState single{mapping_for(1000, 1000, "alice", "", ""), true, "no subuid ranges", "alice"};
  CHECK(stderr_of(dir.path(), [&] { note_mapping_for_store(dir.path(), full); }).empty());
  CHECK(stderr_of(dir.path(), [&] { note_mapping_for_store(dir.path(), full); }).empty());
  auto changed = stderr_of(dir.path(), [&] { note_mapping_for_store(dir.path(), single); });
  CHECK(changed.find("mapping changed since this store was made (now 1 uids, was 65537)") != std::string::npos);
  // Warned once: the new mapping is the store's from now on.
  CHECK(stderr_of(dir.path(), [&] { note_mapping_for_store(dir.path(), single); }).empty());
}
