#include <catch2/catch.hpp>

#include "scoped_tz.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "format/units.h"
#include "runtime/logfile.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

using namespace cabin;
using namespace cabin::runtime;
using std::chrono::system_clock;
using namespace std::chrono_literals;

namespace {


struct Chunk {
  LogStream stream;
  std::string text;
  bool operator==(const Chunk& o) const { return stream == o.stream && text == o.text; }
};

std::ostream& operator<<(std::ostream& os, const Chunk& c) {
  return os << (c.stream == LogStream::Stdout ? "stdout:" : "stderr:") << '"' << c.text << '"';
}

std::vector<Chunk> read_chunks(const std::string& path, const LogReadOptions& options = {}) {
  std::vector<Chunk> out;
  read_log(path, options, [&](LogStream s, std::string_view text) { out.push_back({s, std::string(text)}); });
  return out;
}

// What `logs` would print, both streams in one.
std::string read_all(const std::string& path, const LogReadOptions& options = {}) {
  std::string out;
  for (const Chunk& c : read_chunks(path, options)) out += c.text;
  return out;
}

std::vector<LogRecord> records(const std::string& path) {
  std::vector<LogRecord> out;
  for (const std::string& line : split(fs::read_file(path), '\n')) {
    if (line.empty()) continue;
    auto r = parse_log_line(line);
    REQUIRE(r);
    out.push_back(*r);
  }
  return out;
}

system_clock::time_point at(std::string_view rfc3339) { return format::parse_rfc3339(rfc3339); }

LogRecord record(std::string_view time, LogStream stream, bool partial, std::string text) {
  return LogRecord{at(time), stream, partial, std::move(text)};
}

void append_raw(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  REQUIRE(fd);
  REQUIRE(::write(fd.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size()));
}

// Five full stdout lines "line1" … "line5", one second apart.
void write_five(const std::string& path) {
  std::string data;
  for (int i = 1; i <= 5; ++i)
    data += format_log_line(
        record(fmt::format("2024-03-01T10:20:0{}.5Z", i), LogStream::Stdout, false, fmt::format("line{}", i)));
  append_raw(path, data);
}

}  // namespace

TEST_CASE("records are formatted as conmon writes them", "[logfile]") {
  LogRecord r = record("2024-03-01T10:20:30.123456789Z", LogStream::Stdout, false, "hello world");
  {
    ScopedTz tz("UTC0");
    CHECK(format_log_line(r) == "2024-03-01T10:20:30.123456789+00:00 stdout F hello world\n");
    CHECK(format_log_timestamp(r.time) == "2024-03-01T10:20:30.123456789Z");
  }
  {
    ScopedTz tz("XYZ-1");
    r.stream = LogStream::Stderr;
    r.partial = true;
    CHECK(format_log_line(r) == "2024-03-01T11:20:30.123456789+01:00 stderr P hello world\n");
    CHECK(format_log_timestamp(r.time) == "2024-03-01T11:20:30.123456789+01:00");
  }
  {
    ScopedTz tz("XYZ+5:30");
    r.time = at("2024-03-01T10:20:30Z");
    CHECK(format_log_line(r) == "2024-03-01T04:50:30.000000000-05:30 stderr P hello world\n");
  }
}

TEST_CASE("log lines are parsed", "[logfile]") {
  auto r = parse_log_line("2024-03-01T10:20:30.123456789+01:00 stderr P a  b \n");
  REQUIRE(r);
  CHECK(r->time == at("2024-03-01T09:20:30.123456789Z"));
  CHECK(r->stream == LogStream::Stderr);
  CHECK(r->partial);
  CHECK(r->text == "a  b ");

  r = parse_log_line("2024-03-01T10:20:30.000000001Z stdout F ");
  REQUIRE(r);
  CHECK(r->stream == LogStream::Stdout);
  CHECK_FALSE(r->partial);
  CHECK(r->text.empty());
  CHECK(r->time == at("2024-03-01T10:20:30.000000001Z"));

  CHECK_FALSE(parse_log_line(""));
  CHECK_FALSE(parse_log_line("garbage"));
  CHECK_FALSE(parse_log_line("2024-03-01T10:20:30Z stdout F"));
  CHECK_FALSE(parse_log_line("2024-03-01T10:20:30Z stdin F x"));
  CHECK_FALSE(parse_log_line("2024-03-01T10:20:30Z stdout X x"));
  CHECK_FALSE(parse_log_line("2024-03-01 10:20:30Z stdout F x"));
  CHECK_FALSE(parse_log_line("yesterday stdout F x"));
}

TEST_CASE("lines round-trip through the log", "[logfile]") {
  fs::TempDir dir("/tmp", "cabin-logfile-");
  std::string path = dir.path() + "/ctr.log";
  {
    LogWriter w(path);
    w.write(LogStream::Stdout, "one\ntwo\n");
    w.write(LogStream::Stdout, "three with  spaces\n");
  }
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto recs = records(path);
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].text == "one");
  CHECK_FALSE(recs[0].partial);
  CHECK(recs[0].time == recs[1].time);  // one time per write, as conmon does
  CHECK(read_all(path) == "one\ntwo\nthree with  spaces\n");

  // A second writer appends.
  LogWriter(path).write(LogStream::Stdout, "four\n");
  CHECK(read_all(path) == "one\ntwo\nthree with  spaces\nfour\n");
}

TEST_CASE("partial lines are buffered, flushed as P and joined", "[logfile]") {
  fs::TempDir dir("/tmp", "cabin-logfile-");
  std::string path = dir.path() + "/ctr.log";
  LogWriter w(path);
  w.write(LogStream::Stdout, "abc");
  CHECK(fs::read_file(path).empty());
  w.write(LogStream::Stdout, "def\nghi");
  auto recs = records(path);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].text == "abcdef");
  CHECK_FALSE(recs[0].partial);

  w.flush();  // the container exited in the middle of a line
  recs = records(path);
  REQUIRE(recs.size() == 2);
  CHECK(recs[1].text == "ghi");
  CHECK(recs[1].partial);
  CHECK(read_chunks(path) == std::vector<Chunk>{{LogStream::Stdout, "abcdef\n"}, {LogStream::Stdout, "ghi"}});

  // Restarted, it goes on: the P record is joined with the next one.
  w.write(LogStream::Stdout, "jkl\n");
  CHECK(read_chunks(path) == std::vector<Chunk>{{LogStream::Stdout, "abcdef\n"}, {LogStream::Stdout, "ghijkl\n"}});
  w.flush();
  CHECK(records(path).size() == 3);  // nothing buffered: flush wrote nothing
}

TEST_CASE("CRLF and empty lines are kept", "[logfile]") {
  fs::TempDir dir("/tmp", "cabin-logfile-");
  std::string path = dir.path() + "/ctr.log";
  LogWriter(path).write(LogStream::Stdout, "a\r\n\n\r\nb\n");
  auto recs = records(path);
  REQUIRE(recs.size() == 4);
  CHECK(recs[0].text == "a\r");
  CHECK(recs[1].text.empty());
  CHECK(recs[2].text == "\r");
  CHECK(recs[3].text == "b");
  CHECK(read_all(path) == "a\r\n\n\r\nb\n");
  CHECK(fs::read_file(path).find(" stdout F \n") != std::string::npos);
}

TEST_CASE("a 40 KiB line is split into 16 KiB records and joined again", "[logfile]") {
  fs::TempDir dir("/tmp", "cabin-logfile-");
  std::string path = dir.path() + "/ctr.log";
  std::string line;
  for (int i = 0; i < 40 * 1024; ++i) line += static_cast<char>('a' + i % 26);

  SECTION("written at once") {
    LogWriter(path).write(LogStream::Stdout, line + "\n");
    auto recs = records(path);
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].partial);
    CHECK(recs[0].text.size() == kLogRecordMax);
    CHECK(recs[1].partial);
    CHECK_FALSE(recs[2].partial);
    CHECK(recs[2].text.size() == 8 * 1024);
    CHECK(read_chunks(path) == std::vector<Chunk>{{LogStream::Stdout, line + "\n"}});
  }
  SECTION("written in pieces without newline") {
    LogWriter w(path);
    for (size_t i = 0; i < line.size(); i += 1000) w.write(LogStream::Stderr, line.substr(i, 1000));
    // Tails longer than 16 KiB went out as P records; 8 KiB are still held.
    auto recs = records(path);
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].partial);
    CHECK(recs[0].stream == LogStream::Stderr);
    CHECK(recs[0].text == line.substr(0, kLogRecordMax));
    w.flush();
    CHECK(read_chunks(path) == std::vector<Chunk>{{LogStream::Stderr, line}});
  }
}

TEST_CASE("stdout and stderr interleave, each joined on its own", "[logfile]") {
  fs::TempDir dir("/tmp", "cabin-logfile-");
  std::string path = dir.path() + "/ctr.log";
  {
    LogWriter w(path);
    w.write(LogStream::Stdout, "out1\n");
    w.write(LogStream::Stderr, "err1\n");
    w.write(LogStream::Stdout, "par");
    w.write(LogStream::Stderr, "err");
    w.write(LogStream::Stderr, "2\n");
    w.write(LogStream::Stdout, "tial\nout3\n");
    w.write(LogStream::Stderr, "last words");
  }  // the destructor flushes
  auto recs = records(path);
  REQUIRE(recs.size() == 6);
  CHECK(recs[1].stream == LogStream::Stderr);
  CHECK(recs[5].stream == LogStream::Stderr);
  CHECK(recs[5].partial);
  CHECK(read_chunks(path) == std::vector<Chunk>{{LogStream::Stdout, "out1\n"},
                                                {LogStream::Stderr, "err1\n"},
                                                {LogStream::Stderr, "err2\n"},
                                                {LogStream::Stdout, "partial\n"},
                                                {LogStream::Stdout, "out3\n"},
                                                {LogStream::Stderr, "last words"}});
}

TEST_CASE("since, until and tail select lines", "[logfile]") {
  fs::TempDir dir("/tmp", "cabin-logfile-");
  std::string path = dir.path() + "/ctr.log";
  write_five(path);
  LogReadOptions o;

  SECTION("since is exclusive") {
    o.since = at("2024-03-01T10:20:02.5Z");
    CHECK(read_all(path, o) == "line3\nline4\nline5\n");
  }
  SECTION("until is exclusive") {
    o.until = at("2024-03-01T10:20:04.5Z");
    CHECK(read_all(path, o) == "line1\nline2\nline3\n");
  }
  SECTION("since and until") {
    o.since = at("2024-03-01T10:20:01Z");
    o.until = at("2024-03-01T10:20:03Z");
    CHECK(read_all(path, o) == "line1\nline2\n");
  }
  SECTION("tail") {
    o.tail = 2;
    CHECK(read_all(path, o) == "line4\nline5\n");
    o.tail = 0;
    CHECK(read_all(path, o).empty());
    o.tail = 100;
    CHECK(read_all(path, o) == "line1\nline2\nline3\nline4\nline5\n");
  }
  SECTION("tail then since, as Podman applies them") {
    o.tail = 3;
    o.since = at("2024-03-01T10:20:03.5Z");
    CHECK(read_all(path, o) == "line4\nline5\n");
  }
  SECTION("tail counts full lines with their P records") {
    append_raw(path, format_log_line(record("2024-03-01T10:20:06Z", LogStream::Stdout, true, "six-a ")) +
                         format_log_line(record("2024-03-01T10:20:06Z", LogStream::Stdout, true, "six-b ")) +
                         format_log_line(record("2024-03-01T10:20:06Z", LogStream::Stdout, false, "six-c")) +
                         format_log_line(record("2024-03-01T10:20:07Z", LogStream::Stdout, true, "seven")));
    o.tail = 1;  // the unterminated last line counts as one
    CHECK(read_all(path, o) == "seven");
    o.tail = 2;
    CHECK(read_all(path, o) == "six-a six-b six-c\nseven");
    o.tail = 3;
    CHECK(read_all(path, o) == "line5\nsix-a six-b six-c\nseven");
  }
  SECTION("tail of a log larger than one read block") {
    std::string data;
    for (int i = 0; i < 20000; ++i)
      data += format_log_line(record("2024-03-01T10:21:00Z", LogStream::Stderr, false, fmt::format("n{}", i)));
    append_raw(path, data);
    o.tail = 3;
    CHECK(read_chunks(path, o) == std::vector<Chunk>{{LogStream::Stderr, "n19997\n"},
                                                     {LogStream::Stderr, "n19998\n"},
                                                     {LogStream::Stderr, "n19999\n"}});
  }
}

TEST_CASE("timestamps prefix each line as podman logs -t", "[logfile]") {
  ScopedTz tz("UTC0");
  fs::TempDir dir("/tmp", "cabin-logfile-");
  std::string path = dir.path() + "/ctr.log";
  append_raw(path, "2024-03-01T10:20:30.1+00:00 stdout F hello\n"
                   "2024-03-01T11:20:31.000000002+01:00 stderr P hel\n"
                   "2024-03-01T10:20:32Z stderr F lo\n");
  LogReadOptions o;
  o.timestamps = true;
  CHECK(read_chunks(path, o) ==
        std::vector<Chunk>{{LogStream::Stdout, "2024-03-01T10:20:30.100000000Z hello\n"},
                           {LogStream::Stderr, "2024-03-01T10:20:31.000000002Z hello\n"}});
}

TEST_CASE("max-size restarts the log as conmon does", "[logfile]") {
  fs::TempDir dir("/tmp", "cabin-logfile-");
  std::string path = dir.path() + "/ctr.log";
  // Each record: 35 bytes of time, " stdout F ", the text and a newline.
  std::string rec = format_log_line(record("2024-03-01T10:20:30Z", LogStream::Stdout, false, "0123456789"));
  REQUIRE(rec.size() == 56);
  {
    LogWriter w(path, 3 * 56);
    w.write(LogStream::Stdout, "0123456789\n0123456789\n0123456789\n");
    CHECK(fs::read_file(path).size() == 3 * 56);  // exactly at the limit is fine
    w.write(LogStream::Stdout, "abcdefghij\n");
    CHECK(read_all(path) == "abcdefghij\n");
    w.write(LogStream::Stdout, "k123456789\nl123456789\nm123456789\n");
    CHECK(read_all(path) == "m123456789\n");
    CHECK_FALSE(fs::exists(path + ".tmp"));
  }
  // A new writer counts what the file holds already.
  {
    LogWriter w(path, 3 * 56);
    w.write(LogStream::Stdout, "n123456789\no123456789\n");
    CHECK(read_all(path) == "m123456789\nn123456789\no123456789\n");
    w.write(LogStream::Stdout, "p123456789\n");
    CHECK(read_all(path) == "p123456789\n");
  }
  // A record larger than the limit is still written, alone.
  {
    LogWriter w(path, 20);
    w.write(LogStream::Stdout, "q\nr\n");
    CHECK(read_all(path) == "r\n");
  }
}

TEST_CASE("malformed lines are skipped", "[logfile]") {
  fs::TempDir dir("/tmp", "cabin-logfile-");
  std::string path = dir.path() + "/ctr.log";
  append_raw(path, "2024-03-01T10:20:30Z stdout F one\n"
                   "not a record\n"
                   "\n"
                   "2024-03-01T10:20:30Z stdin F what\n"
                   "2024-03-01T10:20:31Z stderr F two\n"
                   "2024-03-01T10:20:32Z stdout");
  CHECK(read_all(path) == "one\ntwo\n");
  LogReadOptions o;
  o.tail = 1;
  CHECK(read_all(path, o) == "two\n");
  CHECK(read_all(dir.path() + "/missing.log").empty());
}

TEST_CASE("max-size values are parsed as Podman does", "[logfile]") {
  CHECK(format::parse_size("512", 1000) == 512);
  CHECK(format::parse_size("0", 1000) == 0);
  CHECK(format::parse_size("1k", 1000) == 1000);
  CHECK(format::parse_size("1K", 1000) == 1000);
  CHECK(format::parse_size("10mb", 1000) == 10000000);
  CHECK(format::parse_size("10MB", 1000) == 10000000);
  CHECK(format::parse_size("1KiB", 1000) == 1000);  // FromHumanSize takes "iB" but stays decimal
  CHECK(format::parse_size("2g", 1000) == 2000000000ULL);
  CHECK(format::parse_size("1t", 1000) == 1000000000000ULL);
  CHECK(format::parse_size("1.5k", 1000) == 1500);
  CHECK(format::parse_size("3 m", 1000) == 3000000);
  CHECK(format::parse_size("7b", 1000) == 7);
  CHECK(format::parse_size("1e3", 1000) == 1000);

  REQUIRE_THROWS_WITH(format::parse_size("", 1000), "invalid size: ''");
  REQUIRE_THROWS_WITH(format::parse_size("mb", 1000), "invalid size: 'mb'");
  REQUIRE_THROWS_WITH(format::parse_size("-1", 1000), "invalid size: '-1'");
  REQUIRE_THROWS_WITH(format::parse_size("1.2.3", 1000), "invalid size: '1.2.3'");
  REQUIRE_THROWS_WITH(format::parse_size("10x", 1000), "invalid suffix: 'x'");
  REQUIRE_THROWS_WITH(format::parse_size("10KX", 1000), "invalid suffix: 'kx'");
  REQUIRE_THROWS_WITH(format::parse_size("10kbb", 1000), "invalid suffix: 'kbb'");
  REQUIRE_THROWS_WITH(format::parse_size("10bytes", 1000), "invalid suffix: 'bytes'");
  REQUIRE_THROWS_WITH(format::parse_size("10bb", 1000), "invalid suffix: 'bb'");
  REQUIRE_THROWS_AS(format::parse_size("99999999999p", 1000), Error);
}

TEST_CASE("RAMInBytes sizes (--shm-size, compose) are 1024-based", "[units]") {
  CHECK(format::parse_size("64m", 1024) == 64ULL << 20);
  CHECK(format::parse_size("1.5GiB", 1024) == 3ULL << 29);
  CHECK(format::parse_size("512k", 1024) == 512ULL << 10);
  CHECK(format::parse_size("1024", 1024) == 1024);
  REQUIRE_THROWS_WITH(format::parse_size("1x", 1024), "invalid suffix: 'x'");
  REQUIRE_THROWS_WITH(format::parse_size("99999999999999999999g", 1024), "invalid size: '99999999999999999999g'");
}

TEST_CASE("follow_log reads what another thread appends", "[logfile]") {
  fs::TempDir dir("/tmp", "cabin-logfile-");
  std::string path = dir.path() + "/ctr.log";
  std::vector<Chunk> got;
  auto collect = [&](LogStream s, std::string_view text) { got.push_back({s, std::string(text)}); };
  std::atomic<bool> stop{false};

  SECTION("appended lines, until keep_going turns false") {
    LogWriter(path).write(LogStream::Stdout, "before\n");
    std::thread writer([&] {
      LogWriter w(path);
      for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(20ms);
        w.write(i % 2 ? LogStream::Stderr : LogStream::Stdout, fmt::format("line{}\n", i));
      }
      w.write(LogStream::Stdout, "unterminated");
      w.flush();
      stop = true;
    });
    follow_log(path, {}, collect, [&] { return !stop.load(); });
    writer.join();
    CHECK(got == std::vector<Chunk>{{LogStream::Stdout, "before\n"},
                                    {LogStream::Stdout, "line0\n"},
                                    {LogStream::Stderr, "line1\n"},
                                    {LogStream::Stdout, "line2\n"},
                                    {LogStream::Stderr, "line3\n"},
                                    {LogStream::Stdout, "line4\n"},
                                    {LogStream::Stdout, "unterminated"}});
  }
  SECTION("with tail, a log created later, restarted by max-size") {
    std::string rec = format_log_line(record("2024-03-01T10:20:30Z", LogStream::Stdout, false, "line00"));
    std::thread writer([&] {
      std::this_thread::sleep_for(50ms);
      LogWriter w(path, 4 * rec.size());
      for (int i = 0; i < 20; ++i) {
        w.write(LogStream::Stdout, fmt::format("line{:02}\n", i));
        std::this_thread::sleep_for(10ms);
      }
      stop = true;
    });
    LogReadOptions o;
    o.tail = 1;  // applies to what exists when following starts: nothing
    follow_log(path, o, collect, [&] { return !stop.load(); });
    writer.join();
    std::string all;
    for (const Chunk& c : got) all += c.text;
    std::string want;
    for (int i = 0; i < 20; ++i) want += fmt::format("line{:02}\n", i);
    CHECK(all == want);
    CHECK(read_all(path) == "line16\nline17\nline18\nline19\n");
  }
  SECTION("polling where the directory cannot be watched") {
    std::string sub = dir.path() + "/later";
    std::thread writer([&] {
      std::this_thread::sleep_for(100ms);
      fs::mkdir_p(sub);
      LogWriter w(sub + "/ctr.log");
      w.write(LogStream::Stdout, "polled\n");
      std::this_thread::sleep_for(50ms);
      w.write(LogStream::Stderr, "again\n");
      std::this_thread::sleep_for(150ms);
      stop = true;
    });
    follow_log(sub + "/ctr.log", {}, collect, [&] { return !stop.load(); });
    writer.join();
    CHECK(got == std::vector<Chunk>{{LogStream::Stdout, "polled\n"}, {LogStream::Stderr, "again\n"}});
  }
  SECTION("a log truncated in place is read from its start") {
    write_five(path);
    std::thread writer([&] {
      std::this_thread::sleep_for(100ms);
      REQUIRE(::truncate(path.c_str(), 0) == 0);
      std::this_thread::sleep_for(100ms);
      LogWriter(path).write(LogStream::Stdout, "after truncation\n");
      std::this_thread::sleep_for(50ms);
      stop = true;
    });
    LogReadOptions o;
    o.tail = 1;
    follow_log(path, o, collect, [&] { return !stop.load(); });
    writer.join();
    CHECK(got == std::vector<Chunk>{{LogStream::Stdout, "line5\n"}, {LogStream::Stdout, "after truncation\n"}});
  }
  SECTION("keep_going is asked at least every 250 ms") {
    write_five(path);
    auto start = std::chrono::steady_clock::now();
    int asked = 0;
    follow_log(path, {}, collect, [&] {
      ++asked;
      return std::chrono::steady_clock::now() - start < 600ms;
    });
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(got.size() == 5);
    CHECK(asked >= 3);
    CHECK(took < 1000ms);
  }
  SECTION("a past until stops following") {
    write_five(path);
    LogReadOptions o;
    o.until = at("2024-03-01T10:20:03Z");
    follow_log(path, o, collect, [] { return true; });
    CHECK(got == std::vector<Chunk>{{LogStream::Stdout, "line1\n"}, {LogStream::Stdout, "line2\n"}});
  }
}
