#include "engine/archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/commit.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "storage/tarsplit.h"
#include "storage/tarstream.h"
#include "storage/unpack.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strings.h"

namespace cabin::engine {
namespace {

using nlohmann::json;
namespace media = image::media;

constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";

// The files of a layout being saved: written below a directory, or kept
// as the entries of one tar (layers streamed when the tar gets to them).
class Layout {
 public:
  // dir empty: a tar.
  Layout(const storage::Store& store, std::string dir) : store_(store), dir_(std::move(dir)) {}
  const std::vector<storage::TarEntry>& entries() const { return entries_; }

  void write(const std::string& rel, std::string_view data) {
    if (dir_.empty()) {
      entries_.push_back({rel, std::string(data), 0, {}});
      return;
    }
    mkdirs(rel);
    fs::write_file_atomic(fs::join(dir_, rel), data, 0644);
  }
  // The layer's tar (its diff ID's bytes) as rel, once.
  void layer(const std::string& diff_id, const std::string& rel) {
    if (!written_.insert(rel).second) return;
    auto info = store_.layer_info(diff_id);
    if (!info) fail("layer {} is missing from the store", diff_id);
    std::string layer_dir = fs::join(store_.graphroot(), fmt::format("layers/{}", digest_hex(diff_id)));
    auto stream = [layer_dir, diff_id](const storage::ByteSink& sink) {
      if (!storage::write_layer_tar(layer_dir, sink))
        fail("layer {} cannot be saved: it has no record of its tar (a layer with duplicate entries)", diff_id);
    };
    if (dir_.empty()) {
      entries_.push_back({rel, "", info->size, stream});
      return;
    }
    mkdirs(rel);
    std::string path = fs::join(dir_, rel);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw_errno("create {}", path);
    stream([&](const char* p, size_t n) {
      if (!write_all(fd.get(), {p, n})) throw_errno("write {}", path);
    });
  }

 private:
  void mkdirs(const std::string& rel) {
    auto slash = rel.rfind('/');
    if (slash != std::string::npos) fs::mkdir_p(fs::join(dir_, rel.substr(0, slash)), 0755);
  }
  const storage::Store& store_;
  std::string dir_;
  std::set<std::string> written_;
  std::vector<storage::TarEntry> entries_;
};

std::string blob_path(std::string_view digest) { return fmt::format("blobs/sha256/{}", digest_hex(digest)); }

// The OCI manifest of an image whose layers are its uncompressed tars.
std::string oci_manifest(const storage::Store& store, const storage::ImageRecord& img, const std::string& config_body,
                         bool docker) {
  json layers = json::array();
  for (const auto& d : img.layers) {
    auto info = store.layer_info(d);
    layers.push_back({{"mediaType", docker ? media::kDockerLayer : media::kOciLayer}, {"digest", d}, {"size", info ? info->size : 0}});
  }
  json m = {{"schemaVersion", 2},
            {"mediaType", docker ? media::kDockerManifest : media::kOciManifest},
            {"config",
             {{"mediaType", docker ? media::kDockerConfig : media::kOciConfig},
              {"digest", img.config_digest()},
              {"size", config_body.size()}}},
            {"layers", layers}};
  return json_text(m);
}

void save_docker(const storage::Store& store, const std::vector<SaveRequest>& images, Layout& out) {
  json manifest = json::array();
  json repositories = json::object();
  for (const auto& r : images) {
    std::string cfg = store.get_blob(r.image.config_digest());
    std::string cfg_name = fmt::format("{}.json", r.image.id);
    out.write(cfg_name, cfg);
    json layers = json::array();
    for (const auto& d : r.image.layers) {
      std::string rel = fmt::format("{}.tar", digest_hex(d));
      out.layer(d, rel);
      layers.push_back(rel);
    }
    json tags = json::array();
    for (const auto& n : r.names) {
      tags.push_back(n);
      auto p = image::parse_reference(n).ref;
      if (!p.tag.empty() && !r.image.layers.empty())
        repositories[p.name()][p.tag] = std::string(digest_hex(r.image.layers.back()));
    }
    manifest.push_back({{"Config", cfg_name}, {"RepoTags", tags}, {"Layers", layers}});
  }
  out.write("manifest.json", json_text(manifest));
  if (!repositories.empty()) out.write("repositories", json_text(repositories));
}

void save_oci(const storage::Store& store, const std::vector<SaveRequest>& images, Layout& out) {
  json manifests = json::array();
  for (const auto& r : images) {
    std::string cfg = store.get_blob(r.image.config_digest());
    out.write(blob_path(r.image.config_digest()), cfg);
    for (const auto& d : r.image.layers) out.layer(d, blob_path(d));
    std::string m = oci_manifest(store, r.image, cfg, false);
    std::string md = sha256_digest(m);
    out.write(blob_path(md), m);
    json desc = {{"mediaType", media::kOciManifest}, {"digest", md}, {"size", m.size()}};
    if (!r.names.empty()) desc["annotations"] = {{std::string(kRefName), r.names.front()}};
    manifests.push_back(desc);
  }
  out.write("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  out.write("index.json", json_text(json({{"schemaVersion", 2}, {"manifests", manifests}})));
}

// containers/image's "dir" transport: the manifest, a version file, and
// every blob by its hex digest.
void save_dir(const storage::Store& store, const SaveRequest& r, Layout& out) {
  std::string cfg = store.get_blob(r.image.config_digest());
  out.write(std::string(digest_hex(r.image.config_digest())), cfg);
  for (const auto& d : r.image.layers) out.layer(d, std::string(digest_hex(d)));
  out.write("manifest.json", oci_manifest(store, r.image, cfg, true));
  out.write("version", "Directory Transport Version: 1.1\n");
}

// ---- load ----

// Entries larger than this are unpacked as layers while the archive is read
// (configs and manifests are far smaller); smaller ones are kept in memory.
constexpr uint64_t kSmallEntry = 1 << 20;

struct Unpacked {
  std::optional<storage::Store::Staging> staging;
  storage::UnpackResult result;
  std::exception_ptr error;  // it is no layer (fails only if one is named as a layer)
};

// Unpacks a layer from read (the archive's entry, or memory) into a new staging.
Unpacked unpack(storage::Store& store, const std::function<size_t(char*, size_t)>& read) {
  Unpacked u;
  u.staging.emplace(store.stage_layer());
  // The unpacker calls read from inside libarchive: what read throws (a
  // truncated archive) is kept here and is the error, rather than crossing C.
  std::exception_ptr read_error;
  auto reader = [&](char* buf, size_t n) -> ssize_t {
    try {
      return static_cast<ssize_t>(read(buf, n));
    } catch (...) {
      read_error = std::current_exception();
      errno = EIO;
      return -1;
    }
  };
  try {
    u.result = storage::unpack_layer(reader, *u.staging, storage::default_extract_options());
  } catch (...) {
    u.error = read_error ? read_error : std::current_exception();
    u.staging.reset();
  }
  return u;
}

// The archive, read once.
struct Contents {
  std::map<std::string, std::string> files;  // small regular files
  std::map<std::string, std::string> links;  // links: name -> the name they point to
  std::map<std::string, Unpacked> layers;    // large regular files, unpacked

  // The name a path stands for, links followed.
  std::string resolve(std::string name) const {
    for (int hops = 0; hops < 16; ++hops) {
      auto it = links.find(name);
      if (it == links.end()) return name;
      name = it->second;
    }
    fail("{} in the archive is a loop of links", name);
  }
  const std::string& file(const std::string& name) const {
    auto n = resolve(name);
    auto it = files.find(n);
    if (it != files.end()) return it->second;
    if (layers.count(n)) fail("{} in the archive is larger than {} bytes", name, kSmallEntry);
    fail("the archive has no {}", name);
  }
};

// "a/b/../c" -> "a/c"; ".." never climbs above the archive's root.
std::string normalize(std::string_view path) {
  std::vector<std::string> parts;
  for (const auto& p : split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(p);
    }
  }
  return join(parts, "/");
}

Contents read_archive(storage::Store& store, int in_fd) {
  Contents c;
  storage::for_each_tar_entry(in_fd, [&](const storage::TarEntryInfo& e, const storage::TarRead& read) {
    std::string name = normalize(e.name);
    if (e.type == 'l') {
      // A symlink to "" names nothing (front() of "" was undefined behaviour;
      // tests/fuzz/archive/regressions keeps such an archive).
      if (e.link.empty()) return;
      auto slash = name.rfind('/');
      c.links[name] = normalize(e.link.front() == '/' ? e.link : (slash == std::string::npos ? "" : name.substr(0, slash + 1)) + e.link);
    } else if (e.type == 'h') {
      c.links[name] = normalize(e.link);
    } else if (e.type == 'f' && e.size <= kSmallEntry) {
      std::string data(e.size, '\0');
      size_t got = 0;
      for (size_t n; got < data.size() && (n = read(data.data() + got, data.size() - got)) > 0;) got += n;
      if (got != data.size()) fail("read the archive: {} is cut short", name);
      c.files[name] = std::move(data);
    } else if (e.type == 'f') {
      c.layers.erase(name);
      c.layers.emplace(name, unpack(store, read));
    }
  });
  return c;
}

json parse_json(const std::string& text, const std::string& what) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) fail("{} in the archive is not valid JSON", what);
  return j;
}

// One image of the archive: its config and its layers' entries, in order.
struct Found {
  std::string config;
  std::vector<std::string> layer_files;
  std::vector<std::string> layer_digests;  // OCI: the blobs' digests, checked
  std::vector<std::string> layer_types;    // OCI: their media types
  std::vector<std::string> names;
  bool docker = false;
};

std::vector<Found> find_docker(const Contents& c) {
  auto j = parse_json(c.file("manifest.json"), "manifest.json");
  if (!j.is_array() || j.empty()) fail("manifest.json in the archive is not a list of images");
  std::vector<Found> out;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string() || !e.contains("Layers") || !e["Layers"].is_array())
      fail("manifest.json in the archive has an entry without Config and Layers");
    Found f;
    f.docker = true;
    f.config = c.file(normalize(e["Config"].get<std::string>()));
    for (const auto& l : e["Layers"]) f.layer_files.push_back(normalize(l.get<std::string>()));
    if (e.contains("RepoTags") && e["RepoTags"].is_array())
      for (const auto& t : e["RepoTags"]) f.names.push_back(image::parse_reference(t.get<std::string>()).ref.string());
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Found> find_oci(const Contents& c) {
  auto index = parse_json(c.file("index.json"), "index.json");
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    fail("index.json in the archive lists no manifests");
  std::vector<Found> out;
  for (const auto& d : index["manifests"]) {
    std::string digest = d.value("digest", "");
    validate_digest(digest);
    const std::string& body = c.file(blob_path(digest));
    if (sha256_digest(body) != digest) fail("manifest {} in the archive does not match its digest", digest);
    auto m = image::parse_manifest(body);
    Found f;
    f.config = c.file(blob_path(m.config.digest));
    if (sha256_digest(f.config) != m.config.digest) fail("config {} in the archive does not match its digest", m.config.digest);
    for (const auto& l : m.layers) {
      image::layer_compression(l.media_type);
      f.layer_files.push_back(blob_path(l.digest));
      f.layer_digests.push_back(l.digest);
      f.layer_types.push_back(l.media_type);
    }
    if (d.contains("annotations") && d["annotations"].is_object() && d["annotations"].contains(kRefName)) {
      // A full name ("localhost/app:1"); a bare tag names nothing here.
      std::string ref = d["annotations"][std::string(kRefName)].get<std::string>();
      if (ref.find('/') != std::string::npos || ref.find(':') != std::string::npos) {
        try {
          f.names.push_back(image::parse_reference(ref).ref.string());
        } catch (const Error&) {
        }
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

void save_images(storage::Store& store, const std::vector<SaveRequest>& images, const std::string& format, int out_fd,
                 const std::string& dir) {
  bool archive = format == "docker-archive" || format == "oci-archive";
  if (!archive) {
    if (fs::exists(dir) && !fs::list_dir(dir).empty()) fail("{} is not empty: save into a new directory", dir);
    fs::mkdir_p(dir, 0755);
  }
  Layout out(store, archive ? "" : dir);
  if (format == "docker-archive") {
    save_docker(store, images, out);
  } else if (format == "oci-archive" || format == "oci-dir") {
    save_oci(store, images, out);
  } else {
    save_dir(store, images.front(), out);
  }
  if (archive) storage::write_tar_entries(out_fd, out.entries());
}

std::vector<std::string> load_images(storage::Store& store, int in_fd, Progress& progress) {
  auto ref_lock = store.reference_lock();
  Contents c = with_context("reading the archive", [&] { return read_archive(store, in_fd); });
  std::vector<Found> found;
  if (c.files.count("index.json")) {
    found = find_oci(c);
  } else if (c.files.count("manifest.json")) {
    found = find_docker(c);
  } else {
    fail("payload does not match any of the supported image formats (oci-archive, docker-archive)");
  }
  progress.message("Getting image source signatures");
  std::vector<std::string> loaded;
  for (auto& f : found) {
    auto cfg = image::parse_config(f.config);
    if (cfg.diff_ids.size() != f.layer_files.size())
      fail("the archive's image has {} layers but its config names {}", f.layer_files.size(), cfg.diff_ids.size());
    for (size_t i = 0; i < f.layer_files.size(); ++i) {
      const std::string& diff_id = cfg.diff_ids[i];
      const std::string& file = f.layer_files[i];
      size_t item = progress.add(fmt::format("Copying blob {}", digest_hex(diff_id).substr(0, 12)), 0);
      if (store.has_layer(diff_id)) {
        progress.finish(item, "skipped: already exists");
        continue;
      }
      std::string n = c.resolve(file);
      auto it = c.layers.find(n);
      if (it == c.layers.end()) {
        // A small layer, kept in memory.
        const std::string& data = c.file(file);
        size_t at = 0;
        it = c.layers.emplace(n, unpack(store, [&](char* buf, size_t len) {
                                size_t k = std::min(len, data.size() - at);
                                std::memcpy(buf, data.data() + at, k);
                                at += k;
                                return k;
                              })).first;
      }
      Unpacked& u = it->second;
      if (u.error) {
        try {
          std::rethrow_exception(u.error);
        } catch (const Error& e) {
          fail("layer {} in the archive: {}", file, e.what());
        }
      }
      if (!u.staging) fail("layer {} in the archive is named twice with different contents", file);
      const auto& r = u.result;
      std::string expect = f.layer_digests.empty() ? "" : f.layer_digests[i];
      if (!expect.empty() && r.compressed_digest != expect)
        fail("layer {} in the archive does not match its digest {}", file, expect);
      if (r.diff_id != diff_id) fail("layer {} in the archive is {}, not {} as its config says", file, r.diff_id, diff_id);
      // The blob's media type where the archive says it (push may offer the
      // blob as it is), else none for a compressed one.
      bool compressed = r.compressed_digest != r.diff_id;
      std::string type = !f.layer_types.empty() ? f.layer_types[i] : compressed ? "" : std::string(media::kOciLayer);
      store.commit_layer(std::move(*u.staging), {r.diff_id, r.size, r.compressed_digest, r.compressed_size, type});
      u.staging.reset();
      progress.finish(item);
    }
    auto rec = store_image_config(store, f.config, f.names, f.docker, progress);
    if (rec.names.empty()) {
      loaded.push_back("sha256:" + rec.id);
    } else {
      for (const auto& n : f.names) loaded.push_back(n);
    }
  }
  return loaded;
}

}  // namespace cabin::engine
