// Output shared by every listing and inspect command: --format handling,
// tables aligned like Go's text/tabwriter, JSON.
//
// The rules follow Podman 4.3 (containers/common v0.50 pkg/report):
//  - "json" (or "{{json .}}", "{{ json }}", blanks around allowed) asks for
//    JSON instead of a template;
//  - "table " at the start of a format asks for a header row and aligned
//    columns; in such a format every blank becomes a column break, and
//    "table " is removed wherever it occurs;
//  - the two characters \t and \n in a format become a tab and a newline;
//  - a newline is appended when the format does not end with one;
//  - unless the format already contains {{range .}}…{{end}}, it runs once
//    per row ({{range .}}FORMAT{{end -}}), so $ is the whole list;
//  - if the format no longer parses after those rewrites (say
//    '{{printf "\n"}}'), the original is used, wrapped in the range only.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cabin::format {

// Column headers for the "table" prefix: field name → header ("ID" → "IMAGE ID").
// A field not in the map gets its name upper-cased with spaces between words.
using Headers = std::map<std::string, std::string, std::less<>>;

struct ListOptions {
  std::string format;          // the user's --format (may be empty)
  std::string default_format;  // used when format is empty, e.g. "table {{.ID}}\t{{.Name}}"
  Headers headers;
  bool noheading = false;
  // Indentation of --format json. Podman's differs per command: images and
  // search 4, ps, pods, volumes and networks 2, mount and stats 1.
  int json_indent = 4;
  // The template's name in error messages; Podman uses the command's name
  // ("template: images:1:13: executing \"images\" at <.Foo>: …").
  std::string name = "list";
  // Docker mode (config/mode.h): "json" / "{{json .}}" prints each row as one
  // line of compact JSON, as `docker ps --format '{{json .}}'` does, with
  // only these keys (all of the row's when empty).
  std::vector<std::string> docker_json_keys;
};

// Prints rows (JSON objects carrying every template field) per --format:
// "json" prints json_rows as an indented JSON array (in Docker mode: each
// row on a line, see docker_json_keys); "table …" prints a header
// row and aligned columns; any other template prints one execution per row.
// With no --format, default_format is used, always with a header row (unless
// noheading) and aligned columns, as Podman does for its own formats.
// On a template error the output produced so far is printed, then the
// cabin::Error is thrown.
void print_list(std::FILE* out, const ListOptions& opts, const std::vector<nlohmann::json>& rows,
                const nlohmann::json& json_rows);
// The same with JSON rows whose keys keep their order, as Go writes a
// struct's fields (nlohmann::json sorts keys, as Go writes a map's).
void print_list(std::FILE* out, const ListOptions& opts, const std::vector<nlohmann::json>& rows,
                const nlohmann::ordered_json& json_rows);

// inspect: empty or "json" → the JSON array indented as Podman does; a
// template → one execution per object.
// A template sees the objects as JSON objects (nlohmann::json), whatever
// their key order.
void print_inspect(std::FILE* out, std::string_view format, const nlohmann::json& objects);
void print_inspect(std::FILE* out, std::string_view format, const nlohmann::ordered_json& objects);
// Same, for when the template should see other data than the JSON shows
// (Go templates see Go field names: "ID", where the JSON has "Id").
void print_inspect(std::FILE* out, std::string_view format, const nlohmann::json& json_objects,
                   const nlohmann::json& template_objects);
void print_inspect(std::FILE* out, std::string_view format, const nlohmann::ordered_json& json_objects,
                   const nlohmann::json& template_objects);

// One object, as `podman version` and `podman info` print it: "json" gives
// compact JSON (indent > 0: indented by that many spaces), a template runs
// once against the object (no range), "table …" aligns columns. Objects are
// Go structs to the template (ExecOptions::structs).
void print_object(std::FILE* out, std::string_view format, const nlohmann::json& object, int json_indent = 0,
                  std::string_view name = "format");
void print_object(std::FILE* out, std::string_view format, const nlohmann::ordered_json& object,
                  int json_indent = 0, std::string_view name = "format");

// Go's text/tabwriter. The default settings are Podman's: minwidth 12,
// tabwidth 2, padding 2, padding with blanks, StripEscape.
class TabWriter {
 public:
  enum Flags : unsigned {
    kFilterHTML = 1,           // HTML tags have width 0, entities width 1
    kStripEscape = 2,          // drop the 0xff escape bytes from the output
    kAlignRight = 4,           // pad on the left
    kDiscardEmptyColumns = 8,  // an all-empty column gets no width
    kTabIndent = 16,           // leading empty cells become tabs
    kDebug = 32,               // '|' between columns
  };
  struct Settings {
    int minwidth = 12;  // minimal cell width including padding
    int tabwidth = 2;   // width of a tab for padding with tabs
    int padding = 2;    // added to a cell's width
    char padchar = ' ';
    unsigned flags = kStripEscape;
  };

  explicit TabWriter(std::FILE* out);
  TabWriter(std::FILE* out, const Settings& settings);
  // Writes into *out instead of a FILE.
  explicit TabWriter(std::string* out);
  TabWriter(std::string* out, const Settings& settings);

  // Cells are terminated by '\t' (or '\v' for soft cells), lines by '\n'; a
  // line with a single cell or a '\f' ends a block of aligned columns. The
  // last cell of a line is not a column and is never padded.
  void write(std::string_view text);
  // Formats and writes everything buffered.
  void flush();

 private:
  struct Cell {
    int size = 0;    // bytes
    int width = 0;   // runes
    bool htab = false;
  };

  void emit(std::string_view s);
  void add_line();
  void reset();
  void update_width();
  void terminate_cell(bool htab);
  void start_escape(char ch);
  void end_escape();
  void write_padding(int textw, int cellw, bool use_tabs);
  size_t write_lines(size_t pos0, size_t line0, size_t line1);
  size_t format(size_t pos0, size_t line0, size_t line1);
  void flush_buffered();

  std::FILE* out_ = nullptr;
  std::string* sink_ = nullptr;
  Settings s_;
  std::string buffer_;  // text of the cells, without tabs and newlines
  size_t pos_ = 0;      // up to where the current cell's width is counted
  Cell cell_;
  char end_char_ = 0;   // end of the escape or HTML sequence being read
  std::vector<std::vector<Cell>> lines_;
  std::vector<int> widths_;
};

// Go's encoding/json output: compact when indent is empty, else like
// json.MarshalIndent(v, "", indent). escape_html writes <, > and & as
// \u003c, \u003e and \u0026 as json.Marshal does (Podman's list --format
// json); inspect and the json template function leave them.
std::string go_json(const nlohmann::json& value, std::string_view indent = {}, bool escape_html = false);
std::string go_json(const nlohmann::ordered_json& value, std::string_view indent = {}, bool escape_html = false);

// report.IsJSON: the format asks for JSON.
bool is_json_format(std::string_view format);
// report.NormalizeFormat: see the rules at the top of this file.
std::string normalize_format(std::string_view format);
// report.EnforceRange: wraps the format in {{range .}}…{{end -}} unless it
// has such a range already.
std::string enforce_range(std::string_view format);
// The default header of a field: "RepoDigests" → "REPO DIGESTS".
std::string header_for_field(std::string_view field);

}  // namespace cabin::format
