// `commit`: a container's changes (its overlay upper layer) become a new
// layer on top of its image's, in a new image whose configuration is the
// container's (command, environment, working directory, labels) with
// --change applied. Call in cabin's user namespace.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/paths.h"
#include "storage/containers.h"
#include "storage/store.h"
#include "util/progress.h"

namespace cabin::engine {

struct CommitOptions {
  std::string name;                  // the new image's name, normalised; "" for none
  std::vector<std::string> changes;  // Dockerfile instructions (image/change.h)
  std::string message, author;
  bool docker_format = false;        // Docker schema 2 media types instead of OCI's
};

storage::ImageRecord commit_container(storage::Store& store, storage::ContainerStore& containers,
                                      const config::StorePaths& paths, const storage::ContainerRecord& rec,
                                      const CommitOptions& options, Progress& progress);

// An image made here (commit, import, build): config stored as given, a
// manifest naming its rootfs.diff_ids' layers (which must be in the store)
// by their uncompressed digests, and the image record, named name ("" for
// none). Prints Podman's "Copying config" and "Writing manifest" lines.
storage::ImageRecord store_local_image(storage::Store& store, const nlohmann::json& config, const std::string& name,
                                       bool docker_format, Progress& progress);

}  // namespace cabin::engine
