// `cabin __man DIR`: the man pages, written from the same CLI11 tree that
// prints --help (cmd/cli.h), so that a flag cannot be in one and not the
// other. meson runs it at build time (build/man/) and at install.
//
// One page per command path: cabin(1), cabin-run(1), cabin-image-ls(1), ...
// Each has NAME, SYNOPSIS, DESCRIPTION (the summary and the command's
// --help footer), ARGUMENTS, OPTIONS (every flag, with its value type and
// default), COMMANDS for groups, and SEE ALSO (the Podman page it follows).
// A flag without a description is an error: the build fails on it.
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cabin-config.h"
#include "cmd/cli.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

// Text for roff: backslashes escaped, no line taken for a request.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\')
      out += "\\e";
    else
      out += c;
    line_start = c == '\n';
  }
  return out;
}

// A literal word in bold: "--all" → \fB\-\-all\fR.
std::string bold(std::string_view word) {
  std::string out = "\\fB";
  for (char c : word) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out + "\\fR";
}

std::string page_name(const CLI::App* app) {
  std::string path = command_path(app);
  std::replace(path.begin(), path.end(), ' ', '-');
  return path;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool hidden(const CLI::App* app) { return app->get_group().empty() || app->get_name().starts_with("__"); }

std::vector<const CLI::App*> visible_subcommands(const CLI::App* app) {
  std::vector<const CLI::App*> out;
  for (const CLI::App* sub : app->get_subcommands({}))
    if (!hidden(sub)) out.push_back(sub);
  return out;
}

std::string synopsis(const CLI::App* app) {
  std::string s = fmt::format(".B {}\n[\\fIoptions\\fR]", command_path(app));
  if (auto args = usage_args(app); !args.empty()) return s + " " + roff(args) + "\n";
  if (!visible_subcommands(app).empty()) s += app->get_require_subcommand_min() > 0 ? " \\fIcommand\\fR" : " [\\fIcommand\\fR]";
  for (const CLI::Option* o : app->get_options()) {
    if (!o->get_positional()) continue;
    std::string arg = fmt::format("\\fI{}\\fR", o->get_name());
    if (o->get_items_expected_max() > 1) arg += " ...";
    s += o->get_required() ? " " + arg : " [" + arg + "]";
  }
  return s + "\n";
}

void write_options(std::string& page, const CLI::App* app, const std::string& where) {
  std::string args, opts;
  for (const CLI::Option* o : app->get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    if (o->get_description().empty()) fail("{}: {} has no description: every flag needs one for --help and the man page", where, o->get_name());
    if (o->get_positional()) {
      args += fmt::format(".TP\n\\fI{}\\fR\n{}\n", o->get_name(), roff(o->get_description()));
      continue;
    }
    std::vector<std::string> names;
    for (const auto& s : o->get_snames()) names.push_back(bold("-" + s));
    for (const auto& l : o->get_lnames()) names.push_back(bold("--" + l));
    std::string head = fmt::format("{}", fmt::join(names, ", "));
    if (o->get_type_size_max() > 0 && o->get_expected_max() > 0)
      head += fmt::format("=\\fI{}\\fR", o->get_type_name().empty() ? "VALUE" : o->get_type_name());
    std::string text = roff(o->get_description());
    if (!o->get_default_str().empty()) text += fmt::format(" (default: {})", roff(o->get_default_str()));
    opts += fmt::format(".TP\n{}\n{}\n", head, text);
  }
  if (!args.empty()) page += ".SH ARGUMENTS\n" + args;
  if (!opts.empty()) page += ".SH OPTIONS\n" + opts;
}

// A --help footer that starts so is the EXAMPLES section (cmd/examples.cpp).
constexpr std::string_view kExamples = "Examples:\n";

// The ENVIRONMENT and FILES of cabin(1).
constexpr std::string_view kRootExtra = R"(.SH ENVIRONMENT
.TP
\fBCONTAINERS_CONF\fR, \fBCONTAINERS_CONF_OVERRIDE\fR
A containers.conf to read instead of the usual ones, and one to read last.
.TP
\fBCONTAINERS_REGISTRIES_CONF\fR
The registries.conf to read (search registries, mirrors, insecure registries).
.TP
\fBCONTAINERS_STORAGE_CONF\fR
The storage.conf to read (driver, graphroot, runroot).
.TP
\fBREGISTRY_AUTH_FILE\fR
The auth.json that login writes and pull and push read.
.TP
\fBXDG_RUNTIME_DIR\fR, \fBXDG_DATA_HOME\fR, \fBXDG_CONFIG_HOME\fR
Where cabin keeps runtime state, its store, and looks for configuration.
.SH FILES
.TP
\fI~/.local/share/cabin\fR
The store of a rootless user: images, layers, containers, volumes (root: \fI/var/lib/cabin\fR).
.TP
\fI~/.config/containers/\fR, \fI/etc/containers/\fR
containers.conf, registries.conf, storage.conf and auth.json, as Podman reads them; \fBcabin info\fR lists the files it read.
.TP
\fI/etc/subuid\fR, \fI/etc/subgid\fR
Subordinate id ranges for the user namespace; without them cabin maps the user alone. \fBcabin system doctor\fR checks them.
.SH EXIT STATUS
0 on success; 125 when cabin itself fails; 126 when the container's command cannot be invoked; 127 when it is not found; otherwise the container's own exit status.
)";

void write_page(const CLI::App* app, std::map<std::string, std::string>& written) {
  std::string name = page_name(app);
  std::string page = fmt::format(".TH {} 1 \"\" \"cabin {}\" \"cabin Manual\"\n", upper(name), CABIN_VERSION);
  std::string summary = app->get_description();
  page += fmt::format(".SH NAME\n{} \\- {}\n", bold(name), roff(summary));
  page += ".SH SYNOPSIS\n" + synopsis(app);
  page += ".SH DESCRIPTION\n" + roff(summary) + ".\n";
  std::string footer = app->get_footer(), examples;
  if (footer.starts_with(kExamples)) std::swap(footer, examples);
  if (!footer.empty()) page += ".PP\n" + roff(footer) + "\n";
  if (!app->get_aliases().empty())
    page += fmt::format(".PP\nAlso spelled: {}.\n", fmt::join(app->get_aliases(), ", "));
  write_options(page, app, command_path(app));
  auto subs = visible_subcommands(app);
  if (!subs.empty()) {
    page += ".SH COMMANDS\n";
    for (const CLI::App* sub : subs)
      page += fmt::format(".TP\n{}\n{}. See \\fB{}\\fR(1).\n", bold(sub->get_name()), roff(sub->get_description()),
                          page_name(sub));
  }
  if (!examples.empty()) {
    page += ".SH EXAMPLES\n.nf\n.RS\n";
    for (std::string_view line : split(examples.substr(kExamples.size()), '\n'))
      page += roff(line.substr(std::min(line.find_first_not_of(' '), line.size()))) + "\n";
    page += ".RE\n.fi\n";
  }
  if (!app->get_parent()) page += kRootExtra;
  page += ".SH SEE ALSO\n";
  std::string podman = "podman" + name.substr(std::string_view("cabin").size());
  page += app->get_parent() ? fmt::format("\\fB{}\\fR(1), \\fB{}\\fR(1)\n", page_name(app->get_parent()), podman)
                            : "\\fBpodman\\fR(1), \\fBcontainers.conf\\fR(5), \\fBcontainers-registries.conf\\fR(5)\n";
  written[name] = page;
  for (const CLI::App* sub : subs) write_page(sub, written);
}

}  // namespace

int man_main(const std::string& dir) {
  try {
    Globals globals;
    CLI::App root;
    add_global_options(root, globals);
    std::map<const CLI::App*, Bound> bound;
    add_commands(root, commands(), globals, bound, {}, true);
    std::map<std::string, std::string> pages;
    write_page(&root, pages);
    with_context(fmt::format("writing the man pages to {}", dir), [&] {
      fs::mkdir_p(dir, 0755);
      for (const auto& [name, text] : pages) fs::write_file_atomic(fs::join(dir, name + ".1"), text);
    });
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "Error: {}\n", e.what());
    return e.exit_code();
  }
}

}  // namespace cabin::cmd
