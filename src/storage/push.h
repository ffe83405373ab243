// Pushing an image from the store to a registry.
#pragma once

#include <optional>
#include <string>

#include "config/auth.h"
#include "image/reference.h"
#include "storage/store.h"

namespace cabin::storage {

struct PushOptions {
  std::string format;                // "oci" or "v2s2" (Docker schema 2); "": the image's own, else oci
  std::string compression = "gzip";  // or "zstd"
  std::optional<int> compression_level;
  bool force_compression = false;    // compress again even where a compressed form is known
  std::optional<bool> tls_verify;    // unset: registries.conf decides
  std::string cert_dir;
  std::optional<config::Credentials> creds;
  bool quiet = false;
  int parallel_layers = 3;
};

// Sends image to dest (a tag, "latest" when none was given): layers the
// registry already has (by a compressed digest known from the pull, or one
// an earlier push produced) are skipped or mounted from another repository
// of the same registry the image came from; the others are rebuilt byte for
// byte from their record (so their diff IDs hold), compressed, and uploaded
// in parallel; then the config and a manifest in the format asked for.
// Returns the manifest's digest. Progress goes to stderr.
std::string push_image(Store& store, const ImageRecord& image, const image::Reference& dest, const PushOptions& options);

// login: whether the registry (host[:port]) takes creds; throws
// 'logging into "REG": invalid username/password' when it does not.
void check_login(const std::string& registry, const config::Credentials& creds, std::optional<bool> tls_verify,
                 const std::string& cert_dir);

}  // namespace cabin::storage
