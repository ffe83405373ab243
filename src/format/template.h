// Go text/template, as Podman's and Docker's --format accept it.
//
// Data is JSON: objects stand for Go structs and maps, arrays for slices,
// null for nil. An object whose keys are all exported Go identifiers
// ("ID", "Names", "RepoTags") behaves like a struct: a missing field is an
// error, as Go reports for a struct. Any other object ("io.buildah.version",
// an empty object) behaves like a map: a missing key is <no value>.
// Objects always print as Go prints maps: map[k:v k2:v2], keys sorted.
//
// Functions: Go's builtins (and, or, not, len, index, slice, print, printf,
// println, eq, ne, lt, le, gt, ge, html, js, urlquery, call) and Podman's
// (containers/common pkg/report: join, json, lower, pad, split, title,
// truncate, upper). Complex number constants are not supported.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cabin::format {

struct TemplateNode;

struct ExecOptions {
  // Treat every object as a Go map, never as a struct: a missing key prints
  // <no value> instead of failing. Podman executes table headers against a
  // map[string]string, so print_list uses this for the header row.
  bool maps_only = false;
  // Treat every non-empty object as a Go struct: a missing field fails. For
  // data whose keys are JSON tags ("graphRoot") rather than Go field names,
  // as `info` and `version` print: fields are matched ignoring case.
  bool structs = false;
};

class Template {
 public:
  // Parses Go text/template syntax; throws cabin::Error "template: …" with
  // the position on a syntax error.
  static Template parse(std::string_view text);
  // Same, with the template's name as Go's errors show it
  // ("template: images:1:13: executing \"images\" at <.Foo>: …"). The
  // one-argument parse names the template "format".
  static Template parse(std::string_view text, std::string_view name);
  // Executes against data (JSON objects stand for Go structs and maps).
  // Throws cabin::Error on an unknown field or function, naming it.
  std::string execute(const nlohmann::json& data) const;
  // Appends the output to out as it is produced; when execution fails, out
  // keeps what was written before the error (Go writes partial output too).
  void execute(std::string& out, const nlohmann::json& data, const ExecOptions& opts = {}) const;

  // Names of the fields the template reads anywhere ("{{.A.B}}" gives "A"),
  // sorted and unique; print_list derives table headers from them.
  std::vector<std::string> fields() const;

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

 private:
  Template();
  std::shared_ptr<const TemplateNode> root_;
};

// Go's fmt.Sprint / %v printing of a JSON value, as {{.}} prints it:
// "[a b]", "map[k:v]", null as "<no value>".
std::string go_print(const nlohmann::json& value);

}  // namespace cabin::format
