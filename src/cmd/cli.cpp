#include "cmd/cli.h"

#include <algorithm>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cabin-config.h"
#include "config/mode.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

std::map<const CLI::App*, std::string>& usages() {
  static std::map<const CLI::App*, std::string> m;
  return m;
}

// CLI11's help, with the Usage line set_usage gave.
class Formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    auto args = usage_args(app);
    if (args.empty()) return CLI::Formatter::make_usage(app, std::move(name));
    return fmt::format("{}:{} [OPTIONS] {}\n", get_label("Usage"), name.empty() ? "" : " " + name, args);
  }
};

}  // namespace

void set_usage(CLI::App& app, std::string args) { usages()[&app] = std::move(args); }

std::string usage_args(const CLI::App* app) {
  auto it = usages().find(app);
  return it == usages().end() ? "" : it->second;
}

void add_global_options(CLI::App& app, Globals& globals) {
  app.description("Manage pods, containers and images, rootless and without a daemon");
  app.name(std::string(config::program_name()));
  app.formatter(std::make_shared<Formatter>());
  app.set_version_flag("-v,--version", fmt::format("cabin version {}", CABIN_VERSION));
  app.add_option("--root", globals.root, "Path to the graph root directory where images and containers are stored");
  app.add_option("--runroot", globals.runroot, "Path to the 'run directory' where all state information is stored");
  app.add_option("--storage-driver", globals.storage_driver,
                 "Select which storage driver is used to manage storage of images and containers");
  app.add_option("--log-level", globals.log_level,
                 "Log messages above specified level (trace, debug, info, warn, error, fatal or panic)");
  app.require_subcommand(1);
}

void add_commands(CLI::App& parent, std::span<const Command> table, Globals& globals,
                  std::map<const CLI::App*, Bound>& bound, const std::vector<std::string_view>& words, bool all) {
  auto named = [&](const Command& c) {
    auto said = [&](std::string_view w) { return std::find(words.begin(), words.end(), w) != words.end(); };
    return all || said(c.name) || std::any_of(c.aliases.begin(), c.aliases.end(), said);
  };
  for (const auto& c : table) {
    CLI::App* sub = parent.add_subcommand(std::string(c.name), std::string(c.summary));
    for (auto alias : c.aliases) sub->alias(std::string(alias));
    if (c.summary.empty()) sub->group("");  // internal (__monitor)
    sub->fallthrough();
    if (!named(c)) {
      if (!c.subcommands.empty() && !c.bind) sub->require_subcommand(1);
      continue;
    }
    if (c.bind) {
      bound[sub] = Bound{&c, c.bind(*sub, globals)};
      if (auto ex = examples(c.bind); !ex.empty()) sub->footer(fmt::format("Examples:\n  {}", fmt::join(split(ex, '\n'), "\n  ")));
    }
    if (!c.subcommands.empty()) {
      add_commands(*sub, c.subcommands, globals, bound, words, all);
      if (!c.bind) sub->require_subcommand(1);
    }
  }
}

const CLI::App* deepest_subcommand(const CLI::App* app) {
  for (const CLI::App* sub : app->get_subcommands()) return deepest_subcommand(sub);
  return app;
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (; app && app->get_parent(); app = app->get_parent())
    path = path.empty() ? app->get_name() : app->get_name() + " " + path;
  std::string program(config::program_name());
  return path.empty() ? program : program + " " + path;
}

}  // namespace cabin::cmd
