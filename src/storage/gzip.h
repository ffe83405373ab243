#pragma once
// Push's gzip: a layer's tar compressed as a series of gzip members of up to
// 1 MiB of input each (RFC 1952 allows any number; Go's, zlib's and
// libarchive's readers take them all). The same input always gives the same
// bytes, so a layer pushed twice is the same blob.
//
// Each chunk goes to the compressor that suits it, judged on a 32 KiB
// sample (deflate's window): libdeflate at the level asked for where its matches make the
// sample 3 % smaller than ISA-L's fastest level does (binaries, text with
// repeats); ISA-L's level 1, about ten times libdeflate's speed, where they
// do not (random-looking text, where both come down to the same Huffman
// code); stored, at the speed of a copy, where even that does not shrink
// the chunk (random or already compressed data). Level 0 stores everything.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct libdeflate_compressor;

namespace cabin::storage {

class GzipWriter {
 public:
  using Sink = std::function<void(const char*, size_t)>;
  // level: 0-9, as zlib's; out receives the compressed bytes and must
  // outlive the writer.
  GzipWriter(int level, const Sink& out);
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  void write(const char* p, size_t n);
  // Writes what is left (an empty member when nothing was written at all).
  void finish();

  static constexpr size_t kChunk = 1 << 20, kSample = 32 << 10;

 private:
  struct Free {
    void operator()(libdeflate_compressor* c) const;
  };
  using Compressor = std::unique_ptr<libdeflate_compressor, Free>;
  static Compressor make(int level);
  size_t isal(size_t n, bool gzip);
  bool deflate_pays();
  void emit(libdeflate_compressor* c);
  void flush();

  Compressor c_, store_;
  const Sink& out_;
  int level_;
  std::vector<uint8_t> isal_buf_;
  std::string in_;
  std::vector<char> buf_;
  bool wrote_ = false;
};

}  // namespace cabin::storage
