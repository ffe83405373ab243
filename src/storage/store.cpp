#include "storage/store.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "config/mode.h"
#include "format/units.h"
#include "image/reference.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

namespace cabin::storage {
namespace {

using nlohmann::json;

constexpr std::string_view kImagesFile = "images.json";

bool is_digested(std::string_view name) { return name.find('@') != std::string_view::npos; }

// "repo:tag" → "repo"; "repo@sha256:…" → "repo".
std::string repo_of(std::string_view name) {
  if (auto at = name.find('@'); at != std::string_view::npos) return std::string(name.substr(0, at));
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash))
    return std::string(name.substr(0, colon));
  return std::string(name);
}

}  // namespace

std::vector<std::string> ImageRecord::repo_tags() const {
  std::vector<std::string> out;
  for (const auto& n : names)
    if (!is_digested(n)) out.push_back(n);
  return out;
}

std::vector<std::string> ImageRecord::repo_digests() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& n : names) {
    std::string repo = repo_of(n);
    for (const auto& d : digests) {
      std::string rd = repo + "@" + d;
      if (seen.insert(rd).second) out.push_back(rd);
    }
  }
  return out;
}

json to_json(const ImageRecord& r) {
  json j{{"id", r.id},           {"names", r.names},     {"digest", r.digest}, {"manifest", r.manifest},
              {"digests", r.digests}, {"layers", r.layers},   {"size", r.size},
              {"created", r.created}, {"added", r.added},     {"names_history", r.names_history}};
  if (!r.parent.empty()) j["parent"] = r.parent;
  return j;
}

std::set<std::string> parent_ids(const std::vector<ImageRecord>& images) {
  std::set<std::string> out;
  for (const auto& r : images)
    if (!r.parent.empty()) out.insert(r.parent);
  return out;
}

ImageRecord image_from_json(const json& j) {
  ImageRecord r;
  r.id = j.at("id").get<std::string>();
  r.names = j.value("names", std::vector<std::string>{});
  r.digest = j.value("digest", "");
  r.manifest = j.value("manifest", r.digest);
  r.digests = j.value("digests", std::vector<std::string>{});
  r.layers = j.value("layers", std::vector<std::string>{});
  r.size = j.value("size", uint64_t{0});
  r.created = j.value("created", "");
  r.added = j.value("added", "");
  r.names_history = j.value("names_history", std::vector<std::string>{});
  r.parent = j.value("parent", "");
  return r;
}

std::string normalize_image_name(std::string_view name) {
  auto parsed = image::parse_reference(name);
  if (parsed.qualified) return parsed.ref.string();
  image::Reference ref = parsed.ref;
  ref.domain = "localhost";
  ref.path = image::typed_name(parsed);
  return ref.string();
}

Store::Store(config::StorePaths paths) : paths_(std::move(paths)) {
  fs::mkdir_p(paths_.graphroot, 0700);
  for (auto sub : {"blobs/sha256", "layers", "tmp"}) fs::mkdir_p(path(sub), 0700);
}

// ---- blobs ----

bool Store::has_blob(std::string_view digest) const {
  return fs::exists(path(fmt::format("blobs/sha256/{}", digest_hex(digest))));
}

void Store::put_blob(std::string_view digest, std::string_view data) {
  validate_digest(digest);
  if (sha256_digest(data) != digest) fail("blob {}: content does not match its digest", digest);
  std::string p = path(fmt::format("blobs/sha256/{}", digest_hex(digest)));
  if (!fs::exists(p)) fs::write_file_atomic(p, data, 0600);
}

std::string Store::get_blob(std::string_view digest) const {
  validate_digest(digest);
  return fs::read_file(path(fmt::format("blobs/sha256/{}", digest_hex(digest))));
}

// ---- layers ----

bool Store::has_layer(std::string_view diff_id) const {
  return is_valid_digest(diff_id) &&
         fs::exists(path(fmt::format("layers/{}/layer.json", digest_hex(diff_id))));
}

std::optional<LayerInfo> Store::layer_info(std::string_view diff_id) const {
  auto text = fs::read_file_if_exists(path(fmt::format("layers/{}/layer.json", digest_hex(diff_id))));
  if (!text) return std::nullopt;
  auto j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  LayerInfo info;
  info.diff_id = j.value("diff_id", "");
  info.size = j.value("size", uint64_t{0});
  info.compressed_digest = j.value("compressed_digest", "");
  info.compressed_size = j.value("compressed_size", uint64_t{0});
  info.media_type = j.value("media_type", "");
  if (j.contains("locations") && j["locations"].is_array())
    for (const auto& l : j["locations"])
      if (l.is_string()) info.locations.push_back(l.get<std::string>());
  return info;
}

std::string Store::layer_diff_dir(std::string_view diff_id) const {
  return path(fmt::format("layers/{}/diff", digest_hex(diff_id)));
}

Store::Staging Store::stage_layer() {
  auto dir = fs::LockedTempDir::create(path("tmp"), "layer-");
  std::string diff = fs::join(dir.path(), "diff");
  if (::mkdir(diff.c_str(), 0755) != 0) throw_errno("mkdir {}", diff);
  return Staging(std::move(dir), std::move(diff));
}

namespace {

std::string layer_json(const LayerInfo& info) {
  json meta = {{"diff_id", info.diff_id},
               {"size", info.size},
               {"compressed_digest", info.compressed_digest},
               {"compressed_size", info.compressed_size},
               {"media_type", info.media_type}};
  if (!info.locations.empty()) meta["locations"] = info.locations;
  return json_text(meta) + "\n";
}

}  // namespace

void Store::note_compressed(std::string_view diff_id, const std::string& digest, uint64_t size,
                            const std::string& media_type) {
  auto info = layer_info(diff_id);
  if (!info || (!info->compressed_digest.empty() && info->compressed_digest != info->diff_id)) return;
  info->compressed_digest = digest;
  info->compressed_size = size;
  info->media_type = media_type;
  fs::write_file_atomic(path(fmt::format("layers/{}/layer.json", digest_hex(diff_id))), layer_json(*info), 0600);
}

void Store::note_location(std::string_view diff_id, const std::string& digest, const std::string& repository) {
  constexpr size_t kKept = 8;
  auto info = layer_info(diff_id);
  if (!info || info->compressed_digest != digest) return;
  auto& l = info->locations;
  std::erase(l, repository);
  l.insert(l.begin(), repository);
  if (l.size() > kKept) l.resize(kKept);
  fs::write_file_atomic(path(fmt::format("layers/{}/layer.json", digest_hex(diff_id))), layer_json(*info), 0600);
}

void Store::commit_layer(Staging staging, const LayerInfo& info) {
  fs::write_file_atomic(fs::join(staging.path(), "layer.json"), layer_json(info), 0600);
  std::string dest = path(fmt::format("layers/{}", digest_hex(info.diff_id)));
  if (::rename(staging.path().c_str(), dest.c_str()) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) return;  // someone else won; ours is removed
    throw_errno("rename {} to {}", staging.path(), dest);
  }
  staging.dir_.keep();
  ::unlink(fs::join(dest, "lock").c_str());
}

std::vector<fs::LockedTempDir> Store::abandoned_staging() {
  std::string tmp = path("tmp");
  std::vector<fs::LockedTempDir> out;
  for (const auto& name : fs::list_dir(tmp)) {
    std::string dir = fs::join(tmp, name);
    if (!fs::is_dir(dir)) continue;
    auto stale = fs::LockedTempDir::claim_abandoned(dir);
    if (!stale) continue;  // a live process is unpacking into it
    stale->keep();
    out.push_back(std::move(*stale));
  }
  return out;
}

void Store::clean_stale_staging() {
  for (auto& stale : abandoned_staging()) {
    log::debug("removing stale staging directory {}", stale.path());
    stale.remove();
  }
}

// ---- images ----

std::vector<ImageRecord> Store::read_images() const {
  auto text = fs::read_file_if_exists(path(kImagesFile));
  std::vector<ImageRecord> out;
  if (!text) return out;
  auto doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("images"))
    fail("image store {} is corrupt: cannot parse it", path(kImagesFile));
  for (const auto& j : doc["images"]) out.push_back(image_from_json(j));
  return out;
}

void Store::write_images(const std::vector<ImageRecord>& images) {
  json arr = json::array();
  for (const auto& r : images) arr.push_back(to_json(r));
  fs::write_file_atomic(path(kImagesFile), json_text(json{{"images", arr}}) + "\n", 0600, fs::Sync::Filesystem);
}

template <typename Fn>
auto Store::modify_images(Fn&& fn) {
  auto lock = fs::FileLock::acquire(path("images.lock"), fs::FileLock::Mode::Exclusive);
  auto images = read_images();
  if constexpr (std::is_void_v<decltype(fn(images))>) {
    fn(images);
    write_images(images);
  } else {
    auto result = fn(images);
    write_images(images);
    return result;
  }
}

std::vector<ImageRecord> Store::images() const { return read_images(); }

static void take_names(std::vector<ImageRecord>& images, const std::string& keep_id,
                       const std::vector<std::string>& names) {
  for (auto& other : images) {
    if (other.id == keep_id) continue;
    for (const auto& n : names) {
      auto it = std::find(other.names.begin(), other.names.end(), n);
      if (it != other.names.end()) other.names.erase(it);
    }
  }
}

static void push_front_unique(std::vector<std::string>& v, const std::string& s) {
  auto it = std::find(v.begin(), v.end(), s);
  if (it != v.end()) v.erase(it);
  v.insert(v.begin(), s);
}

ImageRecord Store::add_image(ImageRecord record) {
  if (record.added.empty()) record.added = format::rfc3339_nano(std::chrono::system_clock::now());
  return modify_images([&](std::vector<ImageRecord>& images) {
    // Tags move; digested names do not (they stay true of the old image).
    std::vector<std::string> moving;
    for (const auto& n : record.names)
      if (!is_digested(n)) moving.push_back(n);
    take_names(images, record.id, moving);
    for (const auto& n : record.names) push_front_unique(record.names_history, n);
    auto it = std::find_if(images.begin(), images.end(),
                           [&](const ImageRecord& r) { return r.id == record.id; });
    if (it == images.end()) {
      images.insert(images.begin(), record);
      return record;
    }
    for (const auto& n : record.names)
      if (std::find(it->names.begin(), it->names.end(), n) == it->names.end())
        it->names.push_back(n);
    for (const auto& d : record.digests)
      if (std::find(it->digests.begin(), it->digests.end(), d) == it->digests.end())
        it->digests.push_back(d);
    for (const auto& n : record.names) push_front_unique(it->names_history, n);
    if (!record.digest.empty()) it->digest = record.digest;
    if (!record.manifest.empty()) it->manifest = record.manifest;
    return *it;
  });
}

bool name_denotes(std::string_view input, const std::string& stored, bool exact_only) {
  std::optional<image::ParsedReference> parsed;
  try {
    parsed = image::parse_reference(input);
  } catch (const Error&) {
    return false;
  }
  const auto& ref = parsed->ref;
  if (!ref.digest.empty()) {
    // Digests are matched against the record, not the name: see find_in.
    return false;
  }
  if (is_digested(stored)) return false;
  if (parsed->qualified) return stored == ref.string();
  std::string suffix = "/" + image::typed_name(*parsed) + ":" + ref.tag;
  if (stored == "localhost" + suffix) return true;
  if (exact_only) return false;
  // Docker: a short name means docker.io (or, for names cabin stored, localhost).
  if (config::docker_mode()) return stored == ref.string();
  return stored.size() > suffix.size() &&
         stored.compare(stored.size() - suffix.size(), suffix.size(), suffix) == 0;
}

static std::optional<ImageRecord> find_in(const std::vector<ImageRecord>& images,
                                          std::string_view input) {
  auto by_id = [&](std::string_view hex) -> std::optional<ImageRecord> {
    const ImageRecord* found = nullptr;
    for (const auto& r : images) {
      if (r.id.compare(0, hex.size(), hex) != 0) continue;
      if (r.id.size() == hex.size()) return r;
      if (found && found->id != r.id)
        fail("{}: image ID prefix is ambiguous: it matches {} and {}", std::string(input),
             found->id.substr(0, 12), r.id.substr(0, 12));
      found = &r;
    }
    if (found) return *found;
    return std::nullopt;
  };
  if (input.rfind("sha256:", 0) == 0 && is_valid_digest(input)) {
    auto hex = digest_hex(input);
    for (const auto& r : images)
      if (r.id == hex || std::find(r.digests.begin(), r.digests.end(), input) != r.digests.end())
        return r;
    return std::nullopt;
  }

  if (auto at = input.find('@'); at != std::string_view::npos) {
    // NAME@DIGEST: an image known by that digest with a name in that repository.
    std::string_view digest = input.substr(at + 1);
    std::string_view repo_in = input.substr(0, at);
    for (const auto& r : images) {
      if (std::find(r.digests.begin(), r.digests.end(), digest) == r.digests.end()) continue;
      for (const auto& n : r.names)
        if (name_denotes(std::string(repo_in) + ":latest", repo_of(n) + ":latest", false))
          return r;
    }
    return std::nullopt;
  }
  // Names: a qualified name exactly; a short name as localhost/NAME first,
  // then under any registry.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& r : images)
      for (const auto& n : r.names)
        if (name_denotes(input, n, /*exact_only=*/pass == 0)) return r;
  }
  if (image::looks_like_id(input)) return by_id(input);
  return std::nullopt;
}

std::optional<ImageRecord> Store::find_image(std::string_view name_or_id) const {
  return find_in(read_images(), name_or_id);
}

ImageRecord Store::get_image(std::string_view name_or_id) const {
  auto r = find_image(name_or_id);
  if (!r) fail("{}: image not known", std::string(name_or_id));
  return *r;
}

void Store::add_name(const std::string& id, const std::string& name) {
  modify_images([&](std::vector<ImageRecord>& images) {
    take_names(images, id, {name});
    for (auto& r : images) {
      if (r.id != id) continue;
      if (std::find(r.names.begin(), r.names.end(), name) == r.names.end()) r.names.push_back(name);
      push_front_unique(r.names_history, name);
      return;
    }
    fail("{}: image not known", id);
  });
}

bool Store::remove_name(const std::string& id, const std::string& name) {
  return modify_images([&](std::vector<ImageRecord>& images) {
    for (auto& r : images) {
      if (r.id != id) continue;
      auto it = std::find(r.names.begin(), r.names.end(), name);
      if (it == r.names.end()) return false;
      r.names.erase(it);
      return true;
    }
    return false;
  });
}

void Store::remove_image(const std::string& id) {
  modify_images([&](std::vector<ImageRecord>& images) {
    std::erase_if(images, [&](const ImageRecord& r) { return r.id == id; });
  });
}

fs::FileLock Store::reference_lock() const {
  return fs::FileLock::acquire(path("gc.lock"), fs::FileLock::Mode::Shared);
}

uint64_t Store::garbage_collect() {
  auto gc = fs::FileLock::acquire(path("gc.lock"), fs::FileLock::Mode::Exclusive);
  std::set<std::string> layers, blobs;
  for (const auto& r : read_images()) {
    for (const auto& l : r.layers) layers.insert(std::string(digest_hex(l)));
    blobs.insert(r.id);
    for (const auto& d : r.digests) blobs.insert(std::string(digest_hex(d)));
  }
  uint64_t freed = 0;
  for (const auto& name : fs::list_dir(path("layers"))) {
    if (layers.count(name)) continue;
    std::string dir = path("layers/" + name);
    freed += fs::tree_size(dir);
    fs::remove_all(dir);
  }
  for (const auto& name : fs::list_dir(path("blobs/sha256"))) {
    if (blobs.count(name)) continue;
    std::string p = path("blobs/sha256/" + name);
    freed += fs::tree_size(p);
    ::unlink(p.c_str());
  }
  return freed;
}

}  // namespace cabin::storage
