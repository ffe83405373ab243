// Running healthchecks without systemd or a daemon: the container's waiter
// (the foreground `cabin run`, or its monitor) keeps the timer and runs
// each check in a child process, as `cabin healthcheck run` runs one.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "config/paths.h"
#include "runtime/health.h"
#include "runtime/spec_json.h"
#include "storage/containers.h"
#include "util/fd.h"
#include "util/poll_source.h"

namespace cabin::engine {

// userdata/healthcheck.log: State.Health; nullopt when the container has
// never had a check.
std::optional<runtime::HealthState> read_health(const storage::ContainerStore& containers, const std::string& id);
// Its status ("starting", "healthy", "unhealthy"); "" when the container
// has never had a check.
std::string health_status(const storage::ContainerStore& containers, const std::string& id);
// A fresh ("starting") state, as the container starts.
void reset_health(const storage::ContainerStore& containers, const std::string& id);

struct CheckOutcome {
  runtime::HealthResult result;
  std::string status;  // the container's health after it
};
// Runs the container's check once — its command in the container as exec
// runs one, killed when the timeout passes — and records the result (and a
// health_status event when the status changes). Throws Podman's errors
// for a container that does not run. Call in cabin's user namespace.
CheckOutcome run_health_check(storage::ContainerStore& containers, const config::StorePaths& paths,
                              const storage::ContainerRecord& rec, const runtime::HealthConfig& h);

// The waiter's timer: checks every interval (start interval in the start
// period) from a child process, so that the waiter goes on relaying
// output meanwhile; acts on --health-on-failure when one leaves the
// container unhealthy.
class HealthTimer final : public PollSource {
 public:
  HealthTimer(storage::ContainerStore& containers, const config::StorePaths& paths, const storage::ContainerRecord& rec,
              const runtime::StartConfig& cfg);
  ~HealthTimer() override;
  HealthTimer(const HealthTimer&) = delete;
  HealthTimer& operator=(const HealthTimer&) = delete;

  // The container (its pidfd) has started: a fresh state, the first check
  // an interval away.
  void started(int pidfd);
  // It has ended: no further check until it starts again.
  void stopped();
  // --health-on-failure=restart killed it: start it again, whatever the
  // restart policy says (once; the flag clears).
  bool take_restart();

  void prepare(std::vector<pollfd>& fds, int* timeout_ms) override;
  void dispatch(const pollfd* fds, size_t n) override;

 private:
  void spawn();
  void reap();
  void act();

  storage::ContainerStore& containers_;
  const config::StorePaths& paths_;
  storage::ContainerRecord rec_;
  std::optional<runtime::HealthConfig> health_;
  std::string stop_signal_;
  int stop_timeout_;
  int container_pidfd_ = -1;
  int64_t started_ms_ = 0, due_ms_ = -1, kill_at_ms_ = -1;
  pid_t child_ = -1;
  UniqueFd child_fd_;
  bool restart_ = false;
};

}  // namespace cabin::engine
