// The k8s-file log: written as conmon writes it (src/ctr_logging.c,
// write_k8s_log), read as Podman reads it (libpod/logs/log.go).
#include "runtime/logfile.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "format/units.h"
#include "util/error.h"
#include "util/log.h"
#include "util/strings.h"

namespace cabin::runtime {

namespace {

using std::chrono::system_clock;

size_t index(LogStream s) { return s == LogStream::Stdout ? 0 : 1; }

std::string_view stream_name(LogStream s) { return s == LogStream::Stdout ? "stdout" : "stderr"; }


void pread_exact(int fd, const std::string& path, char* buf, size_t len, uint64_t offset) {
  while (len > 0) {
    ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read {}", path);
    if (n == 0) fail("read {}: the file shrank while it was read", path);
    buf += n;
    len -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

// Calls on_line for each newline-terminated line of fd from offset on (the
// newline left off) and returns the offset after the last one. With
// unterminated, what follows the last newline is passed and counted too.
template <typename Fn>
uint64_t for_each_line(int fd, const std::string& path, uint64_t offset, bool unterminated, Fn&& on_line) {
  std::string buf;  // read from offset on, not yet passed
  std::string chunk(64 * 1024, '\0');
  for (;;) {
    ssize_t n = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(offset + buf.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read {}", path);
    if (n == 0) break;
    buf.append(chunk.data(), static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1)
      on_line(std::string_view(buf).substr(start, nl - start));
    buf.erase(0, start);
    offset += start;
  }
  if (unterminated && !buf.empty()) {
    on_line(std::string_view(buf));
    offset += buf.size();
  }
  return offset;
}

// Where to start reading so that n lines are left, found from the end
// backwards as Podman's getTailLog does: a line is an F record with the P
// records before it, and the last record counts as a line even when it is P.
uint64_t tail_start(int fd, const std::string& path, size_t n) {
  struct stat st;
  if (::fstat(fd, &st) < 0) throw_errno("stat {}", path);
  auto size = static_cast<uint64_t>(st.st_size);
  if (n == 0) return size;
  constexpr uint64_t kBlock = 64 * 1024;
  std::string buf;  // the file from base to end
  uint64_t base = size;
  uint64_t end = size;  // the lines from end on are counted
  size_t count = 0;
  bool last = true;
  while (end > 0) {
    // The line that ends at end starts after the newline before its last byte.
    uint64_t start;
    for (;;) {
      size_t search = end - base > 0 ? static_cast<size_t>(end - base - 1) : 0;
      size_t nl = search == 0 ? std::string::npos : buf.rfind('\n', search - 1);
      if (nl != std::string::npos) {
        start = base + nl + 1;
        break;
      }
      if (base == 0) {
        start = 0;
        break;
      }
      uint64_t len = std::min(kBlock, base);
      base -= len;
      std::string block(static_cast<size_t>(len), '\0');
      pread_exact(fd, path, block.data(), block.size(), base);
      buf.insert(0, block);
    }
    std::string_view line(buf.data() + (start - base), static_cast<size_t>(end - start));
    if (auto r = parse_log_line(line)) {
      if (!r->partial || last) ++count;
      last = false;
      if (count > n) return end;
    }
    end = start;
    buf.resize(static_cast<size_t>(end - base));
  }
  return 0;
}

// Joins the P records of each stream with the record that ends their line,
// filters lines by time and hands them to the callback.
class LineAssembler {
 public:
  LineAssembler(const LogReadOptions& options, const LogCallback& callback)
      : options_(options), callback_(callback) {}

  void add(LogRecord&& r) {
    Line& line = lines_[index(r.stream)];
    if (!line.open) {
      // A line has the time of its first piece: the time `podman logs -t`
      // prints at its start.
      line.open = true;
      line.time = r.time;
      line.shown = wanted(r.time);
    }
    if (line.shown) line.text += r.text;
    if (!r.partial) {
      emit(r.stream, line, true);
      line = Line{};
    } else if (line.text.size() >= kJoinMax) {
      emit(r.stream, line, false);  // the rest of the line follows without prefix
    }
  }

  // Hands out lines the log ended in the middle of, without newline.
  void finish() {
    for (LogStream s : {LogStream::Stdout, LogStream::Stderr}) {
      Line& line = lines_[index(s)];
      if (line.open) emit(s, line, false);
      line = Line{};
    }
  }

 private:
  // Longest joined text held back: output without newlines must not grow
  // without bound.
  static constexpr size_t kJoinMax = 1024 * 1024;

  struct Line {
    bool open = false;
    bool shown = false;    // passed since/until
    bool started = false;  // part of it was handed out already
    system_clock::time_point time;
    std::string text;
  };

  bool wanted(system_clock::time_point t) const {
    if (options_.since && !(t > *options_.since)) return false;
    if (options_.until && !(t < *options_.until)) return false;
    return true;
  }

  void emit(LogStream s, Line& line, bool full) {
    if (!line.shown) return;
    std::string out;
    if (options_.timestamps && !line.started) out = format_log_timestamp(line.time) + " ";
    out += line.text;
    if (full) out += '\n';
    line.text.clear();
    line.started = true;
    if (!out.empty()) callback_(s, out);
  }

  const LogReadOptions& options_;
  const LogCallback& callback_;
  Line lines_[2];
};

UniqueFd open_for_reading(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd && errno != ENOENT) throw_errno("open {}", path);
  return fd;
}

// Wakes the follower when something in the log's directory changes (the log
// is written, or a new one renamed over it), at the latest after 250 ms; polls
// every 100 ms where inotify cannot watch the directory.
class DirWatch {
 public:
  explicit DirWatch(const std::string& path) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    fd_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    constexpr uint32_t kMask = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE;
    if (fd_ && ::inotify_add_watch(fd_.get(), dir.c_str(), kMask) < 0) {
      log::debug("watch {}: {}; polling the log instead", dir, std::strerror(errno));
      fd_.reset();
    }
  }

  void wait() {
    if (!fd_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return;
    }
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 250) <= 0) return;
    alignas(inotify_event) char buf[4096];
    while (::read(fd_.get(), buf, sizeof buf) > 0) {
    }
  }

 private:
  UniqueFd fd_;
};

}  // namespace

std::string format_log_line(const LogRecord& record) {
  return fmt::format("{} {} {} {}\n", format::rfc3339_local(record.time, true, false), stream_name(record.stream),
                     record.partial ? 'P' : 'F', record.text);
}

std::optional<LogRecord> parse_log_line(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  // Podman splits on blanks and wants at least four fields.
  size_t a = line.find(' ');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = line.find(' ', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  size_t c = line.find(' ', b + 1);
  if (c == std::string_view::npos) return std::nullopt;
  LogRecord r;
  std::string_view stream = line.substr(a + 1, b - a - 1);
  if (stream == "stdout")
    r.stream = LogStream::Stdout;
  else if (stream == "stderr")
    r.stream = LogStream::Stderr;
  else
    return std::nullopt;
  std::string_view tag = line.substr(b + 1, c - b - 1);
  if (tag != "F" && tag != "P") return std::nullopt;
  r.partial = tag == "P";
  try {
    r.time = format::parse_rfc3339(line.substr(0, a));
  } catch (const Error&) {
    return std::nullopt;
  }
  r.text = std::string(line.substr(c + 1));
  return r;
}

LogWriter::LogWriter(std::string path, uint64_t max_size) : path_(std::move(path)), max_size_(max_size) {
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) throw_errno("open {}", path_);
  struct stat st;
  if (::fstat(fd_.get(), &st) < 0) throw_errno("stat {}", path_);
  // conmon counts from 0 whatever the file holds; counting what is there
  // keeps a restarted container's log within max-size as well.
  size_ = static_cast<uint64_t>(st.st_size);
}

LogWriter::~LogWriter() {
  try {
    flush();
  } catch (const Error& e) {
    log::warn("{}", e.what());
  }
}

void LogWriter::append_record(std::string& batch, std::string_view stamp, LogStream stream, bool partial,
                              std::string_view text) {
  std::string_view name = stream_name(stream);
  size_t len = stamp.size() + 1 + name.size() + 3 + text.size() + 1;
  // conmon (write_k8s_log) restarts the log when the next record would take
  // it past the limit; a record larger than the limit still gets written.
  if (max_size_ > 0 && size_ + batch.size() > 0 && size_ + batch.size() + len > max_size_) {
    write_batch(batch);
    restart();
  }
  batch.reserve(batch.size() + len);
  batch += stamp;
  batch += ' ';
  batch += name;
  batch += partial ? " P " : " F ";
  batch += text;
  batch += '\n';
}

void LogWriter::write_batch(std::string& batch) {
  // One write(2) for the batch: a reader sees whole records only (O_APPEND
  // regular-file writes are not split short of a full disk).
  std::string_view rest = batch;
  while (!rest.empty()) {
    ssize_t n = ::write(fd_.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // A full disk must not stop the container (nor its monitor): its
      // output still reaches an attached terminal; the log misses it.
      if (!write_failed_)
        log::warn("the log {} misses output from now on (until it can be written again): {}", path_, std::strerror(errno));
      write_failed_ = true;
      break;
    }
    size_ += static_cast<uint64_t>(n);
    rest.remove_prefix(static_cast<size_t>(n));
  }
  batch.clear();
}

void LogWriter::restart() {
  // As conmon's reopen_k8s_file: an empty PATH.tmp renamed over the log, so
  // that a reader opening the path sees the old log whole or the new one.
  std::string tmp = path_ + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) throw_errno("open {}", tmp);
  if (::rename(tmp.c_str(), path_.c_str()) < 0) throw_errno("rename {} to {}", tmp, path_);
  fd_ = std::move(fd);
  size_ = 0;
}

void LogWriter::write(LogStream stream, std::string_view bytes) {
  if (bytes.empty()) return;
  // One time for all records of one read, as conmon does.
  std::string stamp = format::rfc3339_local(system_clock::now(), true, false);
  std::string& tail = tail_[index(stream)];
  std::string batch;
  auto append_line = [&](std::string_view line) {
    while (line.size() > kLogRecordMax) {
      append_record(batch, stamp, stream, true, line.substr(0, kLogRecordMax));
      line.remove_prefix(kLogRecordMax);
    }
    append_record(batch, stamp, stream, false, line);
  };
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) {
      tail.append(bytes.substr(pos));
      break;
    }
    if (tail.empty()) {
      append_line(bytes.substr(pos, nl - pos));
    } else {
      tail.append(bytes.substr(pos, nl - pos));
      append_line(tail);
      tail.clear();
    }
    pos = nl + 1;
  }
  size_t done = 0;
  while (tail.size() - done > kLogRecordMax) {
    append_record(batch, stamp, stream, true, std::string_view(tail).substr(done, kLogRecordMax));
    done += kLogRecordMax;
  }
  tail.erase(0, done);
  write_batch(batch);
}

void LogWriter::flush() {
  if (tail_[0].empty() && tail_[1].empty()) return;
  std::string stamp = format::rfc3339_local(system_clock::now(), true, false);
  std::string batch;
  for (LogStream s : {LogStream::Stdout, LogStream::Stderr}) {
    std::string& tail = tail_[index(s)];
    if (tail.empty()) continue;
    append_record(batch, stamp, s, true, tail);
    tail.clear();
  }
  write_batch(batch);
}

std::string format_log_timestamp(system_clock::time_point t) { return format::rfc3339_local(t, true, true); }

void read_log(const std::string& path, const LogReadOptions& options, const LogCallback& callback) {
  UniqueFd fd = open_for_reading(path);
  if (!fd) return;
  LineAssembler lines(options, callback);
  uint64_t start = options.tail ? tail_start(fd.get(), path, *options.tail) : 0;
  for_each_line(fd.get(), path, start, true, [&](std::string_view line) {
    if (auto r = parse_log_line(line)) lines.add(std::move(*r));
  });
  lines.finish();
}

void follow_log(const std::string& path, const LogReadOptions& options, const LogCallback& callback,
                const std::function<bool()>& keep_going) {
  LineAssembler lines(options, callback);
  auto on_line = [&](std::string_view line) {
    if (auto r = parse_log_line(line)) lines.add(std::move(*r));
  };
  DirWatch watch(path);
  UniqueFd fd = open_for_reading(path);
  // --tail applies to what the log holds when following starts; a log
  // created later is read whole.
  uint64_t offset = fd && options.tail ? tail_start(fd.get(), path, *options.tail) : 0;
  // Reads what was appended since the last call.
  auto read_new = [&] {
    if (!fd) {
      fd = open_for_reading(path);
      if (!fd) return;  // not created yet
      offset = 0;
    }
    for (;;) {
      struct stat st;
      if (::fstat(fd.get(), &st) < 0) throw_errno("stat {}", path);
      if (static_cast<uint64_t>(st.st_size) < offset) offset = 0;  // truncated
      offset = for_each_line(fd.get(), path, offset, false, on_line);
      struct stat now;
      if (::stat(path.c_str(), &now) < 0 || (now.st_ino == st.st_ino && now.st_dev == st.st_dev)) return;
      // Restarted: a new log renamed over the path. The writer is done with
      // the old one once the rename is visible; read its last records first.
      for_each_line(fd.get(), path, offset, false, on_line);
      fd = open_for_reading(path);
      offset = 0;
      if (!fd) return;
    }
  };
  for (;;) {
    // Asked before reading, so that everything written before keep_going()
    // turned false is still read.
    bool more = keep_going() && !(options.until && system_clock::now() >= *options.until);
    read_new();
    if (!more) break;
    watch.wait();
  }
  lines.finish();
}

}  // namespace cabin::runtime
