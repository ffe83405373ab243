// Pulling an image from a registry into the store.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/auth.h"
#include "image/manifest.h"
#include "storage/store.h"

namespace cabin::storage {

enum class PullPolicy { Always, Missing, Never, Newer };
// "always", "missing", "never", "newer" (and Podman's aliases "ifmissing",
// "ifnewer", "true", "false"); throws for anything else.
PullPolicy parse_pull_policy(std::string_view text);

// How a registry is reached: pull, push and the manifest commands.
struct RemoteOptions {
  std::optional<bool> tls_verify;  // unset: registries.conf decides
  std::string cert_dir;
  std::optional<config::Credentials> creds;
};

struct PullOptions : RemoteOptions {
  PullPolicy policy = PullPolicy::Always;
  std::optional<image::Platform> platform;  // default: the host's
  bool quiet = false;                       // no progress output
  int parallel_layers = 3;
};

// Resolves name (short names through registries.conf), applies the policy and
// pulls what is missing. Layers are downloaded in parallel and unpacked while
// they stream; every blob is checked against its digest before it is
// committed, and the image record is written last, so an interrupted pull
// leaves no image. Returns the image. Progress goes to stderr.
ImageRecord pull_image(Store& store, std::string_view name, const PullOptions& options);

}  // namespace cabin::storage
