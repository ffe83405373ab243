// The command line as a CLI11 tree, built from the command table
// (cmd/command.h). main parses with it; `cabin __complete` and the man page
// generator (`cabin __man DIR`) read the same tree, so that --help, the man
// pages and shell completion cannot disagree.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/command.h"

namespace cabin::cmd {

struct Bound {
  const Command* command;
  Runner run;
};

// cabin's description, -v/--version and the global options (--root, ...).
void add_global_options(CLI::App& app, Globals& globals);

// Adds table's commands under parent. Every command is listed (for --help
// and suggestions), but only those named in words get their options: binding
// all of them would cost every invocation more than most commands take to
// run. With all, every command is bound (for the man pages).
void add_commands(CLI::App& parent, std::span<const Command> table, Globals& globals,
                  std::map<const CLI::App*, Bound>& bound, const std::vector<std::string_view>& words,
                  bool all = false);

// The arguments a command takes, for --help's Usage line and the man page's
// SYNOPSIS, where CLI11 cannot tell them: a prefix command's
// ("IMAGE [COMMAND [ARG...]]").
void set_usage(CLI::App& app, std::string args);
std::string usage_args(const CLI::App* app);

// The examples --help ends with (and the man page's EXAMPLES), one per line.
std::string_view examples(Binder bind);

const CLI::App* deepest_subcommand(const CLI::App* app);
// "cabin image ls"
std::string command_path(const CLI::App* app);

// `cabin __complete WORDS… CURRENT`: the candidates for CURRENT, one per
// line, then ":DIRECTIVE" as Cobra's (and so Podman's) completion prints
// them. completions/ holds the bash, zsh and fish scripts that call it.
int complete_main(std::span<char*> args);

// `cabin __man DIR`: writes cabin.1 and a cabin-COMMAND.1 for every command.
int man_main(const std::string& dir);

}  // namespace cabin::cmd
