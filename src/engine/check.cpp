#include "engine/check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <functional>
#include <sstream>
#include <set>

#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/volumes.h"
#include "storage/containers.h"
#include "storage/store.h"
#include "storage/tarsplit.h"
#include "storage/volumes.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"

namespace cabin::engine {
namespace {

bool is_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// sha256 of a file's content, "" when it cannot be read.
std::string file_digest(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) return "";
    if (n == 0) break;
    h.update(buf, static_cast<size_t>(n));
  }
  return h.finish();
}

class Checker {
 public:
  Checker(const config::StorePaths& paths, const CheckOptions& o)
      : paths_(paths), repair_(o.repair), force_(o.repair && o.force), quick_(o.quick), store_(paths) {}

  std::vector<Problem> run() {
    blobs();
    layers();
    images();
    if (!damaged_images_.empty() && repair_) store_.garbage_collect();
    staging();
    containers();
    volumes();
    mounts();
    return std::move(problems_);
  }

 private:
  void report(std::string what, const std::function<void()>& fix = nullptr) {
    Problem p{std::move(what)};
    if (repair_ && fix) {
      try {
        fix();
        p.repaired = true;
      } catch (const Error& e) {
        p.what += fmt::format(" (not repaired: {})", e.what());
      }
    }
    problems_.push_back(std::move(p));
  }

  std::string root(std::string_view rel) const { return fs::join(paths_.graphroot, rel); }

  void blobs() {
    std::string dir = root("blobs/sha256");
    for (const auto& name : fs::list_dir(dir)) {
      std::string path = fs::join(dir, name);
      if (name.find(".tmp-") != std::string::npos) {
        // Being written (write_file_atomic), or left by a killed command.
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && st.st_mtime + 600 < ::time(nullptr))
          report(fmt::format("blob {}: a temporary file left by a command that was killed", path), [&] { fs::remove_all(path); });
        continue;
      }
      if (!is_hex64(name)) {
        report(fmt::format("blob {}: not named by a digest", path), [&] { fs::remove_all(path); });
        continue;
      }
      if (file_digest(path) == "sha256:" + name) continue;
      bad_blobs_.insert("sha256:" + name);
      report(fmt::format("blob sha256:{}: content does not match its digest", name), [&] { fs::remove_all(path); });
    }
  }

  void layers() {
    std::string dir = root("layers");
    for (const auto& name : fs::list_dir(dir)) {
      std::string path = fs::join(dir, name);
      auto info = store_.layer_info("sha256:" + name);
      bool ok = is_hex64(name) && info && info->diff_id == "sha256:" + name && fs::is_dir(fs::join(path, "diff"));
      std::string why = !info ? "no record (layer.json): it was not completely unpacked" : "its record is damaged";
      if (ok && !quick_) {
        try {
          ok = storage::verify_layer_content(path, info->diff_id, &why) != storage::LayerContent::Differs;
        } catch (const Error& e) {
          ok = false;
          why = e.what();
        }
      }
      if (ok) continue;
      bad_layers_.insert("sha256:" + name);
      report(fmt::format("layer {}: {}", name, why), [&] { fs::remove_all(path); });
    }
  }

  void images() {
    std::vector<storage::ImageRecord> images;
    try {
      images = store_.images();
    } catch (const Error& e) {
      report(e.what());
      return;
    }
    for (const auto& rec : images) {
      std::string why;
      if (bad_blobs_.count(rec.config_digest()) || !store_.has_blob(rec.config_digest())) why = "its configuration is missing or damaged";
      else if (!rec.manifest.empty() && (bad_blobs_.count(rec.manifest) || !store_.has_blob(rec.manifest))) why = "its manifest is missing or damaged";
      for (const auto& l : rec.layers)
        if (why.empty() && (bad_layers_.count(l) || !store_.has_layer(l))) why = fmt::format("its layer {} is missing or damaged", l);
      if (why.empty()) continue;
      damaged_images_.insert(rec.id);
      std::string name = rec.names.empty() ? "" : " (" + rec.names.front() + ")";
      report(fmt::format("image {}{}: {}; repair removes it (pull it again)", rec.id.substr(0, 12), name, why),
             [&] { store_.remove_image(rec.id); });
    }
  }

  void staging() {
    for (auto& stale : store_.abandoned_staging())
      report(fmt::format("staging directory {}: left by a command that was killed", stale.path()), [&] { stale.remove(); });
  }

  void containers() {
    storage::ContainerStore containers(paths_);
    std::vector<storage::ContainerRecord> records;
    try {
      records = containers.list();
    } catch (const Error& e) {
      report(e.what());
      return;
    }
    std::set<std::string> ids;
    storage::VolumeStore volumes(paths_);
    for (const auto& rec : records) {
      ids.insert(rec.id);
      std::string dir = containers.dir(rec.id);
      auto running = [&] { return current_state(containers, paths_, rec.id).running(); };
      if (!fs::is_dir(dir)) {
        report(fmt::format("container {} ({}): its directory is missing; repair removes the record", rec.id.substr(0, 12), rec.name),
               [&] { containers.remove(rec.id); });
        continue;
      }
      // Damaged beyond use: only --force removes it (a user's container).
      auto remove = [&] {
        containers.remove(rec.id);
        remove_anonymous_volumes(paths_, containers, rec);
      };
      std::function<void()> fix_damaged = nullptr;
      if (force_) fix_damaged = remove;
      std::string advice = force_ ? "repair removes the container" : "remove the container (or repair with --force)";
      if (!rec.image_id.empty() && (damaged_images_.count(rec.image_id) || !store_.find_image(rec.image_id))) {
        report(fmt::format("container {} ({}): its image {} is missing or damaged; {}", rec.id.substr(0, 12), rec.name,
                           rec.image_id.substr(0, 12), advice),
               fix_damaged);
        continue;
      }
      for (const auto& v : volumes_of(rec))
        if (!volumes.find(v))
          report(fmt::format("container {} ({}): its volume {} is missing; create it again with `cabin volume create {}`",
                             rec.id.substr(0, 12), rec.name, v, v));
      if (!fs::exists(fs::join(dir, "start.json")) && !running())
        report(fmt::format("container {} ({}): its start configuration is missing (its creation was cut short); {}",
                           rec.id.substr(0, 12), rec.name, advice),
               fix_damaged);
    }
    std::string dir = root("containers");
    for (const auto& name : fs::list_dir(dir)) {
      std::string path = fs::join(dir, name);
      if (!is_hex64(name) || !fs::is_dir(path) || ids.count(name)) continue;
      report(fmt::format("container directory {}: no container record", path), [&] { fs::remove_all(path); });
    }
  }

  void volumes() {
    storage::VolumeStore volumes(paths_);
    std::string dir = root("volumes");
    for (const auto& name : fs::list_dir(dir)) {
      std::string path = fs::join(dir, name);
      if (name[0] == '.' || !fs::is_dir(path) || volumes.find(name)) continue;
      report(fmt::format("volume directory {}: no volume record (volume.json)", path), [&] { fs::remove_all(path); });
    }
  }

  // cabin mounts containers' roots only in its own mount namespaces; a
  // mount of the store in the host's is left over (by hand, or a tool).
  void mounts() {
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
      std::istringstream f(line);
      std::string id, parent, dev, rootp, point;
      f >> id >> parent >> dev >> rootp >> point;
      for (const auto& top : {paths_.graphroot, paths_.runroot})
        if (point == top || point.rfind(top + "/", 0) == 0)
          report(fmt::format("mount {}: the store is mounted in this namespace; unmount it (umount {})", point, point));
    }
  }

  const config::StorePaths& paths_;
  bool repair_;
  bool force_;
  bool quick_;
  storage::Store store_;
  std::set<std::string> bad_blobs_, bad_layers_, damaged_images_;
  std::vector<Problem> problems_;
};

}  // namespace

std::vector<Problem> check_store(const config::StorePaths& paths, const CheckOptions& options) {
  return Checker(paths, options).run();
}

}  // namespace cabin::engine
