// Unpacking one layer tar into a directory in overlay form, safely.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

struct archive;
struct archive_entry;

namespace cabin::storage {

struct ExtractOptions {
  // false with a single-id mapping: every file is owned by the current user,
  // and chown is not attempted.
  bool chown = true;
  // false: ".wh." names are plain files (cp into a container), not layer
  // whiteouts.
  bool whiteouts = true;
  // Called for non-fatal problems (a device node skipped, an xattr refused).
  std::function<void(std::string_view)> warn;
  // Called for each entry with its path relative to the root before it is
  // made (a whiteout: the path it removes, with a null entry); data: the
  // entry's data is written to that path (a regular file, not a hardlink).
  std::function<void(const std::string& path, struct archive_entry* entry, bool data)> on_entry;
};

struct ExtractResult {
  uint64_t entries = 0;
  uint64_t skipped_devices = 0;
  uint64_t chown_failures = 0;
};

// Reads every entry from an open libarchive reader (tar) and creates it under
// root_fd; an existing entry of the same name is replaced. OCI whiteouts become overlay's native form: ".wh.NAME" → a 0/0
// character device NAME, ".wh..wh..opq" → xattr user.overlay.opaque="y" on the
// directory. Modes (setuid too), owners, mtimes, xattrs where permitted,
// hardlinks and symlinks are kept; device nodes are skipped (warned) when
// mknod is not permitted. No entry can create or change anything outside
// root_fd: paths are resolved with openat2(RESOLVE_IN_ROOT), ".." that would
// climb above the root and hardlinks whose target lies outside are errors.
// Throws cabin::Error naming the entry.
ExtractResult extract_layer(struct archive* reader, int root_fd, const ExtractOptions& options);

}  // namespace cabin::storage
