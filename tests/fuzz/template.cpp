// The Go-template engine behind --format (format/template.h), executed
// against data shaped like cabin's own reports: strings, numbers, lists,
// maps, nested objects, booleans and null, in its three modes.
#include <nlohmann/json.hpp>

#include "format/template.h"
#include "fuzz.h"

using namespace cabin;

namespace {

const nlohmann::json& data() {
  static const nlohmann::json d = nlohmann::json::parse(R"({
    "ID": "4b35f584bb4f0c1a", "Names": ["web", "db"], "Size": 1048576, "Ratio": 0.5,
    "Created": "2026-01-02T03:04:05Z", "Running": true, "ExitCode": 0, "Pod": null,
    "Labels": {"app": "web", "tier": "front", "empty": ""},
    "Config": {"Cmd": ["/bin/sh", "-c", "echo hi"], "Env": ["A=1", "B=2"], "User": ""},
    "Ports": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}],
    "Mounts": [], "State": {"Status": "running", "Pid": 42, "Health": {"Status": "healthy", "Log": []}}
  })");
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data_, size_t size) {
  auto text = fuzz::as_text(data_, size);
  fuzz::refused_ok([&] {
    auto t = format::Template::parse(text, "fuzz");
    (void)t.fields();
    for (int mode = 0; mode < 3; ++mode) {
      format::ExecOptions o;
      o.maps_only = mode == 1;
      o.structs = mode == 2;
      std::string out;
      fuzz::refused_ok([&] { t.execute(out, data(), o); });
    }
  });
  return 0;
}
