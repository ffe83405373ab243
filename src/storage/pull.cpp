#include "storage/pull.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "config/registries.h"
#include "format/units.h"
#include "image/reference.h"
#include "registry/client.h"
#include "storage/unpack.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/strings.h"

namespace cabin::storage {
namespace {

struct Resolved {
  image::Reference name;   // the name the image is stored under
  config::PullSource from; // where its bytes come from (mirror or location)
};

// An explicit --tls-verify wins over registries.conf's insecure.
registry::ClientOptions client_options(const config::PullSource& src, const PullOptions& o) {
  registry::ClientOptions copts;
  copts.insecure = o.tls_verify ? !*o.tls_verify : src.insecure;
  copts.tls_verify = o.tls_verify.value_or(true);
  copts.cert_dir = o.cert_dir;
  copts.creds = o.creds;
  return copts;
}

std::string short_hex(std::string_view digest) { return std::string(digest_hex(digest).substr(0, 12)); }

// Fetches the layer blob into a pipe on a second thread while this thread
// decompresses, hashes and extracts it.
LayerInfo fetch_layer(Store& store, registry::Client& client, const std::string& repo,
                      const image::Descriptor& desc, const std::string& diff_id, Progress& progress,
                      size_t item) {
  image::layer_compression(desc.media_type);  // rejects what we cannot unpack
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  ::fcntl(wr.get(), F_SETPIPE_SZ, 1 << 20);

  std::exception_ptr download_error;
  std::atomic<bool> unpacker_gone = false;
  std::thread downloader([&] {
    // The unpacker stops reading when the stream is bad (corrupt bytes from
    // the registry): the write then fails with EPIPE rather than SIGPIPE
    // killing cabin, as it would in any thread that does not block it.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    uint64_t done = 0;
    try {
      client.stream_blob(repo, desc.digest, [&](const char* data, size_t len) {
        while (len > 0) {
          ssize_t n = ::write(wr.get(), data, len);
          if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EPIPE) unpacker_gone = true;
            throw_errno("write layer pipe");
          }
          data += n;
          len -= static_cast<size_t>(n);
          done += static_cast<size_t>(n);
        }
        progress.update(item, done);
      }, desc.size > 0 ? static_cast<uint64_t>(desc.size) : 0);
    } catch (...) {
      download_error = std::current_exception();
    }
    wr.reset();
  });

  auto staging = store.stage_layer();
  UnpackResult result;
  std::exception_ptr unpack_error;
  try {
    result = unpack_layer_fd(rd.get(), staging, default_extract_options(), desc.digest);
  } catch (...) {
    unpack_error = std::current_exception();
  }
  rd.reset();  // unblocks a downloader still writing
  downloader.join();
  // A failed download shows up in the unpacker as a truncated stream: report
  // the cause, not the symptom (and the unpacker's error when it gave up
  // first: the download then failed only for want of a reader).
  if (download_error && !(unpacker_gone && unpack_error)) std::rethrow_exception(download_error);
  if (unpack_error) std::rethrow_exception(unpack_error);

  if (result.compressed_digest != desc.digest)
    fail("the blob's digest is {}, not {} as the manifest says", result.compressed_digest,
         desc.digest);
  if (desc.size > 0 && result.compressed_size != static_cast<uint64_t>(desc.size))
    fail("the blob has {} bytes, the manifest says {}", result.compressed_size, desc.size);
  if (result.diff_id != diff_id)
    fail("its uncompressed digest {} does not match the image config's diff_id {}",
         result.diff_id, diff_id);
  LayerInfo info{diff_id, result.size, desc.digest, result.compressed_size, desc.media_type};
  store.commit_layer(std::move(staging), info);
  return info;
}

struct Fetched {
  std::string index_body, index_digest;
  registry::Manifest manifest;
  image::Manifest parsed;
  std::string config_body;
  image::ImageConfig config;
};

Fetched fetch_metadata(registry::Client& client, const image::Reference& ref,
                       const std::string& repo, const PullOptions& o) {
  Fetched f;
  std::string reference = ref.digest.empty() ? ref.tag : ref.digest;
  auto top = client.get_manifest(repo, reference);
  std::string mt = image::detect_media_type(top.body, top.media_type);
  image::Platform want = o.platform ? *o.platform : image::host_platform();
  if (image::is_index(mt)) {
    auto index = image::parse_index(top.body);
    const auto& desc = image::select_platform(index, want);
    f.index_body = top.body;
    f.index_digest = top.digest;
    f.manifest = client.get_manifest(repo, desc.digest);
    mt = image::detect_media_type(f.manifest.body, f.manifest.media_type);
  } else {
    f.manifest = top;
  }
  if (!image::is_manifest(mt)) {
    if (mt.find("manifest.v1") != std::string::npos)
      fail("unsupported manifest: Docker schema 1 images are deprecated and not supported");
    fail("unsupported manifest media type {:?}", mt);
  }
  f.parsed = image::parse_manifest(f.manifest.body);
  f.config_body = client.get_blob(repo, f.parsed.config.digest);
  f.config = image::parse_config(f.config_body);
  if (f.config.diff_ids.size() != f.parsed.layers.size())
    fail("malformed image: the manifest lists {} layers but the config has {} diff_ids",
         f.parsed.layers.size(), f.config.diff_ids.size());
  if (f.index_body.empty() && o.platform) {
    auto got = image::normalize_platform({f.config.os, f.config.architecture, f.config.variant});
    auto w = image::normalize_platform(want);
    if (got.os != w.os || got.architecture != w.architecture)
      log::warn("image platform ({}) does not match the expected platform ({})", got.string(),
                w.string());
  }
  return f;
}

ImageRecord pull_from(Store& store, const Resolved& r, const PullOptions& o, Progress& progress) {
  registry::Client client(r.from.ref.domain, client_options(r.from, o));
  const std::string& repo = r.from.ref.path;

  Fetched f = fetch_metadata(client, r.from.ref, repo, o);
  progress.message("Getting image source signatures");

  // Keep garbage collection away while this pull adds references.
  auto ref_lock = store.reference_lock();
  store.clean_stale_staging();

  struct Job {
    size_t index;
    size_t item;
  };
  std::vector<Job> jobs;
  for (size_t i = 0; i < f.parsed.layers.size(); ++i) {
    const auto& desc = f.parsed.layers[i];
    size_t item = progress.add(fmt::format("Copying blob {}", short_hex(desc.digest)),
                               static_cast<uint64_t>(desc.size));
    if (store.has_layer(f.config.diff_ids[i])) {
      progress.finish(item, "skipped: already exists");
      continue;
    }
    bool dup = false;  // the same layer twice in one image: fetch it once
    for (const auto& j : jobs)
      if (f.config.diff_ids[j.index] == f.config.diff_ids[i]) dup = true;
    if (dup) {
      progress.finish(item, "skipped: already exists");
      continue;
    }
    jobs.push_back({i, item});
  }

  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex err_mu;
  std::exception_ptr first_error;
  auto worker = [&] {
    while (!failed) {
      size_t k = next++;
      if (k >= jobs.size()) return;
      const auto& job = jobs[k];
      try {
        with_context(fmt::format("copying blob {}", f.parsed.layers[job.index].digest), [&] {
          fetch_layer(store, client, repo, f.parsed.layers[job.index], f.config.diff_ids[job.index],
                      progress, job.item);
        });
        progress.finish(job.item);
      } catch (...) {
        std::lock_guard lock(err_mu);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
  };
  size_t nthreads = std::min<size_t>(jobs.size(), std::max(1, o.parallel_layers));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < nthreads; ++i) threads.emplace_back(worker);
  if (nthreads > 0) worker();
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);

  size_t cfg_item = progress.add(fmt::format("Copying config {}", short_hex(f.parsed.config.digest)),
                                 f.config_body.size());
  store.put_blob(f.parsed.config.digest, f.config_body);
  progress.finish(cfg_item);
  progress.message("Writing manifest to image destination");
  store.put_blob(f.manifest.digest, f.manifest.body);
  if (!f.index_body.empty()) store.put_blob(f.index_digest, f.index_body);

  ImageRecord rec;
  rec.id = std::string(digest_hex(f.parsed.config.digest));
  rec.digest = f.index_digest.empty() ? f.manifest.digest : f.index_digest;
  rec.manifest = f.manifest.digest;
  rec.digests = {f.manifest.digest};
  if (!f.index_digest.empty()) rec.digests.insert(rec.digests.begin(), f.index_digest);
  image::Reference name = r.name;
  if (!name.digest.empty()) {
    name.tag.clear();
    rec.names = {name.string()};
  } else {
    rec.names = {name.string()};
  }
  rec.layers = f.config.diff_ids;
  for (const auto& d : rec.layers)
    if (auto info = store.layer_info(d)) rec.size += info->size;
  rec.created = f.config.created;
  return store.add_image(std::move(rec));
}

std::string one_line(const std::exception& e) {
  std::string s = e.what();
  for (auto& c : s)
    if (c == '\n') c = ' ';
  return s;
}

}  // namespace

ImageRecord pull_image(Store& store, std::string_view input, const PullOptions& o) {
  std::string_view name = input;
  if (name.rfind("docker://", 0) == 0) name.remove_prefix(9);
  auto parsed = image::parse_reference(name);

  std::optional<ImageRecord> local;
  if (o.policy != PullPolicy::Always) local = store.find_image(name);
  if (o.policy == PullPolicy::Missing && local) return *local;
  if (o.policy == PullPolicy::Never) {
    if (local) return *local;
    fail("{}: image not known", std::string(name));
  }

  auto conf = config::RegistriesConf::load();
  std::vector<image::Reference> candidates;
  if (parsed.qualified)
    candidates.push_back(parsed.ref);
  else
    candidates = conf.resolve_short_name(parsed);

  Progress progress(stderr, o.quiet);
  std::vector<std::string> errors;
  int first_errno = 0;
  std::string first_message;
  for (const auto& cand : candidates) {
    progress.message(fmt::format("Trying to pull {}...", cand.string()));
    std::vector<config::PullSource> sources;
    try {
      sources = conf.pull_sources(cand);
    } catch (const Error& e) {
      errors.push_back(fmt::format("{}: {}", cand.string(), one_line(e)));
      continue;
    }
    for (const auto& src : sources) {
      try {
        if (o.policy == PullPolicy::Newer && local) {
          registry::Client client(src.ref.domain, client_options(src, o));
          auto m = client.get_manifest(src.ref.path, src.ref.digest.empty() ? src.ref.tag : src.ref.digest);
          if (std::find(local->digests.begin(), local->digests.end(), m.digest) != local->digests.end())
            return *local;
        }
        return pull_from(store, Resolved{cand, src}, o, progress);
      } catch (const Error& e) {
        std::string where = src.ref.name() == cand.name() ? cand.string()
                                                           : fmt::format("{} (from {})", cand.string(), src.ref.name());
        errors.push_back(fmt::format("{}: {}", where, one_line(e)));
        if (errors.size() == 1) {  // its errno kept: a full disk stays one
          first_errno = e.err();
          first_message = fmt::format("{}: {}", where, e.message());
        }
        log::debug("pull {} failed: {}", where, e.what());
      }
    }
  }
  if (o.policy == PullPolicy::Newer && local) {
    log::warn("pull {}: {}; using the local image", std::string(name), errors.empty() ? "failed" : errors.front());
    return *local;
  }
  if (errors.size() == 1 && first_errno != 0) throw Error(first_errno, fmt::format("pull {}", first_message));
  if (errors.size() == 1) fail("pull {}", errors.front());
  fail("pull {}: {} candidates failed: {}", std::string(name), errors.size(), join(errors, "; "));
}

}  // namespace cabin::storage
