// A Distribution v2 (OCI distribution-spec) client on libcurl.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/auth.h"

namespace cabin::registry {

struct ClientOptions {
  bool tls_verify = true;       // false: do not verify certificates, and fall back to http
  bool insecure = false;        // registries.conf insecure=true: same as tls_verify=false
  std::string cert_dir;         // *.crt (CAs), *.cert + *.key (client cert); default /etc/containers/certs.d/HOST
  std::optional<config::Credentials> creds;  // explicit --creds; else looked up in auth files
  int max_attempts = 4;         // for transient failures, with exponential backoff
  std::chrono::milliseconds retry_delay{200};  // first backoff; doubles after each attempt
  std::chrono::seconds low_speed_time{30};     // under 1 byte/s for this long: the transfer stalled
};

// Where requests for a registry go: "docker.io" is served by
// registry-1.docker.io; every other name is used as written.
std::string endpoint_host(std::string_view registry);

// The certs.d directory for registry (host[:port] as written in the image
// name), see containers-certs.d(5): the first that exists of
// $XDG_CONFIG_HOME/containers/certs.d/REGISTRY (~/.config when unset),
// /etc/containers/certs.d/REGISTRY and /etc/docker/certs.d/REGISTRY; empty
// when none does.
std::string default_cert_dir(std::string_view registry);

// Sets a curl handle (CURL*) to follow up to 10 redirects, over HTTP and
// HTTPS only (no file://, no other scheme a redirect could name).
void http_only(void* curl_handle);

struct Manifest {
  std::string body;
  std::string media_type;  // from Content-Type, or the body's mediaType
  std::string digest;      // sha256 of body
};

// Accept header values the client sends for manifests.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

// One client per registry host. Methods are safe to call from several threads
// at once (each transfer has its own handle; tokens are shared under a lock).
class Client {
 public:
  Client(std::string registry, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // GET /v2/<repo>/manifests/<reference> (tag or digest). When reference is a
  // digest the body is checked against it. Errors name the registry, the
  // repository and the reason ("manifest unknown", "unauthorized", HTTP status,
  // "connection refused", certificate problems).
  Manifest get_manifest(std::string_view repo, std::string_view reference);

  // A small blob (image config), checked against digest; max_size guards memory.
  std::string get_blob(std::string_view repo, std::string_view digest, size_t max_size = 32 << 20);

  // Streams a blob to sink in order. After a transient failure the transfer
  // resumes with a Range request, so sink sees every byte exactly once. An
  // exception thrown by sink aborts the transfer and propagates. The caller
  // verifies the digest (it hashes as it consumes). With size (the
  // descriptor's), a body longer than that is an error as soon as it shows:
  // a registry cannot feed an endless body.
  void stream_blob(std::string_view repo, std::string_view digest,
                   const std::function<void(const char* data, size_t len)>& sink, uint64_t size = 0);

  // Pushing. HEAD /v2/<repo>/blobs/<digest>: whether the registry has it.
  bool has_blob(std::string_view repo, std::string_view digest);
  // A cross-repository mount of a blob the registry has under from (same
  // registry): true when it did; false when it did not (nothing uploaded).
  bool mount_blob(std::string_view repo, std::string_view digest, std::string_view from);
  // A monolithic upload (POST, then PUT ?digest=) of size bytes read from fd
  // at offset 0 (pread, so a retry starts over), or of data.
  void upload_blob(std::string_view repo, std::string_view digest, int fd, uint64_t size);
  void upload_blob(std::string_view repo, std::string_view digest, std::string_view data);
  // A streamed upload (POST, one chunked PATCH, then PUT ?digest=): read
  // gives the bytes until it returns 0 (an exception from it aborts the
  // upload), then digest() says what they were. Not retried: the bytes are
  // gone.
  void upload_stream(std::string_view repo, const std::function<size_t(char*, size_t)>& read,
                     const std::function<std::string()>& digest);
  // PUT /v2/<repo>/manifests/<reference> with its media type.
  void put_manifest(std::string_view repo, std::string_view reference, std::string_view body,
                    std::string_view media_type);

  // login: GET /v2/ with the options' credentials, through the registry's
  // challenge (a token without scope, or Basic). Throws "invalid
  // username/password" when the registry refuses them.
  void login();

  const std::string& registry() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cabin::registry
