// The executable's side of storage/remote.h: thunks that load
// cabin-remote.so on first use. Searched next to the executable (the build
// tree), then in the install's module directory.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <mutex>
#include <string>

#include "cabin-config.h"
#include "storage/remote.h"
#include "util/error.h"

namespace cabin::storage {
namespace {

std::string exe_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

const RemoteApi& api() {
  static const RemoteApi* loaded = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string tried, error;
    for (const std::string& dir : {exe_dir(), std::string(CABIN_MODULE_DIR)}) {
      std::string path = dir + "/cabin-remote.so";
      void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        if (::access(path.c_str(), F_OK) == 0) error = ::dlerror();
        tried += (tried.empty() ? "" : ", ") + path;
        continue;
      }
      auto entry = reinterpret_cast<const RemoteApi* (*)()>(::dlsym(handle, "cabin_remote_api"));
      if (entry && entry()->version == kRemoteApiVersion) {
        loaded = entry();
        return;
      }
      error = path + " is from another cabin version";
    }
    fail("cannot load cabin's registry and archive module (tried {}){}", tried,
         error.empty() ? std::string() : ": " + error);
  });
  if (!loaded) fail("cabin's registry and archive module failed to load earlier");
  return *loaded;
}

}  // namespace

ImageRecord pull_image(Store& store, std::string_view name, const PullOptions& options) {
  return api().pull_image(store, name, options);
}

UnpackResult unpack_layer_fd(int fd, const Store::Staging& staging, const ExtractOptions& options,
                             std::string_view expected_digest) {
  return api().unpack_layer_fd(fd, staging, options, expected_digest);
}

ExtractOptions default_extract_options() { return api().default_extract_options(); }

void write_tree_tar(int out_fd, const TarTree& tree) { api().write_tree_tar(out_fd, tree); }

void extract_tar_fd(int in_fd, int dir_fd, const ExtractOptions& options) {
  api().extract_tar_fd(in_fd, dir_fd, options);
}

}  // namespace cabin::storage
