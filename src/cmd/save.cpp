// cabin save and load
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/archive.h"
#include "storage/events.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"

namespace cabin::cmd {
namespace {

struct SaveOptions {
  std::vector<std::string> args;
  std::string output, format = "docker-archive";
  bool multi = false, quiet = false, compress = false, uncompressed = false;
};

int run_save(const Globals& g, const SaveOptions& o) {
  check_args(o.args, 1, kAnyArgs);
  bool dir = o.format == "oci-dir" || o.format == "docker-dir";
  if (o.multi && o.format != "docker-archive") fail("--multi-image-archive can only be used with the docker-archive format");
  if (dir && o.output.empty()) fail("--output is needed for the {} format: the directory to write", o.format);
  if (!dir && o.output.empty() && ::isatty(STDOUT_FILENO))
    fail("refusing to save to terminal. Use -o flag or redirect");
  auto store = open_store(g);
  std::vector<engine::SaveRequest> images;
  // The name the image was asked by, if it is one of its names (an ID names none).
  auto named = [](const storage::ImageRecord& rec, const std::string& arg) {
    for (const auto& n : rec.repo_tags())
      if (storage::name_denotes(arg, n, false)) return std::vector<std::string>{n};
    return std::vector<std::string>{};
  };
  if (o.multi) {
    for (const auto& a : o.args) {
      auto rec = store.get_image(a);
      images.push_back({rec, named(rec, a)});
    }
  } else {
    auto rec = store.get_image(o.args[0]);
    images.push_back({rec, named(rec, o.args[0])});
    // More names are more tags for it (Podman's rule without -m).
    for (size_t i = 1; i < o.args.size(); ++i) images[0].names.push_back(storage::normalize_image_name(o.args[i]));
    if (o.format != "docker-archive" && images[0].names.size() > 1)
      fail("the {} format takes one name for the image", o.format);
  }
  if (dir) {
    engine::save_images(store, images, o.format, -1, o.output);
  } else if (o.output.empty()) {
    engine::save_images(store, images, o.format, STDOUT_FILENO, "");
  } else {
    // Written next to the target and renamed over it: a failed save leaves
    // no partial archive.
    std::string tmp = o.output + ".cabin-tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw_errno("create {}", tmp);
    try {
      engine::save_images(store, images, o.format, fd.get(), "");
      if (::fsync(fd.get()) != 0) throw_errno("write {}", o.output);
      if (::rename(tmp.c_str(), o.output.c_str()) != 0) throw_errno("rename {} to {}", tmp, o.output);
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  for (const auto& r : images)
    storage::record_image_event(g.paths, "save", r.image.id, r.names.empty() ? r.image.id : r.names.front());
  return 0;
}

struct LoadOptions {
  std::string input;
  bool quiet = false;
};

int run_load(const Globals& g, const LoadOptions& o) {
  UniqueFd fd;
  if (o.input.empty() || o.input == "-") {
    if (::isatty(STDIN_FILENO)) fail("cannot read from terminal, use command-line redirection or the --input flag");
    fd.reset(::dup(STDIN_FILENO));
  } else {
    fd.reset(::open(o.input.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open {}", o.input);
  }
  auto store = open_store(g);
  Progress progress(stderr, o.quiet);
  auto names = with_context(fmt::format("loading {}", o.input.empty() ? "from stdin" : o.input),
                            [&] { return engine::load_images(store, fd.get(), progress); });
  for (const auto& n : names) {
    auto rec = store.find_image(n);
    storage::record_image_event(g.paths, "loadfromarchive", rec ? rec->id : n, n);
    fmt::print("Loaded image: {}\n", n);
  }
  return 0;
}

}  // namespace

Runner bind_save(CLI::App& app, Globals& g) {
  auto o = std::make_shared<SaveOptions>();
  app.add_option("images", o->args, "IMAGE [NAME...]");
  app.add_option("-o,--output", o->output, "Write to a specified file (default: stdout, which must be redirected)");
  app.add_option("--format", o->format, "Save image to oci-archive, oci-dir (directory with oci manifest type), docker-archive, docker-dir (directory with v2s2 manifest type)")
      ->check(CLI::IsMember({"docker-archive", "oci-archive", "oci-dir", "docker-dir"}));
  app.add_flag("-m,--multi-image-archive", o->multi, "Interpret additional arguments as images not tags and create a multi-image-archive (only for docker-archive)");
  app.add_flag("-q,--quiet", o->quiet, "Suppress the output");
  app.add_flag("--compress", o->compress, "Compress tarball image layers when saving to a directory using the 'dir' transport (not supported: layers are saved uncompressed)");
  app.add_flag("--uncompressed", o->uncompressed, "Accept uncompressed layers when copying OCI images");
  return [o, &g] { return run_save(g, *o); };
}

Runner bind_load(CLI::App& app, Globals& g) {
  auto o = std::make_shared<LoadOptions>();
  app.add_option("-i,--input", o->input, "Read from specified archive file (default: stdin)");
  app.add_flag("-q,--quiet", o->quiet, "Suppress the output");
  return [o, &g] { return run_load(g, *o); };
}

}  // namespace cabin::cmd
