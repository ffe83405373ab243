// cabin's per-user image store.
//
// Layout under graphroot:
//   blobs/sha256/HEX      manifests, indexes and configs, content-addressed
//   layers/HEX/diff/      one unpacked layer (overlay form), keyed by its diff_id;
//                         it does not depend on the layers below, so every image
//                         with that layer shares one copy
//   layers/HEX/layer.json its sizes and the compressed digest it came from
//   images.json           image records (names, digests, layers), replaced atomically
//   tmp/                  staging for layers being unpacked, each with a held lock
//   images.lock           serialises read-modify-write of images.json
//   gc.lock               shared while a command may add references to layers
//                         or blobs (pull, import), exclusive while removing them
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/paths.h"
#include "util/fs.h"

namespace cabin::storage {

struct LayerInfo {
  std::string diff_id;            // sha256 of the uncompressed tar
  uint64_t size = 0;              // bytes of the uncompressed tar
  std::string compressed_digest;  // the blob it was unpacked from (may equal diff_id)
  uint64_t compressed_size = 0;
  std::string media_type;
  // Repositories ("host/repo") a push sent that compressed blob to: a later
  // push to another repository of the same registry mounts it from there.
  std::vector<std::string> locations;
};

struct ImageRecord {
  std::string id;                    // hex of the config digest
  std::vector<std::string> names;    // "docker.io/library/alpine:latest", "…@sha256:…"
  std::string digest;                // what it was pulled by: the index's digest, or the manifest's
  std::string manifest;              // the (platform's) image manifest digest
  std::vector<std::string> digests;  // every manifest digest it is known by (instance, list)
  std::vector<std::string> layers;   // diff_ids, bottom first
  uint64_t size = 0;                 // sum of the layers' uncompressed sizes
  std::string created;               // from the config, RFC 3339
  std::string added;                 // when it entered this store, RFC 3339
  std::vector<std::string> names_history;  // names it has had, newest first
  std::string parent;                // the image a build step started from ("" for others)

  std::string config_digest() const { return "sha256:" + id; }
  // The tags ("repo:tag") and digested names ("repo@sha256:…") among names.
  std::vector<std::string> repo_tags() const;
  std::vector<std::string> repo_digests() const;
};

nlohmann::json to_json(const ImageRecord& r);

// The ids that are some image's parent. An unnamed image among them is an
// intermediate one (a build step's: `images` hides it), an unnamed other a
// dangling one (what `image prune` removes).
std::set<std::string> parent_ids(const std::vector<ImageRecord>& images);
ImageRecord image_from_json(const nlohmann::json& j);

class Store {
 public:
  // Creates the directories on first use (mode 0700).
  explicit Store(config::StorePaths paths);

  const config::StorePaths& paths() const { return paths_; }
  std::string graphroot() const { return paths_.graphroot; }

  // ---- blobs (small JSON documents) ----
  bool has_blob(std::string_view digest) const;
  // Verifies data against digest, then stores it (idempotent).
  void put_blob(std::string_view digest, std::string_view data);
  std::string get_blob(std::string_view digest) const;

  // ---- layers ----
  bool has_layer(std::string_view diff_id) const;
  std::optional<LayerInfo> layer_info(std::string_view diff_id) const;
  std::string layer_diff_dir(std::string_view diff_id) const;
  // A compressed form of the layer that a push made, kept when the layer
  // knows none (it was built here): a later push asks the registry for that
  // blob instead of compressing again.
  void note_compressed(std::string_view diff_id, const std::string& digest, uint64_t size,
                       const std::string& media_type);
  // That the layer's compressed blob (digest) is in repository ("host/repo");
  // the last few are kept.
  void note_location(std::string_view diff_id, const std::string& digest, const std::string& repository);

  // A layer being unpacked: a private directory under tmp/ whose lock is held
  // until it is committed or abandoned (then removed).
  class Staging {
   public:
    const std::string& diff_dir() const { return diff_dir_; }
    const std::string& path() const { return dir_.path(); }

   private:
    friend class Store;
    Staging(fs::LockedTempDir dir, std::string diff_dir) : dir_(std::move(dir)), diff_dir_(std::move(diff_dir)) {}
    fs::LockedTempDir dir_;
    std::string diff_dir_;
  };
  Staging stage_layer();
  // Moves a staged layer into place. If another process committed the same
  // layer first, the staged copy is discarded.
  void commit_layer(Staging staging, const LayerInfo& info);

  // ---- images ----
  std::vector<ImageRecord> images() const;
  // Adds or updates a record (merging names and digests into an existing one
  // with the same id); names move from any other image to this one.
  ImageRecord add_image(ImageRecord record);
  // Finds an image by name (as given, normalised, or a short name), full id,
  // id prefix, or digest. Returns nullopt when there is none. Throws when an
  // id prefix is ambiguous.
  std::optional<ImageRecord> find_image(std::string_view name_or_id) const;
  // Like find_image, but throws "NAME: image not known" (exit 125).
  ImageRecord get_image(std::string_view name_or_id) const;
  void add_name(const std::string& id, const std::string& name);
  // Returns false when the image did not have the name.
  bool remove_name(const std::string& id, const std::string& name);
  void remove_image(const std::string& id);
  // Removes layers and blobs that no image references; returns bytes freed.
  uint64_t garbage_collect();
  // The directories in tmp/ left by killed processes, each claimed (its
  // lock held) and kept until removed.
  std::vector<fs::LockedTempDir> abandoned_staging();
  // Removes staging directories left by killed processes.
  void clean_stale_staging();

  // Held (shared) by commands that add references; see the layout comment.
  fs::FileLock reference_lock() const;

 private:
  std::string path(std::string_view rel) const { return fs::join(paths_.graphroot, rel); }
  std::vector<ImageRecord> read_images() const;
  void write_images(const std::vector<ImageRecord>& images);
  template <typename Fn>
  auto modify_images(Fn&& fn);

  config::StorePaths paths_;
};

// Whether a user-given name (qualified, or short as "busybox:1") denotes the
// stored name ("127.0.0.1:5000/busybox:1"). exact_only: short names match
// only localhost/NAME; otherwise also any registry's NAME (Podman), or in
// Docker mode (config/mode.h) only docker.io's (docker.io/library/NAME).
bool name_denotes(std::string_view input, const std::string& stored, bool exact_only);

// The canonical form of a user-given name for storing (tag, import, pull):
// fully qualified; unqualified names go to localhost/ as Podman does.
std::string normalize_image_name(std::string_view name);

}  // namespace cabin::storage
