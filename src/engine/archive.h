// save and load: images as Docker archives (manifest.json, a config and a
// tar per layer), OCI image layouts (oci-layout, index.json, blobs/) as a
// tar or a directory, and the "dir" transport's directory.
#pragma once

#include <string>
#include <vector>

#include "storage/store.h"
#include "util/progress.h"

namespace cabin::engine {

struct SaveRequest {
  storage::ImageRecord image;
  std::vector<std::string> names;  // RepoTags / ref.name: the names given that the image has
};

// Writes the images in format ("docker-archive", "oci-archive", "oci-dir",
// "docker-dir") to out_fd (the archives) or the directory dir (the
// directories, which must not hold anything yet). The layers' tars are
// rebuilt byte for byte from their records, uncompressed.
void save_images(storage::Store& store, const std::vector<SaveRequest>& images, const std::string& format, int out_fd,
                 const std::string& dir);

// Reads a Docker or OCI archive (any compression) from in_fd into the store;
// returns the loaded images' names ("sha256:ID" for one without).
std::vector<std::string> load_images(storage::Store& store, int in_fd, Progress& progress);

}  // namespace cabin::engine
