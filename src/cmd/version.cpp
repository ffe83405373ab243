// cabin version
#include <sys/utsname.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cabin-config.h"
#include "cmd/command.h"
#include "config/mode.h"
#include "format/output.h"

namespace cabin::cmd {

struct VersionOptions {
  std::string format;
};

static nlohmann::json version_info() {
  struct utsname u {};
  ::uname(&u);
  std::string arch = u.machine;
  if (arch == "x86_64") arch = "amd64";
  if (arch == "aarch64") arch = "arm64";
  nlohmann::json client = {
      {"APIVersion", CABIN_VERSION}, {"Version", CABIN_VERSION}, {"GoVersion", "c++20"},
      {"GitCommit", CABIN_GIT_COMMIT}, {"BuiltTime", __DATE__ " " __TIME__}, {"Built", 0},
      {"OsArch", "linux/" + arch},     {"Os", "linux"}};
  // Docker mode: scripts ask `docker version --format '{{.Server.Version}}'`
  // to see whether the engine answers; cabin is its own engine.
  if (config::docker_mode())
    return {{"Client", client},
            {"Server",
             {{"Version", CABIN_VERSION}, {"APIVersion", CABIN_VERSION}, {"GitCommit", CABIN_GIT_COMMIT},
              {"GoVersion", "c++20"}, {"Os", "linux"}, {"Arch", arch}, {"KernelVersion", u.release}}}};
  return {{"Client", client}};
}

static int run_version(const VersionOptions& o) {
  auto info = version_info();
  if (o.format.empty()) {
    const auto& c = info["Client"];
    fmt::print("Client:       cabin\n");
    fmt::print("Version:      {}\n", c["Version"].get<std::string>());
    fmt::print("API Version:  {}\n", c["APIVersion"].get<std::string>());
    fmt::print("Git Commit:   {}\n", c["GitCommit"].get<std::string>());
    fmt::print("Built:        {}\n", c["BuiltTime"].get<std::string>());
    fmt::print("OS/Arch:      {}\n", c["OsArch"].get<std::string>());
    return 0;
  }
  format::print_object(stdout, o.format, info, 0, "version");
  return 0;
}

Runner bind_version(CLI::App& app, Globals&) {
  auto o = std::make_shared<VersionOptions>();
  app.add_option("-f,--format", o->format, "Change the output format to JSON or a Go template");
  return [o] { return run_version(*o); };
}

}  // namespace cabin::cmd
