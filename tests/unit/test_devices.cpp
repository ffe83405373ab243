#include <catch2/catch.hpp>

#include "cdi/cdi.h"
#include "error_of.h"
#include "runtime/devices.h"
#include "util/fs.h"

using namespace cabin;
using test::error_of;

TEST_CASE("--device: HOST[:CONTAINER][:PERMISSIONS] as Podman reads it", "[devices]") {
  auto d = runtime::parse_device("/dev/fuse");
  CHECK(d.host == "/dev/fuse");
  CHECK(d.container == "/dev/fuse");
  CHECK(d.perms == "rwm");
  d = runtime::parse_device("/dev/sdc:/dev/xvdc:r");
  CHECK(d.container == "/dev/xvdc");
  CHECK(d.perms == "r");
  d = runtime::parse_device("/dev/sdc:rw");  // a second field of r, w, m: the permissions
  CHECK(d.container == "/dev/sdc");
  CHECK(d.perms == "rw");
  CHECK(error_of([] { runtime::parse_device("/dev/sdc:xvdc"); }) == "invalid device mode: xvdc");
  CHECK(error_of([] { runtime::parse_device("/dev/sdc:/x:rwq"); }) == "invalid device mode: rwq");
  CHECK(error_of([] { runtime::parse_device("/a:/b:r:x"); }) == "invalid device specification: /a:/b:r:x");
  CHECK(error_of([] { runtime::parse_device(":/b"); }) == "invalid device specification: :/b");
}

TEST_CASE("--device: CDI names are told from paths", "[devices]") {
  CHECK(runtime::is_cdi_name("nvidia.com/gpu=0"));
  CHECK(runtime::is_cdi_name("vendor.com/class=all"));
  CHECK_FALSE(runtime::is_cdi_name("/dev/fuse"));
  CHECK_FALSE(runtime::is_cdi_name("/dev/a=b"));
  CHECK_FALSE(runtime::is_cdi_name("gpu=0"));
}

TEST_CASE("--device: device nodes bound from the host; a directory gives those below it", "[devices]") {
  auto m = runtime::device_mounts(runtime::parse_device("/dev/null:/dev/n:r"));
  REQUIRE(m.size() == 1);
  CHECK(m[0].source == "/dev/null");
  CHECK(m[0].destination == "/dev/n");
  CHECK(m[0].device == "r");
  CHECK(m[0].kind == runtime::MountSpec::Kind::Bind);
  CHECK(error_of([] { runtime::device_mounts(runtime::parse_device("/etc/passwd")); }) ==
        "/etc/passwd is not a device node");
  fs::TempDir dir{"/tmp", "cabin-devices-test-"};
  CHECK(error_of([&] { runtime::device_mounts(runtime::parse_device(dir.path())); }) ==
        dir.path() + " holds no device nodes");
}

namespace {

const char* kSpec = R"(cdiVersion: "0.6.0"
kind: example.com/gpu
containerEdits:
  env: [VENDOR=example]
  hooks: [{hookName: createContainer, path: /bin/true}]
devices:
  - name: "0"
    containerEdits:
      deviceNodes: [{path: /dev/gpu0, hostPath: /dev/null, permissions: rw}]
      env: [GPU=0]
      mounts: [{hostPath: /usr/lib, containerPath: /usr/lib/gpu, options: [ro, nosuid]}]
      additionalGids: [44]
  - name: "1"
    containerEdits:
      deviceNodes: [{path: /dev/gpu1}]
)";

}  // namespace

TEST_CASE("CDI: a spec's edits, the common ones once; JSON and YAML; later directories win", "[devices][cdi]") {
  fs::TempDir a{"/tmp", "cabin-cdi-test-"}, b{"/tmp", "cabin-cdi-test-"};
  fs::write_file_atomic(a.path() + "/gpu.yaml", kSpec);
  auto e = cdi::resolve({"example.com/gpu=0", "example.com/gpu=1"}, {a.path()});
  CHECK(e.env == std::vector<std::string>{"VENDOR=example", "GPU=0"});
  REQUIRE(e.device_nodes.size() == 2);
  CHECK(e.device_nodes[0].host == "/dev/null");
  CHECK(e.device_nodes[0].container == "/dev/gpu0");
  CHECK(e.device_nodes[0].perms == "rw");
  CHECK(e.device_nodes[1].host == "/dev/gpu1");  // no hostPath: the same path
  REQUIRE(e.mounts.size() == 1);
  CHECK(e.mounts[0].read_only);
  CHECK(e.additional_gids == std::vector<uint32_t>{44});
  CHECK(e.hooks == 1);
  // A spec of the same kind in a later directory replaces it.
  fs::write_file_atomic(b.path() + "/gpu.json",
                        R"({"cdiVersion":"0.5.0","kind":"example.com/gpu","devices":[{"name":"0","containerEdits":{"env":["NEW=1"]}}]})");
  e = cdi::resolve({"example.com/gpu=0"}, {a.path(), b.path()});
  CHECK(e.env == std::vector<std::string>{"NEW=1"});
  CHECK(error_of([&] { cdi::resolve({"example.com/gpu=1", "x.org/y=z"}, {a.path(), b.path()}); }) ==
        "setting up CDI devices: unresolvable CDI devices example.com/gpu=1, x.org/y=z");
  CHECK(error_of([&] { cdi::resolve({"example.com/gpu"}, {a.path()}); }) ==
        "invalid CDI device name \"example.com/gpu\": it must be vendor.com/class=name");
  // Missing directories are no error (the defaults rarely both exist).
  CHECK(cdi::resolve({"example.com/gpu=1"}, {a.path(), "/nonexistent"}).device_nodes.size() == 1);
}

TEST_CASE("CDI: malformed specs are errors naming the file", "[devices][cdi]") {
  fs::TempDir a{"/tmp", "cabin-cdi-test-"};
  auto err = [&](const std::string& text) {
    fs::write_file_atomic(a.path() + "/bad.yaml", text);
    return error_of([&] { cdi::resolve({"example.com/gpu=0"}, {a.path()}); });
  };
  std::string at = "CDI spec " + a.path() + "/bad.yaml: ";
  CHECK(err("[1, 2]") == at + "not a CDI spec (a mapping with cdiVersion, kind and devices)");
  CHECK(err("cdiVersion: 0.6.0\nkind: example.com/gpu\ndevices: [{name: '\xff'}]") == at + "not YAML or JSON: line 3: invalid UTF-8");
  CHECK(err("kind: example.com/gpu\ndevices: []") == at + "cdiVersion is missing");
  CHECK(err("cdiVersion: 0.6.0\nkind: gpu\ndevices: [{name: a, containerEdits: {}}]") ==
        at + "invalid kind \"gpu\": it must be vendor.com/class");
  CHECK(err("cdiVersion: 0.6.0\nkind: example.com/gpu\ndevices: []") == at + "devices must be a non-empty list");
  CHECK(err("cdiVersion: 0.6.0\nkind: example.com/gpu\ndevices: [{name: '0', containerEdits: {deviceNodes: [{path: dev}]}}]") ==
        at + "containerEdits.deviceNodes: \"dev\" is not an absolute path");
  CHECK(err("cdiVersion: 0.6.0\nkind: example.com/gpu\ndevices: [{name: '0', containerEdits: {env: [NOEQUALS]}}]") ==
        at + "containerEdits.env: \"NOEQUALS\" is not KEY=VALUE");
  CHECK(err("cdiVersion: 0.6.0\nkind: example.com/gpu\ndevices: [{name: '0'}]") == at + "device \"0\" has no containerEdits");
  CHECK(err("{").starts_with(at + "not YAML or JSON: "));
}
