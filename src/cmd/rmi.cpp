// cabin rmi / image rm, cabin image prune
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/prune.h"
#include "image/filter.h"
#include "storage/events.h"
#include "util/error.h"
#include "util/log.h"

namespace cabin::cmd {

// podman-rmi(1) exit codes.
constexpr int kRmiNotFound = 1;

struct RmiOptions {
  std::vector<std::string> images;
  bool all = false, force = false, ignore = false;
};

static int run_rmi(const Globals& g, const RmiOptions& o) {
  if (o.all && !o.images.empty()) fail("when using the --all switch, you may not pass any images names or IDs");
  if (!o.all && o.images.empty()) fail("image name or ID must be specified");
  auto store = open_store(g);
  std::vector<std::string> targets = o.images;
  if (o.all)
    for (const auto& r : store.images()) targets.push_back(r.id);

  bool not_found = false;
  bool removed_any = false;
  std::string first_missing;
  for (const auto& t : targets) {
    auto rec = store.find_image(t);
    if (!rec) {
      if (!o.ignore && !o.force) {
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
      fmt::print("Untagged: {}\n", by_name);
      // Podman records this as an untag and a remove (libimage removeRecursive).
      storage::record_image_event(g.paths, "untag", rec->id, by_name);
      storage::record_image_event(g.paths, "remove", rec->id, by_name);
      continue;
    }
    if (by_name.empty() && rec->repo_tags().size() > 1 && !o.force && !o.all)
      fail("unable to delete image {:?} by ID with more than one tag ([{}]): please force removal",
           rec->id, fmt::join(rec->repo_tags(), " "));
    for (const auto& n : rec->repo_tags()) fmt::print("Untagged: {}\n", n);
    store.remove_image(rec->id);
    fmt::print("Deleted: {}\n", rec->id);
    // As Podman: an untag per name, then the remove with the name it was
    // asked by (none for --all).
    for (const auto& n : rec->names) storage::record_image_event(g.paths, "untag", rec->id, n);
    storage::record_image_event(g.paths, "remove", rec->id, o.all ? "" : by_name.empty() ? t : by_name);
    removed_any = true;
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
