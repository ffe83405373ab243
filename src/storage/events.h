// The event log: what `cabin events` prints.
//
// Podman records events (container create/start/died…, image pull/tag/…)
// through an events logger; rootless without journald, that is a file,
// TMPDIR/events/events.log, one JSON object a line. cabin has no daemon:
// every command appends the events it causes to a per-user log in the same
// format, RUNROOT/events/events.log, and `cabin events` reads and follows it.
// The runroot lives in $XDG_RUNTIME_DIR as Podman's tmpdir does, so the log
// starts afresh at each boot, as Podman's does.
//
// Line format (Podman 4.3 libpod/events Event, encoded by json.Marshal):
//   {"ContainerExitCode":1,"ID":"…","Image":"…","Name":"…","network":"…",
//    "Status":"start","Time":"2024-03-01T10:20:30.123456789+01:00",
//    "Type":"container","health_status":"…","PodID":"…","Attributes":{…}}
// Empty fields are left out (Attributes is null instead), as Podman writes
// them; a Podman log can be read and the other way round.
//
// Appends are one write(2) on an O_APPEND descriptor, so lines of concurrent
// cabin processes never interleave. The log is kept under a size limit as
// Podman's events_logfile_max_size (1 MB) does: the writer that would cross
// it keeps the newer half and records a "log-rotation" system event.
// Appenders hold a shared flock on events.log.lock and the rotating writer an
// exclusive one, so that no event is written to a file being replaced.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/paths.h"

namespace cabin::storage {

struct Event {
  std::string type;    // "container", "image", "volume", "network", "pod", "system"
  std::string status;  // Podman's event name: "create", "start", "died", "pull", "tag", …
  std::string id, name, image;  // as Podman fills them for the type
  // Labels (container events) and extras. The keys below are Podman fields of
  // their own rather than labels: they are stored and printed as those fields.
  std::map<std::string, std::string> attributes;
  std::chrono::system_clock::time_point time{};  // set by record_event when empty
};

// Attribute keys that are Podman Event fields, not labels.
inline constexpr std::string_view kEventExitCode = "containerExitCode";  // "ContainerExitCode" (int)
inline constexpr std::string_view kEventPodID = "podID";                 // "PodID"
inline constexpr std::string_view kEventNetwork = "network";             // "network"
inline constexpr std::string_view kEventHealthStatus = "healthStatus";   // "health_status"

// Podman's default events_logfile_max_size.
inline constexpr uint64_t kEventsLogMaxSize = 1000000;

// RUNROOT/events/events.log.
std::string events_log_path(const config::StorePaths& paths);

// Appends one event to the user's log, creating the file (0600) and its
// directory (0700). Never throws: a failure is one log::warn line, and the
// command that caused the event goes on.
void record_event(const config::StorePaths& paths, Event e);
// Shorthand for image events: type "image", ID and name.
void record_image_event(const config::StorePaths& paths, std::string_view status, std::string id,
                        std::string name);

// What record_event does, on any path, with a size limit (0: none); throws
// cabin::Error.
void append_event(const std::string& log_path, const Event& e, uint64_t max_size = kEventsLogMaxSize);

// ---- formats ----

// The log line and `--format json`: Podman's JSON, fields in its order.
nlohmann::ordered_json event_to_json(const Event& e);
// One log line back; throws cabin::Error on bad JSON or a missing Type.
Event event_from_json(std::string_view line);
// What a --format template sees: the fields of Podman's events.Event
// (ContainerExitCode, ID, Image, Name, Network, Status, Time, Type,
// HealthStatus, PodID, Attributes, Details), Time printed as Go prints a
// time.Time; plus TimeNano (Unix nanoseconds), as later Podman has it.
nlohmann::json event_template_data(const Event& e);
// Podman's Event.ToHumanReadable; truncate shortens the ID to 12 characters.
//   image:     TIME image STATUS ID NAME
//   container: TIME container STATUS ID (image=IMAGE, name=NAME[, pod_id=…][, health_status=…][, LABEL=VALUE…])
//   network:   TIME network STATUS ID (container=ID, name=NETWORK)
//   volume:    TIME volume STATUS NAME
//   system:    TIME system STATUS[ NAME]
// TIME is Go's time.Time.String() in local time: "2024-03-01 10:20:30.123456789 +0000 UTC".
// Labels are sorted by key (Go prints them in map order: random).
std::string event_human(const Event& e, bool truncate);

// ---- reading ----

// --filter, --since and --until, as libpod/events/filters.go applies them:
// values of one key are alternatives (OR), different keys must all match
// (AND). Keys: container, event (or status), image, label (KEY=VALUE), pod,
// type, volume; case-insensitive. since/until are exclusive bounds.
class EventFilter {
 public:
  // Throws cabin::Error "failed to parse event filters: …" as Podman words it.
  EventFilter(const std::vector<std::string>& filters, std::string_view since, std::string_view until,
              std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
  bool matches(const Event& e) const;
  const std::optional<std::chrono::system_clock::time_point>& until() const { return until_; }
  const std::optional<std::chrono::system_clock::time_point>& since() const { return since_; }

 private:
  struct Clause {
    std::string key;  // as given: Podman groups by the key as typed
    std::string kind;  // lower-cased
    std::string value;
  };
  std::vector<std::vector<Clause>> groups_;
  std::optional<std::chrono::system_clock::time_point> since_, until_;
};

struct ReadOptions {
  // Start at the beginning of the log; otherwise at its end (only new events).
  bool from_start = true;
  // Keep reading as events are appended (and across rotations) until the
  // callback returns false, stop_at passes, or the process is killed.
  bool follow = false;
  std::optional<std::chrono::system_clock::time_point> stop_at;
  std::chrono::milliseconds poll_interval{100};
};

// Calls fn for every event of the log that matches, in log order; fn returns
// false to stop. A missing log is an empty one (when following, it is waited
// for). A line that does not parse is skipped with a warning.
void read_events(const std::string& log_path, const ReadOptions& opts, const EventFilter& filter,
                 const std::function<bool(const Event&)>& fn);

}  // namespace cabin::storage
