#include "storage/push.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "config/registries.h"
#include "image/manifest.h"
#include "registry/client.h"
#include "storage/gzip.h"
#include "storage/tarsplit.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/signals.h"

namespace cabin::storage {
namespace {

namespace media = image::media;

std::string short_hex(std::string_view digest) { return std::string(digest_hex(digest).substr(0, 12)); }

// A layer as the manifest names it.
struct Blob {
  std::string media_type;  // the OCI one; Docker's is derived
  std::string digest;
  uint64_t size = 0;
};

bool is_gzip(std::string_view mt) { return mt == media::kOciLayerGzip || mt == media::kDockerLayerGzip; }

// The compressed form of layer i that push can name without compressing:
// the blob it was pulled from (or one an earlier push made), in the
// compression asked for.
std::optional<Blob> known_blob(const LayerInfo& info, const PushOptions& o) {
  if (o.force_compression || info.compressed_digest.empty() || info.compressed_digest == info.diff_id) return {};
  bool gzip = is_gzip(info.media_type), zstd = info.media_type == media::kOciLayerZstd;
  if ((o.compression == "gzip" && !gzip) || (o.compression == "zstd" && !zstd)) return {};
  return Blob{std::string(gzip ? media::kOciLayerGzip : media::kOciLayerZstd), info.compressed_digest,
              info.compressed_size};
}

// The layer's tar compressed into an unnamed file in the store's tmp/,
// with the digests of both forms.
struct Compressed {
  UniqueFd fd;
  Blob blob;
};

using Writer = std::unique_ptr<archive, decltype(&archive_write_free)>;

// A raw (single stream) writer that compresses with zstd; throws for a
// level the compressor does not take. (gzip is GzipWriter's.)
Writer zstd_writer(const PushOptions& o) {
  Writer a(archive_write_new(), archive_write_free);
  archive_write_set_format_raw(a.get());
  archive_write_add_filter_zstd(a.get());
  if (o.compression_level)
    if (archive_write_set_filter_option(a.get(), nullptr, "compression-level",
                                        std::to_string(*o.compression_level).c_str()) != ARCHIVE_OK)
      fail("compression level {} is not valid for {}", *o.compression_level, o.compression);
  archive_write_set_bytes_in_last_block(a.get(), 1);
  return a;
}

// The compression level asked for, checked before anything is sent: gzip
// takes 0-9 (as zlib), zstd what libarchive's zstd filter takes.
void check_level(const PushOptions& o) {
  if (o.compression == "zstd") {
    zstd_writer(o);
  } else if (o.compression_level && (*o.compression_level < 0 || *o.compression_level > 9)) {
    fail("compression level {} is not valid for {}", *o.compression_level, o.compression);
  }
}

using Sink = std::function<void(const char*, size_t)>;

// The layer's tar, compressed, given to sink; the blob it makes.
Blob compress_to(const Store& store, const LayerInfo& info, const PushOptions& o, const Sink& sink,
                 const std::function<void(uint64_t)>& progress) {
  Sha256 hash;
  uint64_t size = 0;
  Sink out = [&](const char* p, size_t n) {
    hash.update(p, n);
    size += n;
    sink(p, n);
  };
  // zstd through libarchive's writer, gzip through GzipWriter.
  std::optional<GzipWriter> gzip;
  Writer a(nullptr, archive_write_free);
  if (o.compression == "gzip") {
    gzip.emplace(o.compression_level.value_or(6), out);
  } else {
    a = zstd_writer(o);
    auto write_cb = [](archive*, void* user, const void* buf, size_t n) -> la_ssize_t {
      try {
        (*static_cast<std::function<void(const char*, size_t)>*>(user))(static_cast<const char*>(buf), n);
      } catch (...) {
        return -1;
      }
      return static_cast<la_ssize_t>(n);
    };
    if (archive_write_open2(a.get(), &out, nullptr, write_cb, nullptr, nullptr) != ARCHIVE_OK)
      fail("compress the layer: {}", archive_error_string(a.get()));
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_pathname(e.get(), "layer.tar");
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK)
      fail("compress the layer: {}", archive_error_string(a.get()));
  }
  Sha256 tar_hash;
  uint64_t done = 0;
  std::string layer_dir = fs::join(store.graphroot(), fmt::format("layers/{}", digest_hex(info.diff_id)));
  bool recorded = write_layer_tar(layer_dir, [&](const char* p, size_t n) {
    tar_hash.update(p, n);
    if (gzip) {
      gzip->write(p, n);
    } else if (archive_write_data(a.get(), p, n) != static_cast<la_ssize_t>(n)) {
      fail("compress the layer: {}", archive_error_string(a.get()));
    }
    done += n;
    progress(done);
  });
  if (!recorded)
    fail("layer {} cannot be rebuilt: it has no record of its tar (a layer with duplicate entries)", info.diff_id);
  if (gzip) {
    gzip->finish();
  } else if (archive_write_close(a.get()) != ARCHIVE_OK) {
    fail("compress the layer: {}", archive_error_string(a.get()));
  }
  if (std::string got = tar_hash.finish(); got != info.diff_id)
    fail("layer {} changed since it was unpacked: its files give {}", info.diff_id, got);
  return {std::string(o.compression == "zstd" ? media::kOciLayerZstd : media::kOciLayerGzip), hash.finish(), size};
}

Compressed compress_layer(const Store& store, const LayerInfo& info, const PushOptions& o,
                          const std::function<void(uint64_t)>& progress) {
  Compressed out;
  out.fd.reset(::open(fs::join(store.graphroot(), "tmp").c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!out.fd) throw_errno("create a temporary file in {}", fs::join(store.graphroot(), "tmp"));
  int fd = out.fd.get();
  out.blob = compress_to(
      store, info, o,
      [fd](const char* p, size_t n) {
        if (!write_all(fd, {p, n})) throw_errno("write the compressed layer");
      },
      progress);
  return out;
}

// Bytes from the compressing thread to the uploading one (curl's read
// callback), at most 4 MiB in between: a pipe without the kernel's two
// copies of every byte and its wakeups.
class Handoff {
 public:
  // The producer's; false once the reader has gone (the upload failed).
  bool put(const char* p, size_t n) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return held_ < kMax || gone_; });
    if (gone_) return false;
    chunks_.emplace_back(p, n);
    held_ += n;
    ready_.notify_one();
    return true;
  }
  // No more bytes.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    ready_.notify_one();
  }
  // The reader's: up to n bytes, 0 at the end.
  size_t take(char* out, size_t n) {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return !chunks_.empty() || closed_; });
    size_t k = 0;
    while (k < n && !chunks_.empty()) {
      const std::string& c = chunks_.front();
      size_t m = std::min(n - k, c.size() - offset_);
      std::memcpy(out + k, c.data() + offset_, m);
      k += m;
      offset_ += m;
      if (offset_ == c.size()) {
        chunks_.pop_front();
        offset_ = 0;
      }
    }
    held_ -= k;
    room_.notify_one();
    return k;
  }
  // The reader has gone: put fails from now on.
  void abandon() {
    std::lock_guard lock(mu_);
    gone_ = true;
    room_.notify_one();
  }

 private:
  static constexpr size_t kMax = 4 << 20;
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<std::string> chunks_;
  size_t offset_ = 0, held_ = 0;
  bool closed_ = false, gone_ = false;
};

// Compresses the layer straight into a streamed upload, so that the
// compression and the transfer overlap and nothing goes through a file. The
// blob, or nothing when that failed on the way (the caller then takes the
// long way, which can retry). The caller has SIGPIPE ignored.
std::optional<Blob> stream_layer(registry::Client& client, const std::string& repo, const Store& store,
                                 const LayerInfo& info, const PushOptions& o,
                                 const std::function<void(uint64_t)>& progress) {
  Handoff handoff;
  Blob blob;
  std::exception_ptr error;
  std::thread producer([&] {
    try {
      blob = compress_to(
          store, info, o,
          [&](const char* p, size_t n) {
            if (!handoff.put(p, n)) fail("the upload ended before the layer did");
          },
          progress);
    } catch (...) {
      error = std::current_exception();
    }
    handoff.close();
  });
  auto finish = [&] {
    handoff.abandon();  // unblocks a compressor still writing
    if (producer.joinable()) producer.join();
  };
  bool started = false;  // the registry took the upload and asked for bytes
  try {
    client.upload_stream(
        repo,
        [&](char* buf, size_t n) -> size_t {
          started = true;
          return handoff.take(buf, n);
        },
        [&] {
          finish();
          if (error) std::rethrow_exception(error);
          return blob.digest;
        });
  } catch (const std::exception& e) {
    finish();
    if (!started) throw;  // the registry refused before any byte: the long way would fare no better
    log::debug("streaming layer {}: {}; compressing it into a file instead", info.diff_id, e.what());
    return std::nullopt;
  }
  finish();
  return blob;
}

std::string docker_type(std::string_view oci) {
  if (oci == media::kOciLayerGzip) return std::string(media::kDockerLayerGzip);
  if (oci == media::kOciLayer) return std::string(media::kDockerLayer);
  fail("the docker format (v2s2) has no media type for {}: push with --format oci", oci);
}

registry::ClientOptions client_options(const std::string& registry, std::optional<bool> tls_verify,
                                       const std::string& cert_dir, std::optional<config::Credentials> creds) {
  registry::ClientOptions c;
  c.insecure = tls_verify ? !*tls_verify : config::RegistriesConf::load().is_insecure(registry);
  c.tls_verify = tls_verify.value_or(true);
  c.cert_dir = cert_dir;
  c.creds = std::move(creds);
  return c;
}

}  // namespace

std::string push_image(Store& store, const ImageRecord& img, const image::Reference& dest, const PushOptions& o) {
  if (o.compression != "gzip" && o.compression != "zstd")
    fail("unsupported compression format {:?}: use gzip or zstd", o.compression);
  std::string format = o.format;
  if (format.empty()) {
    format = "oci";
    if (!img.manifest.empty() && store.has_blob(img.manifest) &&
        image::detect_media_type(store.get_blob(img.manifest), "") == media::kDockerManifest)
      format = "v2s2";
  }
  if (format != "oci" && format != "v2s2") fail("unsupported manifest format {:?}: use oci or v2s2", format);
  if (format == "v2s2" && o.compression == "zstd") fail("the docker format (v2s2) cannot carry zstd layers: push with --format oci");
  check_level(o);  // a bad level fails before anything is sent
  const std::string& repo = dest.path;
  std::string tag = dest.tag.empty() ? "latest" : dest.tag;
  registry::Client client(dest.domain, client_options(dest.domain, o.tls_verify, o.cert_dir, o.creds));
  // Repositories of the same registry the image is known by: blobs can be
  // mounted from there.
  std::vector<std::string> sources;
  for (const auto& n : img.names) {
    auto p = image::parse_reference(n);
    if (p.ref.domain == dest.domain && p.ref.path != repo) sources.push_back(p.ref.path);
  }

  // An upload that fails is a compressor's EPIPE, not a signal; set once
  // for all the layer threads (a per-thread save and restore would race).
  IgnoreSigpipe no_sigpipe;
  Progress progress(stderr, o.quiet);
  progress.message("Getting image source signatures");
  std::string config_body = store.get_blob(img.config_digest());
  std::vector<Blob> blobs(img.layers.size());
  std::vector<size_t> items(img.layers.size()), sizes(img.layers.size()), order(img.layers.size());
  for (size_t i = 0; i < img.layers.size(); ++i) {
    auto info = store.layer_info(img.layers[i]);
    if (!info) fail("layer {} of image {} is missing from the store", img.layers[i], img.id);
    items[i] = progress.add(fmt::format("Copying blob {}", short_hex(info->compressed_digest.empty() ? info->diff_id : info->compressed_digest)),
                            info->size);
    sizes[i] = info->size;
    order[i] = i;
  }
  // The largest layers first, so that the last to finish is a small one
  // rather than a large one going on alone.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex err_mu;
  std::exception_ptr first_error;
  auto push_layer = [&](size_t i) {
    auto info = *store.layer_info(img.layers[i]);
    if (auto known = known_blob(info, o)) {
      if (client.has_blob(repo, known->digest)) {
        blobs[i] = *known;
        progress.finish(items[i], "skipped: already exists");
        return;
      }
      // The repositories of this registry the image came from, then those
      // earlier pushes sent the blob to.
      std::vector<std::string> from = sources;
      for (const auto& l : info.locations)
        if (l.rfind(dest.domain + "/", 0) == 0 && l.substr(dest.domain.size() + 1) != repo)
          from.push_back(l.substr(dest.domain.size() + 1));
      for (const auto& f : from)
        if (client.mount_blob(repo, known->digest, f)) {
          blobs[i] = *known;
          progress.finish(items[i], "skipped: mounted from " + f);
          return;
        }
    }
    auto update = [&](uint64_t done) { progress.update(items[i], done); };
    if (auto streamed = stream_layer(client, repo, store, info, o, update)) {
      blobs[i] = *streamed;
      store.note_compressed(info.diff_id, streamed->digest, streamed->size, streamed->media_type);
      progress.finish(items[i]);
      return;
    }
    auto c = compress_layer(store, info, o, update);
    blobs[i] = c.blob;
    store.note_compressed(info.diff_id, c.blob.digest, c.blob.size, c.blob.media_type);
    if (client.has_blob(repo, c.blob.digest)) {
      progress.finish(items[i], "skipped: already exists");
    } else {
      client.upload_blob(repo, c.blob.digest, c.fd.get(), c.blob.size);
      progress.finish(items[i]);
    }
  };
  auto worker = [&] {
    while (!failed) {
      size_t n = next++;
      if (n >= order.size()) return;
      size_t k = order[n];
      try {
        with_context(fmt::format("copying layer {}", img.layers[k]), [&] { push_layer(k); });
        store.note_location(img.layers[k], blobs[k].digest, dest.domain + "/" + repo);
      } catch (...) {
        std::lock_guard lock(err_mu);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
  };
  size_t nthreads = std::min<size_t>(img.layers.size(), static_cast<size_t>(std::max(1, o.parallel_layers)));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < nthreads; ++i) threads.emplace_back(worker);
  if (nthreads > 0) worker();
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);

  size_t cfg_item = progress.add(fmt::format("Copying config {}", short_hex(img.config_digest())), config_body.size());
  if (!client.has_blob(repo, img.config_digest())) client.upload_blob(repo, img.config_digest(), config_body);
  progress.finish(cfg_item);

  bool docker = format == "v2s2";
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& b : blobs)
    layers.push_back({{"mediaType", docker ? docker_type(b.media_type) : b.media_type}, {"digest", b.digest}, {"size", b.size}});
  std::string manifest_type(docker ? media::kDockerManifest : media::kOciManifest);
  nlohmann::json m = {
      {"schemaVersion", 2},
      {"mediaType", manifest_type},
      {"config",
       {{"mediaType", docker ? media::kDockerConfig : media::kOciConfig}, {"digest", img.config_digest()}, {"size", config_body.size()}}},
      {"layers", layers}};
  std::string body = json_text(m);
  progress.message("Writing manifest to image destination");
  client.put_manifest(repo, tag, body, manifest_type);
  return sha256_digest(body);
}

void check_login(const std::string& registry, const config::Credentials& creds, std::optional<bool> tls_verify,
                 const std::string& cert_dir) {
  auto c = client_options(registry, tls_verify, cert_dir, creds);
  c.max_attempts = 1;
  registry::Client(registry, c).login();
}

namespace {

image::Reference remote_ref(std::string ref) {
  if (ref.rfind("docker://", 0) == 0) ref.erase(0, 9);
  return image::parse_reference(ref).ref;
}

registry::Client remote_client(const image::Reference& r, const RemoteOptions& o) {
  return registry::Client(r.domain, client_options(r.domain, o.tls_verify, o.cert_dir, o.creds));
}

}  // namespace

std::vector<RemoteInstance> remote_instances(const std::string& ref_text, bool all, const RemoteOptions& o) {
  auto ref = remote_ref(ref_text);
  auto client = remote_client(ref, o);
  auto top = client.get_manifest(ref.path, ref.digest.empty() ? ref.tag : ref.digest);
  std::string mt = image::detect_media_type(top.body, top.media_type);
  std::vector<RemoteInstance> out;
  auto at = [&](const std::string& digest) { return fmt::format("{}/{}@{}", ref.domain, ref.path, digest); };
  if (image::is_index(mt)) {
    auto idx = image::parse_index(top.body);
    std::vector<image::Descriptor> chosen;
    if (all) {
      chosen = idx.manifests;
    } else {
      chosen.push_back(image::select_platform(idx, image::host_platform()));
    }
    for (const auto& d : chosen) {
      RemoteInstance i{at(d.digest), d.media_type, d.digest, static_cast<uint64_t>(d.size), "", "", ""};
      if (d.platform) i.os = d.platform->os, i.architecture = d.platform->architecture, i.variant = d.platform->variant;
      out.push_back(i);
    }
    return out;
  }
  auto m = image::parse_manifest(top.body);
  auto cfg = image::parse_config(client.get_blob(ref.path, m.config.digest));
  out.push_back({at(top.digest), mt, top.digest, top.body.size(), cfg.os, cfg.architecture, cfg.variant});
  return out;
}

std::string remote_manifest(const std::string& ref_text, const RemoteOptions& o) {
  auto ref = remote_ref(ref_text);
  return remote_client(ref, o).get_manifest(ref.path, ref.digest.empty() ? ref.tag : ref.digest).body;
}

std::string push_manifest_list(const std::string& index_body, const std::string& media_type,
                               const std::vector<std::string>& instance_refs, const image::Reference& dest, bool all,
                               const RemoteOptions& o, bool quiet) {
  Progress progress(stderr, quiet);
  auto to = remote_client(dest, o);
  if (all) {
    progress.message("Getting image list signatures");
    for (size_t n = 0; n < instance_refs.size(); ++n) {
      auto src = remote_ref(instance_refs[n]);
      progress.message(fmt::format("Copying image {} ({}/{})", src.digest, n + 1, instance_refs.size()));
      bool same_registry = src.domain == dest.domain;
      std::optional<registry::Client> other;
      if (!same_registry) other.emplace(src.domain, client_options(src.domain, o.tls_verify, o.cert_dir, o.creds));
      registry::Client& from = same_registry ? to : *other;
      auto m = from.get_manifest(src.path, src.digest);
      auto parsed = image::parse_manifest(m.body);
      std::vector<image::Descriptor> blobs = parsed.layers;
      blobs.push_back(parsed.config);
      for (const auto& b : blobs) {
        if (to.has_blob(dest.path, b.digest)) continue;
        if (same_registry && to.mount_blob(dest.path, b.digest, src.path)) continue;
        // Through a scratch file: the upload needs its size and may retry.
        UniqueFd tmp(::open(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
        if (!tmp) throw_errno("create a temporary file");
        uint64_t size = 0;
        Sha256 h;
        from.stream_blob(src.path, b.digest, [&](const char* p, size_t k) {
          h.update(p, k);
          if (!write_all(tmp.get(), {p, k})) throw_errno("write a temporary file");
          size += k;
        }, b.size > 0 ? static_cast<uint64_t>(b.size) : 0);
        if (h.finish() != b.digest) fail("blob {} of {} does not match its digest", b.digest, instance_refs[n]);
        to.upload_blob(dest.path, b.digest, tmp.get(), size);
      }
      to.put_manifest(dest.path, src.digest, m.body, image::detect_media_type(m.body, m.media_type));
    }
  }
  progress.message("Writing manifest list to image destination");
  to.put_manifest(dest.path, dest.tag.empty() ? "latest" : dest.tag, index_body, media_type);
  return sha256_digest(index_body);
}

}  // namespace cabin::storage
