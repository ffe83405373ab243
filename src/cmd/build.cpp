// cabin build / image build / buildx build
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "config/containers_conf.h"
#include "engine/build.h"
#include "runtime/plan.h"
#include "storage/events.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace cabin::cmd {

struct BuildCmdOptions {
  engine::BuildOptions build;
  std::vector<std::string> args;  // [CONTEXT]
  std::vector<std::string> tags, build_args, build_arg_files, annotations, secrets;
  std::string format = "oci", iidfile, layers = "true";
  std::optional<int64_t> timestamp;
  bool pull_given = false;  // --pull was on the command line
};

// NAME=VALUE (NAME alone: the host's value, dropped when unset) into args.
static void add_build_arg(std::map<std::string, std::string>& args, const std::string& a, const std::string& what) {
  auto eq = a.find('=');
  if (eq == 0) fail("invalid {} {:?}: want NAME=VALUE", what, a);
  if (eq != std::string::npos) {
    args[a.substr(0, eq)] = a.substr(eq + 1);
  } else if (const char* v = std::getenv(a.c_str())) {
    args[a] = v;  // as Docker
  }
}

static int run_build(const Globals& g, BuildCmdOptions o) {
  check_args(o.args, 0, 1);
  auto& b = o.build;
  if (!o.args.empty()) b.context = o.args[0];
  if (o.format != "oci" && o.format != "docker") fail("unrecognized image type {:?}: --format takes oci or docker", o.format);
  b.docker_format = o.format == "docker";
  if (o.layers != "true" && o.layers != "false") fail("invalid --layers value {:?}: true or false", o.layers);
  b.layers = o.layers == "true";
  // containers.conf's pull_policy when --pull is not given.
  if (auto& policy = config::containers_conf().pull_policy; policy && !o.pull_given) b.pull = *policy;
  if (b.pull == "true") b.pull = "always";
  if (b.pull == "false") b.pull = "missing";
  for (const auto& t : o.tags) b.tags.push_back(storage::normalize_image_name(t));
  // --build-arg-file's lines (blank ones and # comments skipped), then --build-arg.
  for (const auto& f : o.build_arg_files) {
    auto text = fs::read_file_if_exists(f);
    if (!text) fail("the --build-arg-file {:?} does not exist", f);
    for (const auto& raw : split(*text, '\n')) {
      std::string line(trim(raw));
      if (!line.empty() && line[0] != '#') add_build_arg(b.build_args, line, "--build-arg-file line");
    }
  }
  for (const auto& a : o.build_args) add_build_arg(b.build_args, a, "--build-arg");
  for (const auto& a : o.annotations) {
    auto eq = a.find('=');
    if (eq == 0 || eq == std::string::npos) fail("invalid --annotation {:?}: want KEY=VALUE", a);
    b.annotations[a.substr(0, eq)] = a.substr(eq + 1);
  }
  for (const auto& v : b.volumes) {
    auto m = runtime::parse_volume(v);
    if (m.anonymous || !m.volume.empty()) fail("--volume {}: a build takes HOST-DIR:CONTAINER-DIR[:OPTIONS] only", v);
  }
  // --secret id=ID,src=FILE (type=file, the default; src may be spelled source).
  for (const auto& sec : o.secrets) {
    std::map<std::string, std::string> kv;
    for (const auto& field : split(sec, ',')) {
      auto eq = field.find('=');
      if (eq == std::string::npos) fail("invalid --secret {:?}: want id=ID,src=FILE", sec);
      kv[field.substr(0, eq)] = field.substr(eq + 1);
    }
    std::string id = kv["id"], src = kv.count("src") ? kv["src"] : kv["source"], env = kv["env"];
    if (kv.count("type") && kv["type"] != "file" && kv["type"] != "env")
      fail("invalid --secret {:?}: type is file or env", sec);
    if (id.empty() || src.empty() == env.empty()) fail("invalid --secret {:?}: want id=ID,src=FILE or id=ID,env=VAR", sec);
    if (!env.empty()) {
      const char* value = std::getenv(env.c_str());
      if (value == nullptr) fail("--secret {}: the environment variable {} is not set", id, env);
      b.secrets[id] = {"", value};
      continue;
    }
    if (::access(src.c_str(), R_OK) != 0) fail("--secret {}: cannot read {}: {}", id, src, std::strerror(errno));
    b.secrets[id] = {std::filesystem::absolute(src).string(), ""};
  }
  // --timestamp, else SOURCE_DATE_EPOCH (the reproducible-builds convention).
  b.timestamp = o.timestamp;
  if (!b.timestamp)
    if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
      auto secs = parse_number<int64_t>(epoch);
      if (!secs || *secs < 0 || *secs > 999'999'999'999) fail("SOURCE_DATE_EPOCH={:?}: want seconds since 1970", epoch);
      b.timestamp = *secs;
    }
  if (b.timestamp && *b.timestamp < 0) fail("--timestamp {}: want seconds since 1970", *b.timestamp);
  auto store = open_store(g);
  auto ref_lock = store.reference_lock();
  std::string id = engine::build_image(store, g.paths, b);
  storage::record_image_event(g.paths, "build", id, b.tags.empty() ? "" : b.tags.front());
  if (!o.iidfile.empty()) fs::write_file_atomic(o.iidfile, "sha256:" + id, 0644);
  fmt::print("{}\n", id);
  return 0;
}

Runner bind_build(CLI::App& app, Globals& g) {
  auto o = std::make_shared<BuildCmdOptions>();
  app.add_option("context", o->args, "The build context directory (default: the current directory)");
  app.add_option("-t,--tag", o->tags, "Tagged name to apply to the built image")->allow_extra_args(false);
  app.add_option("-f,--file", o->build.file, "Name of the Containerfile")->allow_extra_args(false);
  app.add_option("--build-arg", o->build_args, "Set build-time variables (NAME=VALUE)")->allow_extra_args(false);
  app.add_option("--build-arg-file", o->build_arg_files, "File with build-time variables (NAME=VALUE lines)")->allow_extra_args(false);
  app.add_option("--annotation", o->annotations, "Set an annotation on the image's manifest (KEY=VALUE)")->allow_extra_args(false);
  app.add_option("--platform", o->build.platform, "Set the OS/ARCH[/VARIANT] of the image (this machine's only)");
  app.add_option("-v,--volume", o->build.volumes, "Bind mount a host directory into RUN steps (HOST-DIR:CONTAINER-DIR[:OPTIONS])")->allow_extra_args(false);
  app.add_option("--secret", o->secrets, "Secret for RUN --mount=type=secret (id=ID,src=FILE or id=ID,env=VAR)")->allow_extra_args(false);
  app.add_option("--timestamp", o->timestamp, "Set created timestamp to the specified epoch seconds (also file times in layers)");
  app.add_option("--target", o->build.target, "Set the target build stage to build");
  app.add_flag("--squash", o->build.squash, "Squash the layers the build adds into one new layer");
  app.add_flag("--squash-all", o->build.squash_all, "Squash all of the image's layers, the base's too, into one layer");
  app.add_flag("--no-cache", o->build.no_cache, "Do not use existing cached images for the container build");
  app.add_option("--pull", o->build.pull, "Pull image policy: always, missing, never, newer")->expected(0, 1)->default_str("missing");
  app.add_option("--layers", o->layers, "Use intermediate layers during build (default true)");
  app.add_option("--label", o->build.labels, "Set metadata for an image (default [])")->allow_extra_args(false);
  app.add_option("--network", o->build.network, "Network for RUN instructions");
  app.add_option("--format", o->format, "Format of the built image's manifest and metadata (oci or docker)");
  app.add_option("--iidfile", o->iidfile, "Write the image ID to the file");
  app.add_flag("-q,--quiet", o->build.quiet, "Refrain from announcing build instructions and image read/write progress");
  return [o, &g, &app] {
    o->pull_given = app.count("--pull") > 0;
    return run_build(g, *o);
  };
}

}  // namespace cabin::cmd
