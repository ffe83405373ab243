// Output shared by every listing and inspect command: --format handling,
// tables aligned like Go's text/tabwriter, JSON.
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
};

// Prints rows (JSON objects carrying every template field) per --format:
// "json" prints json_rows as an indented JSON array; "table …" prints a header
// row and aligned columns; any other template prints one execution per row.
void print_list(std::FILE* out, const ListOptions& opts, const std::vector<nlohmann::json>& rows,
                const nlohmann::json& json_rows);

// inspect: empty or "json" → the JSON array indented as Podman does; a
// template → one execution per object.
void print_inspect(std::FILE* out, std::string_view format, const nlohmann::json& objects);

// Go's text/tabwriter with Podman's settings (minwidth, tabwidth, padding).
class TabWriter {
 public:
  explicit TabWriter(std::FILE* out);
  void write(std::string_view text);  // cells separated by '\t', rows by '\n'
  void flush();

 private:
  std::FILE* out_;
  std::string buffer_;
};

}  // namespace cabin::format
