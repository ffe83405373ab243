#include <catch2/catch.hpp>

#include "engine/pod.h"
#include "error_of.h"
#include "runtime/spec_json.h"
#include "util/fs.h"

using namespace cabin;

TEST_CASE("pod: --share is checked and sorted; none shares nothing", "[pod]") {
  CHECK(engine::parse_share("uts,net,ipc") == std::vector<std::string>{"ipc", "net", "uts"});
  CHECK(engine::parse_share("pid,pid") == std::vector<std::string>{"pid"});
  CHECK(engine::parse_share("none").empty());
  CHECK(engine::parse_share("").empty());
  CHECK(test::error_of([] { engine::parse_share("net,foo"); }) ==
        "invalid kernel namespace to share: foo. Options are: cgroup, ipc, net, pid, uts or none");
}

TEST_CASE("pod: records are created, found by name, ID or prefix, and removed", "[pod]") {
  fs::TempDir dir{"/tmp", "cabin-pod-test-"};
  config::StorePaths paths{dir.path() + "/root", dir.path() + "/run", ""};
  engine::PodStore pods(paths);
  CHECK(pods.list().empty());
  engine::PodRecord p;
  p.name = "web";
  p.share = {"ipc", "net"};
  p = pods.create(p);
  CHECK(p.id.size() == 64);
  CHECK(!p.created.empty());
  CHECK(fs::is_dir(pods.dir(p.id)));
  CHECK(pods.find("web")->id == p.id);
  CHECK(pods.find(p.id.substr(0, 5))->name == "web");
  CHECK(!pods.find("nosuch"));
  CHECK(test::error_of([&] { pods.get("nosuch"); }) == "no pod with name or ID nosuch found: no such pod");
  engine::PodRecord dup;
  dup.name = "web";
  CHECK(test::error_of([&] { pods.create(dup); }) == "adding pod to state: name \"web\" is in use: pod already exists");
  engine::PodRecord unnamed = pods.create({});
  CHECK(!unnamed.name.empty());
  p.infra_id = "abc";
  pods.update(p);
  CHECK(pods.get("web").infra_id == "abc");
  CHECK(pods.get("web").share == std::vector<std::string>{"ipc", "net"});
  pods.remove(p.id);
  CHECK(!pods.find("web"));
  CHECK(!fs::exists(pods.dir(p.id)));
  CHECK(pods.list().size() == 1);
}

TEST_CASE("pod: the namespace modes and the infra survive start.json", "[pod]") {
  runtime::StartConfig c;
  c.ipc_mode = "container:abc";
  c.uts_mode = "host";
  c.pid_mode = "ns:/proc/1/ns/pid";
  c.spec.infra = true;
  c.spec.new_utsns = false;
  auto back = runtime::start_config_from_json(runtime::to_json(c));
  CHECK(back.ipc_mode == "container:abc");
  CHECK(back.uts_mode == "host");
  CHECK(back.pid_mode == "ns:/proc/1/ns/pid");
  CHECK(back.spec.infra);
  CHECK(!back.spec.new_utsns);
  CHECK(back.spec.new_ipcns);
  // Older start.json files have none of them.
  auto j = runtime::to_json(runtime::StartConfig{});
  j.erase("ipc_mode");
  j["spec"].erase("infra");
  j["spec"].erase("new_pidns");
  auto old = runtime::start_config_from_json(j);
  CHECK(old.ipc_mode.empty());
  CHECK(!old.spec.infra);
  CHECK(old.spec.new_pidns);
}
