#include "build/dockerfile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

#include "util/error.h"
#include "util/strings.h"

namespace cabin::build {
namespace {

const std::set<std::string, std::less<>> kInstructions = {
    "ADD",  "ARG",         "CMD",    "COPY",  "ENTRYPOINT", "ENV",   "EXPOSE",     "FROM",  "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN",  "SHELL",      "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"};
// The instructions whose arguments may start with --flags.
const std::set<std::string, std::less<>> kTakesFlags = {"ADD", "COPY", "FROM", "HEALTHCHECK", "RUN"};
const std::set<std::string, std::less<>> kTakesHeredocs = {"ADD", "COPY", "RUN"};

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_comment(std::string_view line) {
  line = trim_left(line);
  return !line.empty() && line.front() == '#';
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& path) {
    df_.path = path;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines_.emplace_back(line);
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
  }

  Dockerfile run() {
    directives();
    while (next_ < lines_.size()) {
      std::string_view line = lines_[next_];
      if (blank(line) || is_comment(line)) {
        ++next_;
        continue;
      }
      instruction();
    }
    return std::move(df_);
  }

 private:
  [[noreturn]] void error(int line, const std::string& what) const { fail("{}:{}: {}", df_.path, line, what); }

  // "# name=value" lines at the very top; the first other line ends them.
  void directives() {
    for (; next_ < lines_.size(); ++next_) {
      std::string_view line = trim_left(lines_[next_]);
      if (line.empty() || line.front() != '#') return;
      line.remove_prefix(1);
      line = trim_left(line);
      size_t eq = line.find('=');
      if (eq == std::string_view::npos) return;
      std::string name = to_lower(std::string(trim_right(line.substr(0, eq))));
      if (name.empty() || !std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c); }))
        return;
      std::string value(trim_right(trim_left(line.substr(eq + 1))));
      if (df_.directives.count(name)) error(static_cast<int>(next_ + 1), fmt::format("only one {} parser directive can be used", name));
      if (name == "escape") {
        if (value != "\\" && value != "`") error(static_cast<int>(next_ + 1), fmt::format("invalid escape token {:?}: it must be \\ or `", value));
        df_.escape = value[0];
      }
      df_.directives[name] = value;
    }
  }

  // A line that continues on the next: its last non-space character is the
  // escape token. Returns the line without it.
  bool continues(std::string_view line, std::string_view& body) const {
    std::string_view t = trim_right(line);
    if (t.empty() || t.back() != df_.escape) return false;
    body = t.substr(0, t.size() - 1);
    return true;
  }

  void instruction() {
    Instruction in;
    in.line = static_cast<int>(next_ + 1);
    std::string logical;
    while (next_ < lines_.size()) {
      std::string_view line = lines_[next_++];
      // Comment lines inside a continued instruction are dropped, as Docker does.
      if (!logical.empty() && is_comment(line)) continue;
      std::string_view body;
      if (continues(line, body)) {
        logical += body;
        if (next_ >= lines_.size()) break;
        continue;
      }
      logical += line;
      break;
    }
    std::string_view rest = trim_left(logical);
    size_t end = 0;
    while (end < rest.size() && !std::isspace(static_cast<unsigned char>(rest[end]))) ++end;
    in.keyword = to_upper(std::string(rest.substr(0, end)));
    if (!kInstructions.count(in.keyword)) error(in.line, fmt::format("unknown instruction: {}", rest.substr(0, end)));
    rest = trim_left(rest.substr(end));
    in.original = std::string(trim_right(logical));
    if (kTakesFlags.count(in.keyword)) rest = flags(in, rest);
    in.args = std::string(trim_right(rest));
    if (!in.args.empty() && in.args.front() == '[') {
      auto j = nlohmann::json::parse(in.args, nullptr, false);
      if (j.is_array() && std::all_of(j.begin(), j.end(), [](const auto& v) { return v.is_string(); })) {
        in.json = true;
        for (const auto& v : j) in.json_args.push_back(v.get<std::string>());
      }
    }
    if (!in.json && kTakesHeredocs.count(in.keyword)) heredocs(in);
    df_.instructions.push_back(std::move(in));
  }

  // Leading "--name[=value]" words (quotes may hold spaces); "--" alone ends them.
  std::string_view flags(Instruction& in, std::string_view rest) {
    while (rest.starts_with("--")) {
      size_t i = 0;
      char quote = 0;
      for (; i < rest.size(); ++i) {
        char c = rest[i];
        if (quote) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (std::isspace(static_cast<unsigned char>(c))) {
          break;
        }
      }
      std::string word(rest.substr(0, i));
      rest = trim_left(rest.substr(i));
      if (word == "--") break;
      in.flags.push_back(std::move(word));
    }
    return rest;
  }

  // <<NAME, <<-NAME, <<"NAME", <<'NAME' in the arguments: each takes the
  // following lines up to one that is NAME.
  void heredocs(Instruction& in) {
    std::string_view a = in.args;
    size_t pos = 0;
    while ((pos = a.find("<<", pos)) != std::string_view::npos) {
      size_t i = pos + 2;
      Heredoc h;
      if (i < a.size() && a[i] == '-') {
        h.strip_tabs = true;
        ++i;
      }
      char quote = 0;
      if (i < a.size() && (a[i] == '"' || a[i] == '\'')) quote = a[i++];
      size_t start = i;
      while (i < a.size() && (std::isalnum(static_cast<unsigned char>(a[i])) || a[i] == '_' || a[i] == '-' || a[i] == '.')) ++i;
      if (i == start || (quote && (i >= a.size() || a[i] != quote))) {
        pos += 2;
        continue;  // "<<" that is no heredoc (a shell's here-string, say)
      }
      h.name = std::string(a.substr(start, i - start));
      h.expand = quote == 0;
      if (quote) ++i;
      pos = i;
      bool closed = false;
      while (next_ < lines_.size()) {
        std::string line(lines_[next_++]);
        if (h.strip_tabs) line.erase(0, line.find_first_not_of('\t') == std::string::npos ? line.size() : line.find_first_not_of('\t'));
        if (line == h.name) {
          closed = true;
          break;
        }
        h.content += line;
        h.content += '\n';
      }
      if (!closed) error(in.line, fmt::format("unterminated heredoc {:?}: no line {:?} ends it", h.name, h.name));
      in.heredocs.push_back(std::move(h));
    }
  }

  std::vector<std::string> lines_;
  size_t next_ = 0;
  Dockerfile df_;
};

}  // namespace

Dockerfile parse_dockerfile(std::string_view text, const std::string& path) { return Parser(text, path).run(); }

}  // namespace cabin::build
