// .env files, as Compose (compose-go's dotenv) reads them.
#include "compose/interpolate.h"
#include "compose/load.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace cabin::compose {
namespace {

bool valid_key(std::string_view k) {
  if (k.empty() || (k[0] >= '0' && k[0] <= '9')) return false;
  for (char c : k)
    if (!(c == '_' || c == '.' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      return false;
  return true;
}

std::string unescape_double(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '"': case '\\': out += c; break;
      case '$': out += "$$"; break;  // stays a literal $ through interpolation
      default: out += '\\'; out += c;
    }
  }
  return out;
}

// The first quote q in s not escaped by a backslash (single quotes have no
// escapes).
size_t closing_quote(std::string_view s, char q) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && q == '"') ++i;
    else if (s[i] == q) return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::map<std::string, std::string> parse_env_file(const std::string& path, const std::map<std::string, std::string>& env) {
  std::string text = fs::read_file(path);
  std::map<std::string, std::string> out;
  Lookup lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (auto it = out.find(name); it != out.end()) return it->second;
    if (auto it = env.find(name); it != env.end()) return it->second;
    return std::nullopt;
  };
  std::vector<std::string> lines = split(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t lineno = i + 1;
    std::string_view line = trim(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("export ")) line = trim(line.substr(7));
    size_t eq = line.find('=');
    std::string key(trim(line.substr(0, eq)));
    if (!valid_key(key)) fail("invalid variable name \"{}\" ({}:{})", key, path, lineno);
    if (eq == std::string_view::npos) {
      // A bare name takes the value from the environment, if it has one.
      if (auto it = env.find(key); it != env.end()) out[key] = it->second;
      continue;
    }
    std::string value(trim(line.substr(eq + 1)));
    char q = value.empty() ? 0 : value[0];
    if (q == '\'' || q == '"') {
      // A quoted value may span lines, up to its closing quote.
      std::string body = value.substr(1);
      size_t close;
      while ((close = closing_quote(body, q)) == std::string::npos) {
        if (++i == lines.size()) fail("unterminated quoted value ({}:{})", path, lineno);
        body += "\n" + lines[i];
      }
      value = body.substr(0, close);
    } else if (size_t hash = value.find(" #"); hash != std::string::npos) {
      value = std::string(trim(value.substr(0, hash)));
    }
    if (q == '\'') {
      out[key] = value;
      continue;
    }
    try {
      out[key] = interpolate(q == '"' ? unescape_double(value) : value, lookup);
    } catch (const Error& e) {
      fail("{} ({}:{})", e.message(), path, lineno);
    }
  }
  return out;
}

}  // namespace cabin::compose
