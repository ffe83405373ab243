#include "image/report.h"

#include <chrono>

#include "config/mode.h"
#include "format/units.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"

namespace cabin::image {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using Clock = std::chrono::system_clock;

Clock::time_point to_time(const std::string& rfc3339) {
  if (rfc3339.empty()) return Clock::time_point{};
  try {
    return format::parse_rfc3339(rfc3339);
  } catch (const Error&) {
    return Clock::time_point{};
  }
}

// "repo:tag" → {repo, tag}; "repo@digest" → {repo, "<none>"}.
std::pair<std::string, std::string> split_name(const std::string& name) {
  if (auto at = name.find('@'); at != std::string::npos) return {name.substr(0, at), "<none>"};
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return {name.substr(0, colon), name.substr(colon + 1)};
  return {name, "<none>"};
}

std::vector<std::string> shown_names(std::vector<std::string> names) {
  for (auto& n : names) n = shown_name(n);
  return names;
}

// Docker prints image IDs with their algorithm, Podman without.
std::string shown_id(const std::string& id) {
  return config::docker_mode() && !id.empty() ? "sha256:" + id : id;
}

json null_if_empty(const std::vector<std::string>& v) { return v.empty() ? json(nullptr) : json(v); }

std::string manifest_type(const storage::Store& store, const storage::ImageRecord& rec) {
  if (rec.manifest.empty() || !store.has_blob(rec.manifest)) return std::string(media::kOciManifest);
  return detect_media_type(store.get_blob(rec.manifest), "");
}

}  // namespace

int64_t unix_seconds(const std::string& rfc3339) {
  auto t = to_time(rfc3339);
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

json load_config(const storage::Store& store, const storage::ImageRecord& rec) {
  auto doc = json::parse(store.get_blob(rec.config_digest()), nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    fail("image {}: its config blob is corrupt", rec.id.substr(0, 12));
  return doc;
}

ordered_json inspect_json(const storage::Store& store, const storage::ImageRecord& rec) {
  json cfg = load_config(store, rec);
  json inner = cfg.value("config", json::object());
  if (inner.is_null()) inner = json::object();
  ordered_json config_out = ordered_json::parse(json_text(inner));
  json labels = inner.value("Labels", json(nullptr));
  ordered_json out;
  out["Id"] = shown_id(rec.id);
  out["Digest"] = rec.digest;
  out["RepoTags"] = shown_names(rec.repo_tags());
  out["RepoDigests"] = shown_names(rec.repo_digests());
  out["Parent"] = shown_id(rec.parent);
  out["Comment"] = cfg.value("comment", "");
  out["Created"] = rec.created.empty()
                       ? std::string()
                       : format::rfc3339_nano(to_time(rec.created));
  out["Config"] = config_out;
  out["Version"] = cfg.value("docker_version", "");
  out["Author"] = cfg.value("author", "");
  out["Architecture"] = cfg.value("architecture", "");
  out["Os"] = cfg.value("os", "");
  if (cfg.contains("variant")) out["Variant"] = cfg.value("variant", "");
  out["Size"] = rec.size;
  out["VirtualSize"] = rec.size;
  out["GraphDriver"] = {
      {"Name", "overlay"},
      {"Data",
       {{"UpperDir", rec.layers.empty() ? "" : store.layer_diff_dir(rec.layers.back())}}}};
  if (rec.layers.size() > 1) {
    std::vector<std::string> lowers;
    for (size_t i = rec.layers.size() - 1; i-- > 0;) lowers.push_back(store.layer_diff_dir(rec.layers[i]));
    out["GraphDriver"]["Data"]["LowerDir"] = join(lowers, ":");
  }
  out["RootFS"] = {{"Type", "layers"}, {"Layers", rec.layers}};
  out["Labels"] = ordered_json::parse(json_text(labels));
  out["Annotations"] = ordered_json::object();
  out["ManifestType"] = manifest_type(store, rec);
  out["User"] = inner.value("User", "");
  out["History"] = ordered_json::parse(json_text(cfg.value("history", json::array())));
  out["NamesHistory"] = rec.names_history;
  return out;
}

ordered_json summary_json(const storage::Store& store, const storage::ImageRecord& rec) {
  json cfg = load_config(store, rec);
  json labels = cfg.value("config", json::object()).value("Labels", json(nullptr));
  ordered_json out;
  out["Id"] = rec.id;
  out["ParentId"] = "";
  out["RepoTags"] = null_if_empty(rec.repo_tags());
  out["RepoDigests"] = null_if_empty(rec.repo_digests());
  out["Size"] = rec.size;
  out["SharedSize"] = 0;
  out["VirtualSize"] = rec.size;
  out["Labels"] = ordered_json::parse(json_text(labels));
  out["Containers"] = 0;
  out["Names"] = null_if_empty(rec.names);
  out["Digest"] = rec.digest;
  out["History"] = null_if_empty(rec.names_history);
  out["Created"] = unix_seconds(rec.created);
  out["CreatedAt"] = rec.created.empty() ? "" : format::rfc3339_nano(to_time(rec.created));
  return out;
}

std::vector<json> list_rows(const storage::Store& store, const storage::ImageRecord& rec,
                            bool no_trunc) {
  json cfg = load_config(store, rec);
  json labels = cfg.value("config", json::object()).value("Labels", json::object());
  if (labels.is_null()) labels = json::object();
  auto created = to_time(rec.created);
  json base = {
      {"ID", no_trunc ? "sha256:" + rec.id : rec.id.substr(0, 12)},
      {"Id", rec.id},
      {"Digest", rec.digest},
      {"Digests", rec.digests},
      {"CreatedSince", rec.created.empty() ? "" : format::time_ago(created)},
      {"CreatedAt", rec.created.empty() ? "" : format::go_time_string_utc(created)},
      {"CreatedTime", rec.created},
      {"Created", rec.created.empty() ? "" : format::time_ago(created)},
      {"CreatedUnix", unix_seconds(rec.created)},
      {"Size", format::human_size(static_cast<double>(rec.size))},
      {"VirtualSize", rec.size},
      {"SizeBytes", rec.size},  // for sorting (VirtualSize is text in Docker mode)
      {"SharedSize", 0},
      {"ReadOnly", false},
      {"Containers", 0},
      {"Dangling", rec.names.empty()},
      {"History", join(rec.names_history, ", ")},
      {"Names", rec.names},
      {"RepoTags", rec.repo_tags()},
      {"RepoDigests", rec.repo_digests()},
      {"Labels", labels},
      {"ParentId", ""},
      {"IsReadOnly", false},
  };
  std::vector<json> rows;
  std::vector<std::string> names = rec.repo_tags();
  // Digested names show as <none> tags only when the repository has no tag.
  for (const auto& n : rec.names) {
    if (n.find('@') == std::string::npos) continue;
    auto repo = split_name(n).first;
    bool tagged = false;
    for (const auto& t : names) tagged |= split_name(t).first == repo;
    if (!tagged) names.push_back(n);
  }
  if (names.empty()) names.push_back("");
  for (const auto& n : names) {
    json row = base;
    if (n.empty()) {
      row["Repository"] = "<none>";
      row["Tag"] = "<none>";
    } else {
      auto [repo, tag] = split_name(n);
      row["Repository"] = shown_name(repo);
      row["Tag"] = tag;
    }
    if (config::docker_mode()) {
      // `docker images --format '{{json .}}'` fields Podman lacks or types otherwise.
      row["Containers"] = "N/A";
      row["SharedSize"] = "N/A";
      row["UniqueSize"] = "N/A";
      row["VirtualSize"] = row["Size"];
      row["RepoTags"] = shown_names(rec.repo_tags());
      row["RepoDigests"] = shown_names(rec.repo_digests());
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<json> history_rows(const storage::Store& store, const storage::ImageRecord& rec,
                               bool no_trunc, bool human) {
  json cfg = load_config(store, rec);
  json history = cfg.value("history", json::array());
  if (!history.is_array()) history = json::array();
  std::vector<json> rows;
  // Walk oldest to newest, pairing non-empty entries with layers in order.
  size_t layer = 0;
  std::vector<json> forward;
  for (const auto& h : history) {
    bool empty = h.value("empty_layer", false);
    uint64_t size = 0;
    if (!empty && layer < rec.layers.size()) {
      if (auto info = store.layer_info(rec.layers[layer])) size = info->size;
      ++layer;
    }
    std::string created_by = h.value("created_by", "");
    std::string created = h.value("created", "");
    auto t = to_time(created);
    json row = {
        {"ID", "<missing>"},
        {"Created", created.empty() ? "" : (human ? format::time_ago(t) : format::rfc3339_nano(t))},
        {"CreatedAt", created.empty() ? "" : format::rfc3339_nano(t)},
        {"CreatedSince", created.empty() ? "" : format::time_ago(t)},
        {"CreatedBy", created_by},
        {"Size", human ? format::human_size(static_cast<double>(size)) : std::to_string(size)},
        {"SizeBytes", size},
        {"Comment", h.value("comment", "")},
        {"Tags", json::array()},
        {"json",
         {{"id", "<missing>"},
          {"created", created},
          {"CreatedBy", created_by},
          {"size", size},
          {"comment", h.value("comment", "")}}},
    };
    forward.push_back(std::move(row));
  }
  if (forward.empty()) {
    // An image without history still has layers to show.
    for (const auto& l : rec.layers) {
      uint64_t size = 0;
      if (auto info = store.layer_info(l)) size = info->size;
      forward.push_back({{"ID", "<missing>"}, {"Created", ""}, {"CreatedAt", ""}, {"CreatedSince", ""},
                         {"CreatedBy", ""}, {"Size", human ? format::human_size(static_cast<double>(size)) : std::to_string(size)},
                         {"SizeBytes", size}, {"Comment", ""}, {"Tags", json::array()},
                         {"json", {{"id", "<missing>"}, {"created", ""}, {"CreatedBy", ""}, {"size", size}, {"comment", ""}}}});
    }
  }
  for (auto it = forward.rbegin(); it != forward.rend(); ++it) rows.push_back(*it);
  if (!rows.empty()) {
    rows.front()["ID"] = no_trunc ? rec.id : rec.id.substr(0, 12);
    rows.front()["json"]["id"] = rec.id;
    rows.front()["Tags"] = rec.repo_tags();
  }
  for (auto& r : rows) {
    std::string cb = r["CreatedBy"];
    if (!no_trunc && cb.size() > 45) r["CreatedBy"] = cb.substr(0, 42) + "...";
  }
  return rows;
}

}  // namespace cabin::image
