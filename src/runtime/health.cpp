#include "runtime/health.h"

#include "format/units.h"
#include "util/error.h"

namespace cabin::runtime {

using nlohmann::json;
using nlohmann::ordered_json;
using std::chrono::nanoseconds;

std::vector<std::string> HealthConfig::command() const {
  if (test.size() == 2 && test[0] == "CMD-SHELL") return {"/bin/sh", "-c", test[1]};
  return {test.begin() + 1, test.end()};
}

nanoseconds HealthConfig::next_wait(bool in_start_period) const {
  return in_start_period && start_period.count() > 0 ? std::min(start_interval, interval) : interval;
}

namespace {

// --health-interval and friends: Go durations; interval also "disable"
// (checks only when asked: `healthcheck run`).
nanoseconds duration_flag(const std::string& name, const std::string& value) {
  if (name == "interval" && value == "disable") return nanoseconds(0);
  auto d = format::parse_duration(value);
  if (!d) fail("invalid healthcheck-{}: time: invalid duration {:?}", name, value);
  return *d;
}

std::vector<std::string> test_of(const std::string& cmd) {
  if (cmd.empty()) fail("must define a healthcheck command for all healthchecks");
  if (cmd == "none") return {"NONE"};
  if (cmd.front() == '[') {
    auto j = json::parse(cmd, nullptr, false);
    if (j.is_array() && !j.empty() && std::all_of(j.begin(), j.end(), [](const json& x) { return x.is_string(); })) {
      std::vector<std::string> t = {"CMD"};
      for (const auto& x : j) t.push_back(x);
      return t;
    }
  }
  return {"CMD-SHELL", cmd};
}

// An image's Healthcheck: durations of 0 (or none) are the defaults.
HealthConfig from_image(const json& j) {
  HealthConfig h;
  auto duration = [&](const char* key, nanoseconds& out) {
    if (j.contains(key) && j[key].is_number_integer() && j[key].get<int64_t>() > 0) out = nanoseconds(j[key].get<int64_t>());
  };
  if (j.contains("Test") && j["Test"].is_array())
    for (const auto& x : j["Test"])
      if (x.is_string()) h.test.push_back(x);
  // An image's Test may be a bare command list ("CMD" implied); an empty one inherits (none here).
  if (!h.test.empty() && h.test[0] != "CMD" && h.test[0] != "CMD-SHELL" && h.test[0] != "NONE")
    h.test.insert(h.test.begin(), "CMD");
  duration("Interval", h.interval);
  duration("Timeout", h.timeout);
  duration("StartPeriod", h.start_period);
  duration("StartInterval", h.start_interval);
  if (j.contains("Retries") && j["Retries"].is_number_integer() && j["Retries"].get<int>() > 0) h.retries = j["Retries"];
  return h;
}

}  // namespace

void check_health_flags(const HealthFlags& f) {
  if (f.disabled && f.cmd) fail("cannot specify both --no-healthcheck and --health-cmd");
  if (f.cmd) test_of(*f.cmd);
  if (f.interval && duration_flag("interval", *f.interval).count() < 0)
    fail("healthcheck-interval must be greater than 0 seconds");
  if (f.timeout && duration_flag("timeout", *f.timeout) < std::chrono::seconds(1))
    fail("healthcheck-timeout must be at least 1 second");
  if (f.start_period && duration_flag("start-period", *f.start_period).count() < 0)
    fail("healthcheck-start-period must be 0 seconds or greater");
  if (f.start_interval && duration_flag("start-interval", *f.start_interval).count() <= 0)
    fail("healthcheck-start-interval must be greater than 0 seconds");
  if (f.retries && *f.retries < 1) fail("healthcheck-retries must be greater than 0");
  if (!f.on_failure.empty() && f.on_failure != "none" && f.on_failure != "kill" && f.on_failure != "restart" &&
      f.on_failure != "stop")
    fail("invalid on-failure action {:?} for health check: supported actions are none,kill,restart,stop", f.on_failure);
}

std::optional<HealthConfig> health_config(const json& image, const HealthFlags& f) {
  if (f.disabled) return std::nullopt;
  HealthConfig h;
  if (image.is_object()) {
    h = from_image(image);
    h.on_failure = "none";
  }
  if (f.cmd) h.test = test_of(*f.cmd);
  if (!h.enabled()) return std::nullopt;
  if (f.interval) h.interval = duration_flag("interval", *f.interval);
  if (f.timeout) h.timeout = duration_flag("timeout", *f.timeout);
  if (f.start_period) h.start_period = duration_flag("start-period", *f.start_period);
  if (f.start_interval) h.start_interval = duration_flag("start-interval", *f.start_interval);
  if (f.retries) h.retries = *f.retries;
  if (!f.on_failure.empty()) h.on_failure = f.on_failure;
  return h;
}

ordered_json to_json(const HealthConfig& h) {
  ordered_json j;
  j["Test"] = h.test;
  j["Interval"] = h.interval.count();
  j["Timeout"] = h.timeout.count();
  if (h.start_period.count()) j["StartPeriod"] = h.start_period.count();
  if (h.start_interval != std::chrono::seconds(5)) j["StartInterval"] = h.start_interval.count();
  j["Retries"] = h.retries;
  return j;
}

json to_start_json(const HealthConfig& h) {
  return {{"test", h.test},
          {"interval", h.interval.count()},
          {"timeout", h.timeout.count()},
          {"start_period", h.start_period.count()},
          {"start_interval", h.start_interval.count()},
          {"retries", h.retries},
          {"on_failure", h.on_failure}};
}

HealthConfig health_from_start_json(const json& j) {
  HealthConfig h;
  h.test = j.at("test").get<std::vector<std::string>>();
  h.interval = nanoseconds(j.at("interval").get<int64_t>());
  h.timeout = nanoseconds(j.at("timeout").get<int64_t>());
  h.start_period = nanoseconds(j.at("start_period").get<int64_t>());
  h.start_interval = nanoseconds(j.at("start_interval").get<int64_t>());
  h.retries = j.at("retries").get<int>();
  h.on_failure = j.at("on_failure").get<std::string>();
  return h;
}

ordered_json to_json(const HealthState& s) {
  ordered_json log = ordered_json::array();
  for (const auto& r : s.log)
    log.push_back({{"Start", r.start}, {"End", r.end}, {"ExitCode", r.exit_code}, {"Output", r.output}});
  return {{"Status", s.status}, {"FailingStreak", s.failing_streak}, {"Log", log}};
}

HealthState health_state_from_json(const json& j) {
  HealthState s;
  if (!j.is_object()) return s;
  s.status = j.value("Status", "starting");
  s.failing_streak = j.value("FailingStreak", 0);
  if (j.contains("Log") && j["Log"].is_array())
    for (const auto& e : j["Log"])
      s.log.push_back({e.value("Start", ""), e.value("End", ""), e.value("ExitCode", 0), e.value("Output", "")});
  return s;
}

void record_result(HealthState& s, const HealthConfig& h, HealthResult r, bool in_start_period) {
  if (r.exit_code == 0) {
    s.status = "healthy";
    s.failing_streak = 0;
  } else if (!(in_start_period && s.status == "starting")) {
    if (++s.failing_streak >= h.retries) s.status = "unhealthy";
  }
  if (r.output.size() > kMaxHealthOutput) r.output.resize(kMaxHealthOutput);
  s.log.push_back(std::move(r));
  if (s.log.size() > kMaxHealthLog) s.log.erase(s.log.begin(), s.log.end() - kMaxHealthLog);
}

}  // namespace cabin::runtime
