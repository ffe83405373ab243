#include "storage/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "rootless/userns.h"
#include "storage/tarsplit.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/log.h"

namespace cabin::storage {
namespace {

constexpr size_t kBufSize = 256 * 1024;

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

// The compressed side: reads the stream, hashes every byte (unless told
// the bytes are the tar's, which is hashed anyway).
struct RawSource {
  const LayerReader& in;
  Sha256 hash;
  bool hashing = true;
  std::vector<char> buf = std::vector<char>(kBufSize);

  // The next bytes into buf (0 at the end); -1 with errno set.
  ssize_t next() {
    ssize_t n;
    do n = in(buf.data(), buf.size());
    while (n < 0 && errno == EINTR);
    if (n > 0 && hashing) hash.update(buf.data(), static_cast<size_t>(n));
    return n;
  }
  static la_ssize_t read(archive* a, void* self, const void** out) {
    auto* s = static_cast<RawSource*>(self);
    ssize_t n = s->next();
    if (n < 0) {
      archive_set_error(a, errno, "read layer: %s", std::strerror(errno));
      return -1;
    }
    *out = s->buf.data();
    return n;
  }
  // Reads (and hashes) what is left.
  void drain() {
    while (next() > 0) {
    }
  }
};

// The uncompressed side: pulls decompressed bytes from the raw reader, hashes them.
struct TarSource {
  archive* decompressor;
  TarSplitWriter* split;
  Sha256 hash;
  std::vector<char> buf = std::vector<char>(kBufSize);
  bool eof = false;

  static la_ssize_t read(archive* a, void* self, const void** out) {
    auto* s = static_cast<TarSource*>(self);
    if (s->eof) return 0;
    la_ssize_t n = archive_read_data(s->decompressor, s->buf.data(), s->buf.size());
    if (n < 0) {
      const char* why = archive_error_string(s->decompressor);
      archive_set_error(a, archive_errno(s->decompressor), "%s",
                        why ? why : "the compressed data is corrupt or truncated");
      return -1;
    }
    if (n == 0) s->eof = true;
    s->hash.update(s->buf.data(), static_cast<size_t>(n));
    s->split->feed(s->buf.data(), static_cast<size_t>(n));
    *out = s->buf.data();
    return n;
  }
};

std::string archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown archive error";
}

}  // namespace

ExtractOptions default_extract_options() {
  ExtractOptions o;
  const auto& state = rootless::userns_state();
  o.chown = !state.entered || !state.mapping.single_id();
  o.warn = [](std::string_view msg) { log::warn("{}", msg); };
  return o;
}

namespace {

UnpackResult unpack_from(RawSource& raw, const Store::Staging& staging, const ExtractOptions& options,
                         std::string_view expected_digest) {
  ArchivePtr decompressor(archive_read_new());
  archive_read_support_filter_gzip(decompressor.get());
  archive_read_support_filter_zstd(decompressor.get());
  archive_read_support_format_raw(decompressor.get());
  if (archive_read_open(decompressor.get(), &raw, nullptr, &RawSource::read, nullptr) != ARCHIVE_OK)
    fail("read layer: {}", archive_message(decompressor.get()));
  archive_entry* entry = nullptr;
  int r = archive_read_next_header(decompressor.get(), &entry);
  if (r != ARCHIVE_OK) fail("read layer: {}", r == ARCHIVE_EOF ? "layer is empty" : archive_message(decompressor.get()));
  // An uncompressed stream is the tar: its digest is the diff ID, hashed
  // on the other side. (A digest to check it against keeps both, so that a
  // stream that is not a tar is still named by its own digest.)
  bool plain = archive_filter_code(decompressor.get(), 0) == ARCHIVE_FILTER_NONE;
  if (plain && expected_digest.empty()) raw.hashing = false;

  TarSplitWriter split(fs::join(staging.path(), kTarSplitFile));
  TarSource tar_src{decompressor.get(), &split};
  ArchivePtr tar(archive_read_new());
  archive_read_support_format_tar(tar.get());
  archive_read_support_format_gnutar(tar.get());
  if (archive_read_open(tar.get(), &tar_src, nullptr, &TarSource::read, nullptr) != ARCHIVE_OK)
    fail("read layer: {}", archive_message(tar.get()));

  UniqueFd root(::open(staging.diff_dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open {}", staging.diff_dir());

  // Where a file's data starts: the reader has consumed its header(s) and
  // nothing of the data yet.
  ExtractOptions opts = options;
  opts.on_entry = [&](const std::string& path, archive_entry* e, bool data) {
    bool plain = data && archive_entry_size_is_set(e) && archive_entry_sparse_count(e) == 0;
    split.entry(path, e && archive_entry_filetype(e) == AE_IFDIR, plain ? archive_filter_bytes(tar.get(), 0) : 0,
                plain ? archive_entry_size(e) : 0);
  };
  UnpackResult result;
  result.extract = extract_layer(tar.get(), root.get(), opts);

  // The tar's end-of-archive marker may come before the end of the stream:
  // hash the rest of the decompressed data, then the rest of the raw bytes.
  const void* ignored;
  while (TarSource::read(tar.get(), &tar_src, &ignored) > 0) {
  }
  raw.drain();
  split.finish();
  result.size = tar_src.hash.bytes();
  result.diff_id = tar_src.hash.finish();
  result.compressed_size = raw.hashing ? raw.hash.bytes() : result.size;
  result.compressed_digest = raw.hashing ? raw.hash.finish() : result.diff_id;
  return result;
}

}  // namespace

UnpackResult unpack_layer(const LayerReader& in, const Store::Staging& staging, const ExtractOptions& options,
                          std::string_view expected_digest) {
  RawSource raw{in};
  try {
    return unpack_from(raw, staging, options, expected_digest);
  } catch (const Error&) {
    // Bytes that are not what the manifest promised explain any failure to
    // decompress or parse them better than the failure itself.
    if (!expected_digest.empty()) {
      raw.drain();
      std::string got = raw.hash.finish();
      if (got != expected_digest)
        fail("the blob's digest is {}, not {} as the manifest says", got, expected_digest);
    }
    throw;
  }
}

}  // namespace cabin::storage
