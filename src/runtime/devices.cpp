#include "runtime/devices.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "util/error.h"
#include "util/strings.h"

namespace cabin::runtime {
namespace {

bool valid_perms(std::string_view p) {
  return !p.empty() && p.size() <= 3 && p.find_first_not_of("rwm") == std::string_view::npos;
}

bool is_device(const struct stat& st) { return S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode); }

MountSpec device_bind(const std::string& host, const std::string& container, const std::string& perms) {
  MountSpec m;
  m.source = host;
  m.destination = container;
  m.recursive = false;
  m.device = perms;
  return m;
}

}  // namespace

DeviceRequest parse_device(const std::string& text) {
  auto f = split(text, ':');
  if (f.size() > 3 || f[0].empty()) fail("invalid device specification: {}", text);
  DeviceRequest d;
  d.host = f[0];
  if (f.size() == 3) {
    if (!valid_perms(f[2])) fail("invalid device mode: {}", f[2]);
    d.perms = f[2];
  }
  if (f.size() >= 2) {
    if (f.size() == 2 && valid_perms(f[1])) {
      d.perms = f[1];
    } else if (f[1].empty() || f[1][0] != '/') {
      fail("invalid device mode: {}", f[1]);
    } else {
      d.container = f[1];
    }
  }
  if (d.host[0] != '/') fail("invalid device specification: {}: the host device must be an absolute path", text);
  if (d.container.empty()) d.container = d.host;
  return d;
}

bool is_cdi_name(std::string_view text) {
  auto slash = text.find('/'), eq = text.find('=');
  return !text.empty() && text[0] != '/' && slash != std::string_view::npos && eq != std::string_view::npos &&
         slash < eq;
}

std::vector<MountSpec> device_mounts(const DeviceRequest& d) {
  char* real = ::realpath(d.host.c_str(), nullptr);
  if (!real) throw_errno("stat {}", d.host);
  std::string host = real;
  std::free(real);
  struct stat st{};
  if (::stat(host.c_str(), &st) != 0) throw_errno("stat {}", d.host);
  if (is_device(st)) return {device_bind(host, d.container, d.perms)};
  if (!S_ISDIR(st.st_mode)) fail("{} is not a device node", d.host);
  // A directory (/dev/dri): the device nodes in it, recursively.
  std::vector<MountSpec> out;
  namespace sfs = std::filesystem;
  std::error_code ec;
  for (auto it = sfs::recursive_directory_iterator(host, ec); !ec && it != sfs::recursive_directory_iterator();
       it.increment(ec)) {
    struct stat e{};
    if (::lstat(it->path().c_str(), &e) != 0 || !is_device(e)) continue;
    std::string rel = it->path().string().substr(host.size());
    out.push_back(device_bind(it->path().string(), d.container + rel, d.perms));
  }
  if (ec) fail("reading {}: {}", d.host, ec.message());
  if (out.empty()) fail("{} holds no device nodes", d.host);
  return out;
}

}  // namespace cabin::runtime
