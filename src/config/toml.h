// Reading the TOML files containers-common defines (registries.conf,
// containers.conf): typed access to cpptoml values whose errors name the key,
// and the listing of a drop-in directory.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cpptoml {
class table;
}

namespace cabin::config::toml {

// Parses a whole file's text; a syntax error throws cabin::Error with
// cpptoml's message (which has the line).
std::shared_ptr<cpptoml::table> parse(std::string_view text);

// The table under key, nullptr when absent; throws "[key]: expected a table"
// when key holds something else.
std::shared_ptr<cpptoml::table> get_table(const cpptoml::table& t, const std::string& key);

// Each returns nullopt when the key is absent and throws cabin::Error
// "WHEREkey: expected …" when it has another type. `where` is the table's
// path with a trailing dot ("[containers] " reads as well).
std::optional<std::string> get_string(const cpptoml::table& t, const std::string& key, std::string_view where);
std::optional<bool> get_optional_bool(const cpptoml::table& t, const std::string& key, std::string_view where);
bool get_bool(const cpptoml::table& t, const std::string& key, std::string_view where);  // absent: false
std::optional<int64_t> get_int(const cpptoml::table& t, const std::string& key, std::string_view where);
std::optional<std::vector<std::string>> get_strings(const cpptoml::table& t, const std::string& key,
                                                    std::string_view where);

// With --log-level debug, says which keys of t cabin does not know (they are
// never an error: files are shared with other engines and versions).
void note_unknown_keys(const cpptoml::table& t, std::span<const std::string_view> known, std::string_view where,
                       std::string_view file_kind, std::string_view origin);

// The *.conf files directly in dir, sorted by name; none when dir does not
// exist. Throws when dir cannot be read.
std::vector<std::string> dropin_files(const std::string& dir, std::string_view file_kind);

}  // namespace cabin::config::toml
