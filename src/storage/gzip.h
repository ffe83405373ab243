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
// the chunk, or neither its first nor its last 32 KiB shrink (random or
// already compressed data). After a chunk where libdeflate did not pay,
// the next kRetry - 1 chunks that shrink go to ISA-L untried (runs of
// similar data are the rule in a layer). Level 0 stores everything. The
// choice depends on the input alone.

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

  static constexpr size_t kChunk = 1 << 20, kSample = 32 << 10, kRetry = 8;

 private:
  struct Free {
    void operator()(libdeflate_compressor* c) const;
  };
  using Compressor = std::unique_ptr<libdeflate_compressor, Free>;
  static Compressor make(int level);
  enum class Way { store, fast, deflate };
  size_t isal(size_t from, size_t n, bool gzip);
  Way choose();
  void emit(libdeflate_compressor* c);
  void flush();

  Compressor c_, store_;
  const Sink& out_;
  int level_;
  std::vector<uint8_t> isal_buf_;
  std::string in_;
  std::vector<char> buf_;
  size_t skip_deflate_ = 0;
  bool wrote_ = false;
};

}  // namespace cabin::storage
