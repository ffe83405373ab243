// Layer unpacking (storage/unpack.h): the input is a layer blob (tar, gzip
// or zstd, as a registry serves it), unpacked into a staged layer of a
// temporary store as pull does, then rebuilt from its tar-split record as
// push does. Runs as nobody when started as root (fuzz.h drop_root).
//
// Oracles besides the sanitizers: nothing appears in the scratch directory
// outside the store (an entry that escaped the layer's root), and a layer
// whose record says it matches its files rebuilds into its diff ID.
#include <algorithm>

#include "config/paths.h"
#include "fuzz.h"
#include "storage/store.h"
#include "storage/tarsplit.h"
#include "storage/unpack.h"
#include "util/digest.h"

using namespace cabin;

namespace {

storage::Store& store() {
  static storage::Store s{config::StorePaths{fuzz::scratch() + "/root", fuzz::scratch() + "/run", "vfs"}};
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::drop_root();
  fuzz::quiet();
  (void)store();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::refused_ok([&] {
    auto staging = store().stage_layer();
    size_t at = 0;
    auto read = [&](char* buf, size_t n) -> ssize_t {
      size_t k = std::min(n, size - at);
      std::memcpy(buf, data + at, k);
      at += k;
      return static_cast<ssize_t>(k);
    };
    storage::ExtractOptions options;
    options.chown = false;
    auto r = storage::unpack_layer(read, staging, options);
    std::string why;
    if (storage::verify_layer_content(staging.path(), r.diff_id, &why) == storage::LayerContent::Matches) {
      Sha256 h;
      bool whole = storage::write_layer_tar(staging.path(), [&](const char* p, size_t n) { h.update(p, n); });
      if (whole && h.finish() != r.diff_id) {
        std::fprintf(stderr, "fuzz: the layer's record rebuilds into another tar than %s\n", r.diff_id.c_str());
        std::abort();
      }
    }
  });
  auto entries = fs::list_dir(fuzz::scratch());
  std::sort(entries.begin(), entries.end());
  if (std::any_of(entries.begin(), entries.end(), [](const std::string& e) { return e != "root" && e != "run"; })) {
    std::fprintf(stderr, "fuzz: something was written outside the store: %s\n",
                 fmt::format("{}", fmt::join(entries, " ")).c_str());
    std::abort();
  }
  return 0;
}
