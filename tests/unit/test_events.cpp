// Tests for the event log (src/storage/events.*): the line format Podman
// 4.3's file logger writes, appends from concurrent processes, filters,
// --since/--until times, following across rotation, and the outputs of
// `cabin events`.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "error_of.h"
#include "scoped_tz.h"

#include "format/output.h"
#include "format/template.h"
#include "format/units.h"
#include "storage/events.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

using namespace cabin;
using storage::Event;
using std::chrono::system_clock;
using namespace std::chrono_literals;

namespace {

// Sets TZ for one test (times print in local time, as Go prints them).

system_clock::time_point at(std::string_view rfc3339) {
  try {
    return format::parse_input_time(rfc3339, true, system_clock::now());
  } catch (const Error& e) {
    FAIL("bad time in test: " << rfc3339 << ": " << e.what());
    throw;
  }
}

Event image_event(std::string status, std::string id, std::string name, std::string_view time) {
  Event e;
  e.type = "image";
  e.status = std::move(status);
  e.id = std::move(id);
  e.name = std::move(name);
  e.time = at(time);
  return e;
}

Event container_event(std::string status, std::string_view time) {
  Event e;
  e.type = "container";
  e.status = std::move(status);
  e.id = std::string(64, 'c');
  e.name = "web";
  e.image = "127.0.0.1:5000/busybox:latest";
  e.attributes = {{"tier", "front"}, {"app", "shop"}};
  e.time = at(time);
  return e;
}

std::vector<Event> read_all(const std::string& path, const storage::EventFilter& filter = {{}, "", ""}) {
  std::vector<Event> out;
  storage::read_events(path, {}, filter, [&](const Event& e) {
    out.push_back(e);
    return true;
  });
  return out;
}

std::vector<std::string> statuses(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.status);
  return out;
}

std::vector<std::string> file_lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

const std::string kID = "8a1f5ac9e1e0d1b9c2f3a4b5c6d7e8f90123456789abcdef0123456789abcdef";

}  // namespace

TEST_CASE("events: the log line is Podman's JSON", "[events]") {
  ScopedTz tz("UTC");
  auto e = image_event("pull", kID, "127.0.0.1:5000/busybox:latest", "2024-03-01T10:20:30.123456789Z");
  CHECK(format::go_json(storage::event_to_json(e), {}, true) ==
        R"({"ID":")" + kID +
            R"(","Name":"127.0.0.1:5000/busybox:latest","Status":"pull","Time":"2024-03-01T10:20:30.123456789Z","Type":"image","Attributes":null})");

  auto c = container_event("died", "2024-03-01T10:20:30.5Z");
  c.attributes[std::string(storage::kEventExitCode)] = "17";
  c.attributes[std::string(storage::kEventPodID)] = "p0d";
  CHECK(format::go_json(storage::event_to_json(c), {}, true) ==
        R"({"ContainerExitCode":17,"ID":")" + std::string(64, 'c') +
            R"(","Image":"127.0.0.1:5000/busybox:latest","Name":"web","Status":"died","Time":"2024-03-01T10:20:30.5Z","Type":"container","PodID":"p0d","Attributes":{"app":"shop","tier":"front"}})");
  // Exit code 0 is left out, as Go's omitempty does.
  c.attributes[std::string(storage::kEventExitCode)] = "0";
  CHECK(storage::event_to_json(c).count("ContainerExitCode") == 0);
}

TEST_CASE("events: times are written in local time with the offset", "[events]") {
  ScopedTz tz("CET-1CEST,M3.5.0,M10.5.0/3");
  CHECK(format::rfc3339_local(at("2024-03-01T10:20:30.1Z"), false, true) == "2024-03-01T11:20:30.1+01:00");
  CHECK(format::rfc3339_local(at("2024-07-01T10:20:30Z"), false, true) == "2024-07-01T12:20:30+02:00");
  CHECK(storage::event_human(image_event("tag", kID, "x", "2024-03-01T10:20:30Z"), false) ==
        "2024-03-01 11:20:30 +0100 CET image tag " + kID + " x");
}

TEST_CASE("events: append and read round trip", "[events]") {
  fs::TempDir dir("/tmp", "cabin-events-test-");
  std::string path = dir.path() + "/run/events/events.log";
  auto c = container_event("start", "2024-03-01T10:20:30.000000001Z");
  c.attributes[std::string(storage::kEventExitCode)] = "3";
  c.attributes[std::string(storage::kEventNetwork)] = "podman";
  c.attributes[std::string(storage::kEventHealthStatus)] = "healthy";
  storage::append_event(path, image_event("pull", kID, "busybox", "2024-03-01T10:20:29Z"));
  storage::append_event(path, c);
  storage::append_event(path, image_event("tag", kID, "a<b>&c", "2024-03-01T10:20:31Z"));

  auto events = read_all(path);
  REQUIRE(events.size() == 3);
  CHECK(events[0].type == "image");
  CHECK(events[0].name == "busybox");
  CHECK(events[0].id == kID);
  CHECK(events[1].attributes == c.attributes);
  CHECK(events[1].time == c.time);
  CHECK(events[1].image == c.image);
  CHECK(events[2].name == "a<b>&c");
  CHECK(file_lines(path)[2].find(R"("Name":"a\u003cb\u003e\u0026c")") != std::string::npos);

  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((dir.path() + "/run/events").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("events: a log written by Podman reads", "[events]") {
  ScopedTz tz("UTC");
  fs::TempDir dir("/tmp", "cabin-events-test-");
  std::string path = dir.path() + "/events.log";
  {
    std::ofstream out(path);
    // From Podman 4.3's test/system/090-events.bats, and a container event.
    out << R"({"Name":"busybox","Status":"pull","Time":"2022-04-06T11:26:42.723667900+02:00","Type":"image","Attributes":null})"
        << "\n"
        << R"({"ContainerExitCode":17,"ID":"abc","Image":"quay.io/libpod/testimage:20221018","Name":"c1","Status":"died","Time":"2022-04-06T11:26:43+02:00","Type":"container","Attributes":{"l1":"v1 x"}})"
        << "\n\n";
  }
  auto events = read_all(path);
  REQUIRE(events.size() == 2);
  CHECK(storage::event_human(events[0], true) == "2022-04-06 09:26:42.7236679 +0000 UTC image pull  busybox");
  CHECK(storage::event_human(events[1], true) ==
        "2022-04-06 09:26:43 +0000 UTC container died abc (image=quay.io/libpod/testimage:20221018, name=c1, l1=v1 x)");
  CHECK(events[1].attributes.at("containerExitCode") == "17");
}

TEST_CASE("events: human output as Podman's ToHumanReadable", "[events]") {
  ScopedTz tz("UTC");
  auto img = image_event("pull", kID, "127.0.0.1:5000/busybox:latest", "2024-03-01T10:20:30.123456789Z");
  CHECK(storage::event_human(img, false) ==
        "2024-03-01 10:20:30.123456789 +0000 UTC image pull " + kID + " 127.0.0.1:5000/busybox:latest");
  CHECK(storage::event_human(img, true) ==
        "2024-03-01 10:20:30.123456789 +0000 UTC image pull 8a1f5ac9e1e0 127.0.0.1:5000/busybox:latest");
  img.id = "sha256:" + kID;
  CHECK(storage::event_human(img, true) ==
        "2024-03-01 10:20:30.123456789 +0000 UTC image pull 8a1f5ac9e1e0 127.0.0.1:5000/busybox:latest");

  auto c = container_event("start", "2024-03-01T10:20:30Z");
  std::string cid(64, 'c');
  CHECK(storage::event_human(c, false) == "2024-03-01 10:20:30 +0000 UTC container start " + cid +
                                              " (image=127.0.0.1:5000/busybox:latest, name=web, app=shop, tier=front)");
  c.attributes = {{"containerExitCode", "1"}, {"podID", "f00d"}};
  CHECK(storage::event_human(c, true) ==
        "2024-03-01 10:20:30 +0000 UTC container start cccccccccccc (image=127.0.0.1:5000/busybox:latest, "
        "name=web, pod_id=f00d)");
  c.attributes.clear();
  c.image.clear();
  CHECK(storage::event_human(c, true) == "2024-03-01 10:20:30 +0000 UTC container start cccccccccccc (image=, name=web)");

  Event v;
  v.type = "volume";
  v.status = "create";
  v.name = "data";
  v.time = at("2024-03-01T10:20:30Z");
  CHECK(storage::event_human(v, true) == "2024-03-01 10:20:30 +0000 UTC volume create data");
  Event s;
  s.type = "system";
  s.status = "refresh";
  s.time = v.time;
  CHECK(storage::event_human(s, true) == "2024-03-01 10:20:30 +0000 UTC system refresh");
  s.status = "log-rotation";
  s.name = "/run/x/events.log";
  CHECK(storage::event_human(s, true) == "2024-03-01 10:20:30 +0000 UTC system log-rotation /run/x/events.log");
  Event n;
  n.type = "network";
  n.status = "connect";
  n.id = cid;
  n.attributes = {{"network", "podman"}};
  n.time = v.time;
  CHECK(storage::event_human(n, true) ==
        "2024-03-01 10:20:30 +0000 UTC network connect cccccccccccc (container=cccccccccccc, name=podman)");
}

TEST_CASE("events: templates see Podman's Event fields", "[events]") {
  ScopedTz tz("UTC");
  auto c = container_event("died", "2024-03-01T10:20:30.25Z");
  c.attributes["containerExitCode"] = "17";
  auto data = storage::event_template_data(c);
  auto run = [&](std::string_view t) { return format::Template::parse(t).execute(data); };
  CHECK(run("{{.Status}}--{{.Name}}--{{.Type}}") == "died--web--container");
  CHECK(run("{{.ID}} {{.Image}}") == std::string(64, 'c') + " 127.0.0.1:5000/busybox:latest");
  CHECK(run("{{.Time}}") == "2024-03-01 10:20:30.25 +0000 UTC");
  CHECK(run("{{.TimeNano}}") == "1709288430250000000");
  CHECK(run("{{.ContainerExitCode}}") == "17");
  CHECK(run("{{.Attributes.tier}} {{.Attributes.nosuch}}") == "front <no value>");
  CHECK(run("{{.Attributes}}") == "map[app:shop tier:front]");
  CHECK(run("{{.Details.ID}}") == std::string(64, 'c'));
  CHECK_THAT(cabin::test::error_of([&] { run("{{.Nosuch}}"); }), Catch::Matchers::Contains("Nosuch"));
}

TEST_CASE("events: --since and --until times as Podman's ParseInputTime", "[events]") {
  auto now = at("2024-03-01T10:00:00Z");
  auto t = [&](std::string_view s, bool since = true) { return format::parse_input_time(s, since, now); };
  CHECK(t("2024-03-01T10:20:30.5+01:00") == at("2024-03-01T09:20:30.5Z"));
  CHECK(t("2024-03-01T10:20:30") == at("2024-03-01T10:20:30Z"));
  CHECK(t("2024-03-01T10:20:30.75") == at("2024-03-01T10:20:30.75Z"));
  CHECK(t("2024-03-01") == at("2024-03-01T00:00:00Z"));
  CHECK(t("2024-03-01+02:00") == at("2024-02-29T22:00:00Z"));
  CHECK(t("2024-03-01Z") == at("2024-03-01T00:00:00Z"));
  CHECK(t("1709287200") == at("2024-03-01T10:00:00Z"));
  CHECK(t("1709287200.5") == at("2024-03-01T10:00:00.5Z"));
  CHECK(t("10m") == at("2024-03-01T09:50:00Z"));
  CHECK(t("10m", false) == at("2024-03-01T10:10:00Z"));
  CHECK(t("1h30m") == at("2024-03-01T08:30:00Z"));
  CHECK(t("1.5s") == at("2024-03-01T09:59:58.5Z"));
  CHECK(t("-1h") == at("2024-03-01T11:00:00Z"));
  CHECK(t("300ms") == at("2024-03-01T09:59:59.7Z"));
  for (const char* bad : {"", "10", "yesterday", "10x", "1h30", "2024-13-01", "2024-03-01T25:00:00", "h", ".s"}) {
    if (std::string_view(bad) == "10") continue;  // a Unix time
    INFO(bad);
    CHECK(cabin::test::error_of([&] { t(bad); }) == "unable to interpret time value");
  }
}

TEST_CASE("events: filters as Podman applies them", "[events]") {
  std::vector<Event> log = {
      image_event("pull", kID, "127.0.0.1:5000/busybox:latest", "2024-03-01T10:00:01Z"),
      image_event("tag", kID, "mytag", "2024-03-01T10:00:02Z"),
      container_event("create", "2024-03-01T10:00:03Z"),
      container_event("start", "2024-03-01T10:00:04Z"),
      image_event("untag", kID, "localhost/mytag:latest", "2024-03-01T10:00:05Z"),
      image_event("remove", kID, "busybox", "2024-03-01T10:00:06Z"),
  };
  log[3].name = "db";
  log[3].attributes = {{"tier", "back"}};
  auto pick = [&](std::vector<std::string> filters, std::string since = "", std::string until = "") {
    storage::EventFilter f(filters, since, until, at("2024-03-01T11:00:00Z"));
    std::vector<std::string> out;
    for (const auto& e : log)
      if (f.matches(e)) out.push_back(e.status);
    return cabin::join(out, ",");
  };
  CHECK(pick({}) == "pull,tag,create,start,untag,remove");
  CHECK(pick({"type=image"}) == "pull,tag,untag,remove");
  CHECK(pick({"TYPE=container"}) == "create,start");
  CHECK(pick({"event=tag"}) == "tag");
  CHECK(pick({"status=untag"}) == "untag");
  // Same key: any of them; different keys: all of them.
  CHECK(pick({"event=tag", "event=untag"}) == "tag,untag");
  CHECK(pick({"type=image", "event=tag", "event=start"}) == "tag");
  CHECK(pick({"container=web"}) == "create");
  CHECK(pick({"container=web", "container=db"}) == "create,start");
  CHECK(pick({"container=cccc"}) == "create,start");  // an ID prefix
  CHECK(pick({"image=8a1f"}) == "pull,tag,untag,remove");
  CHECK(pick({"image=mytag"}) == "tag");
  CHECK(pick({"image=busybox"}) == "remove");  // names match exactly
  CHECK(pick({"label=tier=front"}) == "create");
  CHECK(pick({"label=tier"}) == "create,start");
  CHECK(pick({"label=tier=front", "label=tier=back"}) == "create,start");
  CHECK(pick({"event=die"}) == "");
  CHECK(pick({"type=image"}, "2024-03-01T10:00:02Z") == "untag,remove");  // since is exclusive
  CHECK(pick({}, "", "2024-03-01T10:00:03Z") == "pull,tag");              // so is until
  CHECK(pick({}, "2024-03-01T10:00:01Z", "2024-03-01T10:00:05Z") == "tag,create,start");
  CHECK(pick({}, "1709287202") == "create,start,untag,remove");
  CHECK(pick({}, "59m57s") == "start,untag,remove");  // now is 11:00:00

  using storage::EventFilter;
  CHECK(cabin::test::error_of([] { EventFilter({"bogus=1"}, "", ""); }) == "failed to parse event filters: bogus is an invalid filter");
  CHECK(cabin::test::error_of([] { EventFilter({"type"}, "", ""); }) == "failed to parse event filters: type is an invalid filter");
  CHECK(cabin::test::error_of([] { EventFilter({}, "nope", ""); }) ==
        "failed to parse event filters: unable to convert since time of nope: unable to interpret time value");
  CHECK(cabin::test::error_of([] { EventFilter({}, "", "2024-02-30"); }) ==
        "failed to parse event filters: unable to convert until time of 2024-02-30: unable to interpret time value");
}

TEST_CASE("events: reading filters and skips what does not parse", "[events]") {
  fs::TempDir dir("/tmp", "cabin-events-test-");
  std::string path = dir.path() + "/events.log";
  storage::append_event(path, image_event("pull", kID, "a", "2024-03-01T10:00:01Z"));
  {
    std::ofstream out(path, std::ios::app);
    out << "not json\n" << R"({"Status":"x","Time":"2024-03-01T10:00:01Z","Type":"bogus"})" << "\n";
  }
  storage::append_event(path, image_event("tag", kID, "b", "2024-03-01T10:00:02Z"));
  storage::append_event(path, container_event("start", "2024-03-01T10:00:03Z"));
  CHECK(statuses(read_all(path)) == std::vector<std::string>{"pull", "tag", "start"});
  CHECK(statuses(read_all(path, {{"type=image"}, "", ""})) == std::vector<std::string>{"pull", "tag"});
  // A missing log is an empty one.
  CHECK(read_all(dir.path() + "/nosuch.log").empty());
  // The callback stops the reading.
  int n = 0;
  storage::read_events(path, {}, {{}, "", ""}, [&](const Event&) { return ++n < 2; });
  CHECK(n == 2);
}

TEST_CASE("events: concurrent appends from several processes leave whole lines", "[events]") {
  fs::TempDir dir("/tmp", "cabin-events-test-");
  std::string path = dir.path() + "/events/events.log";
  constexpr int kProcs = 8, kEach = 150;
  // Lines of several kB, so that writes cross page boundaries.
  std::string big(3000, 'x');
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int rc = 0;
      try {
        for (int i = 0; i < kEach; ++i) {
          Event e;
          e.type = "container";
          e.status = "exec";
          e.id = std::to_string(p);
          e.name = std::to_string(i);
          e.attributes = {{"pad", big}};
          e.time = system_clock::now();
          storage::append_event(path, e, 0);
        }
      } catch (...) {
        rc = 1;
      }
      ::_exit(rc);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto lines = file_lines(path);
  CHECK(lines.size() == static_cast<size_t>(kProcs * kEach));
  std::vector<int> next(kProcs, 0);
  size_t whole = 0;
  for (const auto& l : lines) {
    Event e;
    try {
      e = storage::event_from_json(l);
    } catch (const Error&) {
      continue;
    }
    ++whole;
    int p = std::stoi(e.id), i = std::stoi(e.name);
    CHECK(i == next[p]);  // each process's events in its order
    next[p] = i + 1;
    CHECK(e.attributes.at("pad") == big);
  }
  CHECK(whole == lines.size());
}

TEST_CASE("events: the log is rotated at the size limit, keeping the newer half", "[events]") {
  ScopedTz tz("UTC");
  fs::TempDir dir("/tmp", "cabin-events-test-");
  std::string path = dir.path() + "/events.log";
  constexpr uint64_t kLimit = 4000;
  auto e = [](int i) {
    return image_event("tag", kID, fmt::format("name{:03}", i), fmt::format("2024-03-01T10:00:{:02}Z", i % 60));
  };
  for (int i = 0; i < 60; ++i) storage::append_event(path, e(i), kLimit);
  auto lines = file_lines(path);
  CHECK(fs::read_file(path).size() < kLimit);
  auto events = read_all(path);
  REQUIRE(!events.empty());
  CHECK(events.back().name == "name059");
  // The kept events are the newest, in order, each once; rotation events
  // mark where older ones were dropped.
  int rotations = 0, last = -1;
  for (const auto& ev : events) {
    if (ev.type == "system") {
      CHECK(ev.status == "log-rotation");
      CHECK(ev.name == path);
      ++rotations;
      continue;
    }
    int i = std::stoi(ev.name.substr(4));
    CHECK(i > last);
    last = i;
  }
  CHECK(rotations >= 1);
  CHECK(std::stoi(events[0].name.substr(4)) > 0);
}

TEST_CASE("events: following sees new events once, across rotations", "[events]") {
  fs::TempDir dir("/tmp", "cabin-events-test-");
  std::string path = dir.path() + "/events.log";
  // Old events are not shown when following from the end.
  storage::append_event(path, image_event("pull", kID, "old", "2024-03-01T10:00:00Z"), 3000);
  std::vector<std::string> seen;
  std::atomic<bool> ready{false};
  std::thread reader([&] {
    storage::ReadOptions ro;
    ro.from_start = false;
    ro.follow = true;
    ro.poll_interval = 5ms;
    ro.stop_at = system_clock::now() + 60s;  // a safety net
    ready = true;
    storage::read_events(path, ro, {{"event=tag"}, "", ""}, [&](const Event& e) {
      seen.push_back(e.name);
      return e.name != "last";
    });
  });
  while (!ready) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(50ms);  // the reader has opened the log at its end
  std::vector<std::string> want;
  for (int i = 0; i < 100; ++i) {
    std::string name = i == 99 ? "last" : fmt::format("n{}", i);
    storage::append_event(path, image_event(i % 10 == 3 ? "untag" : "tag", kID, name, "2024-03-01T10:00:01Z"), 3000);
    if (i % 10 != 3) want.push_back(name);
    // A rotation every few events; the reader looks between any two.
    if (i % 3 == 0) std::this_thread::sleep_for(10ms);
  }
  reader.join();
  CHECK(seen == want);
}

TEST_CASE("events: a line being written is read once it is whole", "[events]") {
  fs::TempDir dir("/tmp", "cabin-events-test-");
  std::string path = dir.path() + "/events.log";
  std::string line = format::go_json(
      storage::event_to_json(image_event("tag", kID, "split", "2024-03-01T10:00:01Z")), {}, true);
  {
    std::ofstream out(path);
    out << line.substr(0, 20);  // a torn line from before the reader started
  }
  std::vector<std::string> seen;
  std::thread reader([&] {
    storage::ReadOptions ro;
    ro.from_start = false;
    ro.follow = true;
    ro.poll_interval = 5ms;
    ro.stop_at = system_clock::now() + 2s;
    storage::read_events(path, ro, {{}, "", ""}, [&](const Event& e) {
      seen.push_back(e.name);
      return e.name != "whole";
    });
  });
  std::this_thread::sleep_for(50ms);
  {
    std::ofstream out(path, std::ios::app);
    out << line.substr(20) << "\n";
  }
  std::string line2 = format::go_json(
      storage::event_to_json(image_event("tag", kID, "whole", "2024-03-01T10:00:02Z")), {}, true);
  {
    std::ofstream out(path, std::ios::app);
    out << line2.substr(0, 30) << std::flush;
    std::this_thread::sleep_for(30ms);
    out << line2.substr(30) << "\n";
  }
  reader.join();
  CHECK(seen == std::vector<std::string>{"whole"});
}

TEST_CASE("events: following waits for the log to appear and stops at --until", "[events]") {
  fs::TempDir dir("/tmp", "cabin-events-test-");
  std::string path = dir.path() + "/sub/events.log";
  std::vector<std::string> seen;
  auto start = std::chrono::steady_clock::now();
  std::thread reader([&] {
    storage::ReadOptions ro;
    ro.from_start = false;
    ro.follow = true;
    ro.poll_interval = 5ms;
    ro.stop_at = system_clock::now() + 400ms;
    storage::read_events(path, ro, {{}, "", ""}, [&](const Event& e) {
      seen.push_back(e.name);
      return true;
    });
  });
  std::this_thread::sleep_for(50ms);
  storage::append_event(path, image_event("tag", kID, "first", "2024-03-01T10:00:01Z"));
  reader.join();
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(seen == std::vector<std::string>{"first"});
  CHECK(took >= 390ms);
  CHECK(took < 3s);
}

TEST_CASE("events: record_event never throws", "[events]") {
  fs::TempDir dir("/tmp", "cabin-events-test-");
  std::string runroot = dir.path() + "/run";
  { std::ofstream(runroot) << "a file, not a directory"; }
  config::StorePaths paths{dir.path() + "/root", runroot, ""};
  CHECK(storage::events_log_path(paths) == runroot + "/events/events.log");
  CHECK_NOTHROW(storage::record_image_event(paths, "pull", kID, "busybox"));

  config::StorePaths ok{dir.path() + "/root", dir.path() + "/run2", ""};
  auto before = system_clock::now();
  storage::record_image_event(ok, "pull", kID, "busybox");
  auto events = read_all(storage::events_log_path(ok));
  REQUIRE(events.size() == 1);
  CHECK(events[0].time >= before);  // filled in
  CHECK(events[0].time <= system_clock::now());
}
