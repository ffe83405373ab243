#include "storage/gzip.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <algorithm>

#include "util/error.h"

namespace cabin::storage {

void GzipWriter::Free::operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }

GzipWriter::Compressor GzipWriter::make(int level) {
  Compressor c(libdeflate_alloc_compressor(level));
  if (!c) fail("compress the layer: libdeflate has no compressor for level {}", level);
  return c;
}

GzipWriter::GzipWriter(int level, const Sink& out)
    : c_(make(level)), store_(make(0)), out_(out), level_(level), isal_buf_(ISAL_DEF_LVL1_DEFAULT) {
  in_.reserve(kChunk);
  // Room for any chunk's output, made once: resizing it per chunk would
  // clear the bytes each time.
  buf_.resize(std::max(libdeflate_gzip_compress_bound(c_.get(), kChunk), libdeflate_gzip_compress_bound(store_.get(), kChunk)));
}

GzipWriter::~GzipWriter() = default;

void GzipWriter::write(const char* p, size_t n) {
  while (n > 0) {
    size_t k = std::min(n, kChunk - in_.size());
    in_.append(p, k);
    p += k;
    n -= k;
    if (in_.size() == kChunk) flush();
  }
}

void GzipWriter::finish() {
  if (!in_.empty() || !wrote_) flush();
}

// ISA-L's level 1 of in_[from, from + n) into buf_ (raw deflate, or a gzip
// member); 0 when that does not fit in 98 % of n.
size_t GzipWriter::isal(size_t from, size_t n, bool gzip) {
  isal_zstream z;
  isal_deflate_stateless_init(&z);
  z.level = 1;
  z.level_buf = isal_buf_.data();
  z.level_buf_size = static_cast<uint32_t>(isal_buf_.size());
  z.gzip_flag = gzip ? IGZIP_GZIP : 0;
  z.end_of_stream = 1;
  z.flush = NO_FLUSH;
  z.next_in = reinterpret_cast<uint8_t*>(in_.data() + from);
  z.avail_in = static_cast<uint32_t>(n);
  z.next_out = reinterpret_cast<uint8_t*>(buf_.data());
  z.avail_out = static_cast<uint32_t>(n - n / 50);
  int r = isal_deflate_stateless(&z);
  if (r == STATELESS_OVERFLOW) return 0;
  if (r != COMP_OK) fail("compress the layer: ISA-L failed ({})", r);
  return z.total_out;
}

// How this chunk is best written, judged on samples of it.
GzipWriter::Way GzipWriter::choose() {
  if (level_ == 0) return Way::store;
  size_t n = std::min(in_.size(), kSample), from = 0;
  size_t fast = isal(0, n, false);
  if (fast == 0 && in_.size() >= 2 * kSample) {
    // The chunk's start does not shrink; nor, when its end does not
    // either, does the rest (random or compressed data): storing it saves
    // trying the whole chunk in vain.
    from = in_.size() - kSample;
    fast = isal(from, n, false);
  }
  if (fast == 0) return Way::store;
  // libdeflate's matches rarely pay on a chunk after one where they did
  // not: only every kRetry-th such chunk is tried again.
  if (skip_deflate_ > 0) {
    --skip_deflate_;
    return Way::fast;
  }
  if (libdeflate_deflate_compress(c_.get(), in_.data() + from, n, buf_.data(), fast - fast / 32) != 0)
    return Way::deflate;  // at least 3 % smaller than ISA-L's
  skip_deflate_ = kRetry - 1;
  return Way::fast;
}

void GzipWriter::emit(libdeflate_compressor* c) {
  size_t k = libdeflate_gzip_compress(c, in_.data(), in_.size(), buf_.data(), buf_.size());
  if (k == 0) fail("compress the layer: libdeflate failed");
  out_(buf_.data(), k);
}

void GzipWriter::flush() {
  switch (choose()) {
    case Way::deflate:
      emit(c_.get());
      break;
    case Way::fast:
      if (size_t k = isal(0, in_.size(), true)) {
        out_(buf_.data(), k);
        break;
      }
      [[fallthrough]];  // the samples shrank, the whole does not
    case Way::store:
      emit(store_.get());
      break;
  }
  in_.clear();
  wrote_ = true;
}

}  // namespace cabin::storage
