// cabin: a daemonless, rootless container engine with Podman's command line.
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cabin-config.h"
#include "cmd/cli.h"
#include "cmd/command.h"
#include "cmd/common.h"
#include "cmd/suggest.h"
#include "config/mode.h"
#include "engine/lifecycle.h"
#include "format/units.h"
#include "rootless/userns.h"
#include "util/error.h"
#include "util/log.h"

namespace {

using cabin::cmd::Bound;
using cabin::cmd::command_path;
using cabin::cmd::deepest_subcommand;
using cabin::cmd::Globals;
using cabin::cmd::Needs;

// CLI11's messages reworded as Podman's.
int report_parse_error(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* where = deepest_subcommand(&app);
  // With fallthrough, what no subcommand recognised ends up on the root.
  std::vector<std::string> extras = where->remaining();
  if (extras.empty()) extras = app.remaining();
  bool is_group = where == &app || !where->get_subcommands({}).empty();
  if (!extras.empty() && extras.front().rfind("-", 0) == 0 && extras.front() != "-") {
    std::string flag = extras.front().substr(0, extras.front().find('='));
    fmt::print(stderr, "Error: unknown flag: {}\nSee '{} --help'\n", flag, command_path(where));
    return cabin::kExitError;
  }
  if (!extras.empty() && is_group) {
    fmt::print(stderr, "Error: unrecognized command `{} {}`\n", command_path(where), extras.front());
    auto hint = cabin::cmd::suggest(extras.front(), *where);
    if (!hint.empty()) fmt::print(stderr, "Did you mean this?\n\t{}\n", hint);
    fmt::print(stderr, "Try '{} --help' for more information\n", command_path(where));
    return cabin::kExitError;
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    fmt::print(stderr, "Error: `{}` takes no arguments\n", command_path(where));
    return cabin::kExitError;
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && is_group) {
    fmt::print(stderr, "Error: missing command '{} COMMAND'\nTry '{} --help' for more information\n",
               command_path(where), command_path(where));
    return cabin::kExitError;
  }
  fmt::print(stderr, "Error: {}\nSee '{} --help'\n", e.what(), command_path(where));
  return cabin::kExitError;
}

// `cabin --root R --runroot R [--storage-driver D] __monitor ID [--attached]`,
// as start_detached spawns it: run without building the command line's
// tree, so that a monitor, which lives as long as its container, touches
// (and keeps resident) as little of cabin as it can.
std::optional<int> monitor_fast_path(int argc, char** argv) {
  std::string_view want[] = {"--root", "--runroot"};
  if (argc < 7 || want[0] != argv[1] || want[1] != argv[3]) return std::nullopt;
  int i = 5;
  std::string driver;
  if (std::string_view(argv[i]) == "--storage-driver" && i + 1 < argc) {
    driver = argv[i + 1];
    i += 2;
  }
  if (i + 1 >= argc || std::string_view(argv[i]) != "__monitor") return std::nullopt;
  bool attached = i + 2 < argc && std::string_view(argv[i + 2]) == "--attached";
  if (i + 2 + (attached ? 1 : 0) != argc) return std::nullopt;
  try {
    auto paths = cabin::config::resolve_store_paths(argv[2], argv[4], driver);
    return cabin::engine::monitor_main(paths, argv[i + 1], 3, attached ? 4 : -1);
  } catch (const cabin::Error& e) {
    return e.exit_code();
  }
}

// A full disk: usually the store's (even if what failed was cleaned up and
// freed its space since); say where it is and what frees space there.
std::string full_store_hint(const cabin::Error& e, const std::string& graphroot) {
  int err = e.code().value();
  struct statvfs st {};
  if ((err != ENOSPC && err != EDQUOT) || graphroot.empty() || ::statvfs(graphroot.c_str(), &st) != 0) return "";
  return fmt::format(" (cabin's store {} has {} free: `cabin system df` shows what it holds, `cabin system prune` removes what is unused)",
                     graphroot, cabin::format::human_size(static_cast<double>(st.f_bavail) * st.f_frsize));
}

// Docker mode: DOCKER_HOST names a daemon. cabin has none; a local socket
// only says "the engine on this machine", which cabin is, but a remote one
// means the script wants containers elsewhere: acting locally would be wrong.
void check_docker_host() {
  const char* host = std::getenv("DOCKER_HOST");
  if (host == nullptr || *host == '\0') return;
  std::string_view h = host;
  if (h.rfind("unix://", 0) == 0) {
    cabin::log::debug("ignoring DOCKER_HOST={}: cabin has no daemon and acts on this machine", h);
    return;
  }
  cabin::fail("DOCKER_HOST={} names a remote daemon, but cabin has no daemon and only manages this machine's "
              "containers: unset DOCKER_HOST to use them",
              h);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 0) cabin::config::set_cli_mode(cabin::config::mode_for_program(argv[0]));
  if (auto code = monitor_fast_path(argc, argv)) return *code;
  if (argc >= 2 && std::string_view(argv[1]) == "__complete")
    return cabin::cmd::complete_main({argv + 2, static_cast<size_t>(argc - 2)});
  if (argc == 3 && std::string_view(argv[1]) == "__man") return cabin::cmd::man_main(argv[2]);
  Globals globals;
  CLI::App app;
  cabin::cmd::add_global_options(app, globals);

  std::map<const CLI::App*, Bound> bound;
  std::vector<std::string_view> words(argv + 1, argv + argc);
  cabin::cmd::add_commands(app, cabin::cmd::commands(), globals, bound, words);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_parse_error(app, e);
  } catch (const cabin::Error& e) {  // from an option's own validation
    fmt::print(stderr, "Error: {}\n", e.what());
    return e.exit_code();
  }

  const CLI::App* selected = deepest_subcommand(&app);
  auto it = bound.find(selected);
  if (it == bound.end()) {
    fmt::print(stderr, "Error: missing command '{} COMMAND'\n", command_path(selected));
    return cabin::kExitError;
  }

  try {
    cabin::log::set_level(cabin::log::parse_level(globals.log_level));
    if (cabin::config::docker_mode()) check_docker_host();
    globals.paths =
        cabin::config::resolve_store_paths(globals.root, globals.runroot, globals.storage_driver);
    if (it->second.command->needs == Needs::UserNS) cabin::cmd::enter_userns(globals);
    return it->second.run();
  } catch (const cabin::Error& e) {
    fmt::print(stderr, "Error: {}{}\n", e.what(), full_store_hint(e, globals.paths.graphroot));
    return e.exit_code();
  } catch (const std::exception& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return cabin::kExitError;
  }
}
