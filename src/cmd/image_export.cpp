// cabin image export --squashfs IMAGE FILE: an image as one squashfs file,
// for shared filesystems (engine/squashfs.h); `run --rootfs FILE` runs it.
#include <CLI/CLI.hpp>

#include "cmd/cli.h"
#include "cmd/common.h"
#include "engine/squashfs.h"
#include "util/error.h"

namespace cabin::cmd {
namespace {

struct ImageExportOptions {
  std::vector<std::string> args;
  bool squashfs = false;
};

int run_image_export(const Globals& g, const ImageExportOptions& o) {
  check_args(o.args, 2, 2);
  // Only one format so far: the flag says which, so that others can come.
  if (!o.squashfs) fail("image export needs --squashfs (the only format it writes; `cabin save` writes archives)");
  auto store = open_store(g);
  engine::export_squashfs(store, g.paths, o.args[0], o.args[1]);
  return 0;
}

}  // namespace

Runner bind_image_export(CLI::App& app, Globals& g) {
  auto o = std::make_shared<ImageExportOptions>();
  set_usage(app, "--squashfs IMAGE FILE");
  app.add_option("args", o->args, "IMAGE FILE");
  app.add_flag("--squashfs", o->squashfs,
               "Write the image's root filesystem and config as one squashfs file (for run --rootfs FILE)");
  return [o, &g] { return run_image_export(g, *o); };
}

}  // namespace cabin::cmd
