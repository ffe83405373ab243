// cabin commit / container commit
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/commit.h"
#include "image/change.h"
#include "storage/events.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/progress.h"

namespace cabin::cmd {

struct CommitCmdOptions {
  std::vector<std::string> args;  // CONTAINER [IMAGE]
  engine::CommitOptions commit;
  std::string format = "oci";
  std::string iidfile;
  bool quiet = false, pause = false, include_volumes = false, squash = false;
};

static int run_commit(const Globals& g, CommitCmdOptions o) {
  check_args(o.args, 1, 2);
  if (o.format != "oci" && o.format != "docker")
    fail("unrecognized image type {:?}: --format takes oci or docker", o.format);
  o.commit.docker_format = o.format == "docker";
  if (o.squash) fail("commit --squash is not supported: the image gets the container's changes as one new layer");
  if (o.args.size() > 1) o.commit.name = storage::normalize_image_name(o.args[1]);
  // Every change is checked before anything is written.
  nlohmann::json scratch = nlohmann::json::object();
  for (const auto& c : o.commit.changes) image::apply_change(scratch, c);

  storage::ContainerStore containers(g.paths);
  auto rec = find_container(containers, o.args[0]);
  auto store = open_store(g);
  auto ref_lock = store.reference_lock();
  Progress progress(stderr, o.quiet);
  auto image = engine::commit_container(store, containers, g.paths, rec, o.commit, progress);
  storage::record_image_event(g.paths, "commit", image.id, o.commit.name.empty() ? rec.name : o.commit.name);
  if (!o.iidfile.empty()) fs::write_file_atomic(o.iidfile, "sha256:" + image.id, 0644);
  fmt::print("{}\n", image.id);
  return 0;
}

Runner bind_commit(CLI::App& app, Globals& g) {
  auto o = std::make_shared<CommitCmdOptions>();
  app.add_option("args", o->args, "CONTAINER [IMAGE]");
  app.add_option("-a,--author", o->commit.author, "Set the author for the image committed");
  app.add_option("-c,--change", o->commit.changes,
                 "Apply the following possible instructions to the created image (default []): CMD | ENTRYPOINT | ENV | "
                 "EXPOSE | LABEL | ONBUILD | STOPSIGNAL | USER | VOLUME | WORKDIR")
      ->allow_extra_args(false);
  app.add_option("-f,--format", o->format, "Format of the image manifest and metadata (oci or docker)");
  app.add_option("--iidfile", o->iidfile, "Write the image ID to the file");
  app.add_flag("--include-volumes", o->include_volumes, "Include container volumes as image volumes");
  app.add_option("-m,--message", o->commit.message, "Set commit message for imported image");
  app.add_flag("-p,--pause", o->pause, "Pause container during commit (accepted: cabin reads the changes as they are)");
  app.add_flag("-q,--quiet", o->quiet, "Suppress output");
  app.add_flag("-s,--squash", o->squash, "Squash newly built layers into a single new layer");
  return [o, &g] { return run_commit(g, *o); };
}

}  // namespace cabin::cmd
