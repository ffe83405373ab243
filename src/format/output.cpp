// --format handling as Podman does it (containers/common pkg/report), Go's
// text/tabwriter and Go's encoding/json output.
#include "format/output.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "config/mode.h"
#include "format/template.h"
#include "util/error.h"

namespace cabin::format {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------
// Go's encoding/json.

constexpr char kHex[] = "0123456789abcdef";

// Decodes one UTF-8 sequence; returns its length, or 0 when invalid.
int utf8_len(std::string_view s, size_t i, uint32_t* rune) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF && cont(1)) {
    *rune = ((c & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
    uint32_t r = ((c & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) {
      *rune = r;
      return 3;
    }
  }
  if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    uint32_t r = ((c & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
    if (r >= 0x10000 && r <= 0x10FFFF) {
      *rune = r;
      return 4;
    }
  }
  return 0;
}

void json_string(std::string& out, std::string_view s, bool escape_html) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      bool html = c == '<' || c == '>' || c == '&';
      if (c >= 0x20 && c != '"' && c != '\\' && !(escape_html && html)) {
        out += static_cast<char>(c);
      } else {
        switch (c) {
          case '\\': case '"': out += '\\'; out += static_cast<char>(c); break;
          case '\n': out += "\\n"; break;
          case '\r': out += "\\r"; break;
          case '\t': out += "\\t"; break;
          default:
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        }
      }
      ++i;
      continue;
    }
    uint32_t r = 0;
    int n = utf8_len(s, i, &r);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (r == 0x2028 || r == 0x2029) {
      out += "\\u202";
      out += kHex[r & 0xF];
    } else {
      out.append(s.substr(i, static_cast<size_t>(n)));
    }
    i += static_cast<size_t>(n);
  }
  out += '"';
}

// Go's float encoding: shortest digits, 'f' form, or 'e' form when the
// magnitude is below 1e-6 or at least 1e21 ("1e-07" written "1e-7").
void json_float(std::string& out, double f) {
  if (!std::isfinite(f)) {
    out += "null";  // Go refuses these; JSON has no spelling for them
    return;
  }
  double a = std::fabs(f);
  char buf[64];
  std::to_chars_result res;
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string s(buf, res.ptr);
    // to_chars writes "1e-07" like Go's strconv; Go's encoder shortens
    // a negative two-digit exponent with a leading zero.
    size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
    out += s;
    return;
  }
  res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  out.append(buf, res.ptr);
}

// J is nlohmann::json (keys sorted, as Go sorts map keys) or
// nlohmann::ordered_json (keys as inserted, as Go writes struct fields).
template <typename J>
void json_encode(std::string& out, const J& v, std::string_view indent, bool escape_html, int depth) {
  auto newline = [&](int d) {
    out += '\n';
    for (int i = 0; i < d; ++i) out += indent;
  };
  using value_t = nlohmann::detail::value_t;
  switch (v.type()) {
    case value_t::null:
    case value_t::discarded:
      out += "null";
      return;
    case value_t::boolean:
      out += v.template get<bool>() ? "true" : "false";
      return;
    case value_t::number_integer:
      out += std::to_string(v.template get<int64_t>());
      return;
    case value_t::number_unsigned:
      out += std::to_string(v.template get<uint64_t>());
      return;
    case value_t::number_float:
      json_float(out, v.template get<double>());
      return;
    case value_t::string:
      json_string(out, v.template get_ref<const std::string&>(), escape_html);
      return;
    case value_t::binary: {
      // Go encodes []byte as base64; cabin's data has no binary values.
      out += "null";
      return;
    }
    case value_t::array: {
      if (v.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        if (!indent.empty()) newline(depth + 1);
        json_encode(out, e, indent, escape_html, depth + 1);
      }
      if (!indent.empty()) newline(depth);
      out += ']';
      return;
    }
    case value_t::object: {
      if (v.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& item : v.items()) {
        if (!first) out += ',';
        first = false;
        if (!indent.empty()) newline(depth + 1);
        json_string(out, item.key(), escape_html);
        out += indent.empty() ? ":" : ": ";
        json_encode(out, item.value(), indent, escape_html, depth + 1);
      }
      if (!indent.empty()) newline(depth);
      out += '}';
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// containers/common pkg/report.

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool re2_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

enum class Origin { Unknown, Podman, User };

struct Report {
  std::optional<Template> tmpl;
  bool table = false;
  bool tabwriter = false;  // output goes through a TabWriter
  bool headers = false;    // a header row is wanted
};

// Formatter.Parse: the format rewritten as Podman rewrites it, parsed; if
// the rewritten text does not parse, the original is tried.
Report parse_report(Origin origin, std::string_view text, std::string_view name) {
  Report r;
  std::string norm, raw;
  if (starts_with(text, "table ")) {
    r.table = true;
    norm = "{{range .}}" + normalize_format(text) + "{{end -}}";
    raw = "{{range .}}" + std::string(text) + "{{end -}}";
  } else if (origin != Origin::Unknown) {
    norm = enforce_range(normalize_format(text));
    raw = enforce_range(text);
  } else {
    norm = normalize_format(text);
    raw = std::string(text);
  }
  if (r.table || origin == Origin::Podman) r.tabwriter = r.headers = true;
  try {
    r.tmpl = Template::parse(norm, name);
  } catch (const Error&) {
    r.tmpl = Template::parse(raw, name);
  }
  return r;
}

// Writes the template's output to the FILE, through a TabWriter when asked.
class Sink {
 public:
  Sink(std::FILE* out, bool tabwriter) : out_(out) {
    if (tabwriter) tw_.emplace(out);
  }
  void write(std::string_view s) {
    if (tw_)
      tw_->write(s);
    else
      std::fwrite(s.data(), 1, s.size(), out_);
  }
  void flush() {
    if (tw_) tw_->flush();
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  std::optional<TabWriter> tw_;
};

// Runs the template, writing what it produced even when it fails, as Go
// (writing as it executes) and Podman (flushing in a defer) do.
void run(Sink& sink, const Template& t, const json& data, const ExecOptions& opts = {}) {
  std::string buf;
  try {
    t.execute(buf, data, opts);
  } catch (...) {
    sink.write(buf);
    sink.flush();
    throw;
  }
  sink.write(buf);
}

json header_row(const Template& t, const std::vector<json>& rows, const Headers& headers) {
  std::set<std::string, std::less<>> names;
  for (const auto& row : rows)
    if (row.is_object())
      for (const auto& item : row.items()) names.insert(item.key());
  for (const auto& [k, v] : headers) names.insert(k);
  // With no rows to tell the fields, take those the template reads, so
  // that an empty list still gets its header row. (With rows, a field they
  // lack prints <no value> in the header, as in Podman.)
  if (rows.empty())
    for (auto& f : t.fields()) names.insert(std::move(f));
  json h = json::object();
  for (const auto& n : names) {
    // Podman upper-cases the headers it is given, too.
    auto it = headers.find(n);
    if (it == headers.end()) {
      h[n] = header_for_field(n);
      continue;
    }
    std::string v = it->second;
    for (char& c : v)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    h[n] = v;
  }
  return h;
}

}  // namespace

std::string go_json(const nlohmann::json& value, std::string_view indent, bool escape_html) {
  std::string out;
  json_encode(out, value, indent, escape_html, 0);
  return out;
}

std::string go_json(const nlohmann::ordered_json& value, std::string_view indent, bool escape_html) {
  std::string out;
  json_encode(out, value, indent, escape_html, 0);
  return out;
}

bool is_json_format(std::string_view s) {
  while (!s.empty() && re2_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && re2_space(s.back())) s.remove_suffix(1);
  if (s == "json") return true;
  if (!starts_with(s, "{{") || s.size() < 4 || s.substr(s.size() - 2) != "}}") return false;
  s = s.substr(2, s.size() - 4);
  while (!s.empty() && re2_space(s.front())) s.remove_prefix(1);
  if (!starts_with(s, "json")) return false;
  s.remove_prefix(4);
  while (!s.empty() && re2_space(s.front())) s.remove_prefix(1);
  if (!s.empty() && s.front() == '.') s.remove_prefix(1);
  while (!s.empty() && re2_space(s.front())) s.remove_prefix(1);
  return s.empty();
}

std::string normalize_format(std::string_view format) {
  std::string f;
  bool table = starts_with(format, "table ");
  for (size_t i = 0; i < format.size();) {
    std::string_view rest = format.substr(i);
    if (table && starts_with(rest, "table ")) {
      i += 6;
    } else if (starts_with(rest, "\\t")) {
      f += '\t';
      i += 2;
    } else if (table && rest[0] == ' ') {
      f += '\t';
      i += 1;
    } else if (starts_with(rest, "\\n")) {
      f += '\n';
      i += 2;
    } else {
      f += rest[0];
      i += 1;
    }
  }
  if (f.empty() || f.back() != '\n') f += '\n';
  return f;
}

namespace {

// Matches "{{" \s* word \s* [mark] \s* "}}" at s[i]; returns the index after
// it, or npos. With optional_mark, the mark may be missing.
size_t match_action(std::string_view s, size_t i, std::string_view word, char mark, bool optional_mark) {
  auto skip = [&] {
    while (i < s.size() && re2_space(s[i])) ++i;
  };
  if (s.substr(i, 2) != "{{") return std::string_view::npos;
  i += 2;
  skip();
  if (s.substr(i, word.size()) != word) return std::string_view::npos;
  i += word.size();
  skip();
  if (i < s.size() && s[i] == mark)
    ++i;
  else if (!optional_mark)
    return std::string_view::npos;
  skip();
  if (s.substr(i, 2) != "}}") return std::string_view::npos;
  return i + 2;
}

}  // namespace

std::string enforce_range(std::string_view format) {
  // Podman's test: (?s){{\s*range\s*\.\s*}}.*{{\s*end\s*-?\s*}}
  for (size_t i = format.find("{{"); i != std::string_view::npos; i = format.find("{{", i + 1)) {
    size_t open_end = match_action(format, i, "range", '.', false);
    if (open_end == std::string_view::npos) continue;
    for (size_t j = format.find("{{", open_end); j != std::string_view::npos; j = format.find("{{", j + 1))
      if (match_action(format, j, "end", '-', true) != std::string_view::npos) return std::string(format);
    break;  // no end after the first range: none after a later one either
  }
  return "{{range .}}" + std::string(format) + "{{end -}}";
}

std::string header_for_field(std::string_view field) {
  // camelcase.Split: runs of lower case, upper case, digits and others; an
  // upper-case run followed by lower case gives its last letter to the
  // lower-case run ("IPAddress" → "IP", "Address").
  auto cls = [](char c) {
    if (c >= 'a' && c <= 'z') return 1;
    if (c >= 'A' && c <= 'Z') return 2;
    if (c >= '0' && c <= '9') return 3;
    return 4;
  };
  std::vector<std::string> runs;
  int last = 0;
  for (char c : field) {
    int k = cls(c);
    if (k == last && !runs.empty())
      runs.back() += c;
    else
      runs.emplace_back(1, c);
    last = k;
  }
  for (size_t i = 0; i + 1 < runs.size(); ++i) {
    if (cls(runs[i][0]) == 2 && cls(runs[i + 1][0]) == 1) {
      runs[i + 1].insert(runs[i + 1].begin(), runs[i].back());
      runs[i].pop_back();
    }
  }
  std::string out;
  for (const auto& r : runs) {
    if (r.empty()) continue;
    if (!out.empty()) out += ' ';
    out += r;
  }
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

namespace {

void write_all(std::FILE* out, std::string s) {
  s += '\n';
  std::fwrite(s.data(), 1, s.size(), out);
  std::fflush(out);
}

template <typename J>
void print_list_impl(std::FILE* out, const ListOptions& opts, const std::vector<json>& rows, const J& json_rows) {
  if (!opts.format.empty() && is_json_format(opts.format) && config::docker_mode()) {
    // Docker's {{json .}}: json.Marshal of each row (HTML escaped), a line each.
    for (const auto& row : rows) {
      json shown = row;
      if (!opts.docker_json_keys.empty()) {
        shown = json::object();
        for (const auto& k : opts.docker_json_keys) shown[k] = row.contains(k) ? row[k] : json("");
      }
      write_all(out, go_json(shown, "", true));
    }
    return;
  }
  if (!opts.format.empty() && is_json_format(opts.format)) {
    // json.MarshalIndent, which escapes HTML.
    write_all(out, go_json(json_rows, std::string(static_cast<size_t>(std::max(opts.json_indent, 0)), ' '), true));
    return;
  }
  bool user = !opts.format.empty();
  Report r = parse_report(user ? Origin::User : Origin::Podman, user ? opts.format : opts.default_format, opts.name);
  Sink sink(out, r.tabwriter);
  if (r.headers && !opts.noheading) {
    json hdr = json::array({header_row(*r.tmpl, rows, opts.headers)});
    run(sink, *r.tmpl, hdr, ExecOptions{true});
  }
  run(sink, *r.tmpl, json(rows));
  sink.flush();
}

template <typename J>
void print_inspect_impl(std::FILE* out, std::string_view format, const J& json_objects, const json& template_objects) {
  if (format.empty() || is_json_format(format)) {
    // json.Encoder with SetIndent("", "     ") and no HTML escaping; Encode
    // ends with a newline.
    write_all(out, go_json(json_objects, "     ", false));
    return;
  }
  Report r = parse_report(Origin::User, format, "inspect");
  Sink sink(out, r.tabwriter);
  run(sink, *r.tmpl, template_objects.is_array() ? template_objects : json::array({template_objects}));
  sink.flush();
}

template <typename J>
void print_object_impl(std::FILE* out, std::string_view format, const J& object, int json_indent,
                       std::string_view name) {
  if (is_json_format(format)) {
    write_all(out, go_json(object, std::string(static_cast<size_t>(std::max(json_indent, 0)), ' '), false));
    return;
  }
  Report r = parse_report(Origin::Unknown, format, name);
  Sink sink(out, r.tabwriter);
  // version and info are Go structs in Podman: unknown fields fail.
  ExecOptions opts;
  opts.structs = true;
  run(sink, *r.tmpl, json(object), opts);
  sink.flush();
}

}  // namespace

void print_list(std::FILE* out, const ListOptions& opts, const std::vector<nlohmann::json>& rows,
                const nlohmann::json& json_rows) {
  print_list_impl(out, opts, rows, json_rows);
}

void print_list(std::FILE* out, const ListOptions& opts, const std::vector<nlohmann::json>& rows,
                const nlohmann::ordered_json& json_rows) {
  print_list_impl(out, opts, rows, json_rows);
}

void print_inspect(std::FILE* out, std::string_view format, const nlohmann::json& objects) {
  print_inspect_impl(out, format, objects, objects);
}

void print_inspect(std::FILE* out, std::string_view format, const nlohmann::ordered_json& objects) {
  print_inspect_impl(out, format, objects, json(objects));
}

void print_inspect(std::FILE* out, std::string_view format, const nlohmann::json& json_objects,
                   const nlohmann::json& template_objects) {
  print_inspect_impl(out, format, json_objects, template_objects);
}

void print_inspect(std::FILE* out, std::string_view format, const nlohmann::ordered_json& json_objects,
                   const nlohmann::json& template_objects) {
  print_inspect_impl(out, format, json_objects, template_objects);
}

void print_object(std::FILE* out, std::string_view format, const nlohmann::json& object, int json_indent,
                  std::string_view name) {
  print_object_impl(out, format, object, json_indent, name);
}

void print_object(std::FILE* out, std::string_view format, const nlohmann::ordered_json& object, int json_indent,
                  std::string_view name) {
  print_object_impl(out, format, object, json_indent, name);
}

// ---------------------------------------------------------------------------
// TabWriter: Go's text/tabwriter.

TabWriter::TabWriter(std::FILE* out) : TabWriter(out, Settings()) {}

TabWriter::TabWriter(std::FILE* out, const Settings& settings) : out_(out), s_(settings) {
  if (s_.padchar == '\t') s_.flags &= ~kAlignRight;
  reset();
}

TabWriter::TabWriter(std::string* out) : TabWriter(out, Settings()) {}

TabWriter::TabWriter(std::string* out, const Settings& settings) : sink_(out), s_(settings) {
  if (s_.padchar == '\t') s_.flags &= ~kAlignRight;
  reset();
}

void TabWriter::emit(std::string_view s) {
  if (sink_ != nullptr)
    sink_->append(s);
  else
    std::fwrite(s.data(), 1, s.size(), out_);
}

void TabWriter::add_line() { lines_.emplace_back(); }

void TabWriter::reset() {
  buffer_.clear();
  pos_ = 0;
  cell_ = Cell();
  end_char_ = 0;
  lines_.clear();
  widths_.clear();
  add_line();
}

void TabWriter::update_width() {
  // utf8.RuneCount: every byte that does not continue a sequence starts a rune.
  int n = 0;
  std::string_view s = std::string_view(buffer_).substr(pos_);
  for (size_t i = 0; i < s.size();) {
    uint32_t r;
    int len = utf8_len(s, i, &r);
    i += static_cast<size_t>(len > 0 ? len : 1);
    ++n;
  }
  cell_.width += n;
  pos_ = buffer_.size();
}

void TabWriter::terminate_cell(bool htab) {
  cell_.htab = htab;
  lines_.back().push_back(cell_);
  cell_ = Cell();
}

void TabWriter::start_escape(char ch) {
  switch (ch) {
    case '\xff': end_char_ = '\xff'; break;
    case '<': end_char_ = '>'; break;
    case '&': end_char_ = ';'; break;
    default: break;
  }
}

void TabWriter::end_escape() {
  switch (end_char_) {
    case '\xff':
      update_width();
      if ((s_.flags & kStripEscape) == 0) cell_.width -= 2;  // the escape bytes have no width
      break;
    case '>':  // a tag has no width
      break;
    case ';':  // an entity counts as one rune
      cell_.width++;
      break;
    default:
      break;
  }
  pos_ = buffer_.size();
  end_char_ = 0;
}

void TabWriter::write_padding(int textw, int cellw, bool use_tabs) {
  if (s_.padchar == '\t' || use_tabs) {
    if (s_.tabwidth == 0) return;  // tabs have no width: no padding
    cellw = (cellw + s_.tabwidth - 1) / s_.tabwidth * s_.tabwidth;
    int n = cellw - textw;
    emit(std::string(static_cast<size_t>((n + s_.tabwidth - 1) / s_.tabwidth), '\t'));
    return;
  }
  if (cellw > textw) emit(std::string(static_cast<size_t>(cellw - textw), s_.padchar));
}

size_t TabWriter::write_lines(size_t pos, size_t line0, size_t line1) {
  for (size_t i = line0; i < line1; ++i) {
    const auto& line = lines_[i];
    bool use_tabs = (s_.flags & kTabIndent) != 0;
    for (size_t j = 0; j < line.size(); ++j) {
      const Cell& c = line[j];
      if (j > 0 && (s_.flags & kDebug) != 0) emit("|");
      if (c.size == 0) {
        if (j < widths_.size()) write_padding(c.width, widths_[j], use_tabs);
      } else {
        use_tabs = false;
        if ((s_.flags & kAlignRight) == 0) {
          emit(std::string_view(buffer_).substr(pos, static_cast<size_t>(c.size)));
          pos += static_cast<size_t>(c.size);
          if (j < widths_.size()) write_padding(c.width, widths_[j], false);
        } else {
          if (j < widths_.size()) write_padding(c.width, widths_[j], false);
          emit(std::string_view(buffer_).substr(pos, static_cast<size_t>(c.size)));
          pos += static_cast<size_t>(c.size);
        }
      }
    }
    if (i + 1 == lines_.size()) {
      // The last buffered line has no newline yet: write its partial cell.
      emit(std::string_view(buffer_).substr(pos, static_cast<size_t>(cell_.size)));
      pos += static_cast<size_t>(cell_.size);
    } else {
      emit("\n");
    }
  }
  return pos;
}

// Formats the lines [line0, line1): a column is a run of consecutive lines
// that have a cell in it (the last cell of a line does not count); its width
// is the widest such cell plus padding, at least minwidth.
size_t TabWriter::format(size_t pos, size_t line0, size_t line1) {
  size_t column = widths_.size();
  for (size_t t = line0; t < line1; ++t) {
    if (column + 1 >= lines_[t].size()) continue;
    // Cell t[column] exists: this starts a block. Print what is before it.
    pos = write_lines(pos, line0, t);
    line0 = t;
    int width = s_.minwidth;
    bool discardable = true;
    for (; t < line1; ++t) {
      const auto& line = lines_[t];
      if (column + 1 >= line.size()) break;
      const Cell& c = line[column];
      width = std::max(width, c.width + s_.padding);
      if (c.width > 0 || c.htab) discardable = false;
    }
    if (discardable && (s_.flags & kDiscardEmptyColumns) != 0) width = 0;
    widths_.push_back(width);
    pos = format(pos, line0, t);
    widths_.pop_back();
    line0 = t;
  }
  return write_lines(pos, line0, line1);
}

void TabWriter::flush_buffered() {
  if (cell_.size > 0) {
    if (end_char_ != 0) end_escape();  // an unterminated escape ends here
    terminate_cell(false);
  }
  format(0, 0, lines_.size());
  reset();
}

void TabWriter::flush() {
  flush_buffered();
  if (out_ != nullptr) std::fflush(out_);
}

void TabWriter::write(std::string_view text) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (end_char_ == 0) {
      switch (ch) {
        case '\t': case '\v': case '\n': case '\f': {
          buffer_.append(text.substr(n, i - n));
          cell_.size += static_cast<int>(i - n);
          update_width();
          n = i + 1;
          terminate_cell(ch == '\t');
          size_t ncells = lines_.back().size();
          if (ch == '\n' || ch == '\f') {
            add_line();
            if (ch == '\f' || ncells == 1) {
              // A line without columns (or a form feed) ends the block:
              // format and write everything so far.
              flush_buffered();
              if (ch == '\f' && (s_.flags & kDebug) != 0) emit("---\n");
            }
          }
          break;
        }
        case '\xff': {
          buffer_.append(text.substr(n, i - n));
          cell_.size += static_cast<int>(i - n);
          update_width();
          n = i;
          if ((s_.flags & kStripEscape) != 0) ++n;  // drop the escape byte
          start_escape(ch);
          break;
        }
        case '<': case '&':
          if ((s_.flags & kFilterHTML) != 0) {
            buffer_.append(text.substr(n, i - n));
            cell_.size += static_cast<int>(i - n);
            update_width();
            n = i;
            start_escape(ch);
          }
          break;
        default:
          break;
      }
    } else if (ch == end_char_) {
      size_t j = i + 1;
      if (ch == '\xff' && (s_.flags & kStripEscape) != 0) j = i;  // drop the escape byte
      buffer_.append(text.substr(n, j - n));
      cell_.size += static_cast<int>(j - n);
      n = i + 1;
      end_escape();
    }
  }
  buffer_.append(text.substr(n));
  cell_.size += static_cast<int>(text.size() - n);
}

}  // namespace cabin::format
