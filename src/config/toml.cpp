#include "config/toml.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <cpptoml.h>

#include "util/error.h"
#include "util/log.h"

namespace cabin::config::toml {

std::shared_ptr<cpptoml::table> parse(std::string_view text) {
  try {
    std::istringstream in{std::string(text)};
    cpptoml::parser parser{in};
    return parser.parse();
  } catch (const cpptoml::parse_exception& e) {
    fail("{}", e.what());
  }
}

std::shared_ptr<cpptoml::table> get_table(const cpptoml::table& t, const std::string& key) {
  if (!t.contains(key)) return nullptr;
  auto table = t.get_table(key);
  if (!table) fail("[{}]: expected a table", key);
  return table;
}

std::optional<std::string> get_string(const cpptoml::table& t, const std::string& key, std::string_view where) {
  if (!t.contains(key)) return std::nullopt;
  auto v = t.get_as<std::string>(key);
  if (!v) fail("{}{}: expected a string", where, key);
  return *v;
}

std::optional<bool> get_optional_bool(const cpptoml::table& t, const std::string& key, std::string_view where) {
  if (!t.contains(key)) return std::nullopt;
  auto v = t.get_as<bool>(key);
  if (!v) fail("{}{}: expected true or false", where, key);
  return *v;
}

bool get_bool(const cpptoml::table& t, const std::string& key, std::string_view where) {
  return get_optional_bool(t, key, where).value_or(false);
}

std::optional<int64_t> get_int(const cpptoml::table& t, const std::string& key, std::string_view where) {
  if (!t.contains(key)) return std::nullopt;
  auto v = t.get_as<int64_t>(key);
  if (!v) fail("{}{}: expected an integer", where, key);
  return *v;
}

std::optional<std::vector<std::string>> get_strings(const cpptoml::table& t, const std::string& key,
                                                    std::string_view where) {
  if (!t.contains(key)) return std::nullopt;
  auto v = t.get_array_of<std::string>(key);
  if (!v) fail("{}{}: expected an array of strings", where, key);
  return *v;
}

void note_unknown_keys(const cpptoml::table& t, std::span<const std::string_view> known, std::string_view where,
                       std::string_view file_kind, std::string_view origin) {
  if (!log::enabled(log::Level::Debug)) return;
  for (const auto& [key, value] : t) {
    if (std::find(known.begin(), known.end(), key) == known.end())
      log::debug("{} {}: ignoring unknown key {}{}", file_kind, origin, where, key);
  }
}

std::vector<std::string> dropin_files(const std::string& dir, std::string_view file_kind) {
  std::error_code ec;
  std::vector<std::string> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() != ".conf" || it->is_directory(ec)) continue;
    files.push_back(p.string());
  }
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    throw Error(ec.value(), fmt::format("reading {} {}", file_kind, dir));
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace cabin::config::toml
