// Single-file images for shared filesystems: an image's root filesystem
// written as one squashfs file (with mksquashfs), which `run --rootfs FILE`
// mounts read-only (storage/rootfs.h: mount_squashfs), so that many nodes
// read one file instead of each unpacking the layers.
#pragma once

#include <string>

#include "config/paths.h"
#include "storage/store.h"

namespace cabin::engine {

// Writes the image's merged root, plus its config at /.cabin/config.json
// (what run applies: Entrypoint, Cmd, Env, WorkingDir, User), to `file`
// (written next to it and renamed over it, so a failure leaves no partial
// file). Call in cabin's user namespace: file owners are stored as that
// namespace sees them, as the layers are.
void export_squashfs(storage::Store& store, const config::StorePaths& paths, const std::string& image,
                     const std::string& file);

}  // namespace cabin::engine
