// cabin volume create|ls|inspect|rm|prune|exists|export|import
// (podman-volume(1)).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/prune.h"
#include "engine/volumes.h"
#include "format/output.h"
#include "rootless/userns.h"
#include "storage/containers.h"
#include "storage/tarstream.h"
#include "storage/volumes.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/signals.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Podman's exit codes for volume rm.
constexpr int kExitNoSuchVolume = 1;
constexpr int kExitVolumeInUse = 2;

Filters parse_filters(const std::vector<std::string>& values) {
  return Filters::parse(values, {"name", "driver", "label", "opt", "dangling"},
                        [](const std::string& k) { return fmt::format("{:?} is an invalid volume filter", k); });
}

// links: engine::volume_links.
bool matches(const Filters& f, const storage::Volume& v, const std::map<std::string, int>& links) {
  return f.matches([&](const std::string& k, const std::string& val) {
    if (k == "name") return v.name.find(val) != std::string::npos;
    if (k == "driver") return v.driver == val;
    if (k == "label") return label_matches(v.labels, val);
    if (k == "opt") return label_matches(v.options, val);
    return filter_true(val) == !links.count(v.name);  // dangling
  });
}

// Gives a directory volume the owner asked for with o=uid=N,gid=N, as the
// user namespace (cabin's, where containers' ids are the same) sees it.
void apply_owner(const storage::VolumeStore& store, storage::Volume& v) {
  if (v.tmpfs() || v.bind()) return;
  // -1: chown leaves it as it is. The values were checked at create.
  int64_t uid = -1, gid = -1;
  for (const auto& item : split(v.options.count("o") ? v.options.at("o") : "", ',')) {
    if (item.rfind("uid=", 0) == 0) uid = parse_number<uint32_t>(std::string_view(item).substr(4)).value_or(-1);
    if (item.rfind("gid=", 0) == 0) gid = parse_number<uint32_t>(std::string_view(item).substr(4)).value_or(-1);
  }
  if (uid < 0 && gid < 0) return;
  std::string path = store.mountpoint(v.name);
  if (::chown(path.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) {
    int err = errno;
    if (err == EINVAL)
      fail("cannot give volume {} the owner {}:{}: the id is not mapped in the user namespace (see /etc/subuid)",
           v.name, uid, gid);
    throw Error(err, fmt::format("chown volume {}", v.name));
  }
  v.needs_chown = false;
}

// Removes the volume, and with force the containers that use it first.
// Returns the exit code for it (0, or Podman's for "in use").
int remove_volume(const Globals& g, storage::VolumeStore& store, storage::ContainerStore& containers,
                  const storage::Volume& v, bool force, int timeout) {
  auto users = engine::volume_users(containers, v.name);
  if (!users.empty() && !force) {
    std::vector<std::string> ids;
    for (const auto& u : users) ids.push_back(u.id);
    fmt::print(stderr, "Error: volume {} is being used by the following container(s): {}: volume is being used\n",
               v.name, join(ids, ", "));
    return kExitVolumeInUse;
  }
  for (const auto& rec : users) engine::force_remove_container(containers, g.paths, rec, std::chrono::seconds(timeout));
  auto lock = store.lock();
  if (!engine::volume_users(containers, v.name).empty())
    fail("volume {} is being used by a container created meanwhile: volume is being used", v.name);
  store.remove(v.name);
  return 0;
}

}  // namespace

Runner bind_volume_create(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> args, labels, options;
    std::string driver = "local";
  };
  auto o = std::make_shared<Opts>();
  app.add_option("name", o->args, "Volume name");
  app.add_option("-d,--driver", o->driver, "Specify volume driver name");
  app.add_option("-l,--label", o->labels, "Set metadata for a volume (e.g. --label mykey=value)");
  app.add_option("-o,--opt", o->options, "Set driver specific options");
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
  return [o, &g] {
    check_args(o->args, 0, 1);
    storage::VolumeStore store(g.paths);
    storage::Volume v;
    if (!o->args.empty()) v.name = o->args[0];
    v.driver = o->driver;
    v.labels = key_values(o->labels);
    v.options = key_values(o->options);
    auto lock = store.lock();
    v = store.create(v);
    try {
      apply_owner(store, v);
      store.update(v);
    } catch (...) {
      store.remove(v.name);
      throw;
    }
    fmt::print("{}\n", v.name);
    return 0;
  };
}

Runner bind_volume_ls(CLI::App& app, Globals& g) {
  struct Opts {
    std::string format;
    std::vector<std::string> filters;
    bool quiet = false, noheading = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--format", o->format, "Format volume output using Go template");
  app.add_option("-f,--filter", o->filters, "Filter volume output");
  app.add_flag("-q,--quiet", o->quiet, "Print volume output in quiet mode");
  app.add_flag("-n,--noheading", o->noheading, "Do not print headers");
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
  return [o, &g] {
    auto f = parse_filters(o->filters);
    storage::VolumeStore store(g.paths);
    storage::ContainerStore containers(g.paths);
    std::vector<json> rows;
    ordered_json objs = ordered_json::array();
    auto links = engine::volume_links(containers);
    for (const auto& v : store.list()) {
      if (!matches(f, v, links)) continue;
      auto obj = storage::inspect_json(v, store.mountpoint(v.name));
      rows.push_back(json(obj));
      objs.push_back(std::move(obj));
    }
    format::ListOptions lo;
    lo.format = o->quiet && o->format.empty() ? "{{.Name}}" : o->format;
    lo.headers = {{"Name", "VOLUME NAME"}};
    lo.noheading = o->noheading;
    lo.json_indent = 2;
    lo.name = "list";
    lo.default_format = "table {{.Driver}}\t{{.Name}}";
    format::print_list(stdout, lo, rows, objs);
    return 0;
  };
}

Runner bind_volume_inspect(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    std::string format;
    bool all = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("volume", o->names, "Volumes to inspect");
  app.add_option("-f,--format", o->format, "Format volume output using Go template");
  app.add_flag("-a,--all", o->all, "Inspect all volumes");
  return [o, &g] {
    if (o->all && !o->names.empty()) fail("can not specify --all and a volume name");
    if (!o->all) check_args(o->names, 1, kAnyArgs);
    storage::VolumeStore store(g.paths);
    ordered_json objs = ordered_json::array();
    std::string missing;
    std::vector<storage::Volume> vols;
    if (o->all) vols = store.list();
    for (const auto& name : o->names) {
      if (auto v = store.find(name)) vols.push_back(*v);
      else if (missing.empty()) missing = name;
    }
    for (const auto& v : vols) objs.push_back(storage::inspect_json(v, store.mountpoint(v.name)));
    format::print_inspect(stdout, o->format, objs);
    if (!missing.empty()) fail("inspecting object: no such volume {}", missing);
    return 0;
  };
}

Runner bind_volume_exists(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  app.add_option("volume", *names, "Volume to look for");
  return [names, &g] {
    check_args(*names, 1, 1);
    return storage::VolumeStore(g.paths).find((*names)[0]) ? 0 : 1;
  };
}

Runner bind_volume_rm(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    bool force = false, all = false;
    int time = 10;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("volume", o->names, "Volumes to remove");
  app.add_flag("-f,--force", o->force, "Remove a volume by force, even if it is being used by a container");
  app.add_flag("-a,--all", o->all, "Remove all volumes");
  app.add_option("-t,--time", o->time, "Seconds to wait for running containers to stop before killing the container");
  return [o, &g] {
    if (o->all && !o->names.empty()) fail("choose either one or more volumes or all");
    if (!o->all) check_args(o->names, 1, kAnyArgs);
    storage::VolumeStore store(g.paths);
    storage::ContainerStore containers(g.paths);
    std::vector<storage::Volume> todo;
    if (o->all) todo = store.list();
    for (const auto& name : o->names) {
      auto v = store.find(name);
      if (!v) throw Error(fmt::format("no volume with name {:?} found: no such volume", name), kExitNoSuchVolume);
      todo.push_back(*v);
    }
    int rc = 0;
    for (const auto& v : todo) {
      int r = remove_volume(g, store, containers, v, o->force, o->time);
      if (r == 0) fmt::print("{}\n", v.name);
      else rc = r;
    }
    return rc;
  };
}

Runner bind_volume_prune(CLI::App& app, Globals& g) {
  struct Opts {
    bool force = false;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<Opts>();
  app.add_flag("-f,--force", o->force, "Do not prompt for confirmation");
  app.add_option("--filter", o->filters, "Provide filter values (e.g. 'label=<key>=<value>')");
  return [o, &g] {
    auto f = parse_filters(o->filters);
    storage::VolumeStore store(g.paths);
    storage::ContainerStore containers(g.paths);
    std::vector<storage::Volume> todo;
    auto links = engine::volume_links(containers);
    for (const auto& v : store.list())
      if (matches(f, v, links) && !links.count(v.name)) todo.push_back(v);
    if (!o->force) {
      std::string names;
      for (const auto& v : todo) names += "  - " + v.name + "\n";
      if (!confirm("WARNING! This will remove all volumes not used by at least one container. The following volumes "
                   "will be removed:\n" + names + "Are you sure you want to continue?"))
        return 0;
    }
    auto pruned = engine::prune_volumes(g.paths, containers, [&](const storage::Volume& v) {
      return std::any_of(todo.begin(), todo.end(), [&](const auto& t) { return t.name == v.name; });
    });
    for (const auto& name : pruned.names) fmt::print("{}\n", name);
    return 0;
  };
}

Runner bind_volume_export(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    std::string output;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("volume", o->names, "The volume to export");
  app.add_option("-o,--output", o->output, "Write to a specified file (default: stdout, which must be redirected)");
  return [o, &g] {
    check_args(o->names, 1, 1);
    storage::VolumeStore store(g.paths);
    auto v = store.find(o->names[0]);
    if (!v) fail("no such volume {}", o->names[0]);
    if (v->tmpfs()) fail("volume {} is a tmpfs volume: it has no content outside a running container", v->name);
    if (o->output.empty() && ::isatty(STDOUT_FILENO)) fail("cannot write to terminal, use command-line redirection or the --output flag");
    UniqueFd out;
    if (!o->output.empty()) {
      out.reset(::open(o->output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (!out) throw_errno("create {}", o->output);
    }
    try {
      UniqueFd dir(::open(store.source(*v).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!dir) throw_errno("open volume {}", v->name);
      storage::write_tree_tar(out ? out.get() : STDOUT_FILENO, {dir.get(), ".", "", std::nullopt, false});
    } catch (...) {
      if (out) ::unlink(o->output.c_str());  // no half archive left behind
      throw;
    }
    return 0;
  };
}

Runner bind_volume_import(CLI::App& app, Globals& g) {
  auto args = std::make_shared<std::vector<std::string>>();
  app.add_option("args", *args, "VOLUME SOURCE (a tar file, or - for stdin)");
  return [args, &g] {
    check_args(*args, 2, 2);
    storage::VolumeStore store(g.paths);
    auto v = store.find((*args)[0]);
    if (!v) fail("no such volume {}", (*args)[0]);
    if (v->tmpfs()) fail("volume {} is a tmpfs volume: it has no content outside a running container", v->name);
    const std::string& src = (*args)[1];
    UniqueFd in;
    if (src != "-") {
      in.reset(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
      if (!in) throw_errno("open {}", src);
    }
    UniqueFd dir(::open(store.source(*v).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) throw_errno("open volume {}", v->name);
    storage::ExtractOptions eo;
    eo.chown = !rootless::userns_state().mapping.single_id();
    eo.whiteouts = false;
    storage::extract_tar_fd(in ? in.get() : STDIN_FILENO, dir.get(), eo);
    return 0;
  };
}

}  // namespace cabin::cmd
