#include "engine/archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

namespace cabin::engine {
namespace {

using nlohmann::json;
namespace media = image::media;

constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";

// Files of a layout being written, below one directory.
class Layout {
 public:
  explicit Layout(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  void write(const std::string& rel, std::string_view data) {
    mkdirs(rel);
    fs::write_file_atomic(fs::join(dir_, rel), data, 0644);
  }
  // The layer's tar (its diff ID's bytes) as rel, once.
  void layer(const storage::Store& store, const std::string& diff_id, const std::string& rel) {
    if (!written_.insert(rel).second) return;
    mkdirs(rel);
    std::string path = fs::join(dir_, rel);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw_errno("create {}", path);
    std::string layer_dir = fs::join(store.graphroot(), fmt::format("layers/{}", digest_hex(diff_id)));
    bool ok = storage::write_layer_tar(layer_dir, [&](const char* p, size_t n) {
      while (n > 0) {
        ssize_t w = ::write(fd.get(), p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) throw_errno("write {}", path);
        p += w;
        n -= static_cast<size_t>(w);
      }
    });
    if (!ok) fail("layer {} cannot be saved: it has no record of its tar (a layer with duplicate entries)", diff_id);
  }

 private:
  void mkdirs(const std::string& rel) {
    auto slash = rel.rfind('/');
    if (slash != std::string::npos) fs::mkdir_p(fs::join(dir_, rel.substr(0, slash)), 0755);
  }
  std::string dir_;
  std::set<std::string> written_;
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
  return m.dump();
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
      out.layer(store, d, rel);
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
  out.write("manifest.json", manifest.dump());
  if (!repositories.empty()) out.write("repositories", repositories.dump());
}

void save_oci(const storage::Store& store, const std::vector<SaveRequest>& images, Layout& out) {
  json manifests = json::array();
  for (const auto& r : images) {
    std::string cfg = store.get_blob(r.image.config_digest());
    out.write(blob_path(r.image.config_digest()), cfg);
    for (const auto& d : r.image.layers) out.layer(store, d, blob_path(d));
    std::string m = oci_manifest(store, r.image, cfg, false);
    std::string md = sha256_digest(m);
    out.write(blob_path(md), m);
    json desc = {{"mediaType", media::kOciManifest}, {"digest", md}, {"size", m.size()}};
    if (!r.names.empty()) desc["annotations"] = {{std::string(kRefName), r.names.front()}};
    manifests.push_back(desc);
  }
  out.write("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  out.write("index.json", json({{"schemaVersion", 2}, {"manifests", manifests}}).dump());
}

// containers/image's "dir" transport: the manifest, a version file, and
// every blob by its hex digest.
void save_dir(const storage::Store& store, const SaveRequest& r, Layout& out) {
  std::string cfg = store.get_blob(r.image.config_digest());
  out.write(std::string(digest_hex(r.image.config_digest())), cfg);
  for (const auto& d : r.image.layers) out.layer(store, d, std::string(digest_hex(d)));
  out.write("manifest.json", oci_manifest(store, r.image, cfg, true));
  out.write("version", "Directory Transport Version: 1.1\n");
}

// ---- load ----

std::string read_in(int root, const std::string& rel, size_t limit = 64 << 20) {
  UniqueFd fd = fs::open_in_root(root, rel, O_RDONLY | O_CLOEXEC);
  if (!fd) fail("the archive has no {}", rel);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) fail("{} in the archive is not a file", rel);
  if (static_cast<uint64_t>(st.st_size) > limit) fail("{} in the archive is larger than {} bytes", rel, limit);
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_errno("read {} in the archive", rel);
    got += static_cast<size_t>(n);
  }
  return out;
}

json parse_json(const std::string& text, const std::string& what) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) fail("{} in the archive is not valid JSON", what);
  return j;
}

// One image of the archive: its config and its layers' files, in order.
struct Found {
  std::string config;
  std::vector<std::string> layer_files;
  std::vector<std::string> layer_digests;  // OCI: the blobs' digests, checked as they unpack
  std::vector<std::string> layer_types;    // OCI: their media types
  std::vector<std::string> names;
  bool docker = false;
};

std::vector<Found> find_docker(int root) {
  auto j = parse_json(read_in(root, "manifest.json"), "manifest.json");
  if (!j.is_array() || j.empty()) fail("manifest.json in the archive is not a list of images");
  std::vector<Found> out;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string() || !e.contains("Layers") || !e["Layers"].is_array())
      fail("manifest.json in the archive has an entry without Config and Layers");
    Found f;
    f.docker = true;
    f.config = read_in(root, e["Config"].get<std::string>());
    for (const auto& l : e["Layers"]) f.layer_files.push_back(l.get<std::string>());
    if (e.contains("RepoTags") && e["RepoTags"].is_array())
      for (const auto& t : e["RepoTags"]) f.names.push_back(image::parse_reference(t.get<std::string>()).ref.string());
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Found> find_oci(int root) {
  auto index = parse_json(read_in(root, "index.json"), "index.json");
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    fail("index.json in the archive lists no manifests");
  std::vector<Found> out;
  for (const auto& d : index["manifests"]) {
    std::string digest = d.value("digest", "");
    validate_digest(digest);
    std::string body = read_in(root, blob_path(digest));
    if (sha256_digest(body) != digest) fail("manifest {} in the archive does not match its digest", digest);
    auto m = image::parse_manifest(body);
    Found f;
    f.config = read_in(root, blob_path(m.config.digest));
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
  std::optional<fs::TempDir> tmp;
  std::string root = dir;
  if (archive) {
    tmp.emplace(fs::join(store.graphroot(), "tmp"), "save-");
    root = tmp->path();
  } else {
    if (fs::exists(dir) && !fs::list_dir(dir).empty()) fail("{} is not empty: save into a new directory", dir);
    fs::mkdir_p(dir, 0755);
  }
  Layout out(root);
  if (format == "docker-archive") {
    save_docker(store, images, out);
  } else if (format == "oci-archive" || format == "oci-dir") {
    save_oci(store, images, out);
  } else {
    save_dir(store, images.front(), out);
  }
  if (!archive) return;
  UniqueFd parent(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!parent) throw_errno("open {}", root);
  storage::TarTree t;
  t.parent_fd = parent.get();
  t.name = ".";
  t.owner = std::make_pair(uid_t{0}, gid_t{0});
  storage::write_tree_tar(out_fd, t);
}

std::vector<std::string> load_images(storage::Store& store, int in_fd, Progress& progress) {
  fs::TempDir tmp(fs::join(store.graphroot(), "tmp"), "load-");
  UniqueFd root(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open {}", tmp.path());
  auto opts = storage::default_extract_options();
  opts.whiteouts = false;
  with_context("reading the archive", [&] { storage::extract_tar_fd(in_fd, root.get(), opts); });
  std::vector<Found> found;
  if (fs::exists(fs::join(tmp.path(), "manifest.json")) && !fs::exists(fs::join(tmp.path(), "index.json"))) {
    found = find_docker(root.get());
  } else if (fs::exists(fs::join(tmp.path(), "index.json"))) {
    found = find_oci(root.get());
  } else {
    fail("payload does not match any of the supported image formats (oci-archive, docker-archive)");
  }
  progress.message("Getting image source signatures");
  auto ref_lock = store.reference_lock();
  std::vector<std::string> loaded;
  for (auto& f : found) {
    auto cfg = image::parse_config(f.config);
    if (cfg.diff_ids.size() != f.layer_files.size())
      fail("the archive's image has {} layers but its config names {}", f.layer_files.size(), cfg.diff_ids.size());
    for (size_t i = 0; i < f.layer_files.size(); ++i) {
      const std::string& diff_id = cfg.diff_ids[i];
      size_t item = progress.add(fmt::format("Copying blob {}", digest_hex(diff_id).substr(0, 12)), 0);
      if (store.has_layer(diff_id)) {
        progress.finish(item, "skipped: already exists");
        continue;
      }
      UniqueFd fd = fs::open_in_root(root.get(), f.layer_files[i], O_RDONLY | O_CLOEXEC);
      if (!fd) fail("the archive has no {}", f.layer_files[i]);
      std::string expect = f.layer_digests.empty() ? "" : f.layer_digests[i];
      auto staging = store.stage_layer();
      auto r = with_context(fmt::format("layer {}", f.layer_files[i]),
                            [&] { return storage::unpack_layer_fd(fd.get(), staging, storage::default_extract_options(), expect); });
      if (!expect.empty() && r.compressed_digest != expect)
        fail("layer {} in the archive does not match its digest {}", f.layer_files[i], expect);
      if (r.diff_id != diff_id)
        fail("layer {} in the archive is {}, not {} as its config says", f.layer_files[i], r.diff_id, diff_id);
      // The blob's media type where the archive says it (push may offer the
      // blob as it is), else none for a compressed one.
      bool compressed = r.compressed_digest != r.diff_id;
      std::string type = !f.layer_types.empty() ? f.layer_types[i] : compressed ? "" : std::string(media::kOciLayer);
      store.commit_layer(std::move(staging), {r.diff_id, r.size, r.compressed_digest, r.compressed_size, type});
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
