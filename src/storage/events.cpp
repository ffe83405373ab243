// The event log (see events.h). Formats and filters follow Podman 4.3
// libpod/events (events.go ToHumanReadable, config.go Event, filters.go,
// logfile.go) and pkg/util ParseInputTime.
#include "storage/events.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <thread>

#include <fmt/format.h>

#include "format/output.h"
#include "format/units.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strings.h"

namespace cabin::storage {
namespace {

using std::chrono::nanoseconds;
using std::chrono::system_clock;
using nlohmann::json;
using nlohmann::ordered_json;

bool is_reserved(std::string_view key) {
  return key == kEventExitCode || key == kEventPodID || key == kEventNetwork || key == kEventHealthStatus;
}

std::string attribute(const Event& e, std::string_view key) {
  auto it = e.attributes.find(std::string(key));
  return it == e.attributes.end() ? std::string() : it->second;
}

int64_t exit_code(const Event& e) {
  std::string v = attribute(e, kEventExitCode);
  if (v.empty()) return 0;
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return 0;
  return n;
}

// Labels: the attributes that are not Podman fields of their own.
std::map<std::string, std::string> labels(const Event& e) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : e.attributes)
    if (!is_reserved(k)) out.emplace(k, v);
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// containers/storage stringid.TruncateID.
std::string truncate_id(std::string_view id) {
  if (auto colon = id.find(':'); colon != std::string_view::npos) id.remove_prefix(colon + 1);
  return std::string(id.substr(0, 12));
}

int64_t unix_nanos(system_clock::time_point t) {
  return std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
}

std::string event_line(const Event& e) {
  // json.Marshal escapes <, > and &.
  return format::go_json(event_to_json(e), {}, true) + "\n";
}

struct stat stat_fd(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_errno("stat {}", path);
  return st;
}

UniqueFd open_append(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw_errno("open {}", path);
  return fd;
}

void lock(int fd, int op, const std::string& path) {
  while (::flock(fd, op) != 0) {
    if (errno != EINTR) throw_errno("lock {}", path);
  }
}

// Keeps the newer half of the log (from the first line that starts past its
// middle, as Podman's truncate does) and a "log-rotation" event after it, and
// replaces the log with that in one rename. The caller holds the lock
// exclusively.
void rotate(const std::string& log_path) {
  std::string data = fs::read_file(log_path);
  size_t cut = data.find('\n', data.size() / 2);
  std::string kept = cut == std::string::npos ? std::string() : data.substr(cut + 1);
  Event rotation;
  rotation.type = "system";
  rotation.status = "log-rotation";
  rotation.name = log_path;
  rotation.time = system_clock::now();
  kept += event_line(rotation);
  fs::write_file_atomic(log_path, kept, 0600);
}

// Reads a log, possibly being appended to and rotated, line by line.
class LogReader {
 public:
  LogReader(std::string path, bool from_start) : path_(std::move(path)) {
    open(from_start);
  }

  // Reads what the log has now; hands fn its complete lines (a line being
  // written stays buffered). Returns false when fn asked to stop.
  bool drain(const std::function<bool(std::string_view)>& fn) {
    if (!fd_) return true;
    struct stat st = stat_fd(fd_.get(), path_);
    if (st.st_size < offset_) {
      // Truncated in place: start over.
      offset_ = 0;
      pending_.clear();
    }
    std::vector<std::string> lines;
    char buf[65536];
    while (true) {
      ssize_t n = ::pread(fd_.get(), buf, sizeof buf, offset_);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("read {}", path_);
      }
      if (n == 0) break;
      offset_ += n;
      pending_.append(buf, static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
        if (skip_partial_) {
          skip_partial_ = false;
          continue;
        }
        lines.emplace_back(pending_, start, nl - start);
      }
      pending_.erase(0, start);
    }
    size_t first = 0;
    if (resync_) {
      // After a rotation the new log starts with the newer half of the old
      // one: go on after the last line already read, if it is there.
      for (size_t i = 0; i < lines.size(); ++i) {
        if (lines[i] == *resync_) {
          first = i + 1;
          break;
        }
      }
      resync_.reset();
    }
    for (size_t i = first; i < lines.size(); ++i) {
      last_line_ = lines[i];
      if (!fn(lines[i])) return false;
    }
    return true;
  }

  // Whether the log appeared, or was replaced (rotated) since it was opened.
  bool replaced() const {
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) return false;
    if (!fd_) return true;
    struct stat cur = stat_fd(fd_.get(), path_);
    return cur.st_ino != st.st_ino || cur.st_dev != st.st_dev;
  }

  // Goes on with the file now at the path, from its start. Drain the old one
  // first: once replaced, nothing more is written to it.
  void reopen() {
    if (fd_ && !last_line_.empty()) resync_ = last_line_;
    open(true);
  }

 private:
  void open(bool from_start) {
    fd_.reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    offset_ = 0;
    pending_.clear();
    skip_partial_ = false;
    if (!fd_) {
      if (errno == ENOENT) return;
      throw_errno("open {}", path_);
    }
    if (!from_start) {
      offset_ = stat_fd(fd_.get(), path_).st_size;
      char last = '\n';
      if (offset_ > 0 && ::pread(fd_.get(), &last, 1, offset_ - 1) == 1 && last != '\n') skip_partial_ = true;
    }
  }

  std::string path_;
  UniqueFd fd_;
  off_t offset_ = 0;
  std::string pending_;     // an incomplete last line
  bool skip_partial_ = false;  // started in the middle of a line
  std::string last_line_;
  std::optional<std::string> resync_;
};

bool known_type(std::string_view t) {
  return t == "container" || t == "image" || t == "network" || t == "pod" || t == "system" || t == "volume" ||
         t == "machine";
}

}  // namespace

std::string events_log_path(const config::StorePaths& paths) {
  return fs::join(paths.runroot, "events/events.log");
}

void append_event(const std::string& log_path, const Event& e, uint64_t max_size) {
  std::string line = event_line(e);
  if (auto slash = log_path.find_last_of('/'); slash != std::string::npos && slash > 0)
    fs::mkdir_p(log_path.substr(0, slash), 0700);
  std::string lock_path = log_path + ".lock";
  UniqueFd lock_fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_fd) throw_errno("open {}", lock_path);
  lock(lock_fd.get(), LOCK_SH, lock_path);
  UniqueFd fd = open_append(log_path);
  auto too_big = [&] {
    // Podman rotates when the log and the new line (without its newline)
    // reach the limit.
    return max_size > 0 &&
           static_cast<uint64_t>(stat_fd(fd.get(), log_path).st_size) + line.size() - 1 >= max_size;
  };
  if (too_big()) {
    lock(lock_fd.get(), LOCK_EX, lock_path);
    // Someone else may have rotated it while we waited.
    fd = open_append(log_path);
    if (too_big()) {
      rotate(log_path);
      fd = open_append(log_path);
    }
  }
  // One write: O_APPEND places it at the end as a whole, whatever the others do.
  ssize_t n;
  do {
    n = ::write(fd.get(), line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("write {}", log_path);
  if (static_cast<size_t>(n) != line.size())
    fail("write {}: wrote {} of {} bytes", log_path, n, line.size());
}

void record_event(const config::StorePaths& paths, Event e) {
  if (e.time == system_clock::time_point{}) e.time = system_clock::now();
  try {
    append_event(events_log_path(paths), e);
  } catch (const std::exception& ex) {
    log::warn("Unable to write {} event: {}", e.type, ex.what());
  }
}

void record_image_event(const config::StorePaths& paths, std::string_view status, std::string id,
                        std::string name) {
  Event e;
  e.type = "image";
  e.status = std::string(status);
  e.id = std::move(id);
  e.name = std::move(name);
  record_event(paths, std::move(e));
}

// ---- formats ----

ordered_json event_to_json(const Event& e) {
  ordered_json j = ordered_json::object();
  if (int64_t code = exit_code(e); code != 0) j["ContainerExitCode"] = code;
  if (!e.id.empty()) j["ID"] = e.id;
  if (!e.image.empty()) j["Image"] = e.image;
  if (!e.name.empty()) j["Name"] = e.name;
  if (auto v = attribute(e, kEventNetwork); !v.empty()) j["network"] = v;
  j["Status"] = e.status;
  j["Time"] = format::rfc3339_local(e.time, false, true);
  j["Type"] = e.type;
  if (auto v = attribute(e, kEventHealthStatus); !v.empty()) j["health_status"] = v;
  if (auto v = attribute(e, kEventPodID); !v.empty()) j["PodID"] = v;
  auto l = labels(e);
  if (l.empty()) {
    j["Attributes"] = nullptr;
  } else {
    ordered_json a = ordered_json::object();
    for (const auto& [k, v] : l) a[k] = v;  // sorted, as Go writes a map
    j["Attributes"] = std::move(a);
  }
  return j;
}

Event event_from_json(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail("not a JSON object");
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return {};
    return it->get<std::string>();
  };
  Event e;
  e.type = str("Type");
  if (!known_type(e.type)) fail("event type {} is not valid", e.type);
  e.status = str("Status");
  e.id = str("ID");
  e.image = str("Image");
  e.name = str("Name");
  std::string t = str("Time");
  if (t.empty()) fail("event without a time");
  e.time = format::parse_rfc3339(t);
  if (auto it = j.find("Attributes"); it != j.end() && it->is_object())
    for (const auto& [k, v] : it->items()) e.attributes[k] = v.is_string() ? v.get<std::string>() : json_text(v);
  if (auto it = j.find("ContainerExitCode"); it != j.end() && it->is_number_integer())
    e.attributes[std::string(kEventExitCode)] = std::to_string(it->get<int64_t>());
  if (auto v = str("network"); !v.empty()) e.attributes[std::string(kEventNetwork)] = v;
  if (auto v = str("health_status"); !v.empty()) e.attributes[std::string(kEventHealthStatus)] = v;
  if (auto v = str("PodID"); !v.empty()) e.attributes[std::string(kEventPodID)] = v;
  return e;
}

json event_template_data(const Event& e) {
  json attrs = json::object();
  for (const auto& [k, v] : labels(e)) attrs[k] = v;
  std::string pod = attribute(e, kEventPodID);
  return json{
      {"ContainerExitCode", exit_code(e)},
      {"ID", e.id},
      {"Image", e.image},
      {"Name", e.name},
      {"Network", attribute(e, kEventNetwork)},
      {"Status", e.status},
      {"Time", format::go_time_string(e.time)},
      {"TimeNano", unix_nanos(e.time)},
      {"Type", e.type},
      {"HealthStatus", attribute(e, kEventHealthStatus)},
      {"PodID", pod},
      {"Attributes", attrs},
      {"Details", {{"ID", e.id}, {"PodID", pod}, {"Attributes", attrs}}},
  };
}

std::string event_human(const Event& e, bool truncate) {
  std::string time = format::go_time_string(e.time);
  std::string id = truncate ? truncate_id(e.id) : e.id;
  if (e.type == "container" || e.type == "pod") {
    std::string out = fmt::format("{} {} {} {} (image={}, name={}", time, e.type, e.status, id, e.image, e.name);
    if (auto v = attribute(e, kEventPodID); !v.empty()) out += fmt::format(", pod_id={}", v);
    if (auto v = attribute(e, kEventHealthStatus); !v.empty()) out += fmt::format(", health_status={}", v);
    for (const auto& [k, v] : labels(e)) out += fmt::format(", {}={}", k, v);
    return out + ")";
  }
  if (e.type == "network")
    return fmt::format("{} {} {} {} (container={}, name={})", time, e.type, e.status, id, id,
                       attribute(e, kEventNetwork));
  if (e.type == "image") return fmt::format("{} {} {} {} {}", time, e.type, e.status, id, e.name);
  if (e.type == "system") {
    if (e.name.empty()) return fmt::format("{} {} {}", time, e.type, e.status);
    return fmt::format("{} {} {} {}", time, e.type, e.status, e.name);
  }
  if (e.type == "volume" || e.type == "machine") return fmt::format("{} {} {} {}", time, e.type, e.status, e.name);
  return "";
}

// ---- reading ----


EventFilter::EventFilter(const std::vector<std::string>& filters, std::string_view since, std::string_view until,
                         system_clock::time_point now) {
  static const char* const kKinds[] = {"container", "event", "status", "image", "label", "pod", "type", "volume"};
  std::map<std::string, size_t> group_of;  // key as typed → index in groups_
  for (const auto& f : filters) {
    auto eq = f.find('=');
    if (eq == std::string::npos) fail("failed to parse event filters: {} is an invalid filter", f);
    Clause c{f.substr(0, eq), to_lower(f.substr(0, eq)), f.substr(eq + 1)};
    if (std::find(std::begin(kKinds), std::end(kKinds), c.kind) == std::end(kKinds))
      fail("failed to parse event filters: {} is an invalid filter", c.key);
    if (c.kind == "status") c.kind = "event";
    if (c.kind == "event" && c.value == "die") c.value = "died";  // Docker's name, as later Podman accepts
    auto [it, added] = group_of.emplace(c.key, groups_.size());
    if (added) groups_.emplace_back();
    groups_[it->second].push_back(std::move(c));
  }
  auto parse_time = [&](std::string_view text, bool is_since) {
    try {
      return format::parse_input_time(text, is_since, now);
    } catch (const Error& e) {
      fail("failed to parse event filters: unable to convert {} time of {}: {}", is_since ? "since" : "until", text,
           e.message());
    }
  };
  if (!since.empty()) since_ = parse_time(since, true);
  if (!until.empty()) until_ = parse_time(until, false);
}

bool EventFilter::matches(const Event& e) const {
  auto by_name_or_id = [&](std::string_view type, const std::string& v) {
    return e.type == type && (e.name == v || starts_with(e.id, v));
  };
  auto one = [&](const Clause& c) {
    if (c.kind == "container") return by_name_or_id("container", c.value);
    if (c.kind == "image") return by_name_or_id("image", c.value);
    if (c.kind == "pod") return by_name_or_id("pod", c.value);
    if (c.kind == "volume") return e.type == "volume" && starts_with(e.name, c.value);
    if (c.kind == "event") return e.status == c.value;
    if (c.kind == "type") return e.type == c.value;
    // label=KEY=VALUE, or label=KEY for any value.
    auto eq = c.value.find('=');
    std::string key = c.value.substr(0, eq);
    for (const auto& [k, v] : e.attributes) {
      if (is_reserved(k) || k != key) continue;
      if (eq == std::string::npos || v == c.value.substr(eq + 1)) return true;
    }
    return false;
  };
  for (const auto& group : groups_)
    if (std::none_of(group.begin(), group.end(), one)) return false;
  if (since_ && !(e.time > *since_)) return false;
  if (until_ && !(e.time < *until_)) return false;
  return true;
}

void read_events(const std::string& log_path, const ReadOptions& opts, const EventFilter& filter,
                 const std::function<bool(const Event&)>& fn) {
  LogReader reader(log_path, opts.from_start);
  auto on_line = [&](std::string_view line) {
    if (trim(line).empty()) return true;
    Event e;
    try {
      e = event_from_json(line);
    } catch (const std::exception& ex) {
      log::warn("{}: skipping an event that does not parse: {}", log_path, ex.what());
      return true;
    }
    return !filter.matches(e) || fn(e);
  };
  while (true) {
    if (!reader.drain(on_line)) return;
    if (!opts.follow) return;
    auto now = system_clock::now();
    if (opts.stop_at && now >= *opts.stop_at) return;
    if (reader.replaced()) {
      if (!reader.drain(on_line)) return;
      reader.reopen();
      continue;
    }
    auto wait = std::chrono::duration_cast<system_clock::duration>(opts.poll_interval);
    if (opts.stop_at && *opts.stop_at - now < wait) wait = *opts.stop_at - now;
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace cabin::storage
