// A layer's tar without its file contents ("tar-split", as containers/storage
// keeps one): every byte of the uncompressed tar except the data of regular
// files, which stay in the unpacked layer. With it, `system check` rebuilds
// the exact tar from the layer directory and compares its digest with the
// layer's diff ID, so a file changed, truncated or lost since the layer was
// unpacked is found. Stored gzip-compressed as layers/HEX/tar-split.gz
// (headers are mostly zeros: a few hundred bytes a file become a few dozen).
// Implemented in cabin-remote.so (libarchive), see storage/remote.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace cabin::storage {

inline constexpr std::string_view kTarSplitFile = "tar-split.gz";

// Fed every byte of the uncompressed tar in order (feed), and told which
// ranges are the data of regular files written to the layer (file, in tar
// order, before their data is fed past). A file's data is taken from disk
// only if no later entry replaces or removes that path; a layer where one
// does (a tar with duplicate entries) gets no record, and is not checked.
class TarSplitWriter {
 public:
  explicit TarSplitWriter(std::string path);
  ~TarSplitWriter();
  TarSplitWriter(const TarSplitWriter&) = delete;
  TarSplitWriter& operator=(const TarSplitWriter&) = delete;

  void feed(const char* data, size_t n);
  // An entry at path (relative to the layer root); directory: it keeps what
  // is below path; data_offset/data_size: where in the tar its data is, for
  // a regular file whose data is written there (else size 0).
  void entry(std::string_view path, bool directory, uint64_t data_offset, uint64_t data_size);
  // Writes the record (or, when the layer cannot be checked, nothing).
  void finish();

 private:
  void flush_segment(uint64_t upto);
  void write_record(std::string_view path, uint64_t size);

  struct Output;
  std::string path_;
  std::unique_ptr<Output> out_;
  bool valid_ = true;
  uint64_t frontier_ = 0;    // bytes fed so far
  uint64_t pending_at_ = 0;  // stream offset of pending_[0]
  uint64_t skip_until_ = 0;  // bytes before this offset are file data
  std::string pending_;      // fed bytes not yet known to be skeleton or data
  std::string segment_;      // skeleton bytes since the last record
  std::set<std::string, std::less<>> files_;
};

using ByteSink = std::function<void(const char* data, size_t n)>;

enum class LayerContent { Matches, Differs, Unrecorded };

// Rebuilds the tar of the layer directory layer_dir (holding diff/ and
// tar-split.gz) and compares its digest with diff_id. why: what differs.
LayerContent verify_layer_content(const std::string& layer_dir, std::string_view diff_id, std::string* why);

// Streams the layer's exact tar (the one its diff ID names), rebuilt from
// its record and files, to sink; false when the layer has no record.
// Throws naming a file that changed since the layer was unpacked.
bool write_layer_tar(const std::string& layer_dir, const ByteSink& sink);

}  // namespace cabin::storage
