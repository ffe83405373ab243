// Push's gzip (storage/gzip.h): members of 1 MiB that zlib reads back as
// one stream, the same bytes for the same input however it is written, and
// each chunk compressed as its content deserves: random data stored, text
// without repeats Huffman-coded by the fast path whatever the level, text
// with repeats shrunk by libdeflate.
#include "storage/gzip.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>

using cabin::storage::GzipWriter;

namespace {

constexpr size_t kChunk = GzipWriter::kChunk;

// data written in pieces of `piece` bytes.
std::string gzip(int level, const std::string& data, size_t piece = 4096) {
  std::string out;
  GzipWriter::Sink sink = [&](const char* p, size_t n) { out.append(p, n); };
  GzipWriter w(level, sink);
  for (size_t i = 0; i < data.size(); i += piece) w.write(data.data() + i, std::min(piece, data.size() - i));
  w.finish();
  return out;
}

// What zlib makes of it, member after member; members counts them.
std::string gunzip(const std::string& gz, int& members) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 31) == Z_OK);
  std::string out;
  std::string buf(1 << 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  members = 0;
  while (z.avail_in > 0) {
    z.next_out = reinterpret_cast<Bytef*>(buf.data());
    z.avail_out = static_cast<uInt>(buf.size());
    int r = inflate(&z, Z_NO_FLUSH);
    REQUIRE((r == Z_OK || r == Z_STREAM_END));
    out.append(buf.data(), buf.size() - z.avail_out);
    if (r == Z_STREAM_END) {
      ++members;
      inflateReset(&z);
    }
  }
  inflateEnd(&z);
  return out;
}

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(g());
  return s;
}

// base64 of random bytes in 76-column lines: no repeats for LZ77 to find,
// 6 bits of 8 for Huffman to save.
std::string base64_text(size_t n, uint64_t seed) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937_64 g(seed);
  std::string s;
  while (s.size() < n) s.push_back(s.size() % 77 == 76 ? '\n' : abc[g() % 64]);
  return s;
}

std::string log_text(size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; ++i) s += "2026-12-07 level=info msg=\"request served\" status=200 id=" + std::to_string(i) + "\n";
  s.resize(n);
  return s;
}

}  // namespace

TEST_CASE("gzip members read back as the input, one per MiB") {
  int members = 0;
  for (size_t n : {size_t{0}, size_t{1}, kChunk - 1, kChunk, 3 * kChunk + 123}) {
    std::string data = log_text(n / 2) + random_bytes(n - n / 2, n);
    CHECK(gunzip(gzip(6, data), members) == data);
    CHECK(members == static_cast<int>(n == 0 ? 1 : (n + kChunk - 1) / kChunk));
  }
}

TEST_CASE("gzip output depends on the input only, not on how it was written") {
  std::string data = log_text(kChunk) + base64_text(kChunk, 1) + random_bytes(kChunk / 2, 2);
  std::string a = gzip(6, data, 4096);
  CHECK(gzip(6, data, 1000003) == a);
  CHECK(gzip(6, data, 3 * kChunk) == a);
}

TEST_CASE("gzip suits each chunk's content") {
  int members = 0;
  SECTION("random data is stored: framing only (gzip's 18 bytes and 5 per 64 KiB block)") {
    std::string data = random_bytes(2 * kChunk, 7);
    std::string gz = gzip(6, data);
    CHECK(gz.size() >= data.size());
    CHECK(gz.size() <= data.size() + 2 * (18 + 5 * 17));
    CHECK(gunzip(gz, members) == data);
  }
  SECTION("text without repeats is Huffman-coded by the fast path, the same at every level") {
    std::string data = base64_text(2 * kChunk, 3);
    std::string gz = gzip(1, data);
    CHECK(gz.size() < data.size() * 80 / 100);
    CHECK(gzip(9, data) == gz);
    CHECK(gunzip(gz, members) == data);
  }
  SECTION("text with repeats goes to libdeflate at the level asked for") {
    std::string data = log_text(2 * kChunk);
    std::string gz1 = gzip(1, data), gz9 = gzip(9, data);
    CHECK(gz9.size() < data.size() / 10);
    CHECK(gz9 != gz1);
    CHECK(gunzip(gz9, members) == data);
    CHECK(gunzip(gz1, members) == data);
  }
  SECTION("a chunk whose start is random but whose end compresses is compressed") {
    std::string data = random_bytes(kChunk / 2, 5) + log_text(kChunk / 2);
    std::string gz = gzip(6, data);
    CHECK(gz.size() < data.size() * 6 / 10);
    CHECK(gunzip(gz, members) == data);
  }
  SECTION("after a chunk libdeflate did not shrink, chunks go to the fast path until every kRetry-th") {
    std::string data = base64_text(kChunk, 4) + log_text((GzipWriter::kRetry - 1) * kChunk);
    CHECK(gzip(9, data) == gzip(1, data));
    data += log_text(kChunk);
    std::string gz9 = gzip(9, data);
    CHECK(gz9 != gzip(1, data));
    CHECK(gunzip(gz9, members) == data);
  }
  SECTION("level 0 stores everything") {
    std::string data = log_text(kChunk + 5);
    std::string gz = gzip(0, data);
    CHECK(gz.size() >= data.size());
    CHECK(gunzip(gz, members) == data);
  }
}
