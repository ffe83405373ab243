// cabin rmi / image rm, cabin image prune
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "config/mode.h"
#include "engine/lifecycle.h"
#include "engine/prune.h"
#include "image/filter.h"
#include "image/reference.h"
#include "storage/events.h"
#include "util/error.h"
#include "util/log.h"

namespace cabin::cmd {

// podman-rmi(1) exit codes.
constexpr int kRmiNotFound = 1;
constexpr int kRmiConflict = 2;  // in use by a container, or has child images

struct RmiOptions {
  std::vector<std::string> images;
  bool all = false, force = false, ignore = false, no_prune = false;
};

static int run_rmi(const Globals& g, const RmiOptions& o) {
  if (o.all && !o.images.empty()) fail("when using the --all switch, you may not pass any images names or IDs");
  if (!o.all && o.images.empty()) fail("image name or ID must be specified");
  auto store = open_store(g);
  std::vector<std::string> targets = o.images;
  if (o.all)
    for (const auto& r : store.images()) targets.push_back(r.id);

  storage::ContainerStore containers(g.paths);
  auto users_of = [](const storage::ContainerStore& cs, const std::string& id) {
    std::vector<storage::ContainerRecord> out;
    for (const auto& c : cs.list())
      if (c.image_id == id) out.push_back(c);
    return out;
  };
  bool not_found = false;
  bool removed_any = false;
  auto remove = [&](const storage::ImageRecord& rec, const std::string& asked_as) {
    for (const auto& n : rec.repo_tags()) fmt::print("Untagged: {}\n", image::shown_name(n));
    store.remove_image(rec.id);
    fmt::print("Deleted: {}{}\n", config::docker_mode() ? "sha256:" : "", rec.id);
    // As Podman: an untag per name, then the remove with the name it was
    // asked by (none for --all).
    for (const auto& n : rec.names) storage::record_image_event(g.paths, "untag", rec.id, n);
    storage::record_image_event(g.paths, "remove", rec.id, asked_as);
    removed_any = true;
  };
  std::string first_missing;
  for (const auto& t : targets) {
    auto rec = store.find_image(t);
    if (!rec) {
      if (!o.ignore && !o.force && !o.all) {  // (--all: gone with a child as its parent)
        not_found = true;
        if (first_missing.empty()) first_missing = t;
      }
      continue;
    }
    // By name, with other names left: only that name goes (Podman's rule).
    std::string by_name;
    for (int pass = 0; pass < 2 && by_name.empty(); ++pass)
      for (const auto& n : rec->names)
        if (storage::name_denotes(t, n, pass == 0)) by_name = n;
    if (!by_name.empty() && rec->repo_tags().size() > 1 && !o.all) {
      store.remove_name(rec->id, by_name);
      fmt::print("Untagged: {}\n", image::shown_name(by_name));
      // Podman records this as an untag and a remove (libimage removeRecursive).
      storage::record_image_event(g.paths, "untag", rec->id, by_name);
      storage::record_image_event(g.paths, "remove", rec->id, by_name);
      continue;
    }
    if (by_name.empty() && rec->repo_tags().size() > 1 && !o.force && !o.all)
      fail("unable to delete image {:?} by ID with more than one tag ([{}]): please force removal",
           rec->id, fmt::join(rec->repo_tags(), " "));
    if (auto users = users_of(containers, rec->id); !users.empty()) {
      if (!o.force)
        throw Error(fmt::format("image used by {}: image is in use by a container: consider listing external "
                                "containers and force-removing image",
                                users.front().id),
                    kRmiConflict);
      enter_userns(g);  // the containers' files may belong to subordinate ids
      for (const auto& u : users) engine::force_remove_container(containers, g.paths, u, std::nullopt);
    }
    if (storage::parent_ids(store.images()).count(rec->id)) {
      // A build step's image that later steps start from: it loses its
      // names and stays for them.
      if (o.all) continue;  // it goes with its last child
      if (rec->names.empty())
        throw Error(fmt::format("image {} has dependent child images", rec->id), kRmiConflict);
      for (const auto& n : rec->names) {
        store.remove_name(rec->id, n);
        fmt::print("Untagged: {}\n", image::shown_name(n));
        storage::record_image_event(g.paths, "untag", rec->id, n);
      }
      continue;
    }
    remove(*rec, o.all ? "" : by_name.empty() ? t : by_name);
    // The build steps' images that only it needed go with it.
    for (std::string up = rec->parent; !up.empty() && !o.no_prune;) {
      auto parent = store.find_image(up);
      if (!parent || !parent->names.empty() || storage::parent_ids(store.images()).count(up) ||
          !users_of(containers, up).empty())
        break;
      remove(*parent, "");
      up = parent->parent;
    }
  }
  if (removed_any) store.garbage_collect();
  if (not_found) throw Error(fmt::format("{}: image not known", first_missing), kRmiNotFound);
  return 0;
}

Runner bind_rmi(CLI::App& app, Globals& g) {
  auto o = std::make_shared<RmiOptions>();
  app.add_option("image", o->images, "Images to remove");
  app.add_flag("-a,--all", o->all, "Remove all images");
  app.add_flag("-f,--force", o->force, "Force removal of the image and any containers using the image");
  app.add_flag("-i,--ignore", o->ignore, "Ignore errors if a specified image does not exist");
  app.add_flag("--no-prune", o->no_prune, "Do not remove dangling parent images");
  return [o, &g] { return run_rmi(g, *o); };
}

struct PruneOptions {
  bool all = false, force = false;
  std::vector<std::string> filters;
};

static int run_image_prune(const Globals& g, const PruneOptions& o) {
  auto store = open_store(g);
  image::ImageFilter filter(o.filters, store);
  if (!o.force) {
    std::string q = o.all ? "WARNING! This command removes all images without at least one container associated with them.\nAre you sure you want to continue?"
                          : "WARNING! This command removes all dangling images.\nAre you sure you want to continue?";
    if (!confirm(q)) return 0;
  }
  storage::ContainerStore containers(g.paths);
  auto pruned = engine::prune_images(store, containers, o.all, [&](const storage::ImageRecord& r) { return filter.matches(r); });
  for (const auto& id : pruned.names) fmt::print("{}\n", id);
  return 0;
}

Runner bind_image_prune(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PruneOptions>();
  app.add_flag("-a,--all", o->all, "Remove all images not in use by containers, not just dangling ones");
  app.add_flag("-f,--force", o->force, "Do not prompt for confirmation");
  app.add_option("--filter", o->filters, "Provide filter values (e.g. 'label=<key>=<value>')")->allow_extra_args(false);
  return [o, &g] { return run_image_prune(g, *o); };
}

}  // namespace cabin::cmd
