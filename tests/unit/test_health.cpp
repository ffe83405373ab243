// Healthchecks as data (runtime/health.h): the check a container gets from
// its image and the --health-* flags, Podman's messages for bad flags, and
// Docker's rules for the status each result leaves.
#include "runtime/health.h"

#include <catch2/catch.hpp>

#include "error_of.h"
#include "format/units.h"

using namespace cabin;
using runtime::HealthConfig;
using runtime::HealthFlags;
using runtime::HealthResult;
using runtime::HealthState;
using namespace std::chrono_literals;

namespace {

HealthFlags cmd(std::string c) {
  HealthFlags f;
  f.cmd = std::move(c);
  return f;
}

HealthResult result(int code, std::string output = "") { return {"start", "end", code, std::move(output)}; }

}  // namespace

TEST_CASE("health: the check comes from the image, the flags over it") {
  nlohmann::json image = {{"Test", {"CMD-SHELL", "curl -f localhost"}}, {"Interval", 5000000000}, {"Retries", 0}};
  auto h = runtime::health_config(image, {});
  REQUIRE(h);
  CHECK(h->test == std::vector<std::string>{"CMD-SHELL", "curl -f localhost"});
  CHECK(h->command() == std::vector<std::string>{"/bin/sh", "-c", "curl -f localhost"});
  CHECK(h->interval == 5s);
  CHECK(h->timeout == 30s);  // 0 or absent: Docker's defaults
  CHECK(h->retries == 3);

  HealthFlags f;
  f.interval = "2s";
  f.retries = 5;
  f.on_failure = "kill";
  h = runtime::health_config(image, f);
  REQUIRE(h);
  CHECK(h->test[1] == "curl -f localhost");
  CHECK(h->interval == 2s);
  CHECK(h->retries == 5);
  CHECK(h->on_failure == "kill");

  CHECK(runtime::health_config(image, cmd("[\"/bin/check\",\"--fast\"]"))->test ==
        std::vector<std::string>{"CMD", "/bin/check", "--fast"});
  CHECK(runtime::health_config(image, cmd("[\"/bin/check\"]"))->command() == std::vector<std::string>{"/bin/check"});
  CHECK_FALSE(runtime::health_config(image, cmd("none")));
  HealthFlags off;
  off.disabled = true;
  CHECK_FALSE(runtime::health_config(image, off));
  CHECK_FALSE(runtime::health_config(nlohmann::json(), f));  // flags without a command: no check
  CHECK_FALSE(runtime::health_config({{"Test", {"NONE"}}}, {}));
  // An image's bare list is a CMD.
  CHECK(runtime::health_config({{"Test", {"/bin/true"}}}, {})->command() == std::vector<std::string>{"/bin/true"});
  HealthFlags disable = cmd("true");
  disable.interval = "disable";
  CHECK(runtime::health_config(nullptr, disable)->interval == 0s);
}

TEST_CASE("health: bad flags get Podman's messages") {
  using test::error_of;
  auto with = [](auto set) {
    HealthFlags f = cmd("true");
    set(f);
    return error_of([&] { runtime::check_health_flags(f); });
  };
  CHECK(with([](HealthFlags& f) { f.interval = "abc"; }) == "invalid healthcheck-interval: time: invalid duration \"abc\"");
  CHECK(with([](HealthFlags& f) { f.timeout = "500ms"; }) == "healthcheck-timeout must be at least 1 second");
  CHECK(with([](HealthFlags& f) { f.start_period = "-1s"; }) == "healthcheck-start-period must be 0 seconds or greater");
  CHECK(with([](HealthFlags& f) { f.retries = 0; }) == "healthcheck-retries must be greater than 0");
  CHECK(with([](HealthFlags& f) { f.on_failure = "bogus"; }) ==
        "invalid on-failure action \"bogus\" for health check: supported actions are none,kill,restart,stop");
  CHECK(with([](HealthFlags& f) { f.disabled = true; }) == "cannot specify both --no-healthcheck and --health-cmd");
  CHECK(with([](HealthFlags& f) { f.cmd = ""; }) == "must define a healthcheck command for all healthchecks");
  CHECK(with([](HealthFlags& f) { f.interval = "500ms"; }) == "no error");
}

TEST_CASE("health: Docker's rules move the status") {
  HealthConfig h;
  h.retries = 2;
  HealthState s;
  SECTION("failures count only after the start period, or after a success") {
    runtime::record_result(s, h, result(1), true);
    runtime::record_result(s, h, result(1), true);
    CHECK(s.status == "starting");
    CHECK(s.failing_streak == 0);
    runtime::record_result(s, h, result(0), true);
    CHECK(s.status == "healthy");
    runtime::record_result(s, h, result(1), true);  // healthy once: the start period is over for it
    CHECK(s.failing_streak == 1);
    CHECK(s.status == "healthy");
    runtime::record_result(s, h, result(-1), true);
    CHECK(s.status == "unhealthy");
    CHECK(s.failing_streak == 2);
    runtime::record_result(s, h, result(0), false);
    CHECK(s.status == "healthy");
    CHECK(s.failing_streak == 0);
  }
  SECTION("retries failures in a row make it unhealthy; the log keeps the last five, output cut at 4 KiB") {
    runtime::record_result(s, h, result(1, std::string(10000, 'x')), false);
    CHECK(s.status == "starting");
    for (int i = 0; i < 6; ++i) runtime::record_result(s, h, result(2 + i), false);
    CHECK(s.status == "unhealthy");
    CHECK(s.failing_streak == 7);
    REQUIRE(s.log.size() == runtime::kMaxHealthLog);
    CHECK(s.log.front().exit_code == 3);
    CHECK(s.log.back().exit_code == 7);
  }
  SECTION("output is cut at 4 KiB; the state reads back as written") {
    runtime::record_result(s, h, result(1, std::string(10000, 'x')), false);
    CHECK(s.log.back().output.size() == runtime::kMaxHealthOutput);
    auto back = runtime::health_state_from_json(nlohmann::json::parse(runtime::to_json(s).dump()));
    CHECK(back.status == s.status);
    CHECK(back.failing_streak == 1);
    CHECK(back.log.back().output == s.log.back().output);
  }
}

TEST_CASE("health: the start interval applies in the start period, never slower than the interval") {
  HealthConfig h;
  h.interval = 10s;
  h.start_interval = 2s;
  CHECK(h.next_wait(false) == 10s);
  CHECK(h.next_wait(true) == 10s);  // no start period
  h.start_period = 30s;
  CHECK(h.next_wait(true) == 2s);
  h.interval = 1s;
  CHECK(h.next_wait(true) == 1s);
}

TEST_CASE("health: start.json keeps the check as it was") {
  HealthConfig h;
  h.test = {"CMD", "true"};
  h.interval = 0s;
  h.start_period = 3s;
  h.on_failure = "restart";
  auto back = runtime::health_from_start_json(runtime::to_start_json(h));
  CHECK(back.test == h.test);
  CHECK(back.interval == 0s);
  CHECK(back.start_period == 3s);
  CHECK(back.on_failure == "restart");
  // inspect's Config.Healthcheck: Docker's object, nanoseconds.
  CHECK(runtime::to_json(h).dump() == R"({"Test":["CMD","true"],"Interval":0,"Timeout":30000000000,"StartPeriod":3000000000,"Retries":3})");
}

TEST_CASE("go_duration prints as Go's time.Duration does") {
  CHECK(format::go_duration(0s) == "0s");
  CHECK(format::go_duration(1s) == "1s");
  CHECK(format::go_duration(90s) == "1m30s");
  CHECK(format::go_duration(3600s) == "1h0m0s");
  CHECK(format::go_duration(1500ms) == "1.5s");
  CHECK(format::go_duration(500ms) == "500ms");
  CHECK(format::go_duration(1500us) == "1.5ms");
  CHECK(format::go_duration(-2s) == "-2s");
}
