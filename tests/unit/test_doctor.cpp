// The pure parts of `cabin system doctor` and of the fixes errors name.
#include <catch2/catch.hpp>

#include <string>

#include "rootless/doctor.h"
#include "rootless/fixes.h"
#include "runtime/cgroups.h"

using namespace cabin::rootless;

namespace {

// A vfs_cap_data xattr: revision, then permitted/inheritable words.
std::string caps_xattr(uint32_t revision, uint32_t permitted_lo, uint32_t permitted_hi = 0) {
  std::string out;
  auto put = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put(revision | 1);  // effective flag set
  put(permitted_lo);
  put(0);
  if (revision != 0x01000000u) {
    put(permitted_hi);
    put(0);
  }
  if (revision == 0x03000000u) put(0);  // rootid
  return out;
}

}  // namespace

TEST_CASE("free subid range: the first gap of 65536 from 100000 that overlaps nobody's") {
  CHECK(fix::free_subid_start({}) == 100000);
  CHECK(fix::free_subid_start({{200000, 65536}}) == 100000);
  CHECK(fix::free_subid_start({{100000, 65536}}) == 165536);
  // A gap too small is skipped; entries out of order are fine.
  CHECK(fix::free_subid_start({{231072, 65536}, {100000, 65536}, {180000, 10}}) == 296608);
  CHECK(fix::free_subid_start({{100000, 65536}, {170000, 65536}}) == 235536);
  // An entry starting below `from` but reaching past it.
  CHECK(fix::free_subid_start({{50000, 60000}}) == 110000);
  // Entries far away do not matter.
  CHECK(fix::free_subid_start({{1000000000, 65536}}) == 100000);
}

TEST_CASE("subid entries of every user, comments and junk skipped") {
  auto spans = fix::all_subid_spans("# c\nalice:100000:65536\n1001:165536:65536\nbad\nbob:x:1\ncarol:5:0\n");
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].start == 100000);
  CHECK(spans[1].start == 165536);
  CHECK(spans[1].count == 65536);
}

TEST_CASE("the usermod line picks a range free in both files") {
  CHECK(fix::add_subids("solo", "", "") ==
        "sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 solo");
  // Taken in subgid only: still skipped, so uids and gids match.
  CHECK(fix::add_subids("solo", "cabintest:200000:65536\n", "other:100000:65536\n") ==
        "sudo usermod --add-subuids 265536-331071 --add-subgids 265536-331071 solo");
  CHECK(fix::add_subids("solo", "a:100000:65536\n", "") ==
        "sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 solo");
}

TEST_CASE("file capabilities: cap_setuid/cap_setgid in the permitted set, any revision") {
  constexpr int kSetgid = 6, kSetuid = 7;
  for (uint32_t rev : {0x01000000u, 0x02000000u, 0x03000000u}) {
    auto both = caps_xattr(rev, (1u << kSetuid) | (1u << kSetgid));
    CHECK(file_caps_permit(both, kSetuid));
    CHECK(file_caps_permit(both, kSetgid));
    auto gid_only = caps_xattr(rev, 1u << kSetgid);
    CHECK_FALSE(file_caps_permit(gid_only, kSetuid));
    CHECK(file_caps_permit(gid_only, kSetgid));
  }
  // Bits above 31 live in the second word (not in revision 1).
  CHECK(file_caps_permit(caps_xattr(0x02000000u, 0, 1u << 1), 33));
  CHECK_FALSE(file_caps_permit(caps_xattr(0x01000000u, 0xffffffffu), 33));
  CHECK_FALSE(file_caps_permit("", kSetuid));
  CHECK_FALSE(file_caps_permit(std::string(12, '\0'), kSetuid));  // no known revision
}

TEST_CASE("network and cluster filesystems by statfs magic") {
  CHECK(network_filesystem(0x6969));      // NFS
  CHECK(network_filesystem(0x0BD00BD0));  // Lustre
  CHECK(network_filesystem(0x47504653));  // GPFS
  CHECK(network_filesystem(0x19830326));  // BeeGFS
  CHECK_FALSE(network_filesystem(0xEF53));
  CHECK_FALSE(network_filesystem(0x01021994));
  CHECK(filesystem_name(0x6969) == "nfs");
  CHECK(filesystem_name(0x19830326) == "beegfs");
  CHECK(filesystem_name(0x1234) == "0x1234");
}

TEST_CASE("nsswitch.conf: the subid source, if any") {
  CHECK(nsswitch_subid_source("passwd: files\ngroup: files\n") == "");
  CHECK(nsswitch_subid_source("passwd: files sss\nsubid:   sss  # FreeIPA\n") == "sss");
  CHECK(nsswitch_subid_source("#subid: sss\n") == "");
}

TEST_CASE("why resource limits cannot be applied, naming the fix") {
  cabin::runtime::CgroupHost h;
  h.mode = cabin::runtime::CgroupHost::Mode::Hybrid;
  auto v1 = cabin::runtime::limits_unavailable(h, "--memory");
  CHECK(v1.starts_with("--memory needs cgroup v2: this host has cgroup v1 (hybrid), where a rootless container "));
  CHECK(v1.find("(fix: " + fix::cgroup_v2() + ")") != std::string::npos);
  h.mode = cabin::runtime::CgroupHost::Mode::V2;
  h.own_dir = "/sys/fs/cgroup/user.slice";
  auto undelegated = cabin::runtime::limits_unavailable(h, "--cpus");
  CHECK(undelegated.starts_with("--cpus needs a cgroup v2 subtree delegated to you: /sys/fs/cgroup/user.slice is "
                                "not writable by you (fix: "));
  CHECK(undelegated.find("Delegate=cpu cpuset io memory pids") != std::string::npos);
}

TEST_CASE("doctor statuses and the verdict") {
  CHECK(status_name(CheckStatus::NotApplicable) == "n/a");
  DoctorReport r;
  r.checks.push_back({"a", "a", CheckStatus::Warn, "", "x"});
  r.checks.push_back({"b", "b", CheckStatus::Note, "", "y"});
  CHECK(r.can_run());
  r.checks.push_back({"tun", "/dev/net/tun", CheckStatus::Fail, "", "z"});
  CHECK_FALSE(r.can_run());
}
