#include "engine/prune.h"

#include <algorithm>

#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/pod.h"
#include "engine/volumes.h"
#include "net/store.h"
#include "storage/events.h"
#include "util/error.h"
#include "util/fs.h"

namespace cabin::engine {

std::vector<std::string> images_in_use(const storage::ContainerStore& containers) {
  std::vector<std::string> out;
  for (const auto& r : containers.list())
    if (!r.image_id.empty()) out.push_back(r.image_id);
  return out;
}

Pruned prune_containers(storage::ContainerStore& containers, const config::StorePaths& paths,
                        const std::function<bool(const storage::ContainerRecord&)>& take) {
  Pruned out;
  for (const auto& rec : containers.list()) {
    if (take && !take(rec)) continue;
    if (is_infra(rec)) continue;  // it goes with its pod (pod rm, pod prune)
    {
      auto lock = containers.lock(rec.id);
      if (repair_locked(containers, paths, rec.id, containers.state(rec.id)).running()) continue;
    }
    out.bytes += fs::tree_size(fs::join(containers.dir(rec.id), "upper"));
    containers.remove(rec.id);
    container_event(paths, rec, "remove");
    out.names.push_back(rec.id);
  }
  return out;
}

Pruned prune_images(storage::Store& store, const storage::ContainerStore& containers, bool all,
                    const std::function<bool(const storage::ImageRecord&)>& take) {
  Pruned out;
  auto used = images_in_use(containers);
  // Rounds: a build step's image is dangling once the last image made from
  // it has gone.
  for (bool again = true; again;) {
    again = false;
    auto images = store.images();
    auto parents = storage::parent_ids(images);
    for (const auto& rec : images) {
      if ((!all && (!rec.names.empty() || parents.count(rec.id))) || !take(rec)) continue;
      if (std::find(used.begin(), used.end(), rec.id) != used.end()) continue;
      store.remove_image(rec.id);
      out.names.push_back(rec.id);
      for (const auto& n : rec.names) storage::record_image_event(store.paths(), "untag", rec.id, n);
      storage::record_image_event(store.paths(), "remove", rec.id, "");
      again = !all;
    }
  }
  out.bytes = store.garbage_collect();
  return out;
}

Pruned prune_volumes(const config::StorePaths& paths, const storage::ContainerStore& containers,
                     const std::function<bool(const storage::Volume&)>& take) {
  Pruned out;
  storage::VolumeStore store(paths);
  auto lock = store.lock();
  auto links = volume_links(containers);
  for (const auto& v : store.list()) {
    if (!take(v) || links.count(v.name)) continue;
    if (!v.tmpfs() && !v.bind()) out.bytes += fs::tree_size(store.mountpoint(v.name));
    store.remove(v.name);
    out.names.push_back(v.name);
  }
  return out;
}

std::vector<storage::ContainerRecord> network_users(const storage::ContainerStore& containers, const std::string& name) {
  std::vector<storage::ContainerRecord> out;
  for (const auto& rec : containers.list()) {
    try {
      auto cfg = load_start_config(containers, rec.id);
      if (std::any_of(cfg.net.networks.begin(), cfg.net.networks.end(), [&](const auto& a) { return a.network == name; }))
        out.push_back(rec);
    } catch (const Error&) {
    }
  }
  return out;
}

Pruned prune_networks(const config::StorePaths& paths, const storage::ContainerStore& containers,
                      const std::function<bool(const std::string& network)>& take) {
  Pruned out;
  net::NetworkStore store(paths);
  auto lock = store.lock();
  for (const auto& n : store.list()) {
    if (n.name == net::kDefaultNetwork || !take(n.name) || !network_users(containers, n.name).empty()) continue;
    store.remove(n.name);
    out.names.push_back(n.name);
  }
  return out;
}

}  // namespace cabin::engine
