#include "storage/manifests.h"

#include <unistd.h>

#include "storage/store.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

namespace cabin::storage {

ManifestLists::ManifestLists(const config::StorePaths& paths) : dir_(fs::join(paths.graphroot, "manifests")) {}

std::vector<ManifestList> ManifestLists::all() const {
  std::vector<ManifestList> out;
  if (!fs::exists(dir_)) return out;
  for (const auto& f : fs::list_dir(dir_)) {
    if (f.size() != 69 || f.substr(64) != ".json") continue;
    auto text = fs::read_file_if_exists(fs::join(dir_, f));
    if (!text) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) continue;
    ManifestList l;
    l.id = j.value("id", "");
    l.name = j.value("name", "");
    l.index = j.value("index", nlohmann::json::object());
    if (j.contains("sources") && j["sources"].is_object())
      for (const auto& [k, v] : j["sources"].items()) l.sources[k] = v.get<std::string>();
    out.push_back(std::move(l));
  }
  return out;
}

std::optional<ManifestList> ManifestLists::find(std::string_view name_or_id) const {
  auto lists = all();
  for (auto& l : lists)
    if (l.id == name_or_id || name_denotes(name_or_id, l.name, false)) return l;
  if (name_or_id.size() >= 3 && name_or_id.find_first_not_of("0123456789abcdef") == std::string_view::npos) {
    std::optional<ManifestList> hit;
    for (auto& l : lists)
      if (l.id.rfind(name_or_id, 0) == 0) {
        if (hit) fail("{:?}: the ID prefix names more than one manifest list", std::string(name_or_id));
        hit = l;
      }
    return hit;
  }
  return std::nullopt;
}

ManifestList ManifestLists::get(std::string_view name_or_id) const {
  auto l = find(name_or_id);
  if (!l) fail("{}: image not known", name_or_id);
  return *l;
}

void ManifestLists::save(const ManifestList& l) const {
  fs::mkdir_p(dir_, 0700);
  nlohmann::json sources = nlohmann::json::object();
  for (const auto& [k, v] : l.sources) sources[k] = v;
  nlohmann::json j = {{"id", l.id}, {"name", l.name}, {"index", l.index}, {"sources", sources}};
  fs::write_file_atomic(fs::join(dir_, l.id + ".json"), json_text(j) + "\n", 0600);
}

void ManifestLists::remove(const std::string& id) const {
  if (::unlink(fs::join(dir_, id + ".json").c_str()) != 0 && errno != ENOENT) throw_errno("remove manifest list {}", id);
}

}  // namespace cabin::storage
