#include "storage/fetch.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cerrno>

#include "cabin-config.h"
#include "registry/client.h"
#include "util/error.h"
#include "util/fd.h"

namespace cabin::storage {
namespace {

struct Sink {
  int fd;
  int err = 0;
};

size_t on_write(char* data, size_t size, size_t n, void* p) {
  auto* sink = static_cast<Sink*>(p);
  size_t len = size * n, done = 0;
  while (done < len) {
    ssize_t w = ::write(sink->fd, data + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      sink->err = errno;
      return 0;  // aborts the transfer
    }
    done += static_cast<size_t>(w);
  }
  return len;
}

}  // namespace

int64_t fetch_url(const std::string& url, int out_fd) {
  CURL* h = curl_easy_init();
  if (h == nullptr) fail("fetch {}: cannot start a transfer", url);
  ScopeGuard cleanup([&] { curl_easy_cleanup(h); });
  char errbuf[CURL_ERROR_SIZE] = "";
  Sink sink{out_fd};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "cabin/" CABIN_VERSION);
  registry::http_only(h);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  CURLcode rc = curl_easy_perform(h);
  if (sink.err != 0) throw Error(sink.err, fmt::format("fetch {}: write the download", url));
  if (rc != CURLE_OK) fail("fetch {}: {}", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) fail("fetch {}: HTTP status {}", url, status);
  curl_off_t when = -1;
  curl_easy_getinfo(h, CURLINFO_FILETIME_T, &when);
  return static_cast<int64_t>(when);
}

}  // namespace cabin::storage
