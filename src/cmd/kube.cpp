// cabin kube generate (and `generate kube`): podman-kube-generate(1). The
// logic is kube/generate.cpp's.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cmd/common.h"
#include "kube/generate.h"
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

}  // namespace cabin::cmd
