// Pushing an image from the store to a registry.
#pragma once

#include <optional>
#include <string>

#include "config/auth.h"
#include "image/reference.h"
#include "storage/pull.h"
#include "storage/store.h"

namespace cabin::storage {

struct PushOptions : RemoteOptions {
  std::string format;                // "oci" or "v2s2" (Docker schema 2); "": the image's own, else oci
  std::string compression = "gzip";  // or "zstd"
  std::optional<int> compression_level;
  bool force_compression = false;    // compress again even where a compressed form is known
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

// An image manifest in a registry, as `manifest add` lists it.
struct RemoteInstance {
  std::string reference;  // registry/repo@digest: where it is
  std::string media_type;
  std::string digest;
  uint64_t size = 0;
  std::string os, architecture, variant;
};

// The image manifests ref names: itself, or (an index) the host platform's
// entry, or with all every entry. Platforms come from the index or, for a
// lone manifest, from its config.
std::vector<RemoteInstance> remote_instances(const std::string& ref, bool all, const RemoteOptions& o);

// The index JSON text of a registry's index or manifest list, or the
// manifest itself when ref names an image (`manifest inspect` of a remote).
std::string remote_manifest(const std::string& ref, const RemoteOptions& o);

// Pushes a manifest list: each instance (when all) copied from where it is
// to dest's repository by digest (its blobs mounted within a registry,
// else copied), then the index under dest's tag. Returns the index's digest.
std::string push_manifest_list(const std::string& index_body, const std::string& media_type,
                               const std::vector<std::string>& instance_refs, const image::Reference& dest, bool all,
                               const RemoteOptions& o, bool quiet);

}  // namespace cabin::storage
