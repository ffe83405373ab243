// `cabin build`: a Dockerfile run step by step. Each instruction makes an
// image (metadata-only ones an empty-layer history entry, RUN and COPY a
// layer: RUN's from a container's changes, COPY's from the context's files
// written as a tar), so that the next build finds it in the cache by its
// parent and instruction. Call in cabin's user namespace.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/paths.h"
#include "storage/store.h"

namespace cabin::engine {

struct BuildOptions {
  std::string context = ".";   // a directory
  std::string file;            // -f; empty: Containerfile, then Dockerfile, in the context
  std::vector<std::string> tags;  // normalised names
  std::map<std::string, std::string> build_args;
  std::string target;
  std::vector<std::string> labels;  // KEY=VALUE, added to the final image
  std::map<std::string, std::string> annotations;  // the final image's manifest's
  std::string platform;        // --platform: must be this machine's ("" for it)
  struct Secret {
    std::string file;   // src=FILE (absolute)
    std::string value;  // env=VAR: its value, when there is no file
  };
  std::map<std::string, Secret> secrets;  // --secret, by id
  std::vector<std::string> volumes;  // -v for every RUN step (HOST:CTR[:OPTS])
  std::string pull = "missing";
  std::string network;         // for RUN steps; "" as run's default
  std::optional<int64_t> timestamp;  // --timestamp / SOURCE_DATE_EPOCH: every time in the image
  bool squash = false, squash_all = false;  // the new layers / every layer as one
  bool no_cache = false;
  bool layers = true;          // keep the cache
  bool quiet = false;
  bool docker_format = false;
};

// Returns the image's ID. Progress (STEP lines, RUN output, "--> ID") goes
// to stdout unless quiet. Throws cabin::Error, naming file:line for the
// Dockerfile's own mistakes and the step for a failed RUN.
std::string build_image(storage::Store& store, const config::StorePaths& paths, const BuildOptions& options);

// system prune's part: cache entries whose image has gone, and with all
// the RUN --mount=type=cache directories. Returns the bytes freed.
uint64_t prune_build_cache(storage::Store& store, bool all);

}  // namespace cabin::engine
