// A container's files from outside: cp (both ways, running or stopped,
// paths resolved within the container's root), export (its filesystem as a
// tar) and diff (what it changed in its image, from the overlay's upper
// layer).
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "config/paths.h"
#include "storage/containers.h"

namespace cabin::engine {

// Where the container's root is reachable from: running, its mount
// namespace (joined with its user namespace, in a child process); stopped,
// its root mounted here — call enter_userns first (needs_userns says so).
bool needs_userns(storage::ContainerStore& containers, const config::StorePaths& paths, const std::string& id);

struct CopyOptions {
  bool archive = true;     // files copied in belong to the container's user (else to root)
  bool overwrite = false;  // a directory may replace a file
};

// podman cp CTR:SRC DEST ("-": a tar to stdout).
void copy_from_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                         const storage::ContainerRecord& rec, const std::string& src, const std::string& dest,
                         const CopyOptions& o);
// podman cp SRC CTR:DEST ("-": a tar from stdin, extracted into DEST).
void copy_into_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                         const storage::ContainerRecord& rec, const std::string& src, const std::string& dest,
                         const CopyOptions& o);

// podman export: the container's filesystem as a tar on out_fd (mounts inside
// it left out).
void export_container(storage::ContainerStore& containers, const config::StorePaths& paths,
                      const storage::ContainerRecord& rec, int out_fd);

// podman diff: kind 'A', 'C' or 'D' and the path, sorted by path.
struct Change {
  char kind;
  std::string path;
};
std::vector<Change> container_changes(storage::ContainerStore& containers, const config::StorePaths& paths,
                                      const storage::ContainerRecord& rec);

}  // namespace cabin::engine
