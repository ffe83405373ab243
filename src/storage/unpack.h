// Streaming a (possibly compressed) layer tar into a staged layer, hashing the
// compressed and the uncompressed bytes on the way: no temporary copy.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>

#include "storage/extract.h"
#include "storage/store.h"

namespace cabin::storage {

struct UnpackResult {
  std::string compressed_digest;  // of every byte read from fd
  uint64_t compressed_size = 0;
  std::string diff_id;            // of the decompressed tar
  uint64_t size = 0;
  ExtractResult extract;
};

// Reads fd to its end: decompresses (gzip, zstd, or none, detected from the
// bytes), extracts the tar into staging.diff_dir(). Throws cabin::Error on a
// corrupt or truncated stream or a hostile entry. With expected_digest, a
// stream that fails to unpack is read to its end and, when its digest is not
// the expected one, the mismatch is reported instead.
//
// The stream comes from a reader: like read(2), the next bytes into buf (at
// most n), 0 at the end, -1 with errno set.
using LayerReader = std::function<ssize_t(char* buf, size_t n)>;
UnpackResult unpack_layer(const LayerReader& in, const Store::Staging& staging, const ExtractOptions& options,
                          std::string_view expected_digest = {});
inline UnpackResult unpack_layer_fd(int fd, const Store::Staging& staging, const ExtractOptions& options,
                                    std::string_view expected_digest = {}) {
  return unpack_layer([fd](char* buf, size_t n) { return ::read(fd, buf, n); }, staging, options, expected_digest);
}

// Extraction options for the current user namespace: chown only with a full
// mapping, warnings through log::warn.
ExtractOptions default_extract_options();

}  // namespace cabin::storage
