// --change "INSTRUCTION args" for import and commit: Dockerfile instructions
// that only change the image config.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace cabin::image {

// Applies one change to the "config" object of an image config. Accepts CMD,
// ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR
// (case-insensitive; "CMD=…" also accepted as Podman does). Throws for an
// unknown instruction or a malformed value.
void apply_change(nlohmann::json& config, std::string_view change);

}  // namespace cabin::image
