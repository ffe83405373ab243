// A small scriptable HTTP/1.1 server on 127.0.0.1 for unit tests: one thread
// accepts, one thread per connection serves keep-alive requests through a
// handler. Responses can misbehave on purpose: cut the body short, stall
// mid-body, or send raw bytes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace cabin::test {

struct HttpRequest {
  std::string method;
  std::string target;  // as sent: path?query
  std::string path;
  std::string query;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  bool has_header(const std::string& name) const { return headers.count(name) != 0; }
  // The value of a query parameter, %-decoded ("" when absent).
  std::string param(std::string_view name) const {
    size_t pos = 0;
    while (pos <= query.size()) {
      size_t amp = query.find('&', pos);
      if (amp == std::string::npos) amp = query.size();
      std::string_view kv(query.data() + pos, amp - pos);
      auto eq = kv.find('=');
      if (kv.substr(0, eq) == name) return eq == kv.npos ? "" : decode(kv.substr(eq + 1));
      pos = amp + 1;
    }
    return "";
  }
  static std::string decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else if (s[i] == '+') {
        out += ' ';
      } else {
        out += s[i];
      }
    }
    return out;
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Misbehaviour, for tests of the client's recovery.
  std::optional<size_t> cut_after;            // send this many body bytes, then close
  std::optional<size_t> stall_after;          // send this many body bytes, then wait...
  std::chrono::milliseconds stall{0};         // ...this long before the rest
  bool close = false;                         // close the connection after this response
  std::optional<std::string> raw;             // send exactly these bytes, then close

  HttpResponse& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static HttpResponse text(int status, std::string body = "") {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static HttpResponse json(int status, std::string body) {
    HttpResponse r = text(status, std::move(body));
    r.header("Content-Type", "application/json");
    return r;
  }
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpTestServer {
 public:
  explicit HttpTestServer(HttpHandler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("bind/listen on 127.0.0.1");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~HttpTestServer() { stop(); }
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  void stop() {
    {
      std::lock_guard lk(mu_);
      if (stopping_) return;
      stopping_ = true;
      for (int fd : conns_) ::shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    ::close(listen_fd_);
    std::vector<std::thread> threads;
    {
      std::lock_guard lk(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  uint16_t port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url(std::string_view path) const { return "http://" + host() + std::string(path); }

  std::vector<HttpRequest> requests() const {
    std::lock_guard lk(mu_);
    return log_;
  }
  size_t count(std::string_view path) const {
    std::lock_guard lk(mu_);
    return static_cast<size_t>(std::count_if(log_.begin(), log_.end(),
                                             [&](const HttpRequest& r) { return r.path == path; }));
  }
  size_t connections() const { return accepted_; }

 private:
  void accept_loop() {
    while (true) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        return;
      }
      std::lock_guard lk(mu_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      ++accepted_;
      conns_.insert(fd);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Waits up to d, less when the server stops.
  void sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, d, [this] { return stopping_; });
  }

  static std::string reason(int status) {
    switch (status) {
      case 200: return "OK";
      case 206: return "Partial Content";
      case 302: return "Found";
      case 307: return "Temporary Redirect";
      case 400: return "Bad Request";
      case 401: return "Unauthorized";
      case 403: return "Forbidden";
      case 404: return "Not Found";
      case 416: return "Range Not Satisfiable";
      case 429: return "Too Many Requests";
      case 500: return "Internal Server Error";
      case 503: return "Service Unavailable";
      default: return "Status";
    }
  }

  // Reads one request; false when the peer closed or sent something that is
  // not HTTP (then a 400 was sent).
  bool read_request(int fd, std::string& buf, HttpRequest& req) {
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      // A TLS ClientHello (0x16…) or other junk: answer like an HTTP server
      // that was spoken TLS to, instead of waiting for a blank line.
      if (!buf.empty() && !std::isupper(static_cast<unsigned char>(buf[0]))) {
        send_all(fd, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return false;
      }
      char tmp[8192];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
    }
    std::string head = buf.substr(0, end);
    buf.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string line = head.substr(0, line_end);
    auto sp1 = line.find(' ');
    auto sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) return false;
    req.method = line.substr(0, sp1);
    req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string h = head.substr(pos, e - pos);
      auto colon = h.find(':');
      if (colon != std::string::npos) {
        std::string name = h.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        size_t v = colon + 1;
        while (v < h.size() && h[v] == ' ') ++v;
        req.headers[name] = h.substr(v);
      }
      pos = e + 2;
    }
    size_t want = 0;
    if (auto it = req.headers.find("content-length"); it != req.headers.end())
      want = std::stoul(it->second);
    while (buf.size() < want) {
      char tmp[8192];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
    }
    req.body = buf.substr(0, want);
    buf.erase(0, want);
    return true;
  }

  // Sends r; false when the connection must close afterwards.
  bool write_response(int fd, const HttpRequest& req, const HttpResponse& r) {
    if (r.raw) {
      send_all(fd, *r.raw);
      return false;
    }
    std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
    bool has_length = false;
    for (const auto& [k, v] : r.headers) {
      head += k + ": " + v + "\r\n";
      if (strcasecmp(k.c_str(), "content-length") == 0) has_length = true;
    }
    if (!has_length) head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    bool close = r.close || r.cut_after.has_value() ||
                 strcasecmp(req.header("connection").c_str(), "close") == 0;
    if (close) head += "Connection: close\r\n";
    head += "\r\n";
    if (!send_all(fd, head)) return false;
    if (req.method == "HEAD") return !close;
    std::string_view body = r.body;
    if (r.cut_after) body = body.substr(0, std::min(*r.cut_after, body.size()));
    if (r.stall_after && *r.stall_after < body.size()) {
      if (!send_all(fd, body.substr(0, *r.stall_after))) return false;
      sleep_for(r.stall);
      body.remove_prefix(*r.stall_after);
    }
    if (!send_all(fd, body)) return false;
    return !close;
  }

  void serve(int fd) {
    std::string buf;
    while (true) {
      HttpRequest req;
      if (!read_request(fd, buf, req)) break;
      {
        std::lock_guard lk(mu_);
        log_.push_back(req);
      }
      HttpResponse r;
      try {
        r = handler_(req);
      } catch (const std::exception& e) {
        r = HttpResponse::text(500, std::string("test handler threw: ") + e.what());
      }
      if (!write_response(fd, req, r)) break;
    }
    // Everything the client sent was read, so close sends FIN, not RST.
    ::shutdown(fd, SHUT_WR);
    {
      std::lock_guard lk(mu_);
      conns_.erase(fd);
    }
    ::close(fd);
  }

  HttpHandler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::set<int> conns_;
  std::vector<std::thread> threads_;
  std::vector<HttpRequest> log_;
  std::atomic<size_t> accepted_{0};
};

// Serves a body for a request that may carry "Range: bytes=N-", as a
// registry (honour_range) or a server that ignores ranges.
inline HttpResponse ranged(const HttpRequest& req, const std::string& data, bool honour_range) {
  HttpResponse r = HttpResponse::text(200, data);
  r.header("Content-Type", "application/octet-stream");
  std::string range = req.header("range");
  if (honour_range && range.rfind("bytes=", 0) == 0) {
    size_t start = std::stoul(range.substr(6));
    if (start >= data.size()) {
      HttpResponse e = HttpResponse::text(416);
      e.header("Content-Range", "bytes */" + std::to_string(data.size()));
      return e;
    }
    r.status = 206;
    r.body = data.substr(start);
    r.header("Content-Range", "bytes " + std::to_string(start) + "-" +
                                  std::to_string(data.size() - 1) + "/" +
                                  std::to_string(data.size()));
  }
  return r;
}

}  // namespace cabin::test
