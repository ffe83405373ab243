// Healthchecks as data: the check a container has (the image's HEALTHCHECK
// with the --health-* flags over it), and its state (State.Health) moved
// on by each result under Docker's rules. Running checks is the waiter's
// (engine/health.h).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cabin::runtime {

// --health-* flags as given (nullopt: not given).
struct HealthFlags {
  std::optional<std::string> cmd, interval, timeout, start_period, start_interval;
  std::optional<int> retries;
  std::string on_failure;  // "": none
  bool disabled = false;   // --no-healthcheck
};

struct HealthConfig {
  // Docker's form: {"CMD", arg...}, {"CMD-SHELL", command} or {"NONE"}.
  std::vector<std::string> test;
  std::chrono::nanoseconds interval = std::chrono::seconds(30), timeout = std::chrono::seconds(30),
                           start_period{0}, start_interval = std::chrono::seconds(5);
  int retries = 3;
  std::string on_failure = "none";  // none | kill | restart | stop

  bool enabled() const { return !test.empty() && test[0] != "NONE"; }
  // What runs in the container: CMD-SHELL's through /bin/sh -c.
  std::vector<std::string> command() const;
  // The wait before the next check: start_interval while in the start
  // period, else interval.
  std::chrono::nanoseconds next_wait(bool in_start_period) const;
};

// Podman's checks of the flags (its messages); call before creating anything.
void check_health_flags(const HealthFlags& f);
// The image's Healthcheck (its config's object, durations in nanoseconds,
// 0 meaning the default; null when it has none) with the flags over it.
// nullopt when the container has no check.
std::optional<HealthConfig> health_config(const nlohmann::json& image_healthcheck, const HealthFlags& f);

// Config.Healthcheck as inspect shows it (Docker's object).
nlohmann::ordered_json to_json(const HealthConfig& h);
// As start.json keeps it; the reader throws nlohmann's exceptions.
nlohmann::json to_start_json(const HealthConfig& h);
HealthConfig health_from_start_json(const nlohmann::json& j);

// One check's result, as State.Health.Log keeps it.
struct HealthResult {
  std::string start, end;  // RFC 3339 with nanoseconds
  int exit_code = 0;       // -1: it ran out of time
  std::string output;      // its first kMaxOutput bytes
};
inline constexpr size_t kMaxHealthOutput = 4096;
inline constexpr size_t kMaxHealthLog = 5;

// State.Health: kept in the container's userdata/healthcheck.log.
struct HealthState {
  std::string status = "starting";  // starting | healthy | unhealthy
  int failing_streak = 0;
  std::vector<HealthResult> log;  // the last kMaxHealthLog results
};
nlohmann::ordered_json to_json(const HealthState& s);
HealthState health_state_from_json(const nlohmann::json& j);

// Docker's rules: a success makes it healthy; a failure counts towards
// retries (and retries in a row make it unhealthy) unless it comes in the
// start period before the first success.
void record_result(HealthState& s, const HealthConfig& h, HealthResult r, bool in_start_period);

}  // namespace cabin::runtime
