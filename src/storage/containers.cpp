#include "storage/containers.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <random>

#include "format/units.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

namespace cabin::storage {
namespace {

using nlohmann::json;


}  // namespace

json to_json(const ContainerRecord& r) {
  return json{{"id", r.id},
              {"name", r.name},
              {"image", r.image},
              {"image_id", r.image_id},
              {"rootfs", r.rootfs},
              {"command", r.command},
              {"created", r.created},
              {"labels", r.labels},
              {"annotations", r.annotations},
              {"config", r.config}};
}

ContainerRecord container_from_json(const json& j) {
  ContainerRecord r;
  r.id = j.value("id", "");
  r.name = j.value("name", "");
  r.image = j.value("image", "");
  r.image_id = j.value("image_id", "");
  r.rootfs = j.value("rootfs", "");
  r.command = j.value("command", std::vector<std::string>{});
  r.created = j.value("created", "");
  r.labels = j.value("labels", std::map<std::string, std::string>{});
  r.annotations = j.value("annotations", std::map<std::string, std::string>{});
  r.config = j.value("config", json::object());
  return r;
}

json to_json(const ContainerState& s) {
  json j{{"status", s.status},
              {"pid", s.pid},
              {"pid_start", s.pid_start},
              {"monitor_pid", s.monitor_pid},
              {"monitor_start", s.monitor_start},
              {"boot_id", s.boot_id},
              {"started_at", s.started_at},
              {"finished_at", s.finished_at},
              {"exit_code", s.exit_code},
              {"restart_count", s.restart_count},
              {"stop_requested", s.stop_requested}};
  if (!s.error.empty()) j["error"] = s.error;
  if (s.restarting) j["restarting"] = true;
  return j;
}

ContainerState container_state_from_json(const json& j) {
  ContainerState s;
  s.status = j.value("status", "created");
  s.pid = j.value("pid", 0);
  s.pid_start = j.value("pid_start", uint64_t{0});
  s.monitor_pid = j.value("monitor_pid", 0);
  s.monitor_start = j.value("monitor_start", uint64_t{0});
  s.boot_id = j.value("boot_id", "");
  s.started_at = j.value("started_at", "");
  s.finished_at = j.value("finished_at", "");
  s.exit_code = j.value("exit_code", 0);
  s.restart_count = j.value("restart_count", 0);
  s.stop_requested = j.value("stop_requested", false);
  s.error = j.value("error", "");
  s.restarting = j.value("restarting", false);
  return s;
}

ContainerStore::ContainerStore(const config::StorePaths& paths)
    : root_(fs::join(paths.graphroot, "containers")) {
  fs::mkdir_p(root_, 0700);
}

std::string ContainerStore::path(std::string_view rel) const { return fs::join(root_, rel); }
std::string ContainerStore::dir(const std::string& id) const { return path(id); }

std::vector<ContainerRecord> ContainerStore::read() const {
  auto text = fs::read_file_if_exists(path("containers.json"));
  std::vector<ContainerRecord> out;
  if (!text) return out;
  auto doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.contains("containers"))
    fail("container store {} is corrupt: cannot parse it", path("containers.json"));
  for (const auto& j : doc["containers"]) out.push_back(container_from_json(j));
  return out;
}

void ContainerStore::write(const std::vector<ContainerRecord>& records) {
  json arr = json::array();
  for (const auto& r : records) arr.push_back(to_json(r));
  fs::write_file_atomic(path("containers.json"), json_text(json{{"containers", arr}}) + "\n", 0600);
}

std::vector<ContainerRecord> ContainerStore::list() const {
  auto lock = fs::FileLock::acquire(path("containers.lock"), fs::FileLock::Mode::Shared);
  return read();
}

std::optional<ContainerRecord> ContainerStore::find(std::string_view key) const {
  auto all = list();
  for (const auto& r : all)
    if (r.id == key || r.name == key) return r;
  std::optional<ContainerRecord> found;
  for (const auto& r : all) {
    if (key.size() < 3 || r.id.compare(0, key.size(), key) != 0) continue;
    if (found) fail("more than one result for container ID {}", std::string(key));
    found = r;
  }
  return found;
}

ContainerRecord ContainerStore::create(ContainerRecord record) {
  auto lock = fs::FileLock::acquire(path("containers.lock"), fs::FileLock::Mode::Exclusive);
  auto all = read();
  if (record.id.empty()) record.id = random_id();
  if (record.name.empty()) {
    do record.name = generate_name();
    while (std::any_of(all.begin(), all.end(), [&](const auto& r) { return r.name == record.name; }));
  }
  for (const auto& r : all)
    if (r.name == record.name)
      fail("creating container storage: the container name {:?} is already in use by {}. You have to remove that "
           "container to be able to reuse that name: that name is already in use",
           record.name, r.id);
  if (record.created.empty()) record.created = format::rfc3339_nano(std::chrono::system_clock::now());
  fs::mkdir_p(dir(record.id), 0700);
  all.push_back(record);
  try {
    write(all);
  } catch (const Error&) {
    fs::remove_all(dir(record.id));  // a full disk: no directory without a record
    throw;
  }
  return record;
}

void ContainerStore::update(const ContainerRecord& record) {
  auto lock = fs::FileLock::acquire(path("containers.lock"), fs::FileLock::Mode::Exclusive);
  auto all = read();
  for (auto& r : all)
    if (r.id == record.id) r = record;
  write(all);
}

void ContainerStore::rename(const std::string& id, const std::string& name) {
  auto lock = fs::FileLock::acquire(path("containers.lock"), fs::FileLock::Mode::Exclusive);
  auto all = read();
  for (const auto& r : all)
    if (r.name == name && r.id != id)
      fail("renaming container {}: name {} already in use, cannot rename container {}: container already exists", id,
           name, id);
  for (auto& r : all)
    if (r.id == id) r.name = name;
  write(all);
}

void ContainerStore::remove(const std::string& id) {
  // Its files first (the upper layer, logs): on a full disk, that frees the
  // space the record's rewrite needs. Its own records go last.
  std::string d = dir(id);
  for (const auto& name : fs::list_dir(d))
    if (fs::is_dir(fs::join(d, name))) fs::remove_all(fs::join(d, name));
  {
    auto lock = fs::FileLock::acquire(path("containers.lock"), fs::FileLock::Mode::Exclusive);
    auto all = read();
    std::erase_if(all, [&](const auto& r) { return r.id == id; });
    write(all);
  }
  fs::remove_all(d);
}

ContainerState ContainerStore::state(const std::string& id) const {
  auto text = fs::read_file_if_exists(fs::join(dir(id), "state.json"));
  if (!text) return {};
  auto j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) fail("container {} has a damaged state file {}", id, fs::join(dir(id), "state.json"));
  return container_state_from_json(j);
}

fs::FileLock ContainerStore::lock(const std::string& id) const {
  return fs::FileLock::acquire(fs::join(dir(id), "state.lock"), fs::FileLock::Mode::Exclusive);
}

void ContainerStore::write_state(const std::string& id, const ContainerState& state) {
  std::string path = fs::join(dir(id), "state.json"), text = json_text(to_json(state)) + "\n";
  try {
    fs::write_file_atomic(path, text, 0600);
  } catch (const Error& e) {
    // A full disk: the file's own block still holds a state (an exit code
    // is worth keeping), as long as there is a file.
    if ((e.code().value() != ENOSPC && e.code().value() != EDQUOT) || !fs::exists(path)) throw;
    fs::overwrite_file(path, text);
  }
}

std::vector<ContainerRecord> ContainerStore::using_image(const std::string& image_id) const {
  std::vector<ContainerRecord> out;
  for (auto& r : list())
    if (r.image_id == image_id) out.push_back(r);
  return out;
}

std::string generate_name() {
  static constexpr std::array kLeft = {"admiring", "brave",   "clever", "dreamy", "eager",   "festive",
                                       "gallant",  "happy",   "jolly",  "keen",   "loving",  "modest",
                                       "nifty",    "optimistic", "quirky", "relaxed", "serene", "trusting",
                                       "upbeat",   "vibrant", "wizardly", "youthful", "zealous", "bold"};
  static constexpr std::array kRight = {"archimedes", "babbage", "curie",   "darwin",  "euler",    "fermi",
                                        "galileo",    "hopper",  "hypatia", "johnson", "kepler",   "lovelace",
                                        "meitner",    "newton",  "noether", "pascal",  "ritchie",  "shannon",
                                        "thompson",   "turing",  "volta",   "wozniak", "yalow",    "zuse"};
  std::random_device rd;
  return fmt::format("{}_{}", kLeft[rd() % kLeft.size()], kRight[rd() % kRight.size()]);
}

}  // namespace cabin::storage
