// Volumes as containers use them (storage/volumes.h): made when a container
// that names them is created, set up by its first start (filled from the
// image, given an owner), removed with the container's anonymous ones by
// rm -v and --rm.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/paths.h"
#include "runtime/spec.h"
#include "storage/containers.h"
#include "storage/volumes.h"
#include "util/fs.h"

namespace cabin::engine {

// Makes the named volumes the mounts use that do not exist yet, and an
// anonymous volume for each mount that wants one (its name goes into the
// mount). Call under the volume store's lock. Returns the volumes made.
std::vector<std::string> ensure_volumes(storage::VolumeStore& store, std::vector<runtime::MountSpec>& mounts);

// The record's list of the volumes it uses ("volumes", "anonymous_volumes"
// in its config), which `volume rm`, `volume prune` and `rm -v` read.
void record_volumes(storage::ContainerRecord& rec, const std::vector<runtime::MountSpec>& mounts);
std::vector<std::string> volumes_of(const storage::ContainerRecord& rec, bool anonymous_only = false);
// Where those volumes are mounted, in the same order.
std::vector<std::string> volume_destinations(const storage::ContainerRecord& rec);
// The containers that use the volume.
std::vector<storage::ContainerRecord> volume_users(const storage::ContainerStore& containers, const std::string& name);
// How many containers use each volume (one read of the records, for
// commands that look at every volume).
std::map<std::string, int> volume_links(const storage::ContainerStore& containers);

// --volumes-from CTR[:ro|rw]: the volumes and bind mounts of those containers.
std::vector<runtime::MountSpec> inherited_mounts(const storage::ContainerStore& containers,
                                                 const std::vector<std::string>& values);

// A start's volumes: their mounts get their sources (a tmpfs for a tmpfs
// volume), and fresh ones are marked to be filled and owned by the
// container child. While any is fresh the store's lock is held, until
// started() records them set up (or this is destroyed without: a failed
// start leaves them fresh).
class VolumeSetup {
 public:
  VolumeSetup(const config::StorePaths& paths, runtime::ContainerSpec& spec);
  void started();

 private:
  storage::VolumeStore store_;
  runtime::ContainerSpec& spec_;
  fs::FileLock lock_;
  std::vector<storage::Volume> fresh_;
};

// After the container is removed: its anonymous volumes that no other
// container uses.
void remove_anonymous_volumes(const config::StorePaths& paths, const storage::ContainerStore& containers,
                              const storage::ContainerRecord& rec);

}  // namespace cabin::engine
