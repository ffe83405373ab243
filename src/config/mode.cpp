#include "config/mode.h"

namespace cabin::config {
namespace {
CliMode g_mode = CliMode::Podman;
}  // namespace

CliMode mode_for_program(std::string_view argv0) {
  auto slash = argv0.rfind('/');
  std::string_view base = slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1);
  return base == "docker" ? CliMode::Docker : CliMode::Podman;
}

void set_cli_mode(CliMode mode) { g_mode = mode; }
CliMode cli_mode() { return g_mode; }
std::string_view program_name() { return docker_mode() ? "docker" : "cabin"; }

}  // namespace cabin::config
