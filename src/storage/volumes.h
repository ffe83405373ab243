// Volumes: data that outlives containers (podman-volume(1)).
//
// Layout under graphroot/volumes:
//   NAME/_data        the content containers mount (Podman's Mountpoint)
//   NAME/volume.json  the record: what `volume inspect` shows, and whether the
//                     first container to mount it still has to fill it from
//                     its image (copy-up) and give it the owner of the
//                     image's directory
//   .lock             held while volumes are created or removed, while a
//                     container that names them is being created (so that
//                     `volume rm` sees it), and while a fresh volume is set up
//
// Which containers use a volume is in their records (config "volumes"), so a
// volume has no reference count to get wrong.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/paths.h"
#include "util/fs.h"

namespace cabin::storage {

struct Volume {
  std::string name;
  std::string driver = "local";
  std::string created;  // RFC 3339 with nanoseconds
  std::map<std::string, std::string> labels, options;  // --label, --opt
  bool anonymous = false;       // made for one container (-v /path, image VOLUME): rm -v removes it
  bool needs_copy_up = true;    // not yet filled from an image
  bool needs_chown = true;      // its root not yet given the owner its first container expects

  // --opt type=tmpfs: each container gets a fresh tmpfs with these options.
  bool tmpfs() const;
  // --opt type=bind,device=DIR: containers mount DIR.
  bool bind() const;
  // copy-up is wanted (not --opt nocopy / o=nocopy).
  bool copy() const;
  // The tmpfs mount options (from o=, without cabin's own keys).
  std::string tmpfs_data() const;
};

nlohmann::json to_json(const Volume& v);
Volume volume_from_json(const nlohmann::json& j);

class VolumeStore {
 public:
  explicit VolumeStore(const config::StorePaths& paths);

  // Sorted by name.
  std::vector<Volume> list() const;
  std::optional<Volume> find(const std::string& name) const;
  // Checks the name, driver and options (Podman's messages) and creates the
  // volume with an empty _data; a generated name when v.name is empty.
  // Call under lock(). Throws when the name is taken.
  Volume create(Volume v);
  void update(const Volume& v);
  // Removes the record and the data. Call under lock().
  void remove(const std::string& name);

  // The directory containers mount: _data, or the device of a bind volume.
  std::string source(const Volume& v) const;
  // Podman's Mountpoint: graphroot/volumes/NAME/_data.
  std::string mountpoint(const std::string& name) const;
  fs::FileLock lock() const;

 private:
  std::string dir_;
};

// Podman's inspect object.
nlohmann::ordered_json inspect_json(const Volume& v, const std::string& mountpoint);

// Checks --opt values as Podman's local driver takes them (type, device, o,
// copy, nocopy), rootless: type tmpfs or bind, or none (a directory).
void check_volume_options(const std::map<std::string, std::string>& options);

}  // namespace cabin::storage
