// Tar streams of directory trees, for cp and export: written from an open
// directory without following any symlink, unpacked with the layer
// extractor (nothing outside the target directory is touched). Implemented
// in cabin-remote.so (libarchive), see storage/remote.h.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/extract.h"

namespace cabin::storage {

struct TarTree {
  int parent_fd = -1;    // the tree is parent_fd/name, never followed if a symlink
  std::string name;
  std::string arcname;   // its name in the tar; empty: only what the directory holds
  std::optional<std::pair<uid_t, gid_t>> owner;  // every entry's owner instead of the file's
  bool one_filesystem = false;  // no descent into directories of other filesystems
  // The tree is an overlay's upper layer: its whiteouts (0/0 character
  // devices) and opaque directories (the overlay.opaque xattr) are written as
  // OCI layers have them (.wh.NAME, .wh..wh..opq).
  bool overlay_upper = false;
  // Entries (by their name in the tar) left out, and not descended into.
  std::function<bool(const std::string& arcname, const struct stat&)> skip;
  std::optional<mode_t> mode;    // every entry's permission bits (not symlinks') instead of the file's
  std::optional<time_t> mtime;   // every entry's mtime, no atime or ctime (reproducible builds)
  // Instead of parent_fd/name: the entries of a tar (any compression) read
  // from this fd, written under arcname (an ADDed archive). Names that would
  // climb out of arcname are kept below it.
  int archive_fd = -1;
  // Written after the tree as OCI whiteouts (".wh.NAME"): what a squashed
  // layer deletes from the layers under it.
  std::vector<std::string> whiteouts;
};

// Writes the tree as a tar (pax) to out_fd. Throws Error.
void write_tree_tar(int out_fd, const TarTree& tree);
// Writes the trees, one after the other, as one tar.
void write_trees_tar(int out_fd, const std::vector<TarTree>& trees);

// A regular file of a tar: its data in memory, or written by stream (as
// size bytes exactly) when the tar gets to it.
struct TarEntry {
  std::string name;
  std::string data;
  uint64_t size = 0;
  std::function<void(const std::function<void(const char*, size_t)>& sink)> stream;
};
// Writes the entries (0644, their directories 0755, owner 0:0) as one tar.
void write_tar_entries(int out_fd, const std::vector<TarEntry>& entries);

// Reads a tar (any compression) from in_fd entry by entry: fn gets each
// entry's header and a read function for its data (0 at its end), on the
// caller's thread; what fn leaves unread is skipped. Throws Error for an
// input that is not a tar or is cut short.
struct TarEntryInfo {
  std::string name;
  char type = 'o';   // 'f' regular file, 'd' directory, 'l' symlink, 'h' hardlink, 'o' other
  std::string link;  // a link's target
  uint64_t size = 0;
};
using TarRead = std::function<size_t(char* buf, size_t n)>;
void for_each_tar_entry(int in_fd, const std::function<void(const TarEntryInfo&, const TarRead&)>& fn);

// Whether the file on fd is an archive libarchive can unpack (by content,
// as Docker's ADD decides), not a plain file; seeks fd back to 0.
bool is_archive(int fd);

// Unpacks a tar (any compression) from in_fd into the directory dir_fd.
void extract_tar_fd(int in_fd, int dir_fd, const ExtractOptions& options);

}  // namespace cabin::storage
