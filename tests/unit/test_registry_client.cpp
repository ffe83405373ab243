// The registry client against a scripted registry on 127.0.0.1 (and, for
// TLS, `openssl s_server` when the openssl tool is installed).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>

#include "cabin-config.h"
#include "http_test_server.h"
#include "registry/client.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fs.h"

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;
using cabin::Error;
using cabin::registry::Client;
using cabin::registry::ClientOptions;
using cabin::registry::Manifest;
using cabin::test::HttpRequest;
using cabin::test::HttpResponse;
using cabin::test::HttpTestServer;

namespace {

std::string b64(std::string_view in) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

std::string random_bytes(size_t n, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string unauthorized_json(std::string_view message) {
  return fmt::format(R"({{"errors":[{{"code":"UNAUTHORIZED","message":"{}","detail":null}}]}})", message);
}

// Sets an environment variable for a scope.
class EnvVar {
 public:
  EnvVar(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~EnvVar() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Every test: no proxy between us and 127.0.0.1, credentials only from a
// file the test controls, and certs.d only under a scratch directory.
struct Isolated {
  cabin::fs::TempDir dir{"/tmp", "cabin-registry-test-"};
  std::string auth_file = dir.path() + "/auth.json";
  std::optional<EnvVar> auth_env;
  std::optional<EnvVar> xdg_env;

  Isolated() {
    for (const char* v : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                          "ALL_PROXY"})
      ::unsetenv(v);
    write_auth(R"({"auths":{}})");
    auth_env.emplace("REGISTRY_AUTH_FILE", auth_file);
    xdg_env.emplace("XDG_CONFIG_HOME", dir.path() + "/config");
  }
  void write_auth(const std::string& json) { cabin::fs::write_file_atomic(auth_file, json); }
};

ClientOptions test_options() {
  ClientOptions o;
  o.tls_verify = false;  // the test server speaks plain HTTP
  o.retry_delay = std::chrono::milliseconds(5);
  o.low_speed_time = std::chrono::seconds(2);
  return o;
}

// A registry with manifests, blobs, and the auth schemes Distribution uses.
struct FakeRegistry {
  enum class Auth { None, Basic, Bearer };
  Auth auth = Auth::None;
  std::string user = "alice";
  std::string password = "s3cret";
  std::string realm;  // the token endpoint; set once the server runs
  std::string service = "fake-registry";
  std::string user_token = "token-alice";
  std::string anonymous_token = "token-anon";
  std::string refresh_token;            // accepted by POST /token when set
  std::string token_field = "token";    // or access_token
  bool anonymous_may_pull = true;       // whether the registry accepts the anonymous token
  bool honour_range = true;
  std::function<std::optional<HttpResponse>(const HttpRequest&)> hook;  // runs first

  std::mutex mu;
  std::map<std::string, std::pair<std::string, std::string>> manifests;  // repo:ref → (type, body)
  std::map<std::string, std::string> blobs;                              // digest → data
  std::atomic<int> token_requests{0};
  std::atomic<int> challenges{0};

  std::string add_manifest(const std::string& repo, const std::string& tag, const std::string& type,
                           const std::string& body) {
    std::string d = cabin::sha256_digest(body);
    std::lock_guard lk(mu);
    manifests[repo + ":" + tag] = {type, body};
    manifests[repo + ":" + d] = {type, body};
    return d;
  }
  std::string add_blob(const std::string& data) {
    std::string d = cabin::sha256_digest(data);
    std::lock_guard lk(mu);
    blobs[d] = data;
    return d;
  }

  bool authorized(const HttpRequest& req) {
    std::string a = req.header("authorization");
    switch (auth) {
      case Auth::None: return true;
      case Auth::Basic: return a == "Basic " + b64(user + ":" + password);
      case Auth::Bearer:
        return a == "Bearer " + user_token || (anonymous_may_pull && a == "Bearer " + anonymous_token);
    }
    return false;
  }

  HttpResponse challenge(const std::string& repo) {
    ++challenges;
    if (auth == Auth::Basic) {
      return HttpResponse::json(401, unauthorized_json("authentication required"))
          .header("WWW-Authenticate", R"(Basic realm="fake-registry")");
    }
    std::string c = fmt::format(R"(Bearer realm="{}",service="{}")", realm, service);
    if (!repo.empty()) c += fmt::format(R"(,scope="repository:{}:pull")", repo);
    return HttpResponse::json(401, unauthorized_json("access to the requested resource is not authorized"))
        .header("WWW-Authenticate", c);
  }

  HttpResponse token(const HttpRequest& req) {
    ++token_requests;
    std::string value;
    if (req.method == "POST") {
      HttpRequest form;
      form.query = req.body;
      if (refresh_token.empty() || form.param("grant_type") != "refresh_token" ||
          form.param("refresh_token") != refresh_token)
        return HttpResponse::json(401, unauthorized_json("invalid refresh token"));
      value = user_token;
    } else if (req.has_header("authorization")) {
      if (req.header("authorization") != "Basic " + b64(user + ":" + password))
        return HttpResponse::json(401, unauthorized_json("incorrect username or password"));
      value = user_token;
    } else {
      value = anonymous_token;
    }
    return HttpResponse::json(
        200, fmt::format(R"({{"{}":"{}","expires_in":300,"issued_at":"2024-01-01T00:00:00Z"}})",
                         token_field, value));
  }

  HttpResponse handle(const HttpRequest& req) {
    if (hook)
      if (auto r = hook(req)) return *r;
    if (req.path == "/token") return token(req);
    if (req.path == "/v2/") return authorized(req) ? HttpResponse::json(200, "{}") : challenge("");
    size_t m = req.path.rfind("/manifests/");
    size_t b = req.path.rfind("/blobs/");
    if (req.path.rfind("/v2/", 0) != 0 || (m == std::string::npos && b == std::string::npos))
      return HttpResponse::text(404, "404 page not found");
    bool is_manifest = m != std::string::npos;
    size_t cut = is_manifest ? m : b;
    std::string repo = req.path.substr(4, cut - 4);
    std::string ref = req.path.substr(cut + (is_manifest ? 11 : 7));
    if (!authorized(req)) return challenge(repo);
    std::lock_guard lk(mu);
    if (is_manifest) {
      auto it = manifests.find(repo + ":" + ref);
      if (it == manifests.end())
        return HttpResponse::json(
            404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":")" +
                     ref + R"("}}]})");
      return HttpResponse::text(200, it->second.second)
          .header("Content-Type", it->second.first)
          .header("Docker-Content-Digest", cabin::sha256_digest(it->second.second));
    }
    auto it = blobs.find(ref);
    if (it == blobs.end())
      return HttpResponse::json(404, R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
    return cabin::test::ranged(req, it->second, honour_range);
  }
};

// A registry and its server, with the realm pointing back at it.
struct Served {
  Isolated iso;
  FakeRegistry reg;
  HttpTestServer server{[this](const HttpRequest& r) { return reg.handle(r); }};
  Served() { reg.realm = server.url("/token"); }
  std::string host() const { return server.host(); }
  std::vector<HttpRequest> requests_to(std::string_view path) const {
    std::vector<HttpRequest> out;
    for (auto& r : server.requests())
      if (r.path == path) out.push_back(r);
    return out;
  }
};

constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
const std::string kManifestBody =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{}})";

std::string error_text(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no cabin::Error thrown");
  return "";
}

// A port with nothing listening on it.
uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

// --- manifests -------------------------------------------------------------

TEST_CASE("registry client: a manifest by tag", "[registry]") {
  Served s;
  s.reg.add_manifest("foo/bar", "latest", "application/vnd.oci.image.manifest.v1+json; charset=utf-8",
                     kManifestBody);
  Client c(s.host(), test_options());
  CHECK(c.registry() == s.host());
  Manifest m = c.get_manifest("foo/bar", "latest");
  CHECK(m.body == kManifestBody);
  CHECK(m.media_type == kOciManifest);
  CHECK(m.digest == cabin::sha256_digest(kManifestBody));

  auto reqs = s.requests_to("/v2/foo/bar/manifests/latest");
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].header("accept") == cabin::registry::kManifestAccept);
  CHECK(reqs[0].header("user-agent") == "cabin/" CABIN_VERSION);
  CHECK_FALSE(reqs[0].has_header("authorization"));
}

TEST_CASE("registry client: the media type comes from the body when Content-Type is generic",
          "[registry]") {
  Served s;
  std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]})";
  s.reg.add_manifest("foo/bar", "list", "text/plain; charset=utf-8", index);
  s.reg.add_manifest("foo/bar", "plain", "application/json", R"({"schemaVersion":2})");
  Client c(s.host(), test_options());
  CHECK(c.get_manifest("foo/bar", "list").media_type ==
        "application/vnd.docker.distribution.manifest.list.v2+json");
  CHECK(c.get_manifest("foo/bar", "plain").media_type == "application/json");
}

TEST_CASE("registry client: a body contradicting Content-Type is rejected", "[registry]") {
  Served s;
  s.reg.add_manifest("foo/bar", "latest", "application/vnd.oci.image.index.v1+json", kManifestBody);
  Client c(s.host(), test_options());
  CHECK(error_text([&] { c.get_manifest("foo/bar", "latest"); }) ==
        "reading manifest " + s.host() +
            "/foo/bar:latest: manifest media type mismatch: Content-Type is "
            "application/vnd.oci.image.index.v1+json but the manifest says "
            "application/vnd.oci.image.manifest.v1+json");
}

TEST_CASE("registry client: a manifest by digest is verified", "[registry]") {
  Served s;
  std::string d = s.reg.add_manifest("foo/bar", "latest", std::string(kOciManifest), kManifestBody);
  Client c(s.host(), test_options());
  CHECK(c.get_manifest("foo/bar", d).body == kManifestBody);

  // The registry answers for a digest with other content.
  std::string wanted = cabin::sha256_digest("something else");
  {
    std::lock_guard lk(s.reg.mu);
    s.reg.manifests["foo/bar:" + wanted] = {std::string(kOciManifest), kManifestBody};
  }
  CHECK(error_text([&] { c.get_manifest("foo/bar", wanted); }) ==
        "reading manifest " + s.host() + "/foo/bar@" + wanted +
            ": manifest digest mismatch: the registry sent content with digest " + d);
}

TEST_CASE("registry client: an unknown tag or repository", "[registry]") {
  Served s;
  s.reg.hook = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path == "/v2/nothere/x/manifests/latest")
      return HttpResponse::json(
          404, R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})");
    if (r.path == "/v2/plain/manifests/latest") return HttpResponse::text(404, "not found");
    return std::nullopt;
  };
  Client c(s.host(), test_options());
  CHECK(error_text([&] { c.get_manifest("foo/bar", "nope"); }) ==
        "reading manifest " + s.host() + "/foo/bar:nope: manifest unknown");
  CHECK(error_text([&] { c.get_manifest("nothere/x", "latest"); }) ==
        "reading manifest " + s.host() +
            "/nothere/x:latest: manifest unknown: name unknown: repository name not known to registry");
  CHECK(error_text([&] { c.get_manifest("plain", "latest"); }) ==
        "reading manifest " + s.host() + "/plain:latest: manifest unknown");
  CHECK(s.server.count("/v2/foo/bar/manifests/nope") == 1);  // not retried
}

TEST_CASE("registry client: manifests are limited to 4 MiB", "[registry]") {
  Served s;
  std::string big(4 * 1024 * 1024 + 1, ' ');
  s.reg.add_manifest("foo/big", "latest", std::string(kOciManifest), big);
  s.reg.add_manifest("foo/exact", "latest", "application/json", std::string(4 * 1024 * 1024, ' '));
  // Without Content-Length the limit is enforced while reading.
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path != "/v2/foo/nolength/manifests/latest") return std::nullopt;
    HttpResponse resp;
    resp.raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + big;
    return resp;
  };
  Client c(s.host(), test_options());
  CHECK(error_text([&] { c.get_manifest("foo/big", "latest"); }) ==
        "reading manifest " + s.host() + "/foo/big:latest: manifest is larger than the limit of 4194304 bytes");
  CHECK(error_text([&] { c.get_manifest("foo/nolength", "latest"); }) ==
        "reading manifest " + s.host() +
            "/foo/nolength:latest: manifest is larger than the limit of 4194304 bytes");
  CHECK(c.get_manifest("foo/exact", "latest").body.size() == 4 * 1024 * 1024);
}

TEST_CASE("registry client: invalid names are refused before any request", "[registry]") {
  Served s;
  Client c(s.host(), test_options());
  CHECK(error_text([&] { c.get_manifest("Foo/bar", "latest"); }) ==
        "reading manifest " + s.host() + "/Foo/bar:latest: invalid repository name \"Foo/bar\"");
  CHECK(error_text([&] { c.get_manifest("foo/../bar", "latest"); }) ==
        "reading manifest " + s.host() + "/foo/../bar:latest: invalid repository name \"foo/../bar\"");
  CHECK(error_text([&] { c.get_manifest("foo", "v1?x=1"); }) ==
        "reading manifest " + s.host() + "/foo:v1?x=1: invalid tag \"v1?x=1\"");
  CHECK_THAT(error_text([&] { c.get_manifest("foo", "sha256:abc"); }),
             StartsWith("reading manifest " + s.host() + "/foo@sha256:abc: invalid digest"));
  CHECK_THAT(error_text([&] { c.get_blob("foo", "md5:abc"); }),
             StartsWith("reading blob " + s.host() + "/foo@md5:abc: invalid digest"));
  CHECK(s.server.requests().empty());
}

// --- authentication --------------------------------------------------------

TEST_CASE("registry client: basic auth with --creds", "[registry][auth]") {
  Served s;
  s.reg.auth = FakeRegistry::Auth::Basic;
  s.reg.add_manifest("foo/bar", "latest", std::string(kOciManifest), kManifestBody);
  std::string blob = s.reg.add_blob("config");
  auto opts = test_options();
  opts.creds = cabin::config::Credentials{"alice", "s3cret", ""};
  Client c(s.host(), opts);
  CHECK(c.get_manifest("foo/bar", "latest").body == kManifestBody);
  auto reqs = s.requests_to("/v2/foo/bar/manifests/latest");
  REQUIRE(reqs.size() == 2);
  CHECK_FALSE(reqs[0].has_header("authorization"));
  CHECK(reqs[1].header("authorization") == "Basic " + b64("alice:s3cret"));
  // Once the registry asked for Basic, credentials go with every request.
  int before = s.reg.challenges;
  CHECK(c.get_blob("foo/bar", blob) == "config");
  CHECK(s.reg.challenges == before);
}

TEST_CASE("registry client: basic auth failures", "[registry][auth]") {
  Served s;
  s.reg.auth = FakeRegistry::Auth::Basic;
  s.reg.add_manifest("foo/bar", "latest", std::string(kOciManifest), kManifestBody);
  const std::string want = "reading manifest " + s.host() + "/foo/bar:latest: unauthorized: authentication required";
  SECTION("wrong password") {
    auto opts = test_options();
    opts.creds = cabin::config::Credentials{"alice", "wrong", ""};
    Client c(s.host(), opts);
    CHECK(error_text([&] { c.get_manifest("foo/bar", "latest"); }) == want);
    CHECK(s.server.count("/v2/foo/bar/manifests/latest") == 2);
  }
  SECTION("no credentials") {
    Client c(s.host(), test_options());
    CHECK(error_text([&] { c.get_manifest("foo/bar", "latest"); }) == want);
    CHECK(s.server.count("/v2/foo/bar/manifests/latest") == 1);
  }
}

TEST_CASE("registry client: credentials from the auth file", "[registry][auth]") {
  Served s;
  s.reg.auth = FakeRegistry::Auth::Basic;
  s.reg.add_manifest("foo/bar", "latest", std::string(kOciManifest), kManifestBody);
  s.iso.write_auth(fmt::format(R"({{"auths":{{"{}":{{"auth":"{}"}}}}}})", s.host(), b64("alice:s3cret")));
  Client c(s.host(), test_options());
  CHECK(c.get_manifest("foo/bar", "latest").body == kManifestBody);
}

TEST_CASE("registry client: anonymous bearer token", "[registry][auth]") {
  Served s;
  s.reg.auth = FakeRegistry::Auth::Bearer;
  s.reg.add_manifest("foo/bar", "latest", std::string(kOciManifest), kManifestBody);
  s.reg.add_manifest("other/repo", "latest", std::string(kOciManifest), kManifestBody);
  std::string blob = s.reg.add_blob("config");
  Client c(s.host(), test_options());
  CHECK(c.get_manifest("foo/bar", "latest").body == kManifestBody);

  auto tokens = s.requests_to("/token");
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].method == "GET");
  CHECK(tokens[0].param("service") == "fake-registry");
  CHECK(tokens[0].param("scope") == "repository:foo/bar:pull");
  CHECK_FALSE(tokens[0].has_header("authorization"));
  auto reqs = s.requests_to("/v2/foo/bar/manifests/latest");
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].header("authorization") == "Bearer token-anon");

  // The token is cached for the scope...
  CHECK(c.get_blob("foo/bar", blob) == "config");
  CHECK(s.reg.token_requests == 1);
  CHECK(s.server.count("/v2/foo/bar/blobs/" + blob) == 1);
  // ...and another repository needs its own.
  CHECK(c.get_manifest("other/repo", "latest").body == kManifestBody);
  CHECK(s.reg.token_requests == 2);
  CHECK(s.requests_to("/token")[1].param("scope") == "repository:other/repo:pull");
}

TEST_CASE("registry client: bearer token with credentials", "[registry][auth]") {
  Served s;
  s.reg.auth = FakeRegistry::Auth::Bearer;
  s.reg.anonymous_may_pull = false;
  s.reg.add_manifest("foo/bar", "latest", std::string(kOciManifest), kManifestBody);
  const std::string prefix = "reading manifest " + s.host() + "/foo/bar:latest: ";

  SECTION("right password") {
    auto opts = test_options();
    opts.creds = cabin::config::Credentials{"alice", "s3cret", ""};
    Client c(s.host(), opts);
    CHECK(c.get_manifest("foo/bar", "latest").body == kManifestBody);
    auto tokens = s.requests_to("/token");
    REQUIRE(tokens.size() == 1);
    CHECK(tokens[0].header("authorization") == "Basic " + b64("alice:s3cret"));
    CHECK(s.requests_to("/v2/foo/bar/manifests/latest").back().header("authorization") ==
          "Bearer token-alice");
  }
  SECTION("access_token instead of token") {
    s.reg.token_field = "access_token";
    auto opts = test_options();
    opts.creds = cabin::config::Credentials{"alice", "s3cret", ""};
    Client c(s.host(), opts);
    CHECK(c.get_manifest("foo/bar", "latest").body == kManifestBody);
  }
  SECTION("wrong password") {
    auto opts = test_options();
    opts.creds = cabin::config::Credentials{"alice", "wrong", ""};
    Client c(s.host(), opts);
    CHECK(error_text([&] { c.get_manifest("foo/bar", "latest"); }) ==
          prefix + "unable to retrieve auth token: invalid username/password: unauthorized: incorrect "
                   "username or password");
  }
  SECTION("anonymous token not good enough") {
    Client c(s.host(), test_options());
    CHECK(error_text([&] { c.get_manifest("foo/bar", "latest"); }) ==
          prefix + "unauthorized: authentication required: access to the requested resource is not authorized");
    CHECK(s.server.count("/v2/foo/bar/manifests/latest") == 2);
    CHECK(s.reg.token_requests == 1);
  }
  SECTION("identity token") {
    s.reg.refresh_token = "refresh-me";
    s.reg.token_field = "access_token";
    auto opts = test_options();
    opts.creds = cabin::config::Credentials{"<token>", "", "refresh-me"};
    Client c(s.host(), opts);
    CHECK(c.get_manifest("foo/bar", "latest").body == kManifestBody);
    auto tokens = s.requests_to("/token");
    REQUIRE(tokens.size() == 1);
    CHECK(tokens[0].method == "POST");
    CHECK(tokens[0].header("content-type") == "application/x-www-form-urlencoded");
    HttpRequest form;
    form.query = tokens[0].body;
    CHECK(form.param("grant_type") == "refresh_token");
    CHECK(form.param("refresh_token") == "refresh-me");
    CHECK(form.param("client_id") == "cabin");
    CHECK(form.param("service") == "fake-registry");
    CHECK(form.param("scope") == "repository:foo/bar:pull");
  }
}

TEST_CASE("registry client: a rejected cached token is replaced once", "[registry][auth]") {
  Served s;
  s.reg.auth = FakeRegistry::Auth::Bearer;
  s.reg.add_manifest("foo/bar", "latest", std::string(kOciManifest), kManifestBody);
  Client c(s.host(), test_options());
  CHECK(c.get_manifest("foo/bar", "latest").body == kManifestBody);
  s.reg.anonymous_token = "token-anon-2";  // the old token no longer works
  CHECK(c.get_manifest("foo/bar", "latest").body == kManifestBody);
  CHECK(s.reg.token_requests == 2);
  CHECK(s.requests_to("/v2/foo/bar/manifests/latest").back().header("authorization") ==
        "Bearer token-anon-2");
}

TEST_CASE("registry client: unusable challenges", "[registry][auth]") {
  Served s;
  std::string www;
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path == "/v2/") return HttpResponse::json(200, "{}");
    HttpResponse resp = HttpResponse::json(401, unauthorized_json("authentication required"));
    if (!www.empty()) resp.header("WWW-Authenticate", www);
    return resp;
  };
  Client c(s.host(), test_options());
  const std::string prefix = "reading manifest " + s.host() + "/foo:latest: unauthorized: authentication required";
  www = "Negotiate";
  CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) ==
        prefix + " (unsupported authentication scheme negotiate)");
  www = "";
  CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) == prefix);
  www = R"(Bearer service="x")";
  CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) ==
        prefix + " (the bearer challenge names no realm)");
  www = R"(Bearer realm="file:///etc/passwd")";
  CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) ==
        "reading manifest " + s.host() +
            "/foo:latest: invalid bearer token realm \"file:///etc/passwd\": not an http(s) URL");
}

TEST_CASE("registry client: a token endpoint that fails", "[registry][auth]") {
  Served s;
  s.reg.auth = FakeRegistry::Auth::Bearer;
  s.reg.hook = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path == "/token") return HttpResponse::json(200, R"({"expires_in":60})");
    return std::nullopt;
  };
  Client c(s.host(), test_options());
  CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) ==
        "reading manifest " + s.host() + "/foo:latest: requesting bearer token: the response holds no token");
  s.reg.realm = "http://127.0.0.1:" + std::to_string(closed_port()) + "/token";
  CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) ==
        "reading manifest " + s.host() + "/foo:latest: requesting bearer token: Get \"" + s.reg.realm +
            "\": connection refused (gave up after 4 attempts)");
}

// --- blobs -----------------------------------------------------------------

TEST_CASE("registry client: get_blob", "[registry][blob]") {
  Served s;
  std::string d = s.reg.add_blob(R"({"architecture":"amd64"})");
  Client c(s.host(), test_options());
  CHECK(c.get_blob("foo/bar", d) == R"({"architecture":"amd64"})");
  const std::string prefix = "reading blob " + s.host() + "/foo/bar@" + d + ": ";
  CHECK(error_text([&] { c.get_blob("foo/bar", d, 10); }) == prefix + "blob is larger than the limit of 10 bytes");

  std::string missing = cabin::sha256_digest("missing");
  CHECK(error_text([&] { c.get_blob("foo/bar", missing); }) ==
        "reading blob " + s.host() + "/foo/bar@" + missing + ": blob unknown: blob unknown to registry");
  CHECK(s.server.count("/v2/foo/bar/blobs/" + missing) == 1);

  std::string liar = cabin::sha256_digest("what was asked for");
  {
    std::lock_guard lk(s.reg.mu);
    s.reg.blobs[liar] = "something else";
  }
  CHECK(error_text([&] { c.get_blob("foo/bar", liar); }) ==
        "reading blob " + s.host() + "/foo/bar@" + liar +
            ": blob digest mismatch: the registry sent content with digest " +
            cabin::sha256_digest("something else"));
}

TEST_CASE("registry client: stream_blob delivers every byte in order", "[registry][blob]") {
  Served s;
  std::string data = random_bytes(3 * 1024 * 1024);
  std::string d = s.reg.add_blob(data);
  Client c(s.host(), test_options());
  std::string got;
  size_t chunks = 0;
  c.stream_blob("foo/bar", d, [&](const char* p, size_t n) {
    got.append(p, n);
    ++chunks;
  });
  CHECK(got == data);
  CHECK(chunks > 1);
}

TEST_CASE("registry client: redirects to storage", "[registry][blob]") {
  Served s;
  s.reg.auth = FakeRegistry::Auth::Bearer;
  std::string data = random_bytes(200000, 7);
  std::string d = s.reg.add_blob(data);
  std::atomic<int> storage_hits{0};
  HttpTestServer storage([&](const HttpRequest& r) {
    // The first transfer breaks half way; the retry resumes from storage.
    if (storage_hits++ == 0) {
      HttpResponse resp = cabin::test::ranged(r, data, true);
      resp.cut_after = 50000;
      return resp;
    }
    return cabin::test::ranged(r, data, true);
  });
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path == "/v2/foo/bar/blobs/" + d && s.reg.authorized(r))
      return HttpResponse::text(307).header("Location", storage.url("/store/" + d + "?sig=secret"));
    return std::nullopt;
  };
  Client c(s.host(), test_options());
  std::string got;
  c.stream_blob("foo/bar", d, [&](const char* p, size_t n) { got.append(p, n); });
  CHECK(got == data);
  auto reqs = storage.requests();
  REQUIRE(reqs.size() == 2);
  for (const auto& r : reqs) {
    CHECK(r.query == "sig=secret");
    CHECK_FALSE(r.has_header("authorization"));  // never forwarded to another host
  }
  CHECK_FALSE(reqs[0].has_header("range"));
  CHECK(reqs[1].header("range") == "bytes=50000-");

  // Redirects to non-HTTP schemes are refused.
  std::string file_digest = cabin::sha256_digest("x");
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path == "/v2/foo/bar/blobs/" + file_digest)
      return HttpResponse::text(302).header("Location", "file:///etc/passwd");
    return std::nullopt;
  };
  CHECK_THAT(error_text([&] { c.get_blob("foo/bar", file_digest); }),
             StartsWith("reading blob " + s.host() + "/foo/bar@" + file_digest + ": Get \"http://" +
                        s.host() + "/v2/foo/bar/blobs/" + file_digest + "\": ") &&
                 Contains("file"));
}

TEST_CASE("registry client: a redirect on the same host keeps the credentials", "[registry][blob]") {
  Served s;
  s.reg.auth = FakeRegistry::Auth::Basic;
  std::string d = s.reg.add_blob("layer");
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path == "/v2/foo/blobs/" + d && s.reg.authorized(r))
      return HttpResponse::text(307).header("Location", "/storage/" + d);
    if (r.path == "/storage/" + d) {
      if (!s.reg.authorized(r)) return HttpResponse::text(403, "no");
      return HttpResponse::text(200, "layer");
    }
    return std::nullopt;
  };
  auto opts = test_options();
  opts.creds = cabin::config::Credentials{"alice", "s3cret", ""};
  Client c(s.host(), opts);
  CHECK(c.get_blob("foo", d) == "layer");
}

TEST_CASE("registry client: resuming a broken blob transfer", "[registry][blob]") {
  Served s;
  std::string data = random_bytes(1000000, 3);
  std::string d = s.reg.add_blob(data);
  std::atomic<int> hits{0};
  size_t cut = 0;
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path != "/v2/foo/bar/blobs/" + d) return std::nullopt;
    ++hits;
    HttpResponse resp = cabin::test::ranged(r, data, s.reg.honour_range);
    if (cut) resp.cut_after = cut;  // every response breaks after cut bytes
    else if (hits == 1) resp.cut_after = 300000;
    return resp;
  };
  std::string got;
  auto sink = [&](const char* p, size_t n) { got.append(p, n); };
  auto ranges = [&] {
    std::vector<std::string> out;
    for (auto& r : s.requests_to("/v2/foo/bar/blobs/" + d)) out.push_back(r.header("range"));
    return out;
  };

  SECTION("the server honours Range (206)") {
    Client c(s.host(), test_options());
    c.stream_blob("foo/bar", d, sink);
    CHECK(got == data);
    CHECK(ranges() == std::vector<std::string>{"", "bytes=300000-"});
  }
  SECTION("the server ignores Range (200)") {
    s.reg.honour_range = false;
    Client c(s.host(), test_options());
    c.stream_blob("foo/bar", d, sink);
    CHECK(got == data);
    CHECK(ranges() == std::vector<std::string>{"", "bytes=300000-"});
  }
  SECTION("each connection makes progress: the attempts start again") {
    cut = 90000;
    Client c(s.host(), test_options());  // max_attempts 4, but 12 connections
    c.stream_blob("foo/bar", d, sink);
    CHECK(got == data);
    CHECK(hits == 12);
    CHECK(ranges()[11] == "bytes=990000-");
  }
  SECTION("get_blob resumes too") {
    Client c(s.host(), test_options());
    CHECK(c.get_blob("foo/bar", d) == data);
    CHECK(ranges() == std::vector<std::string>{"", "bytes=300000-"});
  }
  SECTION("no progress: give up") {
    cut = 0;
    s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.path != "/v2/foo/bar/blobs/" + d) return std::nullopt;
      ++hits;
      HttpResponse resp = cabin::test::ranged(r, data, true);
      resp.cut_after = 0;
      return resp;
    };
    Client c(s.host(), test_options());
    std::string e = error_text([&] { c.stream_blob("foo/bar", d, sink); });
    CHECK_THAT(e, StartsWith("reading blob " + s.host() + "/foo/bar@" + d + ": Get \"http://" + s.host() +
                             "/v2/foo/bar/blobs/" + d +
                             "\": connection closed before the end of the response (transfer closed "
                             "with 1000000 bytes remaining to read) (gave up after 4 attempts)"));
    CHECK(hits == 4);
  }
}

TEST_CASE("registry client: transient HTTP statuses are retried", "[registry][blob]") {
  Served s;
  std::string d = s.reg.add_blob("payload");
  std::atomic<int> hits{0};
  int failures = 0;
  int status = 500;
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path != "/v2/foo/blobs/" + d) return std::nullopt;
    if (hits++ < failures) {
      HttpResponse resp = HttpResponse::text(status, "busy");
      if (status == 429) resp.header("Retry-After", "0");
      return resp;
    }
    return std::nullopt;
  };
  Client c(s.host(), test_options());
  const std::string prefix = "reading blob " + s.host() + "/foo@" + d + ": ";
  SECTION("500 twice") {
    failures = 2;
    CHECK(c.get_blob("foo", d) == "payload");
    CHECK(hits == 3);
  }
  SECTION("429 three times") {
    failures = 3;
    status = 429;
    std::string got;
    c.stream_blob("foo", d, [&](const char* p, size_t n) { got.append(p, n); });
    CHECK(got == "payload");
    CHECK(hits == 4);
  }
  SECTION("503 until the attempts run out") {
    failures = 100;
    status = 503;
    CHECK(error_text([&] { c.stream_blob("foo", d, [](const char*, size_t) {}); }) ==
          prefix + "received unexpected HTTP status: 503 Service Unavailable (gave up after 4 attempts)");
    CHECK(hits == 4);
  }
  SECTION("429 until the attempts run out") {
    failures = 100;
    status = 429;
    CHECK(error_text([&] { c.get_blob("foo", d); }) ==
          prefix + "too many requests to registry (gave up after 4 attempts)");
    CHECK(hits == 4);
  }
}

TEST_CASE("registry client: other errors are not retried", "[registry][blob]") {
  Served s;
  std::string d = cabin::sha256_digest("x");
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path == "/v2/bad/blobs/" + d)
      return HttpResponse::json(
          400, R"({"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]})");
    if (r.path == "/v2/denied/blobs/" + d)
      return HttpResponse::json(
          403, R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})");
    if (r.path == "/v2/teapot/blobs/" + d) return HttpResponse::text(418, "<html>short and stout</html>");
    return std::nullopt;
  };
  Client c(s.host(), test_options());
  auto sink = [](const char*, size_t) {};
  auto prefix = [&](std::string_view repo) { return fmt::format("reading blob {}/{}@{}: ", s.host(), repo, d); };
  CHECK(error_text([&] { c.stream_blob("bad", d, sink); }) ==
        prefix("bad") + "digest invalid: provided digest did not match uploaded content");
  CHECK(error_text([&] { c.stream_blob("denied", d, sink); }) ==
        prefix("denied") + "denied: requested access to the resource is denied");
  CHECK(error_text([&] { c.stream_blob("teapot", d, sink); }) ==
        prefix("teapot") + "received unexpected HTTP status: 418");
  CHECK(error_text([&] { c.stream_blob("missing", d, sink); }) ==
        prefix("missing") + "blob unknown: blob unknown to registry");
  for (auto repo : {"bad", "denied", "teapot", "missing"})
    CHECK(s.server.count(fmt::format("/v2/{}/blobs/{}", repo, d)) == 1);
}

TEST_CASE("registry client: an exception from the sink aborts the transfer", "[registry][blob]") {
  Served s;
  std::string data = random_bytes(2 * 1024 * 1024, 5);
  std::string d = s.reg.add_blob(data);
  Client c(s.host(), test_options());
  struct DiskFull : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  size_t seen = 0;
  try {
    c.stream_blob("foo", d, [&](const char*, size_t n) {
      seen += n;
      throw DiskFull("no space left");
    });
    FAIL("no exception");
  } catch (const DiskFull& e) {
    CHECK(std::string(e.what()) == "no space left");
  }
  CHECK(seen > 0);
  CHECK(seen < data.size());
  // A cabin::Error from the sink keeps its message: no context is added.
  try {
    c.stream_blob("foo", d, [&](const char*, size_t) { throw Error(ENOSPC, "write /x"); });
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "write /x: No space left on device");
  }
  CHECK(s.server.count("/v2/foo/blobs/" + d) == 2);  // neither was retried
}

// A hostile registry may send a body without end: with the descriptor's size
// the transfer stops as soon as it has more, never fills the disk.
TEST_CASE("registry client: a blob longer than its descriptor says", "[registry][blob][hostile]") {
  Served s;
  std::string data = random_bytes(100000, 11);
  std::string d = s.reg.add_blob(data);
  std::string endless(16 << 20, 'z');  // as good as endless for a 100000-byte blob
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    HttpResponse resp;
    if (r.path == "/v2/foo/endless/blobs/" + d) {
      resp.raw = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n" + endless;
      return resp;
    }
    if (r.path == "/v2/foo/long/blobs/" + d) return HttpResponse::text(200, data + "and more");
    return std::nullopt;
  };
  Client c(s.host(), test_options());
  uint64_t seen = 0;
  auto sink = [&](const char*, size_t n) { seen += n; };
  const std::string msg = ": blob is larger than the 100000 bytes the manifest says";
  SECTION("no Content-Length, bytes without end") {
    CHECK(error_text([&] { c.stream_blob("foo/endless", d, sink, data.size()); }) ==
          "reading blob " + s.host() + "/foo/endless@" + d + msg);
    CHECK(seen <= data.size());
    CHECK(s.server.count("/v2/foo/endless/blobs/" + d) == 1);  // not retried
  }
  SECTION("a Content-Length beyond the size: refused before any byte") {
    CHECK(error_text([&] { c.stream_blob("foo/long", d, sink, data.size()); }) ==
          "reading blob " + s.host() + "/foo/long@" + d + msg);
    CHECK(seen == 0);
  }
  SECTION("the size it says is fine") {
    c.stream_blob("foo/ok", d, sink, data.size());
    CHECK(seen == data.size());
  }
}

// Bodies the client reads only to drop (the ping, error answers) are bounded
// too: a registry cannot keep it reading for ever.
TEST_CASE("registry client: answers without end", "[registry][hostile]") {
  Served s;
  const std::string endless(16 << 20, 'z');
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    HttpResponse resp;
    if (r.path == "/v2/") {
      if (s.server.count("/v2/foo/ping/manifests/latest") == 0) return std::nullopt;
      resp.raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + endless;
      return resp;
    }
    if (r.path == "/v2/foo/error/manifests/latest") {
      resp.raw = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" + endless;
      return resp;
    }
    return std::nullopt;
  };
  SECTION("an error answer") {
    Client c(s.host(), test_options());
    CHECK(error_text([&] { c.get_manifest("foo/error", "latest"); }) ==
          "reading manifest " + s.host() + "/foo/error:latest: HTTP 404 with a body larger than the limit of 1048576 bytes");
  }
  SECTION("the ping") {
    {
      // Mark the ping as hostile from now on.
      Client warm(s.host(), test_options());
      CHECK_THROWS(warm.get_manifest("foo/ping", "latest"));
    }
    Client c(s.host(), test_options());
    CHECK(error_text([&] { c.get_manifest("foo/ping", "latest"); }) ==
          "reading manifest " + s.host() + "/foo/ping:latest: pinging container registry " + s.host() +
              ": Get \"http://" + s.host() + "/v2/\": the answer is larger than the limit of 1048576 bytes");
  }
}

TEST_CASE("registry client: a stalled transfer times out and resumes", "[registry][blob]") {
  Served s;
  std::string data = random_bytes(100000, 9);
  std::string d = s.reg.add_blob(data);
  std::atomic<int> hits{0};
  s.reg.hook = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path != "/v2/foo/blobs/" + d) return std::nullopt;
    HttpResponse resp = cabin::test::ranged(r, data, true);
    if (hits++ == 0) {
      // libcurl averages the speed over a few seconds: one byte and silence
      // is below 1 byte/s soonest.
      resp.stall_after = 1;
      resp.stall = std::chrono::seconds(20);
    }
    return resp;
  };
  auto opts = test_options();
  opts.low_speed_time = std::chrono::seconds(1);
  Client c(s.host(), opts);
  auto start = std::chrono::steady_clock::now();
  std::string got;
  c.stream_blob("foo", d, [&](const char* p, size_t n) { got.append(p, n); });
  CHECK(got == data);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  auto reqs = s.requests_to("/v2/foo/blobs/" + d);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].header("range") == "bytes=1-");
}

TEST_CASE("registry client: parallel transfers share one token", "[registry][blob]") {
  Served s;
  s.reg.auth = FakeRegistry::Auth::Bearer;
  std::vector<std::string> blobs, digests;
  for (unsigned i = 0; i < 8; ++i) {
    blobs.push_back(random_bytes(300000 + i, i + 100));
    digests.push_back(s.reg.add_blob(blobs.back()));
  }
  Client c(s.host(), test_options());
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (size_t i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      try {
        c.stream_blob("foo/bar", digests[i], [&](const char* p, size_t n) { got[i].append(p, n); });
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  for (size_t i = 0; i < 8; ++i) CHECK(got[i] == blobs[i]);
  CHECK(s.reg.token_requests == 1);
}

// --- connecting ------------------------------------------------------------

TEST_CASE("registry client: connection refused", "[registry][connect]") {
  Isolated iso;
  std::string host = "127.0.0.1:" + std::to_string(closed_port());
  const std::string want = "reading manifest " + host + "/foo:latest: pinging container registry " + host +
                           ": Get \"https://" + host + "/v2/\": connection refused";
  SECTION("verifying TLS") {
    auto opts = test_options();
    opts.tls_verify = true;
    Client c(host, opts);
    CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) == want);
  }
  SECTION("with the http fallback") {
    Client c(host, test_options());
    CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) == want);
  }
}

TEST_CASE("registry client: a plain HTTP registry", "[registry][connect]") {
  Served s;
  s.reg.add_manifest("foo", "latest", std::string(kOciManifest), kManifestBody);
  SECTION("needs --tls-verify=false") {
    auto opts = test_options();
    opts.tls_verify = true;
    Client c(s.host(), opts);
    std::string e = error_text([&] { c.get_manifest("foo", "latest"); });
    CHECK_THAT(e, StartsWith("reading manifest " + s.host() + "/foo:latest: pinging container registry " +
                             s.host() + ": Get \"https://" + s.host() +
                             "/v2/\": server gave HTTP response to HTTPS client ("));
    CHECK_THAT(e, EndsWith("); if the registry serves plain HTTP, use --tls-verify=false"));
    CHECK(s.server.requests().empty());
  }
  SECTION("insecure in registries.conf") {
    auto opts = test_options();
    opts.tls_verify = true;
    opts.insecure = true;
    Client c(s.host(), opts);
    CHECK(c.get_manifest("foo", "latest").body == kManifestBody);
    CHECK(s.server.count("/v2/") == 1);  // pinged once
    CHECK(c.get_manifest("foo", "latest").body == kManifestBody);
    CHECK(s.server.count("/v2/") == 1);
  }
}

TEST_CASE("registry client: a registry whose /v2/ fails", "[registry][connect]") {
  Served s;
  s.reg.hook = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path == "/v2/") return HttpResponse::text(404, "nothing here");
    return std::nullopt;
  };
  Client c(s.host(), test_options());
  CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) ==
        "reading manifest " + s.host() + "/foo:latest: pinging container registry " + s.host() + ": Get \"http://" +
            s.host() + "/v2/\": received unexpected HTTP status: 404 Not Found");
}

TEST_CASE("registry client: connections are reused", "[registry][connect]") {
  Served s;
  std::string d = s.reg.add_blob("x");
  Client c(s.host(), test_options());
  for (int i = 0; i < 5; ++i) CHECK(c.get_blob("foo", d) == "x");
  // The https probe, then one keep-alive connection for the ping and blobs.
  CHECK(s.server.connections() <= 2);
}

TEST_CASE("registry client: endpoints and certificate directories", "[registry]") {
  CHECK(cabin::registry::endpoint_host("docker.io") == "registry-1.docker.io");
  CHECK(cabin::registry::endpoint_host("quay.io") == "quay.io");
  CHECK(cabin::registry::endpoint_host("localhost:5000") == "localhost:5000");

  Isolated iso;
  std::string dir = iso.dir.path() + "/config/containers/certs.d/myregistry.test:5000";
  CHECK(cabin::registry::default_cert_dir("myregistry.test:5000") == "");
  cabin::fs::mkdir_p(dir);
  CHECK(cabin::registry::default_cert_dir("myregistry.test:5000") == dir);
  CHECK(cabin::registry::default_cert_dir("myregistry.test") == "");
}

TEST_CASE("registry client: a broken certificate directory", "[registry][tls]") {
  Served s;
  std::string dir = s.iso.dir.path() + "/certs";
  cabin::fs::mkdir_p(dir);
  auto opts = test_options();
  opts.cert_dir = dir;
  const std::string prefix = "reading manifest " + s.host() + "/foo:latest: registry " + s.host() + ": ";
  SECTION("a certificate without its key") {
    cabin::fs::write_file_atomic(dir + "/client.cert", "x");
    Client c(s.host(), opts);
    CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) ==
          prefix + "missing key client.key for client certificate client.cert in " + dir +
              ": CA certificates use the extension .crt");
  }
  SECTION("a key without its certificate") {
    cabin::fs::write_file_atomic(dir + "/client.key", "x");
    Client c(s.host(), opts);
    CHECK(error_text([&] { c.get_manifest("foo", "latest"); }) ==
          prefix + "missing client certificate client.cert for key client.key in " + dir);
  }
  CHECK(s.server.requests().empty());
}

// --- TLS, against openssl s_server -----------------------------------------

namespace {

bool have_openssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

void run_openssl(const std::string& dir, const std::string& args) {
  std::string cmd = "cd '" + dir + "' && openssl " + args + " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

// A CA, a server certificate for 127.0.0.1 signed by it, and a client
// certificate signed by it, all in dir.
void make_pki(const std::string& dir) {
  run_openssl(dir, "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                   "-subj /CN=cabin-test-ca -keyout ca.key -out ca.pem");
  for (std::string name : {"server", "client", "wronghost"}) {
    std::string subj = name == "server" ? "/CN=127.0.0.1" : "/CN=" + name;
    run_openssl(dir, "req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj " + subj + " -keyout " + name +
                         ".key -out " + name + ".csr");
    std::string ext = name == "server"      ? "subjectAltName=IP:127.0.0.1"
                      : name == "wronghost" ? "subjectAltName=DNS:wrong.example"
                                            : "extendedKeyUsage=clientAuth";
    cabin::fs::write_file_atomic(dir + "/" + name + ".ext", ext + "\n");
    run_openssl(dir, "x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile " +
                         name + ".ext -out " + name + ".pem");
  }
}

// openssl s_server -WWW serving files under dir/www; killed on destruction.
class TlsServer {
 public:
  TlsServer(const std::string& dir, const std::string& cert, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", dir + "/" + cert + ".pem",
                                     "-key", dir + "/" + cert + ".key", "-WWW"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string www = dir + "/www";
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, 0);
      ::dup2(out[1], 1);
      ::dup2(devnull, 2);
      if (::chdir(www.c_str()) != 0) ::_exit(126);
      ::execvp("openssl", argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    ::close(out[1]);
    // "ACCEPT 127.0.0.1:PORT" once it listens.
    std::string buf;
    char c;
    while (::read(out[0], &c, 1) == 1) {
      if (c != '\n') {
        buf += c;
        continue;
      }
      if (buf.rfind("ACCEPT ", 0) == 0) break;
      buf.clear();
    }
    out_fd_ = out[0];
    auto colon = buf.rfind(':');
    REQUIRE(colon != std::string::npos);
    host_ = "127.0.0.1:" + buf.substr(colon + 1);
  }
  ~TlsServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    ::close(out_fd_);
  }
  const std::string& host() const { return host_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string host_;
};

struct Pki {
  Isolated iso;
  std::string dir = iso.dir.path();
  Pki() {
    make_pki(dir);
    cabin::fs::mkdir_p(dir + "/www/v2/foo/manifests");
    cabin::fs::write_file_atomic(dir + "/www/v2/index.html", "{}");
    cabin::fs::write_file_atomic(dir + "/www/v2/foo/manifests/latest", kManifestBody);
    cabin::fs::mkdir_p(dir + "/certs");
  }
  std::string certs_with_ca() {
    cabin::fs::write_file_atomic(dir + "/certs/ca.crt", cabin::fs::read_file(dir + "/ca.pem"));
    return dir + "/certs";
  }
};

}  // namespace

TEST_CASE("registry client: TLS verification", "[registry][tls]") {
  if (!have_openssl()) {
    WARN("skipped: the openssl tool is not installed");
    return;
  }
  Pki pki;
  TlsServer server(pki.dir, "server");
  const std::string host = server.host();
  ClientOptions opts = test_options();
  opts.tls_verify = true;
  const std::string prefix = "reading manifest " + host + "/foo:latest: pinging container registry " + host +
                             ": Get \"https://" + host + "/v2/\": ";

  SECTION("an unknown CA") {
    opts.cert_dir = pki.dir + "/certs";  // empty
    Client c(host, opts);
    std::string e = error_text([&] { c.get_manifest("foo", "latest"); });
    CHECK_THAT(e, StartsWith(prefix + "x509: certificate signed by unknown authority (SSL certificate problem: "));
    CHECK_THAT(e, EndsWith("): the registry's certificate is not trusted; use --tls-verify=false, or --cert-dir "
                           "with its CA certificate (*.crt)"));
  }
  SECTION("the CA in --cert-dir") {
    opts.cert_dir = pki.certs_with_ca();
    Client c(host, opts);
    Manifest m = c.get_manifest("foo", "latest");
    CHECK(m.body == kManifestBody);
    CHECK(m.media_type == kOciManifest);  // s_server says text/plain
  }
  SECTION("the CA in the default certs.d") {
    std::string d = pki.dir + "/config/containers/certs.d/" + host;
    cabin::fs::mkdir_p(d);
    cabin::fs::write_file_atomic(d + "/ca.crt", cabin::fs::read_file(pki.dir + "/ca.pem"));
    Client c(host, opts);
    CHECK(c.get_manifest("foo", "latest").body == kManifestBody);
  }
  SECTION("--tls-verify=false") {
    opts.tls_verify = false;
    opts.cert_dir = pki.dir + "/certs";
    Client c(host, opts);
    CHECK(c.get_manifest("foo", "latest").body == kManifestBody);
  }
}

TEST_CASE("registry client: a certificate for another host", "[registry][tls]") {
  if (!have_openssl()) {
    WARN("skipped: the openssl tool is not installed");
    return;
  }
  Pki pki;
  TlsServer server(pki.dir, "wronghost");
  ClientOptions opts = test_options();
  opts.tls_verify = true;
  opts.cert_dir = pki.certs_with_ca();
  Client c(server.host(), opts);
  CHECK_THAT(error_text([&] { c.get_manifest("foo", "latest"); }),
             StartsWith("reading manifest " + server.host() + "/foo:latest: pinging container registry " +
                        server.host() + ": Get \"https://" + server.host() +
                        "/v2/\": the registry's certificate is not valid for this host name ("));
}

TEST_CASE("registry client: a client certificate from the cert dir", "[registry][tls]") {
  if (!have_openssl()) {
    WARN("skipped: the openssl tool is not installed");
    return;
  }
  Pki pki;
  TlsServer server(pki.dir, "server", {"-Verify", "1", "-CAfile", pki.dir + "/ca.pem"});
  ClientOptions opts = test_options();
  opts.tls_verify = true;
  opts.cert_dir = pki.certs_with_ca();
  SECTION("with it") {
    cabin::fs::write_file_atomic(opts.cert_dir + "/client.cert", cabin::fs::read_file(pki.dir + "/client.pem"));
    cabin::fs::write_file_atomic(opts.cert_dir + "/client.key", cabin::fs::read_file(pki.dir + "/client.key"));
    Client c(server.host(), opts);
    CHECK(c.get_manifest("foo", "latest").body == kManifestBody);
  }
  SECTION("without it") {
    Client c(server.host(), opts);
    CHECK_THAT(error_text([&] { c.get_manifest("foo", "latest"); }),
               StartsWith("reading manifest " + server.host() + "/foo:latest: pinging container registry " +
                          server.host() + ": Get \"https://" + server.host() + "/v2/\": "));
  }
}
