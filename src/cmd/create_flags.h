// The flags `create` and `run` share (podman-create(1)), bound into
// engine::CreateOptions.
#pragma once

#include "engine/create.h"

namespace CLI {
class App;
}

namespace cabin::cmd {

void bind_create_flags(CLI::App& app, engine::CreateOptions& o);
// containers.conf's defaults (read here, on first use) for the flags app
// did not get. Throws for a malformed file before anything is done.
void apply_config_defaults(const CLI::App& app, engine::CreateOptions& o);

// --pod new:NAME: makes the pod first (o.pod then names it). Returns the
// container that holds the namespaces the new container joins
// ("container:ID" or "ns:PATH", the last --network of those, else --ipc,
// --uts, --pid, else the pod's infra), or "" when none: what
// enter_userns_to_start takes.
struct Globals;
std::string prepare_pod(const Globals& g, engine::CreateOptions& o);

// Everything from the image on: the image, then its command.
struct ImageAndCommand {
  std::string image;
  std::vector<std::string> command;
};
// Splits the arguments left after the flags; an unknown flag before the
// image is reported as Podman does (exit 125). Returns nullopt after printing
// that error.
std::optional<ImageAndCommand> image_and_command(const std::string& command_name, const std::vector<std::string>& args);

}  // namespace cabin::cmd
