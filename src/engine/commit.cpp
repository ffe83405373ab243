#include "engine/commit.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/create.h"
#include "engine/secrets.h"
#include "format/units.h"
#include "image/change.h"
#include "image/manifest.h"
#include "storage/rootfs.h"
#include "storage/tarstream.h"
#include "storage/unpack.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/signals.h"
#include "util/strings.h"

namespace cabin::engine {
namespace {

using nlohmann::json;

// cabin's own mount points: empty placeholders in the upper layer, not the
// container's changes.
bool own_mount_point(const std::string& arcname, const struct stat& st) {
  static constexpr std::string_view kOwn[] = {"etc/hostname", "etc/hosts", "etc/resolv.conf", "run/.containerenv"};
  return S_ISREG(st.st_mode) && st.st_size == 0 && std::find(std::begin(kOwn), std::end(kOwn), arcname) != std::end(kOwn);
}

// Whether upper/path is a placeholder that holds nothing of the run's: an
// empty file, or a directory of such placeholders.
bool only_placeholders(int upper, const std::string& path, const std::set<std::string>& placeholders) {
  if (!placeholders.count(path)) return false;
  struct stat st {};
  if (::fstatat(upper, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  if (S_ISREG(st.st_mode)) return st.st_size == 0;
  if (!S_ISDIR(st.st_mode)) return false;
  UniqueFd dir(::openat(upper, path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return false;
  for (const auto& name : fs::list_dir_fd(dir.get()))
    if (!only_placeholders(upper, path + "/" + name, placeholders)) return false;
  return true;
}

// The upper layer, as an OCI layer tar unpacked into a new store layer.
storage::LayerInfo commit_upper(storage::Store& store, const std::string& upper,
                                std::optional<int64_t> mtime = std::nullopt,
                                const std::set<std::string>& placeholders = {}) {
  UniqueFd dir(::open(upper.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  return layer_from_tar(store, [&](int fd) {
    if (dir) {
      storage::TarTree tree{dir.get(), ".", "", std::nullopt, true};
      tree.overlay_upper = true;
      tree.skip = own_mount_point;
      if (!placeholders.empty())
        tree.skip = [&](const std::string& arcname, const struct stat& st) {
          return own_mount_point(arcname, st) || only_placeholders(dir.get(), arcname, placeholders);
        };
      if (mtime) tree.mtime = static_cast<time_t>(*mtime);
      storage::write_tree_tar(fd, tree);
    } else {
      // Never mounted: an empty layer (an end-of-archive marker).
      static const char kEnd[1024] = {};
      if (::write(fd, kEnd, sizeof kEnd) != static_cast<ssize_t>(sizeof kEnd)) throw_errno("write the layer");
    }
  });
}

// KEY of "KEY=VALUE".
std::string env_key(const std::string& kv) { return kv.substr(0, kv.find('=')); }

// The image configuration's "config": the base image's, with what the
// container changed (its command, environment, working directory, labels).
json container_config(const json& base, const storage::ContainerRecord& rec, const runtime::StartConfig& cfg) {
  json c = base.is_object() ? base : json::object();
  std::vector<std::string> entrypoint;
  if (c.contains("Entrypoint") && c["Entrypoint"].is_array()) entrypoint = c["Entrypoint"].get<std::vector<std::string>>();
  const auto& cmd = rec.command;
  if (!entrypoint.empty() && cmd.size() >= entrypoint.size() && std::equal(entrypoint.begin(), entrypoint.end(), cmd.begin())) {
    c["Cmd"] = std::vector<std::string>(cmd.begin() + static_cast<long>(entrypoint.size()), cmd.end());
  } else {
    c.erase("Entrypoint");
    c["Cmd"] = cmd;
  }
  // The environment: the image's, with what the container set on top; not
  // what cabin adds to every container.
  std::vector<std::string> env;
  if (c.contains("Env") && c["Env"].is_array()) env = c["Env"].get<std::vector<std::string>>();
  for (const auto& kv : cfg.spec.env) {
    std::string k = env_key(kv);
    auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return env_key(e) == k; });
    if (it != env.end()) *it = kv;
    else if (k != "container" && k != "HOSTNAME" && k != "TERM" && k != "HOME") env.push_back(kv);
  }
  c["Env"] = env;
  c["WorkingDir"] = cfg.spec.cwd == "/" && !c.contains("WorkingDir") ? "" : cfg.spec.cwd;
  if (!rec.labels.empty()) {
    if (!c.contains("Labels") || !c["Labels"].is_object()) c["Labels"] = json::object();
    for (const auto& [k, v] : rec.labels) c["Labels"][k] = v;
  }
  return c;
}

}  // namespace

void through_pipe(const std::function<void(int)>& write, const std::function<void(int)>& read) {
  IgnoreSigpipe no_sigpipe;  // a reader that failed is the writer's EPIPE
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  std::exception_ptr write_error, read_error;
  std::atomic<bool> reader_gone{false};
  bool writer_followed = false;  // the writer failed after the reader had gone
  std::thread writer([&] {
    try {
      write(wr.get());
    } catch (...) {
      write_error = std::current_exception();
      writer_followed = reader_gone.load();
    }
    wr.reset();
  });
  try {
    read(rd.get());
  } catch (...) {
    read_error = std::current_exception();
  }
  reader_gone = true;
  rd.reset();  // unblocks a writer still writing
  writer.join();
  // The first failure is the cause: a writer that failed first shows up in
  // the reader as a truncated tar, a reader that failed first (a full disk)
  // in the writer as a broken pipe.
  if (write_error && !(read_error && writer_followed)) std::rethrow_exception(write_error);
  if (read_error) std::rethrow_exception(read_error);
}

storage::LayerInfo layer_from_tar(storage::Store& store, const std::function<void(int)>& write) {
  auto staging = store.stage_layer();
  storage::UnpackResult result;
  through_pipe(write, [&](int fd) { result = storage::unpack_layer_fd(fd, staging, storage::default_extract_options()); });
  storage::LayerInfo info{result.diff_id, result.size, result.diff_id, result.size, std::string(image::media::kOciLayer)};
  store.commit_layer(std::move(staging), info);
  return info;
}

storage::LayerInfo commit_changes(storage::Store& store, const storage::ContainerStore& containers,
                                  const storage::ContainerRecord& rec, std::optional<int64_t> mtime,
                                  const std::set<std::string>& placeholders) {
  return commit_upper(store, fs::join(containers.dir(rec.id), "upper"), mtime, placeholders);
}

storage::ImageRecord commit_container(storage::Store& store, storage::ContainerStore& containers,
                                      const config::StorePaths& paths, const storage::ContainerRecord& rec,
                                      const CommitOptions& o, Progress& progress) {
  if (!rec.rootfs.empty()) fail("container {} runs on a directory of yours (--rootfs): it has no image to commit onto", rec.name);
  if (storage::choose_driver(paths.graphroot, paths.driver) == storage::Driver::Vfs)
    fail("commit needs an overlay's upper layer: the vfs storage driver keeps none");
  auto base = store.find_image(rec.image_id);
  if (!base) fail("container {}: its image {} is no longer in the store", rec.name, rec.image_id.substr(0, 12));
  json base_cfg = json::parse(store.get_blob(base->config_digest()));
  auto cfg = load_start_config(containers, rec.id);
  json inner = container_config(base_cfg.value("config", json::object()), rec, cfg);
  for (const auto& ch : o.changes) image::apply_change(inner, ch);

  progress.message("Getting image source signatures");
  // Secrets' mount points are the run's, not the container's changes.
  auto layer = commit_upper(store, fs::join(containers.dir(rec.id), "upper"), std::nullopt, secret_paths(cfg));
  size_t blob = progress.add(fmt::format("Copying blob {}", digest_hex(layer.diff_id).substr(0, 12)), layer.size);
  progress.finish(blob);

  std::string now = format::rfc3339_nano(std::chrono::system_clock::now());
  json cfg_json = base_cfg;
  cfg_json["created"] = now;
  cfg_json["config"] = inner;
  if (!o.author.empty()) cfg_json["author"] = o.author;
  else cfg_json.erase("author");
  cfg_json["rootfs"] = {{"type", "layers"}, {"diff_ids", base->layers}};
  cfg_json["rootfs"]["diff_ids"].push_back(layer.diff_id);
  json entry = {{"created", now}, {"created_by", join(rec.command, " ")}};
  if (!o.author.empty()) entry["author"] = o.author;
  if (!o.message.empty()) entry["comment"] = o.message;
  if (!cfg_json.contains("history") || !cfg_json["history"].is_array()) cfg_json["history"] = json::array();
  cfg_json["history"].push_back(entry);
  return store_local_image(store, cfg_json, o.name, o.docker_format, progress);
}

namespace {

// store_local_image and store_image_config: the config as stored (cfg_body)
// and parsed (config).
storage::ImageRecord store_image(storage::Store& store, const std::string& cfg_body, const json& config,
                                 const std::vector<std::string>& names, bool docker_format, Progress& progress,
                                 const std::string& parent, const json& annotations) {
  std::string cfg_digest = sha256_digest(cfg_body);
  // Layers by their uncompressed digests: the store keeps no compressed copy.
  std::string_view layer_type = docker_format ? image::media::kDockerLayer : image::media::kOciLayer;
  json layers = json::array();
  uint64_t size = 0;
  std::vector<std::string> diff_ids = config.at("rootfs").at("diff_ids").get<std::vector<std::string>>();
  for (const auto& d : diff_ids) {
    auto info = store.layer_info(d);
    uint64_t n = info ? info->size : 0;
    size += n;
    layers.push_back({{"mediaType", layer_type}, {"digest", d}, {"size", n}});
  }
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", docker_format ? image::media::kDockerManifest : image::media::kOciManifest},
                   {"config",
                    {{"mediaType", docker_format ? image::media::kDockerConfig : image::media::kOciConfig},
                     {"digest", cfg_digest},
                     {"size", cfg_body.size()}}},
                   {"layers", layers}};
  if (annotations.is_object() && !annotations.empty()) manifest["annotations"] = annotations;
  std::string man_body = json_text(manifest);
  std::string man_digest = sha256_digest(man_body);
  size_t cfg_item = progress.add(fmt::format("Copying config {}", digest_hex(cfg_digest).substr(0, 12)), cfg_body.size());
  store.put_blob(cfg_digest, cfg_body);
  progress.finish(cfg_item);
  progress.message("Writing manifest to image destination");
  store.put_blob(man_digest, man_body);

  storage::ImageRecord out;
  out.id = std::string(digest_hex(cfg_digest));
  out.digest = man_digest;
  out.manifest = man_digest;
  out.digests = {man_digest};
  out.names = names;
  out.layers = diff_ids;
  out.size = size + cfg_body.size() + man_body.size();
  out.created = config.value("created", "");
  out.parent = parent;
  return store.add_image(out);
}

}  // namespace

storage::ImageRecord store_local_image(storage::Store& store, const nlohmann::json& config, const std::string& name,
                                       bool docker_format, Progress& progress, const std::string& parent,
                                       const nlohmann::json& annotations) {
  std::vector<std::string> names;
  if (!name.empty()) names.push_back(name);
  return store_image(store, json_text(config), config, names, docker_format, progress, parent, annotations);
}

storage::ImageRecord store_image_config(storage::Store& store, const std::string& cfg_body,
                                        const std::vector<std::string>& names, bool docker_format, Progress& progress,
                                        const std::string& parent, const nlohmann::json& annotations) {
  return store_image(store, cfg_body, json::parse(cfg_body), names, docker_format, progress, parent, annotations);
}

}  // namespace cabin::engine
