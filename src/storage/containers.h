// Container records, per user, next to the image store.
//
// Layout under graphroot/containers:
//   containers.json   the records (id, name, image, command, state…), replaced atomically
//   containers.lock   serialises read-modify-write of containers.json
//   ID/               the container's directory: upper/ and work/ (overlay),
//                     merged/ (where its root is assembled), userdata/
//                     (generated /etc/hosts, /etc/hostname, /etc/resolv.conf,
//                     the log ctr.log), start.json (how to start it, see
//                     runtime/spec_json.h), state.json (below) and state.lock
//
// Records change only on create, rename and remove (under containers.lock);
// what a container is doing changes in its own state.json under its own
// lock, so that containers starting and stopping at once do not wait on
// each other.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/paths.h"
#include "util/fs.h"

namespace cabin::storage {

struct ContainerRecord {
  std::string id;          // 64 hex
  std::string name;
  std::string image;       // the name as given ("busybox")
  std::string image_id;    // hex of the image's config digest, empty for --rootfs
  std::string rootfs;      // --rootfs DIR, else empty
  std::vector<std::string> command;  // the full argv it runs
  std::string created;     // RFC 3339
  std::map<std::string, std::string> labels, annotations;
  nlohmann::json config;   // the plan's user-visible parts (for inspect)
};

// What a container is doing, in its directory's state.json.
struct ContainerState {
  std::string status = "created";  // created | running | stopping | exited
  int pid = 0;                     // the container's PID 1, as the host sees it
  uint64_t pid_start = 0;          // its start time (/proc/PID/stat), against pid reuse
  int monitor_pid = 0;             // the process that waits for it (monitor or foreground cabin)
  uint64_t monitor_start = 0;
  std::string boot_id;             // pids mean nothing after a reboot
  std::string started_at, finished_at;  // RFC 3339
  int exit_code = 0;
  int restart_count = 0;
  bool stop_requested = false;     // stop/kill by the user: no restart
  bool restarting = false;         // exited, to be restarted by its waiter (--restart)
  std::string error;               // why its waiter failed, if it did (State.Error)
  bool running() const { return status == "running" || status == "stopping"; }
  // Running, or about to run again: its waiter still acts on it.
  bool active() const { return running() || restarting; }
};

nlohmann::json to_json(const ContainerState& s);
ContainerState container_state_from_json(const nlohmann::json& j);

nlohmann::json to_json(const ContainerRecord& r);
ContainerRecord container_from_json(const nlohmann::json& j);

class ContainerStore {
 public:
  explicit ContainerStore(const config::StorePaths& paths);

  std::vector<ContainerRecord> list() const;
  // By full id, unique id prefix or name; nullopt when none.
  std::optional<ContainerRecord> find(std::string_view name_or_id) const;
  // Adds a record with a fresh id and, when record.name is empty, a generated
  // name. Fails when the name is taken (Podman's message). Creates its
  // directory. Returns the stored record.
  ContainerRecord create(ContainerRecord record);
  // Replaces the record with the same id.
  void update(const ContainerRecord& record);
  // Gives the container another name; fails when the name is taken.
  void rename(const std::string& id, const std::string& name);
  // Removes the record and the container's directory.
  void remove(const std::string& id);

  std::string dir(const std::string& id) const;

  // The container's state as last written (a fresh container's when none).
  ContainerState state(const std::string& id) const;
  // Held while reading, deciding and writing a container's state.
  fs::FileLock lock(const std::string& id) const;
  void write_state(const std::string& id, const ContainerState& state);
  // Whether any container uses the image.
  std::vector<ContainerRecord> using_image(const std::string& image_id) const;

 private:
  std::string path(std::string_view rel) const;
  std::vector<ContainerRecord> read() const;
  void write(const std::vector<ContainerRecord>& records);

  std::string root_;
};

// A Docker-style "adjective_surname" name.
std::string generate_name();

}  // namespace cabin::storage
