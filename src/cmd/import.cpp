// cabin import
#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cmd/common.h"
#include "engine/commit.h"
#include "format/units.h"
#include "image/change.h"
#include "image/manifest.h"
#include "storage/events.h"
#include "storage/unpack.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/progress.h"

namespace cabin::cmd {

struct ImportOptions {
  std::vector<std::string> args;  // SOURCE [REFERENCE]
  std::string source;
  std::string reference;
  std::vector<std::string> changes;
  std::string message;
  std::string arch, os, variant;
  bool quiet = false;
};

static int run_import(const Globals& g, ImportOptions o) {
  using nlohmann::json;
  check_args(o.args, 1, 2);
  o.source = o.args[0];
  if (o.args.size() > 1) o.reference = o.args[1];
  if (o.source.rfind("http://", 0) == 0 || o.source.rfind("https://", 0) == 0)
    fail("import {}: importing from a URL is not supported; download the file first", o.source);
  std::string name;
  if (!o.reference.empty()) name = storage::normalize_image_name(o.reference);
  // Validate every change before touching the store.
  json inner = json::object();
  for (const auto& c : o.changes) image::apply_change(inner, c);

  UniqueFd fd;
  if (o.source == "-") {
    fd.reset(::dup(STDIN_FILENO));
  } else {
    fd.reset(::open(o.source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("import {}", o.source);
  }

  auto store = open_store(g);
  Progress progress(stderr, o.quiet);
  progress.message("Getting image source signatures");
  auto ref_lock = store.reference_lock();
  auto staging = store.stage_layer();
  auto result = with_context(fmt::format("import {}", o.source), [&] {
    return storage::unpack_layer_fd(fd.get(), staging, storage::default_extract_options());
  });
  size_t blob = progress.add(fmt::format("Copying blob {}", digest_hex(result.diff_id).substr(0, 12)), result.size);
  progress.finish(blob);
  storage::LayerInfo info{result.diff_id, result.size, result.diff_id, result.size,
                          std::string(image::media::kOciLayer)};
  store.commit_layer(std::move(staging), info);

  auto host = image::host_platform();
  std::string now = format::rfc3339_nano(std::chrono::system_clock::now());
  std::string comment = o.message.empty() ? "imported from tarball" : o.message;
  json cfg = {
      {"created", now},
      {"architecture", o.arch.empty() ? host.architecture : o.arch},
      {"os", o.os.empty() ? host.os : o.os},
      {"config", inner},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {result.diff_id}}}},
      {"history",
       {{{"created", now},
         {"created_by", fmt::format("/bin/sh -c #(nop) ADD file:{} in / ", digest_hex(result.diff_id))},
         {"comment", comment}}}},
  };
  if (!o.variant.empty()) cfg["variant"] = o.variant;
  if (!o.message.empty()) cfg["comment"] = o.message;
  auto rec = engine::store_local_image(store, cfg, name, false, progress);
  // Podman records no event for import; Docker records "import". The name is
  // the image's, or the source when it has none.
  storage::record_image_event(g.paths, "import", rec.id, name.empty() ? o.source : name);
  fmt::print("sha256:{}\n", rec.id);
  return 0;
}

Runner bind_import(CLI::App& app, Globals& g) {
  auto o = std::make_shared<ImportOptions>();
  app.add_option("args", o->args, "SOURCE (a path, or - for standard input) [REFERENCE]");
  app.add_option("-c,--change", o->changes, "Apply the following possible instructions to the created image: CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | ONBUILD | STOPSIGNAL | USER | VOLUME | WORKDIR")->allow_extra_args(false);
  app.add_option("-m,--message", o->message, "Set commit message for imported image");
  app.add_option("--arch", o->arch, "Set the architecture of the imported image");
  app.add_option("--os", o->os, "Set the OS of the imported image");
  app.add_option("--variant", o->variant, "Set the variant of the imported image");
  app.add_flag("-q,--quiet", o->quiet, "Suppress output");
  return [o, &g] { return run_import(g, *o); };
}

}  // namespace cabin::cmd
