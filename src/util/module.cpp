#include "util/module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "cabin-config.h"
#include "util/error.h"

namespace cabin {
namespace {

std::string exe_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

}  // namespace

const void* load_module(const char* file, const char* entry, int version, const char* what) {
  std::string tried, error;
  for (const std::string& dir : {exe_dir(), std::string(CABIN_MODULE_DIR)}) {
    std::string path = dir + "/" + file;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      if (::access(path.c_str(), F_OK) == 0) error = ::dlerror();
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    auto fn = reinterpret_cast<const void* (*)()>(::dlsym(handle, entry));
    const void* api = fn ? fn() : nullptr;
    if (api && *static_cast<const int*>(api) == version) return api;
    error = path + " is from another cabin version";
  }
  fail("cannot load cabin's {} module (tried {}){}", what, tried, error.empty() ? std::string() : ": " + error);
}

}  // namespace cabin
