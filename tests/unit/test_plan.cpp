#include <catch2/catch.hpp>

#include <sys/mount.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "error_of.h"
#include "runtime/plan.h"
#include "util/error.h"
#include "util/fs.h"

using namespace cabin;
using namespace cabin::runtime;

namespace {

ImageDefaults image(std::vector<std::string> entrypoint, std::vector<std::string> cmd) {
  ImageDefaults d;
  d.entrypoint = std::move(entrypoint);
  d.cmd = std::move(cmd);
  return d;
}

}  // namespace

TEST_CASE("ENTRYPOINT and CMD follow Docker's rules", "[plan]") {
  RunOptions o;
  CHECK(resolve_command(image({}, {"sh"}), o) == std::vector<std::string>{"sh"});
  CHECK(resolve_command(image({"/e"}, {"a", "b"}), o) == std::vector<std::string>{"/e", "a", "b"});
  o.command = {"x"};
  CHECK(resolve_command(image({"/e"}, {"a"}), o) == std::vector<std::string>{"/e", "x"});
  // --entrypoint replaces ENTRYPOINT and clears CMD.
  o.command.clear();
  o.entrypoint = "/bin/date";
  CHECK(resolve_command(image({"/e"}, {"a"}), o) == std::vector<std::string>{"/bin/date"});
  o.entrypoint = R"(["/bin/sh","-c"])";
  o.command = {"echo hi"};
  CHECK(resolve_command(image({"/e"}, {"a"}), o) == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
  o.entrypoint = "";
  o.command.clear();
  CHECK(cabin::test::error_of([&] { resolve_command(image({"/e"}, {"a"}), o); }) ==
        "no command or entrypoint provided, and no CMD or ENTRYPOINT from image");
}

TEST_CASE("the image config's Config section", "[plan]") {
  auto j = nlohmann::json::parse(R"({"config":{"Entrypoint":["/e"],"Cmd":null,"Env":["A=1"],
    "WorkingDir":"/w","User":"tester","StopSignal":"SIGINT"}})");
  auto d = ImageDefaults::from_config(j);
  CHECK(d.entrypoint == std::vector<std::string>{"/e"});
  CHECK(d.cmd.empty());
  CHECK(d.env == std::vector<std::string>{"A=1"});
  CHECK(d.workdir == "/w");
  CHECK(d.user == "tester");
  CHECK(d.stop_signal == "SIGINT");
  CHECK(ImageDefaults::from_config(nlohmann::json::object()).cmd.empty());
}

TEST_CASE("users resolve through the image's passwd and group files", "[plan]") {
  std::string passwd = "root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000::/home/tester:/bin/sh\n";
  std::string group = "root:x:0:\ntester:x:1000:\nextra:x:1001:tester,other\nwheel:x:10:root\n";
  std::string home;
  auto u = resolve_user("tester", passwd, group, &home);
  CHECK(u.uid == 1000);
  CHECK(u.gid == 1000);
  CHECK(u.groups == std::vector<gid_t>{1000, 1001});
  CHECK(home == "/home/tester");
  u = resolve_user("", passwd, group, &home);
  CHECK(u.uid == 0);
  CHECK(u.groups == std::vector<gid_t>{0, 10});
  CHECK(home == "/root");
  u = resolve_user("4242:77", passwd, group, &home);
  CHECK((u.uid == 4242 && u.gid == 77 && u.groups == std::vector<gid_t>{77} && home == "/"));
  u = resolve_user("1000:extra", passwd, group, nullptr);
  CHECK((u.uid == 1000 && u.gid == 1001));
  CHECK(cabin::test::error_of([&] { resolve_user("nobody2", passwd, group, nullptr); }) ==
        "unable to find user nobody2: no matching entries in passwd file");
  CHECK(cabin::test::error_of([&] { resolve_user("tester:nogroup", passwd, group, nullptr); }) ==
        "unable to find group nogroup: no matching entries in group file");
}

TEST_CASE("-v, --mount and --tmpfs", "[plan]") {
  auto tmp = std::filesystem::temp_directory_path().string();
  auto m = parse_volume(tmp + ":/data:ro,z");
  CHECK(m.kind == MountSpec::Kind::Bind);
  CHECK(m.source == tmp);
  CHECK(m.destination == "/data");
  CHECK(m.read_only);
  CHECK(cabin::test::error_of([] { parse_volume("/nonexistent-cabin:/x"); }) ==
        "statfs /nonexistent-cabin: No such file or directory");
  CHECK(cabin::test::error_of([&] { parse_volume(tmp + ":relative"); }) == "invalid container path \"relative\", must be an absolute path");
  CHECK(cabin::test::error_of([&] { parse_volume(tmp + ":/x:bogus"); }) == "invalid option type \"bogus\"");

  m = parse_mount("type=bind,src=" + tmp + ",dst=/d,readonly");
  CHECK((m.source == tmp && m.destination == "/d" && m.read_only));
  m = parse_mount("type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=0700");
  CHECK(m.kind == MountSpec::Kind::Tmpfs);
  CHECK(m.data == "size=1m,mode=0700");
  CHECK(cabin::test::error_of([] { parse_mount("type=bind,dst=/d"); }) == "invalid mount \"type=bind,dst=/d\": must set a source");
  CHECK(cabin::test::error_of([] { parse_mount("type=foo,dst=/d"); }) == "invalid filesystem type \"foo\"");

  // Volumes: named, anonymous, --mount type=volume.
  m = parse_volume("data:/var/lib/db:U,nocopy");
  CHECK((m.volume == "data" && !m.anonymous && m.destination == "/var/lib/db" && m.chown && !m.copy_up));
  CHECK(m.source.empty());
  m = parse_volume("/anon");
  CHECK((m.volume.empty() && m.anonymous && m.destination == "/anon" && m.copy_up));
  m = parse_volume(tmp + ":/u:U");
  CHECK((m.volume.empty() && !m.anonymous && m.source == tmp && m.chown));
  CHECK(cabin::test::error_of([] { parse_volume("bad$name:/x"); }) ==
        "invalid volume name \"bad$name\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
  CHECK(cabin::test::error_of([] { parse_volume("relative"); }) == "invalid container path \"relative\", must be an absolute path");
  CHECK(cabin::test::error_of([&] { parse_volume(tmp + ":/x:nocopy"); }) == "invalid option type \"nocopy\"");
  m = parse_mount("type=volume,src=v,dst=/v,ro,volume-nocopy");
  CHECK((m.volume == "v" && m.destination == "/v" && m.read_only && !m.copy_up));
  m = parse_mount("type=volume,target=/a");
  CHECK((m.anonymous && m.volume.empty()));
  m = parse_mount("type=bind,src=" + tmp + ",dst=/b,U");
  CHECK(m.chown);

  m = parse_tmpfs("/run:rw,size=10m,exec");
  CHECK(m.destination == "/run");
  CHECK(m.data == "size=10m");
  CHECK((m.flags & MS_NOEXEC) == 0);
  CHECK((m.flags & MS_NOSUID) != 0);
  CHECK(cabin::test::error_of([] { parse_tmpfs("/run:bogus"); }) == "invalid mount option \"bogus\"");
}

TEST_CASE("--ulimit", "[plan]") {
  auto r = parse_ulimit("nofile=1024:2048");
  CHECK(r.resource == RLIMIT_NOFILE);
  CHECK((r.value.rlim_cur == 1024 && r.value.rlim_max == 2048));
  CHECK(parse_ulimit("core=-1").value.rlim_max == RLIM_INFINITY);
  CHECK(cabin::test::error_of([] { parse_ulimit("bogus=1"); }) == "invalid ulimit type: bogus");
  CHECK(cabin::test::error_of([] { parse_ulimit("nofile=10:5"); }) ==
        "ulimit error: nofile soft limit 10 must be less than or equal to hard limit 5");
  CHECK(cabin::test::error_of([] { parse_ulimit("nofile=x"); }) == "invalid ulimit argument \"nofile=x\": \"x\" is not a number below 2^64");
}

TEST_CASE("--sysctl: the container's own namespaced keys only", "[plan]") {
  using P = std::pair<std::string, std::string>;
  CHECK(parse_sysctl("net.ipv4.ip_forward=1", false, false) == P{"net.ipv4.ip_forward", "1"});
  CHECK(parse_sysctl("kernel.sem=250 32000 32 128", false, false) == P{"kernel.sem", "250 32000 32 128"});
  CHECK(parse_sysctl("fs.mqueue.msg_max=20", true, false) == P{"fs.mqueue.msg_max", "20"});
  CHECK(parse_sysctl("net.core.somaxconn=", false, true) == P{"net.core.somaxconn", ""});
  CHECK(cabin::test::error_of([] { parse_sysctl("kernel.hostname=x", false, false); }).starts_with(
      "sysctl 'kernel.hostname' is not allowed"));
  CHECK(cabin::test::error_of([] { parse_sysctl("net.ipv4.ip_forward", false, false); }) ==
        "net.ipv4.ip_forward is invalid, sysctl values must be in the form of KEY=VALUE");
  CHECK(cabin::test::error_of([] { parse_sysctl("net/ipv4/ip_forward=1", false, false); }) ==
        "sysctl 'net/ipv4/ip_forward' is not allowed");
  CHECK(cabin::test::error_of([] { parse_sysctl("net.ipv4.ip_forward=1", true, false); }) ==
        "sysctl net.ipv4.ip_forward=1 can't be set since Network Namespace set to host: invalid argument");
  CHECK(cabin::test::error_of([] { parse_sysctl("kernel.shmmax=1", false, true); }) ==
        "sysctl kernel.shmmax=1 can't be set since IPC Namespace set to host: invalid argument");
  CHECK_NOTHROW(parse_sysctl("kernel.shmmax=1", true, false));
}

TEST_CASE("--tz: a zone's file, never a path outside the zone directory", "[plan]") {
  if (!fs::exists("/usr/share/zoneinfo/UTC")) return;  // tzdata: installed by ./dev deps
  CHECK(timezone_file("UTC").starts_with("TZif"));
  CHECK(cabin::test::error_of([] { timezone_file("../../../etc/passwd"); }) ==
        "invalid --tz \"../../../etc/passwd\": name a zone such as Europe/Berlin, UTC or local");
  CHECK(cabin::test::error_of([] { timezone_file("/etc/passwd"); }).starts_with("invalid --tz \"/etc/passwd\": name a zone"));
  CHECK(cabin::test::error_of([] { timezone_file("Etc"); }).ends_with("is not a time zone file on this host (see /usr/share/zoneinfo)"));
}

TEST_CASE("the plan: environment, /etc files and security defaults", "[plan]") {
  auto dir = std::filesystem::temp_directory_path() / "cabin-plan-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "layer/etc");
  fs::write_file_atomic((dir / "layer/etc/passwd").string(), "root:x:0:0:root:/root:/bin/sh\n");
  Layout layout;
  layout.lower_dirs = {(dir / "layer").string()};
  layout.merged_dir = (dir / "merged").string();
  layout.userdata_dir = (dir / "userdata").string();
  RunOptions o;
  o.tty = true;
  o.env = {"B=2", "CABIN_PLAN_UNSET_VAR"};
  ImageDefaults d = image({}, {"sh"});
  d.env = {"PATH=/bin", "A=1", "B=1"};
  auto plan = make_plan(o, d, layout, "abc123", "name");
  const auto& env = plan.spec.env;
  CHECK(env == std::vector<std::string>{"PATH=/bin", "TERM=xterm", "container=cabin", "A=1", "B=2",
                                        "HOSTNAME=abc123", "HOME=/root"});
  CHECK(plan.spec.hostname == "abc123");
  CHECK(plan.spec.umask == 022);
  CHECK(plan.spec.shm_size == 64u << 20);

  // --unsetenv drops defaults (cabin's and the image's), never -e.
  o.unsetenv = {"TERM", "A", "B"};
  o.umask = "0077";
  o.shm_size = "1m";
  plan = make_plan(o, d, layout, "abc123", "name");
  CHECK(plan.spec.env == std::vector<std::string>{"PATH=/bin", "container=cabin", "B=2", "HOSTNAME=abc123", "HOME=/root"});
  CHECK(plan.spec.umask == 077);
  CHECK(plan.spec.shm_size == 1u << 20);
  o.unsetenv_all = true;
  plan = make_plan(o, d, layout, "abc123", "name");
  CHECK(plan.spec.env == std::vector<std::string>{"B=2", "HOSTNAME=abc123", "HOME=/root"});
  o.unsetenv.clear();
  o.unsetenv_all = false;
  o.umask = "8";
  CHECK(cabin::test::error_of([&] { make_plan(o, d, layout, "abc123", "name"); }) ==
        "invalid umask string 8: it must be an octal mode such as 0022");
  o.umask.clear();
  o.shm_size.clear();
  plan = make_plan(o, d, layout, "abc123", "name");
  CHECK(plan.spec.caps.bounding == security::default_caps());
  CHECK(plan.spec.seccomp);
  CHECK(!plan.spec.masked_paths.empty());
  REQUIRE(plan.spec.mounts.size() == 3);
  CHECK(plan.spec.mounts[0].destination == "/etc/hosts");
  CHECK(fs::read_file(layout.userdata_dir + "/hostname") == "abc123\n");

  o.privileged = true;
  plan = make_plan(o, d, layout, "abc123", "name");
  CHECK(plan.spec.caps.bounding == security::adjust_caps(security::all_caps(), {}, {}));
  CHECK(!plan.spec.seccomp);
  CHECK(plan.spec.masked_paths.empty());
  o.privileged = false;
  o.security_opts = {"seccomp=unconfined", "no-new-privileges"};
  plan = make_plan(o, d, layout, "abc123", "name");
  CHECK((!plan.spec.seccomp && plan.spec.no_new_privileges));
  o.security_opts = {"bogus=1"};
  CHECK(cabin::test::error_of([&] { make_plan(o, d, layout, "h", "n"); }) == "invalid --security-opt \"bogus=1\"");
  std::filesystem::remove_all(dir);
}

TEST_CASE("--env-merge expands against the image's environment; -e still wins", "[plan]") {
  auto dir = std::filesystem::temp_directory_path() / "cabin-plan-merge-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "layer");
  Layout layout;
  layout.lower_dirs = {(dir / "layer").string()};
  layout.merged_dir = (dir / "merged").string();
  layout.userdata_dir = (dir / "userdata").string();
  RunOptions o;
  o.env_merge = {"PATH=/opt/bin:${PATH}", "A=${A}+merged", "N=${NOT_THERE}x", "D=${NOT_THERE:-dflt}"};
  ImageDefaults d = image({}, {"sh"});
  d.env = {"PATH=/bin", "A=img"};
  auto env = make_plan(o, d, layout, "h", "n").spec.env;
  auto has = [&](const std::string& kv) { return std::find(env.begin(), env.end(), kv) != env.end(); };
  CHECK(has("PATH=/opt/bin:/bin"));
  CHECK(has("A=img+merged"));
  CHECK(has("N=x"));
  CHECK(has("D=dflt"));
  o.env = {"A=from-e"};
  env = make_plan(o, d, layout, "h", "n").spec.env;
  CHECK(has("A=from-e"));
  o.env_merge = {"NOEQUALS"};
  CHECK(cabin::test::error_of([&] { make_plan(o, d, layout, "h", "n"); }) ==
        "invalid --env-merge \"NOEQUALS\": it must be NAME=VALUE");
  std::filesystem::remove_all(dir);
}

TEST_CASE("keep-id maps the user's uid to cabin's root, the rest around it", "[plan]") {
  using R = rootless::IdRange;
  CHECK(keep_id_ranges(1000, 65537) == std::vector<R>{{0, 1, 1000}, {1000, 0, 1}, {1001, 1001, 64536}});
  CHECK(keep_id_ranges(1000, 1) == std::vector<R>{{1000, 0, 1}});
  CHECK(keep_id_ranges(0, 65537) == std::vector<R>{{0, 0, 1}, {1, 1, 65536}});
  // More uids than cabin's namespace has: all it has below, nothing above.
  CHECK(keep_id_ranges(70000, 65537) == std::vector<R>{{0, 1, 65536}, {70000, 0, 1}});

  HostUser host{1001, 1001, "me", "/home/me"};
  CHECK(!parse_keep_id("", host));
  CHECK(!parse_keep_id("host", host));
  auto k = parse_keep_id("keep-id", host);
  CHECK((k && k->uid == 1001 && k->gid == 1001));
  k = parse_keep_id("keep-id:uid=5,gid=6", host);
  CHECK((k && k->uid == 5 && k->gid == 6));
  CHECK(cabin::test::error_of([&] { parse_keep_id("auto", host); }) == "--userns=auto is not supported: use keep-id or host");
  CHECK(cabin::test::error_of([&] { parse_keep_id("keep-id:uid=x", host); }) == "invalid --userns option \"uid=x\": want uid=N or gid=N");
}

TEST_CASE("--uidmap/--gidmap entries", "[plan]") {
  using cabin::rootless::IdRange;
  auto m = parse_id_maps({"0:1:1000", "1000:0:1"}, "UID", 65537);
  REQUIRE(m.size() == 2);
  CHECK(m[0] == IdRange{0, 1, 1000});
  CHECK(m[1] == IdRange{1000, 0, 1});
  CHECK(parse_id_maps({"0:65536:1"}, "UID", 65537)[0] == IdRange{0, 65536, 1});
  auto map_error = [](std::vector<std::string> e, uint64_t ids = 65537) {
    try {
      parse_id_maps(e, "GID", ids);
    } catch (const cabin::Error& err) {
      return std::string(err.what());
    }
    return std::string("no error");
  };
  CHECK(map_error({"bogus"}) ==
        "initializing ID mappings: GID setting is malformed expected [\"uint32:uint32:uint32\"]: [\"bogus\"]");
  CHECK(map_error({"0:1"}).find("malformed") != std::string::npos);
  CHECK(map_error({"0:1:-5"}).find("malformed") != std::string::npos);
  CHECK(map_error({"0:1:0"}).find("malformed") != std::string::npos);
  CHECK(map_error({"0:1:x1"}).find("malformed") != std::string::npos);
  CHECK(map_error({"0:1:65537"}) == "GID mapping \"0:1:65537\": ids 1-65537 of your user namespace do not exist, it has "
                                   "65537 (0 is you, the rest your subordinate ids)");
  CHECK(map_error({"0:1:1"}, 1).find("do not exist") != std::string::npos);
  CHECK(map_error({"0:0:10", "5:100:1"}) == "the specified GID mapping 5:100:1 conflicts with other mappings");
  CHECK(map_error({"0:0:10", "100:5:1"}) == "the specified GID mapping 100:5:1 conflicts with other mappings");
  CHECK(map_error({"0:0:10", "10:10:5"}) == "no error");
}
