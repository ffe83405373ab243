// Which command line cabin answers as: Podman's (the default) or Docker's
// (when run as `docker`, e.g. through a symlink). See docs/docker.md.
#pragma once

#include <string_view>

namespace cabin::config {

enum class CliMode { Podman, Docker };

// The mode for a program name as argv[0] gives it: Docker when its basename
// is "docker", Podman otherwise.
CliMode mode_for_program(std::string_view argv0);

// Set once by main before any command runs; read by the few places whose
// behaviour differs (short-name resolution, name matching and display).
void set_cli_mode(CliMode mode);
CliMode cli_mode();
inline bool docker_mode() { return cli_mode() == CliMode::Docker; }

// The program name to show in usage and error hints: "docker" or "cabin".
std::string_view program_name();

}  // namespace cabin::config
