// `cabin __complete`: what the shell completion scripts (completions/) ask.
//
// The words typed so far are walked over the same CLI11 tree main parses
// with (cmd/cli.h): subcommands descend, options consume their values, the
// rest are positionals. The last word is completed as
//   - a flag name (it starts with "-"), with the flag's description;
//   - a flag's value (after a flag that takes one, or "--flag="): choices or
//     live names for the flags listed in kFlagValues, else files;
//   - a subcommand, for a group;
//   - a positional: live names (containers, images, volumes, networks,
//     compose services) by the command's kArgs entry.
// Output is Cobra's protocol, which Podman's scripts speak too: one
// "candidate<TAB>description" per line, then ":DIRECTIVE" (0 = the shell may
// complete files, 4 = it may not, 16 = directories only).
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cmd/cli.h"
#include "compose/load.h"
#include "compose/output.h"
#include "engine/pod.h"
#include "net/store.h"
#include "storage/containers.h"
#include "storage/store.h"
#include "storage/secrets.h"
#include "storage/volumes.h"
#include "util/error.h"
#include "util/fs.h"

namespace cabin::cmd {
namespace {

using namespace std::string_view_literals;

enum Directive { kFiles = 0, kNoFiles = 4, kDirs = 16 };

// What a command's positionals are, in order; "..." repeats the last kind.
// Kinds: container, running, image, volume, network, secret, service, object
// (any of the first four), pod, kube (containers, pods, volumes), file, dir, none.
const std::map<Binder, std::string_view>& args_table() {
  static const std::map<Binder, std::string_view> table = {
      {bind_attach, "running"},
      {bind_build, "dir"},
      {bind_commit, "container none"},
      {bind_cp, "file..."},
      {bind_create, "image file..."},
      {bind_diff, "container"},
      {bind_exec, "running file..."},
      {bind_export, "container"},
      {bind_history, "image"},
      {bind_images, "image"},
      {bind_import, "file none"},
      {bind_inspect, "object..."},
      {bind_kill, "running..."},
      {bind_logs, "container..."},
      {bind_pause, "running..."},
      {bind_port, "container none"},
      {bind_push, "image none"},
      {bind_rename, "container none"},
      {bind_restart, "container..."},
      {bind_rm, "container..."},
      {bind_rmi, "image..."},
      {bind_run, "image file..."},
      {bind_save, "image..."},
      {bind_image_export, "image file"},
      {bind_start, "container..."},
      {bind_stats, "running..."},
      {bind_stop, "running..."},
      {bind_tag, "image none..."},
      {bind_top, "running none..."},
      {bind_unpause, "container..."},
      {bind_unshare, "file..."},
      {bind_untag, "image..."},
      {bind_wait, "container..."},
      {bind_image_inspect, "image..."},
      {bind_image_exists, "image"},
      {bind_container_inspect, "container..."},
      {bind_container_exists, "container"},
      {bind_healthcheck_run, "running"},
      {bind_manifest_create, "none image..."},
      {bind_manifest_add, "image image"},
      {bind_manifest_annotate, "image image"},
      {bind_manifest_inspect, "image"},
      {bind_manifest_push, "image none"},
      {bind_manifest_rm, "image..."},
      {bind_manifest_exists, "image"},
      {bind_network_connect, "network container"},
      {bind_network_disconnect, "network container"},
      {bind_network_exists, "network"},
      {bind_network_inspect, "network..."},
      {bind_network_rm, "network..."},
      {bind_secret_create, "none file"},
      {bind_secret_exists, "secret"},
      {bind_secret_inspect, "secret..."},
      {bind_secret_rm, "secret..."},
      {bind_volume_exists, "volume"},
      {bind_volume_inspect, "volume..."},
      {bind_volume_rm, "volume..."},
      {bind_volume_export, "volume"},
      {bind_volume_import, "volume file"},
      {bind_compose_build, "service..."},
      {bind_compose_images, "service..."},
      {bind_compose_kill, "service..."},
      {bind_compose_logs, "service..."},
      {bind_compose_pause, "service..."},
      {bind_compose_ps, "service..."},
      {bind_compose_pull, "service..."},
      {bind_compose_push, "service..."},
      {bind_compose_restart, "service..."},
      {bind_compose_rm, "service..."},
      {bind_compose_start, "service..."},
      {bind_compose_stop, "service..."},
      {bind_compose_top, "service..."},
      {bind_compose_unpause, "service..."},
      {bind_compose_up, "service..."},
      {bind_compose_exec, "service file..."},
      {bind_compose_run, "service file..."},
      {bind_compose_port, "service none"},
      {bind_pod_exists, "pod"},
      {bind_kube_generate, "kube..."},
      {bind_kube_play, "file"},
      {bind_kube_down, "file"},
      {bind_pod_inspect, "pod..."},
      {bind_pod_kill, "pod..."},
      {bind_pod_logs, "pod"},
      {bind_pod_pause, "pod..."},
      {bind_pod_restart, "pod..."},
      {bind_pod_rm, "pod..."},
      {bind_pod_start, "pod..."},
      {bind_pod_stats, "pod..."},
      {bind_pod_stop, "pod..."},
      {bind_pod_top, "pod none..."},
      {bind_pod_unpause, "pod..."},
  };
  return table;
}

// Flags whose values are choices or live names ("=kind" for the latter);
// other flags that take a value complete files.
const std::map<std::string_view, std::string_view>& flag_values() {
  static const std::map<std::string_view, std::string_view> table = {
      {"--network", "=network bridge host none slirp4netns private"},
      {"--net", "=network bridge host none slirp4netns private"},
      {"--volumes-from", "=container"},
      {"--pod", "=pod"},
      {"--share", "cgroup ipc net pid uts none"},
      {"--ipc", "host private shareable"},
      {"--uts", "host private"},
      {"--pid", "host private"},
      {"--secret", "=secret"},
      {"--pull", "always missing never newer"},
      {"--log-level", "trace debug info warn error fatal panic"},
      {"--restart", "no on-failure always unless-stopped"},
      {"--userns", "keep-id host auto nomap"},
      {"--storage-driver", "overlay vfs"},
      {"--root", "=dir"},
      {"--runroot", "=dir"},
      {"--format", "=none"},
      {"--filter", "=none"},
      {"--name", "=none"},
  };
  return table;
}

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    auto sp = s.find(' ');
    out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

// The kind of the n-th positional from a spec like "image file...".
std::string_view nth_kind(std::string_view spec, size_t n) {
  auto kinds = split_words(spec);
  if (kinds.empty()) return "none";
  if (n < kinds.size()) {
    auto k = kinds[n];
    return k.substr(0, k.find("..."));
  }
  auto last = kinds.back();
  return last.ends_with("...") ? last.substr(0, last.size() - 3) : "none";
}

struct Candidate {
  std::string value, description;
};

// The walk's result: where the last word is.
struct Position {
  const CLI::App* app = nullptr;
  const Command* command = nullptr;
  std::vector<std::string> positionals;         // at this command's level
  std::map<std::string, std::vector<std::string>> values;  // "--file" → its values (all levels)
  const CLI::Option* pending = nullptr;          // the last word is this option's value
};

const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app; app = app->get_parent()) {
    for (const CLI::Option* o : app->get_options())
      if (o->check_name(name)) return o;
  }
  return nullptr;
}

bool takes_value(const CLI::Option* o) { return o->get_type_size_max() > 0 && o->get_expected_max() > 0; }

std::string long_name(const CLI::Option* o) {
  if (!o->get_lnames().empty()) return "--" + o->get_lnames().front();
  if (!o->get_snames().empty()) return "-" + o->get_snames().front();
  return o->get_name();
}

const CLI::App* find_subcommand(const CLI::App* app, std::string_view word) {
  for (const CLI::App* sub : app->get_subcommands({}))
    if (sub->check_name(std::string(word))) return sub;
  return nullptr;
}

const Command* find_command(std::span<const Command> table, std::string_view word) {
  for (const auto& c : table)
    if (c.name == word || std::find(c.aliases.begin(), c.aliases.end(), word) != c.aliases.end()) return &c;
  return nullptr;
}

bool is_prefix_command(Binder b) {
  return b == bind_run || b == bind_create || b == bind_exec || b == bind_compose_run || b == bind_compose_exec;
}

Position walk(const CLI::App& root, std::span<char*> done) {
  Position p;
  p.app = &root;
  std::span<const Command> table = commands();
  bool only_positionals = false;
  for (size_t i = 0; i < done.size(); ++i) {
    std::string w = done[i];
    if (p.pending) {
      p.values[long_name(p.pending)].push_back(w);
      p.pending = nullptr;
      continue;
    }
    if (!only_positionals && w == "--") {
      only_positionals = true;
      continue;
    }
    if (!only_positionals && w.size() > 1 && w[0] == '-') {
      if (w[1] == '-') {
        auto eq = w.find('=');
        const CLI::Option* o = find_option(p.app, w.substr(0, eq));
        if (!o) continue;
        if (eq != std::string::npos)
          p.values[long_name(o)].push_back(w.substr(eq + 1));
        else if (takes_value(o))
          p.pending = o;
        continue;
      }
      // -it, -p8080:80: flags until one takes a value (the rest, or the next word).
      for (size_t j = 1; j < w.size(); ++j) {
        const CLI::Option* o = find_option(p.app, std::string("-") + w[j]);
        if (!o || !takes_value(o)) continue;
        if (j + 1 < w.size())
          p.values[long_name(o)].push_back(w.substr(j + 1));
        else
          p.pending = o;
        break;
      }
      continue;
    }
    // A subcommand, until a command has taken a positional.
    if (p.positionals.empty()) {
      const Command* c = find_command(table, w);
      const CLI::App* sub = c ? find_subcommand(p.app, w) : nullptr;
      if (sub) {
        p.app = sub;
        p.command = c;
        table = c->subcommands;
        continue;
      }
    }
    p.positionals.push_back(w);
    // run IMAGE CMD -x: what follows the image (container, service) is the command's.
    if (p.command && is_prefix_command(p.command->bind)) only_positionals = true;
  }
  return p;
}

bool has_store(const config::StorePaths& paths) { return fs::exists(paths.graphroot); }

void add_containers(const config::StorePaths& paths, bool running_only, std::string_view cur,
                    std::vector<Candidate>& out) {
  if (!has_store(paths)) return;
  storage::ContainerStore containers(paths);
  for (const auto& r : containers.list()) {
    if (running_only && !containers.state(r.id).running()) continue;
    out.push_back({r.name, r.image});
    if (!cur.empty() && r.id.starts_with(cur)) out.push_back({r.id.substr(0, 12), r.name});
  }
}

void add_images(const config::StorePaths& paths, std::string_view cur, std::vector<Candidate>& out) {
  if (!has_store(paths)) return;
  storage::Store store(paths);
  for (const auto& img : store.images()) {
    for (const auto& name : img.repo_tags()) {
      out.push_back({name, "image"});
      for (std::string_view host : {"localhost/"sv, "docker.io/library/"sv})
        if (name.starts_with(host)) out.push_back({name.substr(host.size()), "image"});
    }
    if (!cur.empty() && img.id.starts_with(cur)) out.push_back({img.id.substr(0, 12), "image"});
  }
}

void add_volumes(const config::StorePaths& paths, std::vector<Candidate>& out) {
  if (!has_store(paths)) return;
  for (const auto& v : storage::VolumeStore(paths).list()) out.push_back({v.name, "volume"});
}

void add_secrets(const config::StorePaths& paths, std::vector<Candidate>& out) {
  if (!has_store(paths)) return;
  for (const auto& s : storage::SecretStore(paths).list()) out.push_back({s.name, s.driver});
}

void add_networks(const config::StorePaths& paths, std::vector<Candidate>& out) {
  if (!has_store(paths)) return;
  out.push_back({"podman", "the default network"});
  for (const auto& n : net::NetworkStore(paths).list()) out.push_back({n.name, n.subnet});
}

void add_pods(const config::StorePaths& paths, std::vector<Candidate>& out) {
  if (!has_store(paths)) return;
  for (const auto& p : engine::PodStore(paths).list()) out.push_back({p.name, "pod"});
}

void add_services(const Position& p, std::vector<Candidate>& out) {
  compose::LoadOptions o;
  auto get = [&](const char* name) { return p.values.count(name) ? p.values.at(name) : std::vector<std::string>{}; };
  o.files = get("--file");
  o.env_files = get("--env-file");
  o.profiles = get("--profile");
  if (auto v = get("--project-name"); !v.empty()) o.project_name = v.back();
  if (auto v = get("--project-directory"); !v.empty()) o.project_directory = v.back();
  o.environ = compose::process_environment();
  for (const auto& name : compose::service_names(compose::load_project(o))) out.push_back({name, "service"});
}

// Candidates of one kind; returns the directive.
int add_kind(std::string_view kind, const Position& p, const config::StorePaths& paths, std::string_view cur,
             std::vector<Candidate>& out) {
  if (kind == "file") return kFiles;
  if (kind == "dir") return kDirs;
  if (kind == "container" || kind == "running" || kind == "object" || kind == "kube")
    add_containers(paths, kind == "running", cur, out);
  if (kind == "image" || kind == "object") add_images(paths, cur, out);
  if (kind == "volume" || kind == "object" || kind == "kube") add_volumes(paths, out);
  if (kind == "network" || kind == "object") add_networks(paths, out);
  if (kind == "secret") add_secrets(paths, out);
  if (kind == "service") add_services(p, out);
  if (kind == "pod" || kind == "kube") add_pods(paths, out);
  return kNoFiles;
}

// A flag's values: choices and live names from kFlagValues, else files.
int add_flag_values(const CLI::Option* o, const Position& p, const config::StorePaths& paths, std::string_view cur,
                    std::vector<Candidate>& out) {
  auto it = flag_values().find(long_name(o));
  if (it == flag_values().end()) return kFiles;
  int directive = kNoFiles;
  for (auto v : split_words(it->second)) {
    if (v.starts_with("="))
      directive = add_kind(v.substr(1), p, paths, cur, out);
    else
      out.push_back({std::string(v), ""});
  }
  return directive;
}

void add_flags(const CLI::App* app, std::vector<Candidate>& out) {
  for (; app; app = app->get_parent()) {
    for (const CLI::Option* o : app->get_options()) {
      if (o->get_positional() || o->get_group().empty()) continue;
      for (const auto& l : o->get_lnames()) out.push_back({"--" + l, o->get_description()});
      for (const auto& s : o->get_snames()) out.push_back({"-" + s, o->get_description()});
    }
  }
}

void add_subcommands(const CLI::App* app, std::vector<Candidate>& out) {
  for (const CLI::App* sub : app->get_subcommands({}))
    if (!sub->get_group().empty() && !sub->get_name().starts_with("__"))
      out.push_back({sub->get_name(), sub->get_description()});
}

// What to offer for cur at p.
int candidates(const Position& p, const config::StorePaths& paths, std::string& cur, std::string& prefix,
               std::vector<Candidate>& out) {
  if (p.pending) return add_flag_values(p.pending, p, paths, cur, out);
  if (cur.starts_with("--") && cur.find('=') != std::string::npos) {
    auto eq = cur.find('=');
    const CLI::Option* o = find_option(p.app, cur.substr(0, eq));
    if (!o) return kNoFiles;
    prefix = cur.substr(0, eq + 1);
    cur = cur.substr(eq + 1);
    return add_flag_values(o, p, paths, cur, out);
  }
  if (cur.starts_with("-")) {
    add_flags(p.app, out);
    return kNoFiles;
  }
  if (p.positionals.empty() && !p.app->get_subcommands({}).empty()) {
    add_subcommands(p.app, out);
    if (!p.command || !p.command->bind) return kNoFiles;
  }
  if (!p.command || !p.command->bind) return kNoFiles;
  auto it = args_table().find(p.command->bind);
  if (it == args_table().end()) return kNoFiles;
  return add_kind(nth_kind(it->second, p.positionals.size()), p, paths, cur, out);
}

}  // namespace

int complete_main(std::span<char*> args) {
  if (args.empty()) {
    fmt::print(":{}\n", static_cast<int>(kNoFiles));
    return 0;
  }
  Globals globals;
  CLI::App root;
  add_global_options(root, globals);
  std::map<const CLI::App*, Bound> bound;
  std::vector<std::string_view> words(args.begin(), args.end() - 1);
  add_commands(root, commands(), globals, bound, words);

  std::string cur = args.back();
  Position p = walk(root, args.first(args.size() - 1));
  auto last = [&](const char* name) {
    auto it = p.values.find(name);
    return it == p.values.end() || it->second.empty() ? std::string() : it->second.back();
  };
  std::vector<Candidate> out;
  std::string prefix;
  int directive = kNoFiles;
  try {
    auto paths = config::resolve_store_paths(last("--root"), last("--runroot"), last("--storage-driver"));
    directive = candidates(p, paths, cur, prefix, out);
  } catch (const std::exception&) {
    // Completion never prints errors into the user's command line.
  }
  std::set<std::string> seen;
  for (const auto& c : out) {
    if (!c.value.starts_with(cur) || !seen.insert(c.value).second) continue;
    if (c.description.empty())
      fmt::print("{}{}\n", prefix, c.value);
    else
      fmt::print("{}{}\t{}\n", prefix, c.value, c.description);
  }
  fmt::print(":{}\n", directive);
  return 0;
}

}  // namespace cabin::cmd
