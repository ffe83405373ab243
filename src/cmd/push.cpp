// cabin push
#include <unistd.h>

#include <cstdlib>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "image/reference.h"
#include "storage/events.h"
#include "storage/push.h"
#include "util/error.h"
#include "util/fs.h"

namespace cabin::cmd {

struct PushCmdOptions {
  std::vector<std::string> args;
  bool quiet = false;
  std::string format;
  std::string compression_format = "gzip";
  std::optional<int> compression_level;
  bool force_compression = false;
  RemoteFlags remote;
  std::string digestfile, sign_by, sign_by_sigstore;
  bool remove_signatures = false;
};

static int run_push(const Globals& g, const PushCmdOptions& o) {
  check_args(o.args, 1, 2);
  if (!o.sign_by.empty() || !o.sign_by_sigstore.empty())
    fail("signing images is not supported: push without --sign-by, and sign with a separate tool");
  std::string dest_text = o.args.size() == 2 ? o.args[1] : o.args[0];
  if (dest_text.rfind("docker://", 0) == 0) dest_text.erase(0, 9);
  for (std::string_view t : {"oci:", "oci-archive:", "dir:", "docker-archive:", "containers-storage:", "docker-daemon:"})
    if (dest_text.rfind(t, 0) == 0)
      fail("transport {:?} is not supported by push: push to a registry, or use `cabin save`", t.substr(0, t.size() - 1));
  auto dest = image::parse_reference(dest_text).ref;
  if (!dest.digest.empty()) fail("cannot push to a digested reference {:?}: name a tag", dest_text);
  storage::PushOptions po;
  po.format = o.format == "docker" ? "v2s2" : o.format;
  po.compression = o.compression_format;
  po.compression_level = o.compression_level;
  po.force_compression = o.force_compression;
  o.remote.apply(po);
  po.quiet = o.quiet;
  auto store = open_store(g);
  auto img = store.get_image(o.args[0]);
  std::string digest = storage::push_image(store, img, dest, po);
  storage::record_image_event(g.paths, "push", img.id, dest.string());
  if (!o.digestfile.empty()) fs::write_file_atomic(o.digestfile, digest, 0644);
  return 0;
}

Runner bind_push(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PushCmdOptions>();
  app.add_option("args", o->args, "IMAGE [DESTINATION]");
  app.add_flag("-q,--quiet", o->quiet, "Suppress output information when pushing images");
  app.add_option("-f,--format", o->format, "Manifest type (oci, v2s2, or docker) to use in the destination")
      ->check(CLI::IsMember({"oci", "v2s2", "docker"}));
  app.add_option("--compression-format", o->compression_format, "Compression format to use (gzip or zstd)");
  app.add_option("--compression-level", o->compression_level, "Compression level to use");
  app.add_flag("--force-compression", o->force_compression,
               "Use the specified compression algorithm even if the destination contains a differently-compressed variant already");
  o->remote.bind(app);
  app.add_option("--digestfile", o->digestfile, "Write the digest of the pushed image to the specified file");
  app.add_option("--sign-by", o->sign_by, "Add a signature at the destination using the specified key (not supported)");
  app.add_option("--sign-by-sigstore-private-key", o->sign_by_sigstore, "Sign the image using a sigstore private key (not supported)");
  app.add_flag("--remove-signatures", o->remove_signatures, "Discard any pre-existing signatures in the image");
  return [o, &g] { return run_push(g, *o); };
}

}  // namespace cabin::cmd
