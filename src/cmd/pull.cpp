// cabin pull
#include <unistd.h>

#include <cstdlib>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "image/manifest.h"
#include "storage/events.h"
#include "storage/pull.h"
#include "util/error.h"

namespace cabin::cmd {

struct PullCmdOptions {
  std::vector<std::string> images;
  bool quiet = false;
  bool all_tags = false;
  std::string platform, arch, os, variant;
  RemoteFlags remote;
  std::string policy = "always";
};

static int run_pull(const Globals& g, const PullCmdOptions& o) {
  check_args(o.images, 1, kAnyArgs);
  if (o.all_tags) fail("--all-tags is not supported");
  if (!o.platform.empty() && (!o.arch.empty() || !o.os.empty() || !o.variant.empty()))
    fail("--platform option can not be specified with --arch or --os");
  storage::PullOptions po;
  po.policy = storage::parse_pull_policy(o.policy);
  if (!o.platform.empty()) {
    po.platform = image::parse_platform(o.platform);
  } else if (!o.arch.empty() || !o.os.empty() || !o.variant.empty()) {
    auto host = image::host_platform();
    po.platform = image::Platform{o.os.empty() ? host.os : o.os,
                                  o.arch.empty() ? host.architecture : o.arch, o.variant};
  }
  o.remote.apply(po);
  po.quiet = o.quiet;
  auto store = open_store(g);
  for (const auto& name : o.images) {
    auto rec = storage::pull_image(store, name, po);
    storage::record_image_event(g.paths, "pull", rec.id, name);  // the name as given, as Podman records it
    fmt::print("{}\n", rec.id);
  }
  return 0;
}

Runner bind_pull(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PullCmdOptions>();
  app.add_option("image", o->images, "Image to pull");
  app.add_flag("-q,--quiet", o->quiet, "Suppress output information when pulling images");
  app.add_flag("-a,--all-tags", o->all_tags, "All tagged images in the repository will be pulled");
  app.add_option("--platform", o->platform, "Specify the platform for selecting the image (OS/ARCH[/VARIANT])");
  app.add_option("--arch", o->arch, "Use ARCH instead of the architecture of the machine for choosing images");
  app.add_option("--os", o->os, "Use OS instead of the running OS for choosing images");
  app.add_option("--variant", o->variant, "Use VARIANT instead of the running architecture variant for choosing images");
  o->remote.bind(app);
  app.add_option("--policy", o->policy, "Pull image policy (always, missing, never, newer)");
  return [o, &g] { return run_pull(g, *o); };
}

}  // namespace cabin::cmd
