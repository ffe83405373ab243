// `commit`: a container's changes (its overlay upper layer) become a new
// layer on top of its image's, in a new image whose configuration is the
// container's (command, environment, working directory, labels) with
// --change applied. Call in cabin's user namespace.
#pragma once

#include <functional>
#include <optional>
#include <set>
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

// Runs write(fd) in a thread and read(fd) here, through a pipe; rethrows
// the writer's error first.
void through_pipe(const std::function<void(int)>& write, const std::function<void(int)>& read);

// The tar write(fd) writes, unpacked as a new layer in the store.
storage::LayerInfo layer_from_tar(storage::Store& store, const std::function<void(int)>& write);

// The container's changes as a new layer in the store (what commit adds);
// with mtime, every file's time is that (reproducible builds). Paths in
// placeholders ("run/secrets/x", no leading slash) are mount points made
// for the run: left out while empty (or holding only other placeholders).
storage::LayerInfo commit_changes(storage::Store& store, const storage::ContainerStore& containers,
                                  const storage::ContainerRecord& rec, std::optional<int64_t> mtime = std::nullopt,
                                  const std::set<std::string>& placeholders = {});

// An image made here (commit, import, build): config stored as given, a
// manifest naming its rootfs.diff_ids' layers (which must be in the store)
// by their uncompressed digests, and the image record, named name ("" for
// none), whose parent is the image it was made from ("" for none: only
// build steps record theirs), with annotations in its manifest (a JSON
// object, or null for none). Prints Podman's "Copying config" and "Writing
// manifest" lines.
storage::ImageRecord store_local_image(storage::Store& store, const nlohmann::json& config, const std::string& name,
                                       bool docker_format, Progress& progress, const std::string& parent = "",
                                       const nlohmann::json& annotations = nullptr);
// The same for a config kept byte for byte (load: its digest is the image's
// ID), with any number of names.
storage::ImageRecord store_image_config(storage::Store& store, const std::string& config_body,
                                        const std::vector<std::string>& names, bool docker_format, Progress& progress,
                                        const std::string& parent = "", const nlohmann::json& annotations = nullptr);

}  // namespace cabin::engine
