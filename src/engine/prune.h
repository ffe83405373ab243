// Removing what nothing uses: container, image, volume and network prune,
// and `system prune` / `system df`, which put them together. Call in
// cabin's user namespace (containers' and volumes' files may belong to
// subordinate ids).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/paths.h"
#include "storage/containers.h"
#include "storage/store.h"
#include "storage/volumes.h"

namespace cabin::engine {

struct Pruned {
  std::vector<std::string> names;  // ids or names, as the prune commands print them
  uint64_t bytes = 0;              // the space they took
};

// Containers that are not running (among those take() accepts, when given).
Pruned prune_containers(storage::ContainerStore& containers, const config::StorePaths& paths,
                        const std::function<bool(const storage::ContainerRecord&)>& take = nullptr);
// Images no container uses: with all, every such image; else only the
// dangling ones (no name); only those take() accepts (--filter).
Pruned prune_images(storage::Store& store, const storage::ContainerStore& containers, bool all,
                    const std::function<bool(const storage::ImageRecord&)>& take);
// Volumes no container uses, among those take() accepts.
Pruned prune_volumes(const config::StorePaths& paths, const storage::ContainerStore& containers,
                     const std::function<bool(const storage::Volume&)>& take);

// User-defined networks no container is on, among those take() accepts.
Pruned prune_networks(const config::StorePaths& paths, const storage::ContainerStore& containers,
                      const std::function<bool(const std::string& network)>& take);
// The containers on a network (by their start configurations).
std::vector<storage::ContainerRecord> network_users(const storage::ContainerStore& containers, const std::string& name);

// The ids of the images that containers use.
std::vector<std::string> images_in_use(const storage::ContainerStore& containers);

}  // namespace cabin::engine
