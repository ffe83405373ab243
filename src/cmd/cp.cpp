// cabin cp: copy files between a container and the host (podman-cp(1));
// cabin export: a container's filesystem as a tar (podman-export(1));
// cabin diff: what a container changed in its image (podman-diff(1)).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/copy.h"
#include "format/output.h"
#include "util/error.h"

namespace cabin::cmd {
namespace {

// "CTR:PATH" names a container's path; a path that starts with / or . is
// the host's even with a colon in it.
std::optional<std::pair<std::string, std::string>> container_path(const std::string& arg) {
  if (arg.empty() || arg[0] == '/' || arg[0] == '.') return std::nullopt;
  auto colon = arg.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(arg.substr(0, colon), arg.substr(colon + 1));
}

storage::ContainerRecord cp_container(const storage::ContainerStore& containers, const std::string& name) {
  if (name.empty()) fail("name or ID cannot be empty");
  auto rec = containers.find(name);
  if (!rec) fail("container {:?} does not exist", name);
  return *rec;
}

}  // namespace

Runner bind_cp(CLI::App& app, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto archive = std::make_shared<std::optional<bool>>();
  app.add_option("paths", *args, "SRC and DEST: CONTAINER:PATH, a host path, or - (a tar on stdin or stdout)");
  add_bool_flag(app, "-a,--archive", *archive,
                "Chown copied files to the primary uid/gid of the destination container");
  auto overwrite = std::make_shared<bool>(false);
  app.add_flag("--overwrite", *overwrite, "Allow to overwrite directories with non-directories and vice versa");
  return [args, archive, overwrite, &g] {
    check_args(*args, 2, 2);
    auto src = container_path((*args)[0]);
    auto dest = container_path((*args)[1]);
    if (src && dest) fail("copying between containers is not supported");
    if (!src && !dest) fail("invalid arguments {}, {} you must use just one container", (*args)[0], (*args)[1]);
    storage::ContainerStore containers(g.paths);
    auto rec = cp_container(containers, src ? src->first : dest->first);
    if (engine::needs_userns(containers, g.paths, rec.id)) enter_userns(g);
    engine::CopyOptions o;
    o.archive = archive->value_or(true);
    o.overwrite = *overwrite;
    if (src)
      engine::copy_from_container(containers, g.paths, rec, src->second, (*args)[1], o);
    else
      engine::copy_into_container(containers, g.paths, rec, (*args)[0], dest->second, o);
    return 0;
  };
}

Runner bind_export(CLI::App& app, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  app.add_option("container", *args, "The container to export");
  app.add_option("-o,--output", *output, "Write to a specified file (default: stdout, which must be redirected)");
  return [args, output, &g] {
    check_args(*args, 1, 1);
    storage::ContainerStore containers(g.paths);
    auto rec = find_container(containers, (*args)[0]);
    if (output->empty() && ::isatty(STDOUT_FILENO)) fail("refusing to export to terminal. Use -o flag or redirect");
    UniqueFd out;
    if (!output->empty()) {
      out.reset(::open(output->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (!out) throw_errno("create {}", *output);
    }
    if (engine::needs_userns(containers, g.paths, rec.id)) enter_userns(g);
    try {
      engine::export_container(containers, g.paths, rec, out ? out.get() : STDOUT_FILENO);
    } catch (...) {
      if (out) ::unlink(output->c_str());  // no half archive left behind
      throw;
    }
    return 0;
  };
}

Runner bind_diff(CLI::App& app, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  app.add_option("container", *args, "The container to compare with its image");
  app.add_option("--format", *format, "Change the output format (json)");
  return [args, format, &g] {
    check_args(*args, 1, 1);
    if (!format->empty() && *format != "json") fail("invalid format {:?}: only json is supported", *format);
    storage::ContainerStore containers(g.paths);
    auto rec = find_container(containers, (*args)[0]);
    auto changes = engine::container_changes(containers, g.paths, rec);
    if (format->empty()) {
      for (const auto& c : changes) fmt::print("{} {}\n", c.kind, c.path);
      return 0;
    }
    nlohmann::ordered_json j = {{"changed", nlohmann::json::array()},
                                {"added", nlohmann::json::array()},
                                {"deleted", nlohmann::json::array()}};
    for (const auto& c : changes) j[c.kind == 'C' ? "changed" : c.kind == 'A' ? "added" : "deleted"].push_back(c.path);
    for (const char* k : {"changed", "added", "deleted"})
      if (j[k].empty()) j.erase(k);
    fmt::print("{}\n", format::go_json(j, "     "));
    return 0;
  };
}

}  // namespace cabin::cmd
