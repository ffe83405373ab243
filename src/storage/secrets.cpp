#include "storage/secrets.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "format/units.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/json.h"

namespace cabin::storage {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr size_t kIdLength = 25;
constexpr size_t kMaxNameLength = 64;

json to_json(const Secret& s) {
  return {{"ID", s.id},           {"Name", s.name},         {"Driver", s.driver}, {"DriverOptions", s.driver_options},
          {"Labels", s.labels},   {"CreatedAt", s.created}, {"UpdatedAt", s.updated}};
}

Secret secret_from_json(const json& j) {
  Secret s;
  s.id = j.at("ID").get<std::string>();
  s.name = j.at("Name").get<std::string>();
  s.driver = j.value("Driver", "file");
  if (j.contains("DriverOptions")) s.driver_options = j["DriverOptions"].get<std::map<std::string, std::string>>();
  if (j.contains("Labels")) s.labels = j["Labels"].get<std::map<std::string, std::string>>();
  s.created = j.value("CreatedAt", "");
  s.updated = j.value("UpdatedAt", s.created);
  return s;
}

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

bool valid_secret_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength || !alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

SecretStore::SecretStore(const config::StorePaths& paths) : dir_(fs::join(paths.graphroot, "secrets")) {}

std::string SecretStore::data_dir() const { return fs::join(dir_, "filedriver"); }

fs::FileLock SecretStore::lock() const {
  fs::mkdir_p(dir_, 0700);
  ::chmod(dir_.c_str(), 0700);  // never readable by others, whatever made it
  return fs::FileLock::acquire(fs::join(dir_, ".lock"), fs::FileLock::Mode::Exclusive);
}

std::vector<Secret> SecretStore::read() const {
  std::vector<Secret> out;
  std::string path = fs::join(dir_, "secrets.json");
  auto text = fs::read_file_if_exists(path);
  if (!text) return out;
  auto j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) fail("the secrets' records {} are damaged", path);
  try {
    for (const auto& e : j) out.push_back(secret_from_json(e));
  } catch (const json::exception&) {
    fail("the secrets' records {} are damaged", path);
  }
  return out;
}

void SecretStore::write(const std::vector<Secret>& all) const {
  json j = json::array();
  for (const auto& s : all) j.push_back(to_json(s));
  fs::write_file_atomic(fs::join(dir_, "secrets.json"), json_text(j) + "\n", 0600);
}

std::vector<Secret> SecretStore::list() const {
  auto all = read();
  std::sort(all.begin(), all.end(), [](const Secret& a, const Secret& b) { return a.name < b.name; });
  return all;
}

std::optional<Secret> SecretStore::find(const std::string& name_or_id) const {
  if (name_or_id.empty()) return std::nullopt;
  auto all = read();
  for (const auto& s : all)
    if (s.name == name_or_id || s.id == name_or_id) return s;
  std::optional<Secret> found;
  for (const auto& s : all) {
    if (!s.id.starts_with(name_or_id)) continue;
    if (found) return std::nullopt;  // ambiguous
    found = s;
  }
  return found;
}

Secret SecretStore::get(const std::string& name_or_id) const {
  auto s = find(name_or_id);
  if (!s) fail("no secret with name or id {:?}: no such secret", name_or_id);
  return *s;
}

void check_secret_name(const std::string& name) {
  if (!valid_secret_name(name))
    fail("only {} [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]: {}: "
         "invalid secret name",
         kMaxNameLength, name);
}

Secret SecretStore::create(Secret s, const std::string& value, bool replace) {
  check_secret_name(s.name);
  if (s.driver != "file") fail("{}: unknown secret driver {:?}: cabin supports the file driver only", s.name, s.driver);
  for (const auto& [k, v] : s.driver_options)
    if (k != "path") fail("{}: invalid option {:?} for the file secret driver", s.name, k);
  if (value.empty() || value.size() >= kMaxSecretSize)
    fail("secret data must be larger than 0 and less than {} bytes", kMaxSecretSize);
  auto all = read();
  auto same = std::find_if(all.begin(), all.end(), [&](const Secret& o) { return o.name == s.name; });
  if (same != all.end() && !replace) fail("{}: secret name in use", s.name);
  std::string now = format::rfc3339_nano(std::chrono::system_clock::now());
  if (same != all.end()) {
    s.id = same->id;
    s.created = same->created;
  } else {
    do s.id = random_id().substr(0, kIdLength);
    while (std::any_of(all.begin(), all.end(), [&](const Secret& o) { return o.id == s.id; }));
    s.created = now;
  }
  s.updated = now;
  s.driver_options["path"] = data_dir();
  fs::mkdir_p(data_dir(), 0700);
  ::chmod(data_dir().c_str(), 0700);
  // The value first, then the record: a record never names a missing value.
  fs::write_file_atomic(fs::join(data_dir(), s.id), value, 0600);
  try {
    if (same != all.end()) *same = s;
    else all.push_back(s);
    write(all);
  } catch (...) {
    if (same == all.end()) ::unlink(fs::join(data_dir(), s.id).c_str());
    throw;
  }
  return s;
}

void SecretStore::remove(const Secret& s) {
  auto all = read();
  std::erase_if(all, [&](const Secret& o) { return o.id == s.id; });
  write(all);  // the record first: a half-removed secret is no longer listed
  if (::unlink(fs::join(data_dir(), s.id).c_str()) != 0 && errno != ENOENT) throw_errno("remove secret {}", s.name);
}

std::string SecretStore::value(const Secret& s) const {
  auto v = fs::read_file_if_exists(fs::join(data_dir(), s.id));
  if (!v) fail("secret {}: its value is missing from {}", s.name, data_dir());
  return *v;
}

ordered_json inspect_json(const Secret& s, const std::optional<std::string>& data) {
  ordered_json j;
  j["ID"] = s.id;
  j["CreatedAt"] = s.created;
  j["UpdatedAt"] = s.updated;
  ordered_json spec;
  spec["Name"] = s.name;
  spec["Driver"] = {{"Name", s.driver}, {"Options", ordered_json::object()}};
  for (const auto& [k, v] : s.driver_options) spec["Driver"]["Options"][k] = v;
  spec["Labels"] = ordered_json::object();
  for (const auto& [k, v] : s.labels) spec["Labels"][k] = v;
  j["Spec"] = std::move(spec);
  if (data) j["SecretData"] = *data;
  return j;
}

}  // namespace cabin::storage
