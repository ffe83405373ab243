// The registry client: one libcurl easy transfer per request, with the
// distribution-spec flow around it:
//
//   prepare     certs.d files, then GET /v2/ over https (http when allowed
//               and the https attempt failed below HTTP) — once per Client
//   run         one request with its retries: 401 → authenticate and retry
//               once; transient failures → back off and retry, resuming a
//               blob with Range from the bytes already delivered
//   get_* / stream_blob   map the final status to an Error naming
//               registry/repo:tag and check sizes and digests
//
// Secrets (passwords, tokens) only ever go into request headers and POST
// bodies; debug logs name methods, URLs without query strings, and statuses.
#include "registry/client.h"

#include <curl/curl.h>
#include <dirent.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cabin-config.h"
#include "config/paths.h"
#include "registry/response.h"
#include "registry/www_authenticate.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strings.h"

#if LIBCURL_VERSION_NUM < 0x074d00
#error "cabin needs libcurl >= 7.77 (CURLOPT_CAINFO_BLOB)"
#endif

namespace cabin::registry {

void http_only(void* handle) {
  CURL* h = static_cast<CURL*>(handle);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

namespace {

constexpr size_t kMaxManifestSize = 4 << 20;  // as containers/image (iolimits)
constexpr size_t kMaxTokenSize = 1 << 20;
constexpr size_t kMaxErrorBody = 64 << 10;
constexpr size_t kMaxIgnoredBody = 1 << 20;  // a body read only to be dropped (ping, upload answers)
constexpr size_t kMaxHandlePool = 16;
constexpr auto kMaxBackoff = std::chrono::seconds(30);
constexpr auto kMaxRetryAfter = std::chrono::seconds(60);
constexpr long kConnectTimeoutSecs = 30;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK)
      fail("initialise libcurl: {}", curl_easy_strerror(rc));
  });
}

std::string_view status_text(long status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

std::string status_string(long status) {
  auto text = status_text(status);
  return text.empty() ? std::to_string(status) : fmt::format("{} {}", status, text);
}

bool is_transient_status(long status) {
  return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
}

// Failures below HTTP worth another attempt: the server or the path to it
// may recover, and a resumed blob loses nothing.
bool is_transient_curl(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// application/x-www-form-urlencoded and query values: unreserved characters
// stay, everything else is %XX.
std::string url_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// For logs: pre-signed storage URLs carry credentials in the query string.
std::string_view without_query(std::string_view url) { return url.substr(0, url.find('?')); }

bool contains(std::string_view s, std::string_view what) { return s.find(what) != s.npos; }

// Repository paths and tags end up in URLs: accept only what the reference
// grammar allows, so nothing can smuggle "?", "#" or "..".
void validate_repo(std::string_view repo) {
  bool ok = !repo.empty() && repo.front() != '/' && repo.back() != '/' && !contains(repo, "//");
  for (char c : repo)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
          c == '/'))
      ok = false;
  for (const auto& part : split(repo, '/'))
    if (part == "." || part == "..") ok = false;
  if (!ok) fail("invalid repository name {:?}", std::string(repo));
}

void validate_tag(std::string_view tag) {
  bool ok = !tag.empty() && tag.size() <= 128 && tag.front() != '.' && tag.front() != '-';
  for (char c : tag)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      ok = false;
  if (!ok) fail("invalid tag {:?}", std::string(tag));
}

// A manifest's repository and tag or digest.
void validate_reference(std::string_view repo, std::string_view reference) {
  validate_repo(repo);
  if (reference.find(':') != std::string_view::npos) {
    validate_digest(reference);
  } else {
    validate_tag(reference);
  }
}

// ---------------------------------------------------------------------------
// One HTTP exchange.

struct Response {
  long status = 0;  // of the last response (after redirects); 0 when none arrived
  std::vector<std::pair<std::string, std::string>> headers;  // lower-cased names
  std::string error_body;  // the body of a non-2xx response, bounded
  CURLcode curl = CURLE_OK;
  std::string curl_detail;  // libcurl's error buffer
  long os_errno = 0;
  int attempts = 1;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return "";
  }
  std::vector<std::string> all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers)
      if (k == name) out.push_back(v);
    return out;
  }
  bool ok() const { return status >= 200 && status < 300; }
};

struct Request {
  std::string method = "GET";  // GET, HEAD, POST or PUT
  std::string url;
  std::vector<std::string> headers;
  std::string post_body;         // POST and PUT: the body, unless upload_fd is set
  int upload_fd = -1;            // PUT: the body is upload_size bytes of this file
  uint64_t upload_size = 0;
  std::string repo;              // set: authenticate for this repository on a 401
  std::string scope;             // the token scope(s) to ask for; "": pull for repo
  bool retry_transport = true;   // retry connection-level failures too
  bool once = false;             // a body that cannot be sent again: no retries at all
  std::function<size_t(char*, size_t)> stream;  // PATCH: the body, chunked, until it gives 0
};

// Feeds an upload from its file, from wherever the transfer is.
struct UploadSource {
  int fd;
  uint64_t offset = 0, size = 0;
};

size_t on_read(char* buf, size_t size, size_t nmemb, void* user) {
  auto* u = static_cast<UploadSource*>(user);
  size_t want = std::min<uint64_t>(size * nmemb, u->size - u->offset);
  if (want == 0) return 0;
  ssize_t n;
  do n = ::pread(u->fd, buf, want, static_cast<off_t>(u->offset));
  while (n < 0 && errno == EINTR);
  if (n <= 0) return CURL_READFUNC_ABORT;
  u->offset += static_cast<uint64_t>(n);
  return static_cast<size_t>(n);
}

size_t on_stream(char* buf, size_t size, size_t nmemb, void* user) {
  auto* read = static_cast<const std::function<size_t(char*, size_t)>*>(user);
  try {
    return (*read)(buf, size * nmemb);
  } catch (...) {
    return CURL_READFUNC_ABORT;  // the producer failed: it says why
  }
}

// An upload session's URL with the blob's digest added, which ends it.
std::string with_digest(const std::string& url, std::string_view digest) {
  return fmt::format("{}{}digest={}", url, url.find('?') == std::string::npos ? "?" : "&", digest);
}

// The distribution-spec's push scope: pull and push on the repository.
std::string push_scope(std::string_view repo) { return fmt::format("repository:{}:pull,push", repo); }

// Where a successful response's body goes.
struct Receiver {
  std::function<void(const char*, size_t)> sink;
  std::function<void()> restart;  // not resumable: forget a partial body before a retry
  bool resumable = false;         // retries ask for Range: bytes=delivered-
  size_t limit = SIZE_MAX;
  bool declared = false;               // limit is the size the manifest gives
  std::string_view what = "response";  // for the size-limit error
  uint64_t delivered = 0;
  std::optional<uint64_t> total;  // the full size, once a response told us
  bool sink_failed = false;       // the exception came from sink: pass it on untouched
};

[[noreturn]] void fail_too_large(const Receiver& rx) {
  if (rx.declared) fail("{} is larger than the {} bytes the manifest says", rx.what, rx.limit);
  fail("{} is larger than the limit of {} bytes", rx.what, rx.limit);
}

// State shared with libcurl's callbacks during one perform.
struct Attempt {
  Response resp;
  Receiver* rx = nullptr;
  uint64_t offset = 0;  // bytes the sink already has
  uint64_t skip = 0;    // bytes of this response's body the sink already has
  bool started = false; // the current response's body began
  uint64_t error_bytes = 0;  // of an error response's body
  std::exception_ptr error;

  // The first body byte (or the end of an empty body) of a response.
  void begin() {
    started = true;
    if (!resp.ok()) return;
    Receiver& r = *rx;
    uint64_t start = 0;
    std::optional<uint64_t> total;
    if (resp.status == 206) {
      if (!parse_content_range(resp.header("content-range"), start, total))
        fail("partial content without a valid Content-Range ({:?})", resp.header("content-range"));
      if (start > offset)
        fail("the server sent bytes from {} on, but {} were asked for", start, offset);
    } else if (auto len = parse_u64(resp.header("content-length"))) {
      total = *len;
    }
    skip = offset - start;  // a 200 answer to a Range request restarts at 0
    if (!r.total && total) r.total = total;
    if (total && *total > r.limit) fail_too_large(r);
  }

  void data(const char* p, size_t n) {
    if (!started) begin();
    if (!resp.ok()) {
      // Kept up to kMaxErrorBody for the message; a body without end stops.
      error_bytes += n;
      if (error_bytes > kMaxIgnoredBody)
        fail("HTTP {} with a body larger than the limit of {} bytes", resp.status, kMaxIgnoredBody);
      size_t room = kMaxErrorBody - std::min(kMaxErrorBody, resp.error_body.size());
      resp.error_body.append(p, std::min(room, n));
      return;
    }
    uint64_t k = std::min<uint64_t>(skip, n);
    skip -= k;
    p += k;
    n -= static_cast<size_t>(k);
    if (n == 0) return;
    Receiver& r = *rx;
    if (r.delivered + n > r.limit) fail_too_large(r);
    r.sink_failed = true;
    r.sink(p, n);
    r.sink_failed = false;
    r.delivered += n;
  }
};

size_t on_write(char* p, size_t size, size_t nmemb, void* user) {
  auto* a = static_cast<Attempt*>(user);
  try {
    a->data(p, size * nmemb);
  } catch (...) {
    a->error = std::current_exception();
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  return size * nmemb;
}

size_t on_header(char* p, size_t size, size_t nmemb, void* user) {
  auto* a = static_cast<Attempt*>(user);
  size_t n = size * nmemb;
  HeadLine h = parse_head_line(std::string_view(p, n));
  if (h.kind == HeadLine::Status) {
    // A new response (after a redirect or 100-continue) replaces the last.
    a->resp.headers.clear();
    a->resp.error_body.clear();
    a->error_bytes = 0;
    a->started = false;
    a->resp.status = h.status;
  } else if (h.kind == HeadLine::Field) {
    a->resp.headers.emplace_back(std::move(h.name), std::move(h.value));
  }
  return n;
}

// One line for a failure below HTTP, in the shape Go's net/http uses:
//   Get "https://host/v2/": connection refused
std::string describe_transport_error(const Request& req, const Response& r) {
  const std::string& d = r.curl_detail;
  std::string cause;
  switch (r.curl) {
    case CURLE_COULDNT_CONNECT:
      if (r.os_errno == ECONNREFUSED) {
        cause = "connection refused";
      } else if (r.os_errno != 0) {
        cause = to_lower(std::strerror(static_cast<int>(r.os_errno)));
      } else {
        cause = d.empty() ? "cannot connect" : d;
      }
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      cause = fmt::format("no such host ({})", d);
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      if (contains(d, "subject name") || contains(d, "does not match")) {
        cause = fmt::format("the registry's certificate is not valid for this host name ({})", d);
      } else if (contains(d, "expired") || contains(d, "not yet valid")) {
        cause = fmt::format("the registry's certificate is out of its validity period ({})", d);
      } else {
        cause = fmt::format(
            "x509: certificate signed by unknown authority ({}): the registry's certificate is not "
            "trusted; use --tls-verify=false, or --cert-dir with its CA certificate (*.crt)",
            d);
      }
      break;
    case CURLE_SSL_CONNECT_ERROR:
      if (contains(d, "wrong version number") || contains(d, "packet length too long") ||
          contains(d, "record layer failure")) {
        cause = fmt::format(
            "server gave HTTP response to HTTPS client ({}); if the registry serves plain HTTP, "
            "use --tls-verify=false",
            d);
      } else {
        cause = fmt::format("TLS handshake failed: {}", d);
      }
      break;
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
      cause = fmt::format("client certificate: {}", d);
      break;
    case CURLE_SSL_CACERT_BADFILE:
      cause = fmt::format("CA certificates: {}", d);
      break;
    case CURLE_OPERATION_TIMEDOUT:
      cause = contains(d, "too slow") ? fmt::format("transfer stalled ({})", d)
                                      : fmt::format("timed out ({})", d);
      break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      cause = r.os_errno == ECONNRESET ? std::string("connection reset by peer")
              : d.empty()              ? std::string(curl_easy_strerror(r.curl))
                                       : d;
      break;
    case CURLE_PARTIAL_FILE:
      cause = fmt::format("connection closed before the end of the response ({})", d);
      break;
    case CURLE_GOT_NOTHING:
      cause = "the server closed the connection without a response";
      break;
    case CURLE_TOO_MANY_REDIRECTS:
      cause = "too many redirects";
      break;
    default:
      cause = d.empty() ? std::string(curl_easy_strerror(r.curl))
                        : fmt::format("{}: {}", curl_easy_strerror(r.curl), d);
  }
  std::string method = req.method.substr(0, 1) + to_lower(req.method.substr(1));
  return one_line(fmt::format("{} \"{}\": {}", method, without_query(req.url), cause));
}

std::string unauthorized_message(const std::string& detail) {
  constexpr std::string_view kBase = "unauthorized: authentication required";
  std::string_view d = detail;
  if (d.rfind("unauthorized: ", 0) == 0) d.remove_prefix(14);
  if (d.empty() || d == "unauthorized" || d == "authentication required") return std::string(kBase);
  return fmt::format("{}: {}", kBase, d);
}

// Throws for a response that is not a success; unknown names the 404 case
// ("manifest unknown", "blob unknown").
void check_status(const Response& r, std::string_view unknown) {
  if (r.ok()) return;
  std::string detail = registry_detail(r.error_body);
  std::string msg;
  if (r.status == 401) {
    msg = unauthorized_message(detail);
  } else if (r.status == 404) {
    // The registry's own words when they start the same way ("blob unknown:
    // blob unknown to registry"), else ours first ("manifest unknown: name
    // unknown: repository name not known to registry").
    if (detail.empty()) {
      msg = std::string(unknown);
    } else if (detail.rfind(unknown, 0) == 0) {
      msg = detail;
    } else {
      msg = fmt::format("{}: {}", unknown, detail);
    }
  } else if (r.status == 429) {
    msg = detail.empty() ? std::string("too many requests to registry")
                         : fmt::format("too many requests to registry: {}", detail);
  } else if (!detail.empty()) {
    msg = detail;
  } else {
    msg = fmt::format("received unexpected HTTP status: {}", status_string(r.status));
  }
  if (r.attempts > 1 && is_transient_status(r.status))
    msg += fmt::format(" (gave up after {} attempts)", r.attempts);
  throw Error(msg);
}

struct Token {
  std::string value;
  std::chrono::steady_clock::time_point expires;
};

struct TlsFiles {
  std::string dir;         // the certs.d directory used, or ""
  std::string ca_blob;     // system CAs followed by the *.crt files; empty: libcurl's default
  std::string client_cert; // *.cert path
  std::string client_key;  // the matching *.key path
};

// Reads a certs.d directory the way containers/image does: every *.crt is a
// CA added to the system ones, every *.cert needs a *.key of the same name
// (and the other way round). libcurl takes one client certificate; the first
// pair in name order wins.
TlsFiles load_tls_files(const std::string& dir) {
  TlsFiles out;
  if (dir.empty()) return out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT || errno == EACCES) {
      log::debug("certs directory {}: {}", dir, std::strerror(errno));
      return out;
    }
    throw_errno("open certs directory {}", dir);
  }
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  auto has = [&](const std::string& n) { return std::binary_search(names.begin(), names.end(), n); };
  auto ends_with = [](const std::string& s, std::string_view suf) {
    return s.size() > suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
  };
  out.dir = dir;
  std::string extra_cas;
  for (const auto& n : names) {
    std::string path = fs::join(dir, n);
    if (ends_with(n, ".crt")) {
      log::debug(" crt: {}", path);
      auto data = fs::read_file_if_exists(path);
      if (!data) continue;
      extra_cas += *data;
      if (!extra_cas.empty() && extra_cas.back() != '\n') extra_cas += '\n';
    } else if (ends_with(n, ".cert")) {
      std::string key = n.substr(0, n.size() - 5) + ".key";
      if (!has(key))
        fail("missing key {} for client certificate {} in {}: CA certificates use the extension .crt",
             key, n, dir);
      log::debug(" cert: {}", path);
      if (out.client_cert.empty()) {
        out.client_cert = path;
        out.client_key = fs::join(dir, key);
      } else {
        log::debug("only one client certificate is used; ignoring {}", path);
      }
    } else if (ends_with(n, ".key")) {
      std::string cert = n.substr(0, n.size() - 4) + ".cert";
      if (!has(cert)) fail("missing client certificate {} for key {} in {}", cert, n, dir);
    }
  }
  if (!extra_cas.empty()) {
    // CURLOPT_CAINFO_BLOB replaces libcurl's CA file, so put the system
    // bundle first: certs.d CAs are used in addition to it, as in Podman.
    // (The default CA directory, if libcurl has one, stays in use.)
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    if (info && info->age >= CURLVERSION_NINTH && info->cainfo) {
      if (auto sys = fs::read_file_if_exists(info->cainfo)) {
        out.ca_blob = std::move(*sys);
        if (!out.ca_blob.empty() && out.ca_blob.back() != '\n') out.ca_blob += '\n';
      }
    }
    out.ca_blob += extra_cas;
  }
  return out;
}

}  // namespace

std::string endpoint_host(std::string_view registry) {
  if (registry == "docker.io") return "registry-1.docker.io";
  return std::string(registry);
}

std::string default_cert_dir(std::string_view registry) {
  std::string candidates[] = {
      fs::join(fs::join(config::user_config_dir(), "containers/certs.d"), registry),
      fs::join("/etc/containers/certs.d", registry),
      fs::join("/etc/docker/certs.d", registry),
  };
  for (const auto& c : candidates)
    if (fs::is_dir(c)) return c;
  return "";
}

// ---------------------------------------------------------------------------

struct Client::Impl {
  std::string registry;  // as written in image names ("docker.io")
  std::string host;      // where requests go ("registry-1.docker.io")
  ClientOptions opts;
  bool verify;

  // DNS only: libcurl does not support one connection cache for concurrent
  // threads, so connections are reused through the handle pool instead.
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks;

  std::mutex pool_mu;
  std::vector<CURL*> pool;

  std::mutex ready_mu;
  bool ready = false;
  std::string base;  // "https://host" once the ping succeeded
  TlsFiles tls;

  std::mutex auth_mu;
  std::map<std::string, Token> tokens;  // by scope
  bool basic = false;                   // the registry asked for Basic auth
  std::map<std::string, std::optional<config::Credentials>> creds_cache;  // by repository
  std::mutex token_fetch_mu;  // one token request at a time

  Impl(std::string reg, ClientOptions o)
      : registry(std::move(reg)), host(endpoint_host(registry)), opts(std::move(o)) {
    verify = opts.tls_verify && !opts.insecure;
    if (opts.max_attempts < 1) opts.max_attempts = 1;
    global_init();
    share = curl_share_init();
    if (!share) fail("registry {}: curl_share_init failed", registry);
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Impl::lock_share);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock_share);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }

  ~Impl() {
    for (CURL* h : pool) curl_easy_cleanup(h);
    curl_share_cleanup(share);
  }

  static void lock_share(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->share_locks[static_cast<size_t>(data)].lock();
  }
  static void unlock_share(CURL*, curl_lock_data data, void* user) {
    static_cast<Impl*>(user)->share_locks[static_cast<size_t>(data)].unlock();
  }

  // A handle from the pool (keeping its live connections) or a new one.
  struct Handle {
    Handle(Impl* i, CURL* c) : impl(i), h(c) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { impl->release(h); }
    Impl* impl;
    CURL* h;
  };
  Handle acquire() {
    {
      std::lock_guard lk(pool_mu);
      if (!pool.empty()) {
        CURL* h = pool.back();
        pool.pop_back();
        return Handle{this, h};
      }
    }
    CURL* h = curl_easy_init();
    if (!h) fail("registry {}: curl_easy_init failed", registry);
    return Handle{this, h};
  }
  void release(CURL* h) {
    curl_easy_reset(h);  // keeps the connection cache
    std::lock_guard lk(pool_mu);
    if (pool.size() < kMaxHandlePool) {
      pool.push_back(h);
    } else {
      curl_easy_cleanup(h);
    }
  }

  // One exchange. Throws only what the receiver threw.
  Response perform(const Request& req, Receiver& rx, const std::vector<std::string>& headers) {
    Handle handle = acquire();
    CURL* h = handle.h;
    Attempt a;
    a.rx = &rx;
    a.offset = rx.resumable ? rx.delivered : 0;
    char errbuf[CURL_ERROR_SIZE] = {0};

    struct curl_slist* list = nullptr;
    for (const auto& hd : headers) list = curl_slist_append(list, hd.c_str());
    ScopeGuardSlist guard{list};

    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_SHARE, share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cabin/" CABIN_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    // Blobs redirect to storage. libcurl drops Authorization headers when a
    // redirect leaves the host (or port, or scheme), as the spec requires.
    http_only(h);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSecs);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(opts.low_speed_time.count()));
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    // HTTP/1.1 even where TLS offers HTTP/2: a registry's traffic is a few
    // large bodies, where HTTP/2 only adds cost -- libcurl sends each 16 KiB
    // DATA frame's header as a TLS record of its own and the server answers
    // every frame with a WINDOW_UPDATE, so a push made three records, two
    // sends and two receives per 16 KiB.
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
    UploadSource upload{req.upload_fd, 0, req.upload_size};
    if (req.method == "POST") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.post_body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.post_body.c_str());
    } else if (req.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (req.method == "PUT" && req.upload_fd >= 0) {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
      curl_easy_setopt(h, CURLOPT_READDATA, &upload);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.upload_size));
    } else if (req.method == "PATCH") {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      // Bigger reads from the stream than the 64 KiB default: fewer trips
      // through the transfer loop (a poll each) for a layer of megabytes.
      curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_stream);
      curl_easy_setopt(h, CURLOPT_READDATA, const_cast<void*>(static_cast<const void*>(&req.stream)));
    } else if (req.method == "PUT") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.post_body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.post_body.c_str());
    }
    if (!verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (!tls.ca_blob.empty()) {
      struct curl_blob blob;
      blob.data = tls.ca_blob.data();
      blob.len = tls.ca_blob.size();
      blob.flags = CURL_BLOB_NOCOPY;  // tls outlives every handle of this client
      curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!tls.client_cert.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, tls.client_cert.c_str());
      curl_easy_setopt(h, CURLOPT_SSLKEY, tls.client_key.c_str());
    }

    a.resp.curl = curl_easy_perform(h);
    if (a.resp.curl == CURLE_OK && !a.started && !a.error) {
      try {
        a.begin();  // an empty body still has to be accounted for
      } catch (...) {
        a.error = std::current_exception();
      }
    }
    if (a.error) std::rethrow_exception(a.error);
    long code = 0;
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code != 0)
      a.resp.status = code;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &a.resp.os_errno);
    a.resp.curl_detail = one_line(errbuf[0] ? errbuf : "");
    if (log::enabled(log::Level::Debug)) {
      char* eff = nullptr;
      curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
      if (a.resp.curl != CURLE_OK) {
        log::debug("{} {}: {}", req.method, without_query(req.url), describe_transport_error(req, a.resp));
      } else if (eff && std::string_view(eff) != req.url) {
        log::debug("{} {} → {}: {}", req.method, without_query(req.url),
                   without_query(eff ? eff : ""), a.resp.status);
      } else {
        log::debug("{} {}: {}", req.method, without_query(req.url), a.resp.status);
      }
    }
    return a.resp;
  }

  struct ScopeGuardSlist {
    struct curl_slist* list;
    ~ScopeGuardSlist() { curl_slist_free_all(list); }
  };

  void backoff(int attempt, const Response& r) {
    auto delay = opts.retry_delay * (1LL << std::min(attempt - 1, 20));
    if (delay > kMaxBackoff) delay = std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff);
    if (auto ra = parse_u64(r.header("retry-after")); ra && r.curl == CURLE_OK) {
      auto want = std::chrono::seconds(std::min<uint64_t>(*ra, kMaxRetryAfter.count()));
      if (want > delay) delay = want;
    }
    log::debug("retrying in {} ms (attempt {} of {})", delay.count(), attempt + 1, opts.max_attempts);
    std::this_thread::sleep_for(delay);
  }

  // A request with its retries. Returns the final response, whatever its
  // status; throws for a failure below HTTP once attempts are used up.
  Response run(const Request& req, Receiver& rx) {
    int attempt = 0;
    bool auth_refreshed = false;
    std::string scope = req.scope.empty() ? scope_for(req.repo) : req.scope;
    std::string auth = req.repo.empty() ? "" : auth_header(scope, req.repo);
    while (true) {
      ++attempt;
      if (!rx.resumable && rx.delivered > 0) {
        if (rx.restart) rx.restart();
        rx.delivered = 0;
      }
      std::vector<std::string> headers = req.headers;
      if (!auth.empty()) headers.push_back(auth);
      if (rx.resumable && rx.delivered > 0)
        headers.push_back(fmt::format("Range: bytes={}-", rx.delivered));

      uint64_t before = rx.delivered;
      Response r = perform(req, rx, headers);
      r.attempts = attempt;
      if (r.curl != CURLE_OK) {
        // A blob that made progress before the failure starts a fresh
        // budget of attempts: a long download over a flaky link is fine as
        // long as each connection moves it forward.
        int budget_used = rx.resumable && rx.delivered > before ? 0 : attempt;
        if (req.retry_transport && !req.once && is_transient_curl(r.curl) && opts.max_attempts > 1 &&
            budget_used < opts.max_attempts) {
          attempt = budget_used;
          backoff(std::max(attempt, 1), r);
          continue;
        }
        std::string msg = describe_transport_error(req, r);
        if (attempt > 1) msg += fmt::format(" (gave up after {} attempts)", attempt);
        throw Error(msg);
      }
      if (r.status == 401 && !req.repo.empty() && !auth_refreshed) {
        auth_refreshed = true;
        authenticate(scope, req.repo, r, auth);
        auth = auth_header(scope, req.repo);
        --attempt;  // authentication is not a retry
        continue;
      }
      if (r.status == 416 && rx.resumable && rx.total && rx.delivered == *rx.total) {
        r.status = 206;  // the connection broke after the last byte
        return r;
      }
      if (is_transient_status(r.status) && attempt < opts.max_attempts && !req.once) {
        backoff(attempt, r);
        continue;
      }
      return r;
    }
  }

  // --- authentication ------------------------------------------------------

  std::optional<config::Credentials> credentials(const std::string& repo) {
    if (opts.creds) return opts.creds;
    std::lock_guard lk(auth_mu);
    auto it = creds_cache.find(repo);
    if (it == creds_cache.end())
      it = creds_cache.emplace(repo, config::find_credentials(registry, repo)).first;
    return it->second;
  }

  static std::string scope_for(const std::string& repo) {
    return fmt::format("repository:{}:pull", repo);
  }

  // The Authorization header to send for scope (on repo), or "".
  std::string auth_header(const std::string& scope, const std::string& repo) {
    bool use_basic;
    {
      std::lock_guard lk(auth_mu);
      auto it = tokens.find(scope);
      if (it != tokens.end() && std::chrono::steady_clock::now() < it->second.expires)
        return "Authorization: Bearer " + it->second.value;
      use_basic = basic;
    }
    if (use_basic) {
      auto c = credentials(repo);
      if (c && !c->username.empty())
        return "Authorization: Basic " + base64(c->username + ":" + c->password);
    }
    return "";
  }

  // After a 401: gets what the challenge asks for, so that auth_header(scope,
  // repo) returns it. sent is the Authorization header the 401 answered.
  void authenticate(const std::string& scope, const std::string& repo, const Response& r, const std::string& sent) {
    std::vector<Challenge> challenges;
    for (const auto& v : r.all("www-authenticate")) {
      auto cs = parse_www_authenticate(v);
      challenges.insert(challenges.end(), cs.begin(), cs.end());
    }
    const Challenge* bearer = nullptr;
    const Challenge* basic_challenge = nullptr;
    for (const auto& c : challenges) {
      if (c.scheme == "bearer" && !bearer) bearer = &c;
      if (c.scheme == "basic" && !basic_challenge) basic_challenge = &c;
    }
    std::string detail = registry_detail(r.error_body);
    if (bearer) {
      auto realm = bearer->params.find("realm");
      if (realm == bearer->params.end() || realm->second.empty())
        fail("{} (the bearer challenge names no realm)", unauthorized_message(detail));
      auto service = bearer->params.find("service");
      std::lock_guard fetching(token_fetch_mu);
      {
        // Another thread may have fetched a fresh token meanwhile.
        std::lock_guard lk(auth_mu);
        auto it = tokens.find(scope);
        if (it != tokens.end() && std::chrono::steady_clock::now() < it->second.expires &&
            "Authorization: Bearer " + it->second.value != sent)
          return;
      }
      Token t = fetch_token(realm->second, service == bearer->params.end() ? "" : service->second,
                            scope, credentials(repo));
      std::lock_guard lk(auth_mu);
      tokens[scope] = std::move(t);
      return;
    }
    if (basic_challenge) {
      auto c = credentials(repo);
      if (!c || c->username.empty()) throw Error(unauthorized_message(detail));
      std::lock_guard lk(auth_mu);
      basic = true;
      return;
    }
    std::vector<std::string> schemes;
    for (const auto& c : challenges) schemes.push_back(c.scheme);
    if (schemes.empty()) throw Error(unauthorized_message(detail));
    fail("{} (unsupported authentication scheme {})", unauthorized_message(detail),
         join(schemes, ", "));
  }

  // Docker's token protocol: GET realm?service=…&scope=… with Basic
  // credentials when there are any; with an identity token, OAuth2's
  // refresh_token grant as a POST instead.
  Token fetch_token(const std::string& realm, const std::string& service, const std::string& scope,
                    const std::optional<config::Credentials>& creds) {
    if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0)
      fail("invalid bearer token realm {:?}: not an http(s) URL", realm);
    Request req;
    if (creds && !creds->identity_token.empty()) {
      req.method = "POST";
      req.url = realm;
      req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
      std::string form = "grant_type=refresh_token&client_id=cabin";
      if (!service.empty()) form += "&service=" + url_encode(service);
      for (const auto& one : split(scope, ' '))
        if (!one.empty()) form += "&scope=" + url_encode(one);
      form += "&refresh_token=" + url_encode(creds->identity_token);
      req.post_body = std::move(form);
    } else {
      std::string q;
      if (!service.empty()) q += "service=" + url_encode(service) + "&";
      for (const auto& one : split(scope, ' '))
        if (!one.empty()) q += "scope=" + url_encode(one) + "&";
      if (!q.empty()) q.pop_back();
      req.url = q.empty() ? realm : realm + (contains(realm, "?") ? "&" : "?") + q;
      if (creds && !creds->username.empty())
        req.headers.push_back("Authorization: Basic " +
                              base64(creds->username + ":" + creds->password));
    }
    req.headers.push_back("Accept: application/json");
    std::string body;
    Receiver rx;
    rx.sink = [&](const char* p, size_t n) { body.append(p, n); };
    rx.restart = [&] { body.clear(); };
    rx.limit = kMaxTokenSize;
    rx.what = "token response";
    Response r = with_context("requesting bearer token", [&] { return run(req, rx); });
    if (r.status == 401 || r.status == 403) {
      std::string detail = registry_detail(r.error_body);
      if (creds) {
        fail("unable to retrieve auth token: invalid username/password{}",
             detail.empty() ? "" : ": " + detail);
      }
      throw Error(unauthorized_message(detail));
    }
    with_context("requesting bearer token", [&] { check_status(r, "token endpoint not found"); });
    auto answer = parse_token_response(body);
    Token t;
    t.value = std::move(answer.token);
    int64_t lifetime = answer.lifetime_secs;
    t.expires = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime);
    log::debug("got a bearer token for {} (valid {} s)", scope, lifetime);
    return t;
  }

  // --- ping ------------------------------------------------------------------

  struct PingResult {
    bool ok = false;
    bool transport = false;  // failed below HTTP
    std::string message;
  };

  PingResult ping(const std::string& scheme) {
    Request req;
    req.url = fmt::format("{}://{}/v2/", scheme, host);
    req.retry_transport = false;
    // "{}", or a page: never a body without end, which is the registry's
    // answer, not a failure to reach it.
    uint64_t got = 0;
    bool too_large = false;
    Receiver rx;
    rx.sink = [&](const char*, size_t n) {
      got += n;
      if (got > kMaxIgnoredBody) {
        too_large = true;
        fail("Get \"{}\": the answer is larger than the limit of {} bytes", req.url, kMaxIgnoredBody);
      }
    };
    PingResult out;
    try {
      Response r = run(req, rx);
      // 401 is fine: it only says that requests need credentials.
      if (r.ok() || r.status == 401) {
        out.ok = true;
      } else {
        std::string detail = registry_detail(r.error_body);
        out.message = fmt::format("{} \"{}\": received unexpected HTTP status: {}{}", "Get", req.url,
                                  status_string(r.status), detail.empty() ? "" : ": " + detail);
      }
    } catch (const Error& e) {
      out.transport = !too_large;
      out.message = e.what();
    }
    return out;
  }

  // A request whose body (if any) does not matter.
  Response discard(const Request& req) {
    Receiver rx;
    rx.sink = [](const char*, size_t) {};
    // A HEAD's Content-Length is the blob's; any other answer is small.
    if (req.method != "HEAD") rx.limit = kMaxIgnoredBody;
    return run(req, rx);
  }
  std::string location(const Response& r, std::string_view what) const;
  // POST /v2/<repo>/blobs/uploads/: the new upload session's URL.
  std::string start_upload(std::string_view repo) {
    validate_repo(repo);
    prepare();
    Request start;
    start.method = "POST";
    start.url = fmt::format("{}/v2/{}/blobs/uploads/", base, repo);
    start.repo = std::string(repo);
    start.scope = push_scope(repo);
    Response r = discard(start);
    check_status(r, "name unknown");
    if (r.status != 202) fail("starting the upload: received unexpected HTTP status: {}", status_string(r.status));
    return location(r, "starting the upload");
  }
  void upload(std::string_view repo, std::string_view digest, int fd, uint64_t size, std::string_view data);

  // Reads the certs.d files and finds the scheme, once.
  void prepare() {
    std::lock_guard lk(ready_mu);
    if (ready) return;
    std::string dir = opts.cert_dir.empty() ? default_cert_dir(registry) : opts.cert_dir;
    tls = with_context(fmt::format("registry {}", registry), [&] { return load_tls_files(dir); });
    PingResult https = ping("https");
    if (https.ok) {
      base = "https://" + host;
      ready = true;
      return;
    }
    if (!verify && https.transport) {
      // As Podman with --tls-verify=false: the registry may serve plain HTTP.
      log::debug("ping over https failed ({}); trying http", https.message);
      PingResult http = ping("http");
      if (http.ok) {
        base = "http://" + host;
        ready = true;
        return;
      }
      if (!http.transport) fail("pinging container registry {}: {}", host, http.message);
    }
    fail("pinging container registry {}: {}", host, https.message);
  }
};

Client::Client(std::string registry, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(registry), std::move(options))) {}

Client::~Client() = default;

const std::string& Client::registry() const { return impl_->registry; }

Manifest Client::get_manifest(std::string_view repo, std::string_view reference) {
  bool by_digest = reference.find(':') != std::string_view::npos;
  std::string name = fmt::format("{}/{}{}{}", impl_->registry, repo, by_digest ? "@" : ":", reference);
  return with_context(fmt::format("reading manifest {}", name), [&] {
    validate_reference(repo, reference);
    impl_->prepare();
    Request req;
    req.url = fmt::format("{}/v2/{}/manifests/{}", impl_->base, repo, reference);
    req.headers.push_back(fmt::format("Accept: {}", kManifestAccept));
    req.repo = std::string(repo);
    Manifest m;
    Receiver rx;
    rx.sink = [&](const char* p, size_t n) { m.body.append(p, n); };
    rx.restart = [&] { m.body.clear(); };
    rx.limit = kMaxManifestSize;
    rx.what = "manifest";
    Response r = impl_->run(req, rx);
    check_status(r, "manifest unknown");
    m.digest = sha256_digest(m.body);
    if (by_digest && m.digest != reference)
      fail("manifest digest mismatch: the registry sent content with digest {}", m.digest);
    if (auto sent = r.header("docker-content-digest"); !by_digest && !sent.empty() && sent != m.digest)
      log::debug("{}: Docker-Content-Digest {} differs from the body's {}", name, sent, m.digest);
    m.media_type = manifest_media_type(r.header("content-type"), m.body);
    return m;
  });
}

std::string Client::get_blob(std::string_view repo, std::string_view digest, size_t max_size) {
  return with_context(fmt::format("reading blob {}/{}@{}", impl_->registry, repo, digest), [&] {
    validate_repo(repo);
    validate_digest(digest);
    impl_->prepare();
    Request req;
    req.url = fmt::format("{}/v2/{}/blobs/{}", impl_->base, repo, digest);
    req.repo = std::string(repo);
    std::string out;
    Receiver rx;
    rx.sink = [&](const char* p, size_t n) { out.append(p, n); };
    rx.resumable = true;
    rx.limit = max_size;
    rx.what = "blob";
    Response r = impl_->run(req, rx);
    check_status(r, "blob unknown");
    std::string got = sha256_digest(out);
    if (got != digest) fail("blob digest mismatch: the registry sent content with digest {}", got);
    return out;
  });
}

void Client::stream_blob(std::string_view repo, std::string_view digest,
                         const std::function<void(const char* data, size_t len)>& sink, uint64_t size) {
  Receiver rx;
  rx.sink = sink;
  rx.resumable = true;
  rx.what = "blob";
  if (size > 0 && size < SIZE_MAX) {
    rx.limit = static_cast<size_t>(size);
    rx.declared = true;
  }
  try {
    validate_repo(repo);
    validate_digest(digest);
    impl_->prepare();
    Request req;
    req.url = fmt::format("{}/v2/{}/blobs/{}", impl_->base, repo, digest);
    req.repo = std::string(repo);
    Response r = impl_->run(req, rx);
    check_status(r, "blob unknown");
  } catch (Error& e) {
    if (!rx.sink_failed)
      e.add_context(fmt::format("reading blob {}/{}@{}", impl_->registry, repo, digest));
    throw;
  }
}

// ---------------------------------------------------------------------------
// Pushing.

bool Client::has_blob(std::string_view repo, std::string_view digest) {
  return with_context(fmt::format("checking blob {}/{}@{}", impl_->registry, repo, digest), [&] {
    validate_repo(repo);
    validate_digest(digest);
    impl_->prepare();
    Request req;
    req.method = "HEAD";
    req.url = fmt::format("{}/v2/{}/blobs/{}", impl_->base, repo, digest);
    req.repo = std::string(repo);
    req.scope = push_scope(repo);
    Response r = impl_->discard(req);
    if (r.status == 404) return false;
    check_status(r, "blob unknown");
    return true;
  });
}

// An upload's Location: absolute, or a path on the registry.
std::string Client::Impl::location(const Response& r, std::string_view what) const {
  std::string loc = r.header("location");
  if (loc.empty()) fail("{}: the registry gave no upload location", what);
  if (loc.rfind("http://", 0) == 0 || loc.rfind("https://", 0) == 0) return loc;
  if (loc.front() != '/') loc.insert(loc.begin(), '/');
  return base + loc;
}

bool Client::mount_blob(std::string_view repo, std::string_view digest, std::string_view from) {
  try {
    validate_repo(repo);
    validate_repo(from);
    validate_digest(digest);
    impl_->prepare();
    Request req;
    req.method = "POST";
    req.url = fmt::format("{}/v2/{}/blobs/uploads/?mount={}&from={}", impl_->base, repo, digest, from);
    req.repo = std::string(repo);
    req.scope = fmt::format("{} repository:{}:pull", push_scope(repo), from);
    Response r = impl_->discard(req);
    log::debug("mount {} from {} into {}: {}", digest, from, repo, r.status);
    return r.status == 201;
  } catch (const Error& e) {
    log::debug("mount {} from {} into {}: {}", digest, from, repo, e.what());
    return false;
  }
}

void Client::upload_blob(std::string_view repo, std::string_view digest, int fd, uint64_t size) {
  impl_->upload(repo, digest, fd, size, {});
}

void Client::upload_blob(std::string_view repo, std::string_view digest, std::string_view data) {
  impl_->upload(repo, digest, -1, data.size(), data);
}

void Client::Impl::upload(std::string_view repo, std::string_view digest, int fd, uint64_t size, std::string_view data) {
  std::string what = fmt::format("writing blob {}/{}@{}", registry, repo, digest);
  with_context(what, [&] {
    validate_digest(digest);
    Request put;
    put.method = "PUT";
    put.url = with_digest(start_upload(repo), digest);
    put.headers.push_back("Content-Type: application/octet-stream");
    put.headers.push_back("Expect:");  // no 100-continue round trip (and up to 1 s of waiting) before the body
    put.repo = std::string(repo);
    put.scope = push_scope(repo);
    put.upload_fd = fd;
    put.upload_size = size;
    if (fd < 0) put.post_body = std::string(data);
    Response done = discard(put);
    check_status(done, "blob upload unknown");
    if (auto sent = done.header("docker-content-digest"); !sent.empty() && sent != digest)
      fail("the registry stored it as {}", sent);
  });
}

void Client::upload_stream(std::string_view repo, const std::function<size_t(char*, size_t)>& read,
                           const std::function<std::string()>& digest) {
  with_context(fmt::format("writing a blob to {}/{}", impl_->registry, repo), [&] {
    Request patch;
    patch.method = "PATCH";
    patch.url = impl_->start_upload(repo);
    patch.headers = {"Content-Type: application/octet-stream", "Expect:"};
    patch.repo = std::string(repo);
    patch.scope = push_scope(repo);
    patch.once = true;
    patch.stream = read;
    Response sent = impl_->discard(patch);
    check_status(sent, "blob upload unknown");
    std::string d = digest();
    Request put;
    put.method = "PUT";
    put.url = with_digest(impl_->location(sent, "sending the blob"), d);
    put.repo = patch.repo;
    put.scope = patch.scope;
    Response done = impl_->discard(put);
    check_status(done, "blob upload unknown");
  });
}

void Client::put_manifest(std::string_view repo, std::string_view reference, std::string_view body,
                          std::string_view media_type) {
  bool by_digest = reference.find(':') != std::string_view::npos;
  std::string name = fmt::format("{}/{}{}{}", impl_->registry, repo, by_digest ? "@" : ":", reference);
  with_context(fmt::format("writing manifest {}", name), [&] {
    validate_reference(repo, reference);
    impl_->prepare();
    Request req;
    req.method = "PUT";
    req.url = fmt::format("{}/v2/{}/manifests/{}", impl_->base, repo, reference);
    req.headers.push_back(fmt::format("Content-Type: {}", media_type));
    req.repo = std::string(repo);
    req.scope = push_scope(repo);
    req.post_body = std::string(body);
    Response r = impl_->discard(req);
    check_status(r, "manifest unknown");
  });
}

void Client::login() {
  with_context(fmt::format("logging into {:?}", impl_->registry), [&] {
    impl_->prepare();
    if (!impl_->opts.creds || impl_->opts.creds->username.empty()) fail("no username given");
    const auto& creds = *impl_->opts.creds;
    Request req;
    req.url = impl_->base + "/v2/";
    Response r = impl_->discard(req);
    if (r.ok()) return;  // the registry asks for nothing
    if (r.status != 401) check_status(r, "not found");
    std::vector<Challenge> challenges;
    for (const auto& v : r.all("www-authenticate")) {
      auto cs = parse_www_authenticate(v);
      challenges.insert(challenges.end(), cs.begin(), cs.end());
    }
    std::string header;
    for (const auto& c : challenges) {
      if (c.scheme == "bearer") {
        auto realm = c.params.find("realm"), service = c.params.find("service");
        if (realm == c.params.end()) fail("the bearer challenge names no realm");
        auto t = impl_->fetch_token(realm->second, service == c.params.end() ? "" : service->second, "", creds);
        header = "Authorization: Bearer " + t.value;
        break;
      }
      if (c.scheme == "basic") {
        header = "Authorization: Basic " + base64(creds.username + ":" + creds.password);
        break;
      }
    }
    if (header.empty()) fail("the registry asks for an authentication scheme cabin does not know");
    req.headers.push_back(header);
    Response again = impl_->discard(req);
    if (again.status == 401 || again.status == 403) fail("invalid username/password");
    check_status(again, "not found");
  });
}

}  // namespace cabin::registry
