// The container log in the k8s-file format that conmon writes and Podman
// reads: one record per line,
//   2024-03-01T10:20:30.123456789+01:00 stdout F hello
// the time (RFC 3339, nanoseconds, local time with its offset), the stream,
// F for a full line (its newline ended it and is not stored) or P for a piece
// that the next record of that stream continues, and the text.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/fd.h"

namespace cabin::runtime {

enum class LogStream { Stdout, Stderr };

struct LogRecord {
  std::chrono::system_clock::time_point time;
  LogStream stream = LogStream::Stdout;
  bool partial = false;  // P: the next record of this stream continues it
  std::string text;      // without the newline
};

// Largest text of one record: longer lines are split into P records, and an
// unterminated tail longer than this is written out as P records.
inline constexpr size_t kLogRecordMax = 16 * 1024;

// One record as conmon writes it, newline included.
std::string format_log_line(const LogRecord& record);
// Parses one line (a trailing newline is allowed); nullopt when it is not a
// record: missing fields, a bad time, a stream other than stdout/stderr or a
// tag other than F/P.
std::optional<LogRecord> parse_log_line(std::string_view line);

// Appends a container's output to its log. Not thread-safe: one writer per
// log (the process supervising the container).
class LogWriter {
 public:
  // Opens path O_APPEND|O_CREAT, 0600. max_size 0 means unlimited; otherwise
  // a record that would take the file past it first restarts the log empty,
  // as conmon does.
  explicit LogWriter(std::string path, uint64_t max_size = 0);
  // Flushes buffered tails; a failure is only a warning here.
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Writes every complete line of bytes as F records (all with one time,
  // in one write(2)) and keeps the unterminated tail of each stream buffered
  // until its newline arrives, it grows past kLogRecordMax or flush(). What
  // cannot be written (a full disk) is dropped, with one warning.
  void write(LogStream stream, std::string_view bytes);
  // Writes the buffered tails as P records: call it when the container exits.
  void flush();

  const std::string& path() const { return path_; }

 private:
  void append_record(std::string& batch, std::string_view stamp, LogStream stream, bool partial,
                     std::string_view text);
  void write_batch(std::string& batch);
  void restart();

  std::string path_;
  uint64_t max_size_;
  uint64_t size_ = 0;  // bytes in the file, as far as this writer knows
  UniqueFd fd_;
  std::string tail_[2];  // unterminated output of stdout, stderr
  bool write_failed_ = false;  // warned once
};

struct LogReadOptions {
  // Only lines whose time is after since and before until (as Podman's
  // LogLine.Since/Until compare).
  std::optional<std::chrono::system_clock::time_point> since, until;
  // The last n lines (P records count with the line they end in; a final
  // unterminated line counts as one); unset means all, 0 none.
  std::optional<size_t> tail;
  // Prefixes each line with its time as `podman logs -t` prints it.
  bool timestamps = false;
};

// Called once per output line: its P pieces joined, with the prefix when
// timestamps are asked for and a newline when the line was full. A line the
// log ends in the middle of comes without newline.
using LogCallback = std::function<void(LogStream, std::string_view)>;

// `podman logs -t` time: RFC 3339 with all nine fraction digits, local time,
// "Z" for a zero offset.
std::string format_log_timestamp(std::chrono::system_clock::time_point t);

// Reads the log at path once. A missing file is an empty log; malformed
// lines are skipped.
void read_log(const std::string& path, const LogReadOptions& options, const LogCallback& callback);

// Reads the log like read_log, then waits for records appended to it
// (inotify on its directory, or polling every 100 ms where inotify is not
// available) until keep_going() returns false — asked at least every 250 ms —
// or until is in the past; what was written before then is still read. A log
// restarted by max-size (renamed over or truncated) is read from its start;
// a missing log is waited for.
void follow_log(const std::string& path, const LogReadOptions& options, const LogCallback& callback,
                const std::function<bool()>& keep_going);

}  // namespace cabin::runtime
