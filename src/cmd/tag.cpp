// cabin tag, cabin untag
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "storage/events.h"
#include "util/error.h"

namespace cabin::cmd {

struct TagOptions {
  std::vector<std::string> args;  // IMAGE TARGET... / IMAGE [NAME...]
};

static int run_tag(const Globals& g, const TagOptions& o) {
  check_args(o.args, 2, kAnyArgs);
  auto store = open_store(g);
  auto rec = store.get_image(o.args[0]);
  std::vector<std::string> names;
  for (size_t i = 1; i < o.args.size(); ++i) {
    std::string target = o.args[i];
    if (target.find('@') != std::string::npos) fail("tag {}: a tag may not contain a digest", target);
    names.push_back(storage::normalize_image_name(target));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    store.add_name(rec.id, names[i]);
    storage::record_image_event(g.paths, "tag", rec.id, o.args[i + 1]);  // as given, as Podman records it
  }
  return 0;
}

static int run_untag(const Globals& g, const TagOptions& o) {
  check_args(o.args, 1, kAnyArgs);
  auto store = open_store(g);
  auto rec = store.get_image(o.args[0]);
  if (o.args.size() == 1) {
    for (const auto& n : rec.names)
      if (store.remove_name(rec.id, n)) storage::record_image_event(g.paths, "untag", rec.id, n);
    return 0;
  }
  for (size_t i = 1; i < o.args.size(); ++i) {
    std::string match;
    for (int pass = 0; pass < 2 && match.empty(); ++pass)
      for (const auto& n : rec.names)
        if (storage::name_denotes(o.args[i], n, pass == 0)) match = n;
    if (match.empty() || !store.remove_name(rec.id, match))
      fail("{}: tag not known", storage::normalize_image_name(o.args[i]));
    storage::record_image_event(g.paths, "untag", rec.id, match);
  }
  return 0;
}

Runner bind_tag(CLI::App& app, Globals& g) {
  auto o = std::make_shared<TagOptions>();
  app.add_option("args", o->args, "IMAGE TARGET_NAME [TARGET_NAME...]");
  return [o, &g] { return run_tag(g, *o); };
}

Runner bind_untag(CLI::App& app, Globals& g) {
  auto o = std::make_shared<TagOptions>();
  app.add_option("args", o->args, "IMAGE [IMAGE...]");
  return [o, &g] { return run_untag(g, *o); };
}

}  // namespace cabin::cmd
