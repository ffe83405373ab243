#include "storage/tarsplit.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"

// The record, gzip-compressed: a sequence of
//   u64 n, n bytes of the tar, u32 m, m bytes of a path, u64 size
// (little-endian): the tar's bytes up to a file's data, then the file whose
// first size bytes are that data. m = 0: no file (the last record, or a long
// run of bytes written before the next file is known).

namespace cabin::storage {
namespace {

constexpr std::string_view kMagic = "cabin-tar-split 1\n";
constexpr size_t kMaxSegment = 1 << 20;
// More than libarchive reads ahead of the entry it has parsed.
constexpr size_t kReadAhead = 4 << 20;

std::string archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown archive error";
}

template <typename T>
void put(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
}

}  // namespace

struct TarSplitWriter::Output {
  UniqueFd fd;
  archive* a = nullptr;
  ~Output() {
    if (a) archive_write_free(a);
  }
  void write(std::string_view bytes) {
    if (bytes.empty()) return;
    if (archive_write_data(a, bytes.data(), bytes.size()) < 0) fail("write layer record: {}", archive_message(a));
  }
};

TarSplitWriter::TarSplitWriter(std::string path) : path_(std::move(path)), out_(std::make_unique<Output>()) {
  out_->fd.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out_->fd) throw_errno("create {}", path_);
  out_->a = archive_write_new();
  archive* a = out_->a;
  // Level 1: headers are runs of zeros, which any level squeezes.
  if (archive_write_add_filter_gzip(a) != ARCHIVE_OK || archive_write_set_filter_option(a, "gzip", "compression-level", "1") != ARCHIVE_OK ||
      archive_write_set_format_raw(a) != ARCHIVE_OK || archive_write_open_fd(a, out_->fd.get()) != ARCHIVE_OK)
    fail("write {}: {}", path_, archive_message(a));
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
  archive_entry_set_filetype(e.get(), AE_IFREG);
  if (archive_write_header(a, e.get()) != ARCHIVE_OK) fail("write {}: {}", path_, archive_message(a));
  out_->write(kMagic);
}

TarSplitWriter::~TarSplitWriter() = default;

void TarSplitWriter::feed(const char* data, size_t n) {
  uint64_t start = frontier_;
  frontier_ += n;
  if (start < skip_until_) {
    uint64_t skip = std::min<uint64_t>(n, skip_until_ - start);
    data += skip;
    n -= skip;
    start += skip;
  }
  if (n == 0) return;
  if (pending_.empty()) pending_at_ = start;
  pending_.append(data, n);
  // Bytes well behind the reader's read-ahead are no file's data (a sparse
  // file's, say): keep memory bounded.
  if (pending_.size() > 2 * kReadAhead) flush_segment(frontier_ - kReadAhead);
}

void TarSplitWriter::flush_segment(uint64_t upto) {
  if (!pending_.empty() && upto > pending_at_) {
    size_t n = std::min<uint64_t>(upto - pending_at_, pending_.size());
    segment_.append(pending_, 0, n);
    pending_.erase(0, n);
    pending_at_ += n;
  }
  if (segment_.size() > kMaxSegment) write_record("", 0);
}

void TarSplitWriter::write_record(std::string_view path, uint64_t size) {
  std::string head;
  put<uint64_t>(head, segment_.size());
  out_->write(head);
  out_->write(segment_);
  segment_.clear();
  std::string tail;
  put<uint32_t>(tail, static_cast<uint32_t>(path.size()));
  tail.append(path);
  put<uint64_t>(tail, size);
  out_->write(tail);
}

void TarSplitWriter::entry(std::string_view path, bool directory, uint64_t data_offset, uint64_t data_size) {
  if (!valid_) return;
  // A path replaced or removed after its data was recorded, or a file used
  // as a directory: the tar cannot be rebuilt from what is on disk.
  std::string p(path);
  if (files_.count(p)) valid_ = false;
  for (size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1))
    if (files_.count(std::string_view(p).substr(0, slash))) valid_ = false;
  auto below = files_.lower_bound(p + "/");
  if (!directory && below != files_.end() && below->starts_with(p + "/")) valid_ = false;
  if (!valid_ || data_size == 0) return;
  if (data_offset < skip_until_ || (!pending_.empty() && data_offset < pending_at_) || data_offset > frontier_) {
    valid_ = false;  // never: data starts within what was fed and not yet decided
    return;
  }
  flush_segment(data_offset);
  write_record(path, data_size);
  uint64_t end = data_offset + data_size;
  if (frontier_ <= end) {
    pending_.clear();
  } else {
    pending_.erase(0, std::min<uint64_t>(end - pending_at_, pending_.size()));
    pending_at_ = end;
  }
  skip_until_ = end;
  files_.insert(std::move(p));
}

void TarSplitWriter::finish() {
  if (valid_ && frontier_ >= skip_until_) {
    segment_ += pending_;
    pending_.clear();
    write_record("", 0);
    if (archive_write_close(out_->a) != ARCHIVE_OK) fail("write {}: {}", path_, archive_message(out_->a));
    if (::fsync(out_->fd.get()) != 0) throw_errno("write {}", path_);
    return;
  }
  out_.reset();
  ::unlink(path_.c_str());
}

namespace {

// Sequential reads of the decompressed record.
class RecordReader {
 public:
  explicit RecordReader(archive* a) : a_(a) {}
  // false at a clean end before the first byte; throws on a short read.
  bool read(void* out, size_t n, bool eof_ok = false) {
    auto* p = static_cast<char*>(out);
    size_t got = 0;
    while (got < n) {
      la_ssize_t r = archive_read_data(a_, p + got, n - got);
      if (r < 0) fail("read the layer record: {}", archive_message(a_));
      if (r == 0) {
        if (got == 0 && eof_ok) return false;
        fail("read the layer record: it is truncated");
      }
      got += static_cast<size_t>(r);
    }
    return true;
  }
  template <typename T>
  T get(bool eof_ok = false, bool* eof = nullptr) {
    unsigned char b[sizeof(T)];
    if (!read(b, sizeof b, eof_ok)) {
      if (eof) *eof = true;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
    return static_cast<T>(v);
  }
  void copy(uint64_t n, const ByteSink& sink) {
    char buf[65536];
    while (n > 0) {
      size_t k = std::min<uint64_t>(n, sizeof buf);
      read(buf, k);
      sink(buf, k);
      n -= k;
    }
  }

 private:
  archive* a_;
};

int open_in_root(int root, const std::string& path) {
  open_how how{};
  how.flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  while (true) {
    long fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return static_cast<int>(fd);
  }
}

// The first size bytes of path (in root) to sink; "" or why not.
std::string copy_file(int root, const std::string& path, uint64_t size, const ByteSink& sink) {
  UniqueFd fd(open_in_root(root, path));
  if (!fd) return fmt::format("{} {}", path, errno == ENOENT ? "is missing" : fmt::format("cannot be opened: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return fmt::format("{} is no longer a regular file", path);
  if (static_cast<uint64_t>(st.st_size) != size)
    return fmt::format("{} is {} bytes long, not {}", path, st.st_size, size);
  char buf[1 << 16];
  while (size > 0) {
    ssize_t n = ::read(fd.get(), buf, std::min<uint64_t>(size, sizeof buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fmt::format("{} cannot be read: {}", path, n < 0 ? std::strerror(errno) : "it is shorter than it says");
    sink(buf, static_cast<size_t>(n));
    size -= static_cast<uint64_t>(n);
  }
  return "";
}

// The layer's tar rebuilt to sink; "" or what differs from the record.
std::string rebuild_tar(const std::string& layer_dir, int rec_fd, const ByteSink& sink) {
  UniqueFd root(::open(fs::join(layer_dir, "diff").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open {}", fs::join(layer_dir, "diff"));
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_raw(a.get());
  archive_entry* e = nullptr;
  if (archive_read_open_fd(a.get(), rec_fd, 1 << 16) != ARCHIVE_OK || archive_read_next_header(a.get(), &e) != ARCHIVE_OK)
    fail("read {}: {}", fs::join(layer_dir, kTarSplitFile), archive_message(a.get()));
  RecordReader in(a.get());
  std::string magic(kMagic.size(), '\0');
  if (!in.read(magic.data(), magic.size(), true) || magic != kMagic) fail("read the layer record: it is not one cabin wrote");
  while (true) {
    bool eof = false;
    auto skeleton = in.get<uint64_t>(true, &eof);
    if (eof) break;
    in.copy(skeleton, sink);
    auto len = in.get<uint32_t>();
    if (len > 1 << 20) fail("read the layer record: a path of {} bytes", len);
    std::string path(len, '\0');
    in.read(path.data(), len);
    auto size = in.get<uint64_t>();
    if (path.empty()) continue;
    std::string problem = copy_file(root.get(), path, size, sink);
    if (!problem.empty()) return problem;
  }
  return "";
}

UniqueFd open_record(const std::string& layer_dir) {
  UniqueFd rec(::open(fs::join(layer_dir, kTarSplitFile).c_str(), O_RDONLY | O_CLOEXEC));
  if (!rec && errno != ENOENT) throw_errno("open {}", fs::join(layer_dir, kTarSplitFile));
  return rec;
}

}  // namespace

LayerContent verify_layer_content(const std::string& layer_dir, std::string_view diff_id, std::string* why) {
  UniqueFd rec = open_record(layer_dir);
  if (!rec) return LayerContent::Unrecorded;
  Sha256 h;
  std::string problem = rebuild_tar(layer_dir, rec.get(), [&](const char* p, size_t n) { h.update(p, n); });
  if (!problem.empty()) {
    if (why) *why = problem;
    return LayerContent::Differs;
  }
  std::string got = h.finish();
  if (got == diff_id) return LayerContent::Matches;
  if (why) *why = "a file's content changed since it was unpacked (its tar rebuilt from the files does not match the diff ID)";
  return LayerContent::Differs;
}

bool write_layer_tar(const std::string& layer_dir, const ByteSink& sink) {
  UniqueFd rec = open_record(layer_dir);
  if (!rec) return false;
  if (auto problem = rebuild_tar(layer_dir, rec.get(), sink); !problem.empty())
    fail("the layer in {} changed since it was unpacked: {}", layer_dir, problem);
  return true;
}

}  // namespace cabin::storage
