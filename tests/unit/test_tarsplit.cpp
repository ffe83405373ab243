// Layer records (storage/tarsplit.h): a layer unpacked from a tar is rebuilt
// from its directory and its record into the same bytes, whatever wrote the
// tar; a changed file is found; a tar that cannot be rebuilt gets no record.
#include "storage/tarsplit.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/store.h"
#include "storage/unpack.h"
#include "util/digest.h"
#include "util/fd.h"
#include "util/fs.h"

using namespace cabin;
using storage::LayerContent;

namespace {

struct Entry {
  std::string path;
  std::string data;
  unsigned type = AE_IFREG;
  std::string hardlink;
};

la_ssize_t append(archive*, void* out, const void* buf, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), size);
  return static_cast<la_ssize_t>(size);
}

std::string make_tar(const std::vector<Entry>& entries, int format, bool gzip = false) {
  std::string out;
  std::unique_ptr<archive, decltype(&archive_write_free)> w(archive_write_new(), archive_write_free);
  REQUIRE(archive_write_set_format(w.get(), format) == ARCHIVE_OK);
  if (gzip) REQUIRE(archive_write_add_filter_gzip(w.get()) == ARCHIVE_OK);
  REQUIRE(archive_write_open(w.get(), &out, nullptr, append, nullptr) == ARCHIVE_OK);
  for (const auto& s : entries) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_copy_pathname(e.get(), s.path.c_str());
    archive_entry_set_filetype(e.get(), s.type);
    archive_entry_set_perm(e.get(), s.type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_mtime(e.get(), 1700000000, 0);
    if (!s.hardlink.empty()) archive_entry_copy_hardlink(e.get(), s.hardlink.c_str());
    if (s.type == AE_IFLNK) archive_entry_copy_symlink(e.get(), s.data.c_str());
    bool data = s.type == AE_IFREG && s.hardlink.empty();
    archive_entry_set_size(e.get(), data ? static_cast<la_int64_t>(s.data.size()) : 0);
    REQUIRE(archive_write_header(w.get(), e.get()) == ARCHIVE_OK);
    if (data && !s.data.empty()) REQUIRE(archive_write_data(w.get(), s.data.data(), s.data.size()) == static_cast<la_ssize_t>(s.data.size()));
  }
  REQUIRE(archive_write_close(w.get()) == ARCHIVE_OK);
  return out;
}

std::string noise(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1103515245 + 12345;
    s[i] = static_cast<char>(seed >> 16);
  }
  return s;
}

// Unpacks tar as a staged layer; returns its directory (kept by t) and diff ID.
struct Unpacked {
  fs::TempDir dir{"/tmp", "cabin-tarsplit-test-"};
  storage::Store store{config::StorePaths{dir.path() + "/root", dir.path() + "/run", ""}};
  std::optional<storage::Store::Staging> staging;
  std::string diff_id;

  explicit Unpacked(const std::string& tar) {
    std::string file = dir.path() + "/layer.tar";
    fs::write_file_atomic(file, tar, 0600);
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd);
    staging.emplace(store.stage_layer());
    storage::ExtractOptions options;
    options.chown = false;
    diff_id = storage::unpack_layer_fd(fd.get(), *staging, options).diff_id;
  }
  LayerContent verify(std::string* why = nullptr) const { return storage::verify_layer_content(staging->path(), diff_id, why); }
  std::string in_diff(const std::string& rel) const { return staging->diff_dir() + "/" + rel; }
};

std::vector<Entry> sample() {
  std::vector<Entry> v;
  v.push_back({"etc", "", AE_IFDIR});
  v.push_back({"etc/hostname", "box\n"});
  v.push_back({"etc/empty", ""});
  v.push_back({"etc/link", "hostname", AE_IFLNK});
  v.push_back({"etc/hard", "", AE_IFREG, "etc/hostname"});
  v.push_back({"big", noise(3 << 20, 1)});        // beyond one read of the unpacker
  v.push_back({"bigger", noise(9 << 20, 2)});     // beyond the record's read-ahead bound
  v.push_back({std::string(150, 'n') + "/" + std::string(120, 'm'), "long name"});
  for (int i = 0; i < 300; ++i) v.push_back({fmt::format("many/f{}", i), noise(static_cast<size_t>(i * 37 % 1500), i)});
  v.push_back({"etc/.wh.gone", ""});
  return v;
}

}  // namespace

TEST_CASE("tarsplit: a layer is rebuilt into its diff ID, whatever wrote the tar", "[tarsplit]") {
  for (int format : {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FORMAT_TAR_USTAR}) {
    for (bool gz : {false, true}) {
      INFO("format " << format << " gzip " << gz);
      auto entries = sample();
      if (format == ARCHIVE_FORMAT_TAR_USTAR) entries.erase(entries.begin() + 7);  // no long names in ustar
      Unpacked u(make_tar(entries, format, gz));
      REQUIRE(fs::exists(u.staging->path() + "/tar-split.gz"));
      std::string why;
      CHECK(u.verify(&why) == LayerContent::Matches);
      CHECK(why.empty());
    }
  }
}

TEST_CASE("tarsplit: a changed, truncated or missing file is found", "[tarsplit]") {
  Unpacked u(make_tar(sample(), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED));
  std::string why;

  std::string big = fs::read_file(u.in_diff("big"));
  big[12345] ^= 1;
  fs::write_file_atomic(u.in_diff("big"), big, 0644);
  CHECK(u.verify(&why) == LayerContent::Differs);
  CHECK_THAT(why, Catch::StartsWith("a file's content changed since it was unpacked"));
  big[12345] ^= 1;
  fs::write_file_atomic(u.in_diff("big"), big, 0644);
  CHECK(u.verify() == LayerContent::Matches);

  REQUIRE(::truncate(u.in_diff("many/f7").c_str(), 3) == 0);
  CHECK(u.verify(&why) == LayerContent::Differs);
  CHECK(why == fmt::format("many/f7 is 3 bytes long, not {}", 7 * 37));

  REQUIRE(::unlink(u.in_diff("etc/hostname").c_str()) == 0);
  CHECK(u.verify(&why) == LayerContent::Differs);
  CHECK(why == "etc/hostname is missing");
}

TEST_CASE("tarsplit: a tar whose later entries replace files gets no record", "[tarsplit]") {
  Unpacked dup(make_tar({{"a", "first"}, {"a", "second"}}, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED));
  CHECK(fs::read_file(dup.in_diff("a")) == "second");
  CHECK_FALSE(fs::exists(dup.staging->path() + "/tar-split.gz"));
  CHECK(dup.verify() == LayerContent::Unrecorded);

  Unpacked gone(make_tar({{"d", "", AE_IFDIR}, {"d/f", "data"}, {"d", "now a file"}}, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED));
  CHECK(gone.verify() == LayerContent::Unrecorded);

  // A directory entry after its files keeps them: still recorded.
  Unpacked late_dir(make_tar({{"d/f", "data"}, {"d", "", AE_IFDIR}}, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED));
  CHECK(late_dir.verify() == LayerContent::Matches);
}
