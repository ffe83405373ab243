// Tar streams of directory trees, for cp and export: written from an open
// directory without following any symlink, unpacked with the layer
// extractor (nothing outside the target directory is touched). Implemented
// in cabin-remote.so (libarchive), see storage/remote.h.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

#include "storage/extract.h"

namespace cabin::storage {

struct TarTree {
  int parent_fd = -1;    // the tree is parent_fd/name, never followed if a symlink
  std::string name;
  std::string arcname;   // its name in the tar; empty: only what the directory holds
  std::optional<std::pair<uid_t, gid_t>> owner;  // every entry's owner instead of the file's
  bool one_filesystem = false;  // no descent into directories of other filesystems
};

// Writes the tree as a tar (pax) to out_fd. Throws Error.
void write_tree_tar(int out_fd, const TarTree& tree);

// Unpacks a tar (any compression) from in_fd into the directory dir_fd.
void extract_tar_fd(int in_fd, int dir_fd, const ExtractOptions& options);

}  // namespace cabin::storage
