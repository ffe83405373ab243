#include "storage/volumes.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "format/units.h"
#include "storage/containers.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"

namespace cabin::storage {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::string option(const std::map<std::string, std::string>& o, const std::string& key) {
  auto it = o.find(key);
  return it == o.end() ? "" : it->second;
}

std::vector<std::string> mount_options(const std::map<std::string, std::string>& o) {
  std::vector<std::string> out;
  for (const auto& item : split(option(o, "o"), ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

bool is_bind_type(const std::map<std::string, std::string>& o) {
  auto type = option(o, "type");
  if (type == "bind") return true;
  auto opts = mount_options(o);
  return type == "none" && std::any_of(opts.begin(), opts.end(), [](const auto& s) { return s == "bind" || s == "rbind"; });
}

}  // namespace

bool Volume::tmpfs() const { return option(options, "type") == "tmpfs"; }
bool Volume::bind() const { return is_bind_type(options); }

bool Volume::copy() const {
  if (options.count("nocopy")) return false;
  auto opts = mount_options(options);
  return std::find(opts.begin(), opts.end(), "nocopy") == opts.end();
}

std::string Volume::tmpfs_data() const {
  std::string out;
  for (const auto& item : mount_options(options)) {
    if (item == "copy" || item == "nocopy") continue;
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

json to_json(const Volume& v) {
  return {{"Name", v.name},         {"Driver", v.driver},           {"CreatedAt", v.created},
          {"Labels", v.labels},     {"Options", v.options},         {"Anonymous", v.anonymous},
          {"NeedsCopyUp", v.needs_copy_up}, {"NeedsChown", v.needs_chown}};
}

Volume volume_from_json(const json& j) {
  Volume v;
  v.name = j.at("Name").get<std::string>();
  v.driver = j.value("Driver", "local");
  v.created = j.value("CreatedAt", "");
  if (j.contains("Labels")) v.labels = j["Labels"].get<std::map<std::string, std::string>>();
  if (j.contains("Options")) v.options = j["Options"].get<std::map<std::string, std::string>>();
  v.anonymous = j.value("Anonymous", false);
  v.needs_copy_up = j.value("NeedsCopyUp", true);
  v.needs_chown = j.value("NeedsChown", true);
  return v;
}

ordered_json inspect_json(const Volume& v, const std::string& mountpoint) {
  ordered_json j;
  j["Name"] = v.name;
  j["Driver"] = v.driver;
  j["Mountpoint"] = mountpoint;
  j["CreatedAt"] = v.created;
  j["Labels"] = ordered_json::object();
  for (const auto& [k, val] : v.labels) j["Labels"][k] = val;
  j["Scope"] = "local";
  j["Options"] = ordered_json::object();
  for (const auto& [k, val] : v.options) j["Options"][k] = val;
  j["MountCount"] = 0;
  j["NeedsCopyUp"] = v.needs_copy_up;
  j["NeedsChown"] = v.needs_chown;
  return j;
}

void check_volume_options(const std::map<std::string, std::string>& o) {
  for (const auto& [key, value] : o)
    if (key != "type" && key != "device" && key != "o" && key != "copy" && key != "nocopy")
      fail("invalid mount option {} for driver 'local': invalid argument", key);
  auto type = option(o, "type");
  bool bind = is_bind_type(o), tmpfs = type == "tmpfs";
  if (!type.empty() && !bind && !tmpfs)
    fail("volume type {:?} needs root to mount: a rootless volume is a directory, type=tmpfs, or type=bind "
         "(or type=none with o=bind) with device=DIRECTORY",
         type);
  if (bind) {
    auto device = option(o, "device");
    if (device.empty()) fail("invalid volume option device for driver 'local': a bind volume needs device=DIRECTORY");
    struct stat st {};
    if (::stat(device.c_str(), &st) != 0)
      fail("invalid volume option device for driver 'local': stat {}: {}", device, std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) fail("invalid volume option device for driver 'local': {} is not a directory", device);
  }
  for (const auto& item : mount_options(o)) {
    std::string k = item.substr(0, item.find('='));
    if (k == "copy" || k == "nocopy") continue;
    if (tmpfs) {
      static const char* const kTmpfs[] = {"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "noexec",
                                           "nosuid", "nodev", "exec", "suid", "dev", "ro", "rw"};
      if (std::none_of(std::begin(kTmpfs), std::end(kTmpfs), [&](const char* t) { return k == t; }))
        fail("invalid tmpfs volume option {:?}", item);
    } else if (bind) {
      if (k != "bind" && k != "rbind" && k != "ro" && k != "rw")
        fail("invalid bind volume option {:?}: use bind, rbind, ro or rw", item);
    } else if (k == "size" || k == "inodes") {
      fail("volume options size and inodes not supported. Filesystem does not support Project Quota");
    } else if (k != "uid" && k != "gid") {
      fail("volume option {:?} needs root: a rootless directory volume takes only o=uid=N,gid=N", item);
    } else if (!parse_number<uint32_t>(std::string_view(item).substr(std::min(item.size(), k.size() + 1)))) {
      fail("invalid volume option {:?}: {} must be a number from 0 to 4294967295", item, k);
    }
  }
}

VolumeStore::VolumeStore(const config::StorePaths& paths) : dir_(fs::join(paths.graphroot, "volumes")) {}

fs::FileLock VolumeStore::lock() const {
  fs::mkdir_p(dir_, 0700);
  return fs::FileLock::acquire(fs::join(dir_, ".lock"), fs::FileLock::Mode::Exclusive);
}

std::string VolumeStore::mountpoint(const std::string& name) const { return fs::join(dir_, name + "/_data"); }

std::string VolumeStore::source(const Volume& v) const {
  return v.bind() ? option(v.options, "device") : mountpoint(v.name);
}

std::vector<Volume> VolumeStore::list() const {
  std::vector<Volume> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return out;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d))
    if (e->d_type == DT_DIR && valid_name(e->d_name)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names)
    if (auto v = find(n)) out.push_back(std::move(*v));
  return out;
}

std::optional<Volume> VolumeStore::find(const std::string& name) const {
  if (!valid_name(name)) return std::nullopt;
  auto text = fs::read_file_if_exists(fs::join(dir_, name + "/volume.json"));
  if (!text) return std::nullopt;
  auto j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  try {
    return volume_from_json(j);
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

Volume VolumeStore::create(Volume v) {
  if (v.name.empty()) v.name = random_id();
  if (!valid_name(v.name))
    fail("running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
  if (v.driver == "image") fail("the image volume driver is not supported: use the local driver");
  if (v.driver != "local")
    fail("volume {} uses volume plugin {} but it could not be retrieved: no volume plugin with name {} available: "
         "required plugin missing",
         v.name, v.driver, v.driver);
  check_volume_options(v.options);
  std::string dir = fs::join(dir_, v.name);
  fs::mkdir_p(dir_, 0700);
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST && find(v.name)) fail("volume with name {} already exists: volume already exists", v.name);
    if (errno != EEXIST) throw_errno("create volume {}", v.name);
    fs::remove_all(dir);  // left by a create that was killed
    if (::mkdir(dir.c_str(), 0700) != 0) throw_errno("create volume {}", v.name);
  }
  try {
    if (::mkdir(mountpoint(v.name).c_str(), 0755) != 0) throw_errno("create volume {}", v.name);
    v.created = format::rfc3339_nano(std::chrono::system_clock::now());
    if (v.options.count("nocopy")) v.needs_copy_up = false;
    update(v);  // the record last: a directory without one is not a volume
  } catch (...) {
    fs::remove_all(dir);
    throw;
  }
  return v;
}

void VolumeStore::update(const Volume& v) {
  fs::write_file_atomic(fs::join(dir_, v.name + "/volume.json"), json_text(to_json(v)) + "\n", 0600);
}

void VolumeStore::remove(const std::string& name) {
  std::string dir = fs::join(dir_, name);
  // The record first: a half-removed volume is no longer listed.
  if (::unlink(fs::join(dir, "volume.json").c_str()) != 0 && errno != ENOENT) throw_errno("remove volume {}", name);
  fs::remove_all(dir);
}

}  // namespace cabin::storage
