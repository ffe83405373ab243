// ADD's URLs: a file fetched over HTTP(S) (in cabin-remote.so, with libcurl).
#pragma once

#include <cstdint>
#include <string>

namespace cabin::storage {

// Writes what url serves to out_fd, following redirects. Returns the
// server's Last-Modified time (unix seconds), or -1 without one. Throws
// cabin::Error naming the URL and the HTTP status or transfer error.
int64_t fetch_url(const std::string& url, int out_fd);

}  // namespace cabin::storage
