// cabin kube generate (and `generate kube`), kube play (and `play kube`),
// kube down: podman-kube-generate(1), podman-kube-play(1),
// podman-kube-down(1). The logic is kube/generate.cpp's, kube/play.cpp's
// (the YAML as a model) and engine/kube.cpp's (pods made or removed).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cmd/common.h"
#include <unistd.h>

#include "engine/kube.h"
#include "kube/generate.h"
#include "kube/play.h"
#include "util/fd.h"
#include "util/error.h"
#include "util/fs.h"

namespace cabin::cmd {

Runner bind_kube_generate(CLI::App& app, Globals& g) {
  struct Opts {
    kube::GenerateOptions gen;
    std::string filename;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("names", o->gen.names, "Containers, pods or volumes");
  app.add_option("-f,--filename", o->filename, "Write output to the specified path");
  app.add_flag("-s,--service", o->gen.service, "Generate YAML for a Kubernetes service object");
  app.add_option("-t,--type", o->gen.type, "Generate YAML for the given Kubernetes kind (pod or deployment)");
  app.add_option("-r,--replicas", o->gen.replicas, "Set the replica number for Deployment kind");
  return [o, &g] {
    if (!o->filename.empty() && fs::exists(o->filename)) fail("cannot write to {:?}; file exists", o->filename);
    auto yaml = kube::generate(open_store(g), g.paths, o->gen);
    if (o->filename.empty()) {
      fmt::print("{}", yaml);
    } else {
      fs::write_file_atomic(o->filename, yaml);
    }
    return 0;
  };
}

namespace {

// The YAML from FILE or stdin ("-").
std::string read_yaml(const std::string& source) {
  if (source != "-") return fs::read_file(source);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read stdin");
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// The plan of the YAML in FILE or stdin ("-"); errors name where it came from.
kube::Plan load_plan(const std::string& source) {
  return with_context(source == "-" ? std::string("stdin") : source, [&] { return kube::parse(read_yaml(source)); });
}

// Podman's report of a teardown.
int print_down(const engine::kube::DownReport& r) {
  fmt::print("Pods stopped:\n");
  for (const auto& id : r.stopped) fmt::print("{}\n", id);
  fmt::print("Pods removed:\n");
  for (const auto& id : r.removed) fmt::print("{}\n", id);
  return 0;
}

}  // namespace

Runner bind_kube_play(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> file;
    engine::kube::PlayOptions play;
    std::optional<bool> start;
    bool down = false;
    RemoteFlags remote;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("file", o->file, "Kubernetes YAML file, or - for stdin");
  add_bool_flag(app, "--start", o->start, "Start the pod after creating it");
  app.add_flag("--replace", o->play.replace, "Delete and recreate pods defined in the YAML file");
  app.add_flag("--down", o->down, "Stop pods defined in the YAML file");
  app.add_flag("-q,--quiet", o->play.quiet, "Suppress output information when pulling images");
  o->remote.bind(app);
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
  return [o, &g] {
    check_args(o->file, 1, 1);
    auto plan = load_plan(o->file[0]);
    storage::ContainerStore containers(g.paths);
    if (o->down) return print_down(engine::kube::down(containers, g.paths, plan, false, [] {}));
    o->play.start = o->start.value_or(true);
    o->play.remote = o->remote.options();
    auto store = open_store(g);
    auto report = engine::kube::play(store, g.paths, plan, o->play);
    for (size_t i = 0; i < report.volumes.size(); ++i) fmt::print("{}{}\n", i ? "" : "Volumes:\n", report.volumes[i]);
    for (const auto& p : report.pods) {
      fmt::print("Pod:\n{}\n", p.id);
      if (!p.containers.empty()) fmt::print("{}\n", p.containers.size() == 1 ? "Container:" : "Containers:");
      for (const auto& id : p.containers) fmt::print("{}\n", id);
      fmt::print("\n");
    }
    return 0;
  };
}

Runner bind_kube_down(CLI::App& app, Globals& g) {
  auto file = std::make_shared<std::vector<std::string>>();
  app.add_option("file", *file, "Kubernetes YAML file, or - for stdin");
  return [file, &g] {
    check_args(*file, 1, 1);
    auto plan = load_plan((*file)[0]);
    storage::ContainerStore containers(g.paths);
    // Stopped from the host's side; removed in the user namespace, where
    // files of subordinate ids can go.
    return print_down(engine::kube::down(containers, g.paths, plan, false, [&] { enter_userns(g); }));
  };
}

}  // namespace cabin::cmd
