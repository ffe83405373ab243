// The executable's side of storage/remote.h: thunks that load
// cabin-remote.so on first use (util/module.h).
#include <mutex>

#include "storage/remote.h"
#include "util/error.h"
#include "util/module.h"

namespace cabin::storage {
namespace {

const RemoteApi& api() {
  static const RemoteApi* loaded = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    loaded = static_cast<const RemoteApi*>(
        load_module("cabin-remote.so", "cabin_remote_api", kRemoteApiVersion, "registry and archive"));
  });
  if (!loaded) fail("cabin's registry and archive module failed to load earlier");
  return *loaded;
}

}  // namespace

ImageRecord pull_image(Store& store, std::string_view name, const PullOptions& options) {
  return api().pull_image(store, name, options);
}

UnpackResult unpack_layer(const LayerReader& in, const Store::Staging& staging, const ExtractOptions& options,
                          std::string_view expected_digest) {
  return api().unpack_layer(in, staging, options, expected_digest);
}

ExtractOptions default_extract_options() { return api().default_extract_options(); }

void write_tree_tar(int out_fd, const TarTree& tree) { api().write_tree_tar(out_fd, tree); }

void write_trees_tar(int out_fd, const std::vector<TarTree>& trees) { api().write_trees_tar(out_fd, trees); }

void extract_tar_fd(int in_fd, int dir_fd, const ExtractOptions& options) {
  api().extract_tar_fd(in_fd, dir_fd, options);
}

LayerContent verify_layer_content(const std::string& layer_dir, std::string_view diff_id, std::string* why) {
  return api().verify_layer_content(layer_dir, diff_id, why);
}

int64_t fetch_url(const std::string& url, int out_fd) { return api().fetch_url(url, out_fd); }

bool is_archive(int fd) { return api().is_archive(fd); }

std::string push_image(Store& store, const ImageRecord& image, const image::Reference& dest, const PushOptions& options) {
  return api().push_image(store, image, dest, options);
}

void write_tar_entries(int out_fd, const std::vector<TarEntry>& entries) { api().write_tar_entries(out_fd, entries); }

void for_each_tar_entry(int in_fd, const std::function<void(const TarEntryInfo&, const TarRead&)>& fn) {
  api().for_each_tar_entry(in_fd, fn);
}

std::vector<RemoteInstance> remote_instances(const std::string& ref, bool all, const RemoteOptions& o) {
  return api().remote_instances(ref, all, o);
}

std::string remote_manifest(const std::string& ref, const RemoteOptions& o) { return api().remote_manifest(ref, o); }

std::string push_manifest_list(const std::string& index_body, const std::string& media_type,
                               const std::vector<std::string>& instance_refs, const image::Reference& dest, bool all,
                               const RemoteOptions& o, bool quiet) {
  return api().push_manifest_list(index_body, media_type, instance_refs, dest, all, o, quiet);
}

bool write_layer_tar(const std::string& layer_dir, const ByteSink& sink) { return api().write_layer_tar(layer_dir, sink); }

void check_login(const std::string& registry, const config::Credentials& creds, std::optional<bool> tls_verify,
                 const std::string& cert_dir) {
  api().check_login(registry, creds, tls_verify, cert_dir);
}

}  // namespace cabin::storage
