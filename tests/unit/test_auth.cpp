// Registry credentials from auth files, as containers-auth.json(5) and
// containers/image pkg/docker/config look them up.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "config/auth.h"
#include "env_guard.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

using cabin::config::auth_file_paths;
using cabin::config::base64_decode;
using cabin::config::Credentials;
using cabin::config::find_credentials;
using cabin::config::find_credentials_in;
using cabin::config::parse_creds;

namespace {

using cabin::test::EnvGuard;

// Keeps the expected warnings of a test off the output.
class QuietLog {
 public:
  QuietLog() : saved_(cabin::log::level()) { cabin::log::set_level(cabin::log::Level::Error); }
  ~QuietLog() { cabin::log::set_level(saved_); }

 private:
  cabin::log::Level saved_;
};

void write(const std::string& path, const std::string& text) {
  cabin::fs::mkdir_p(path.substr(0, path.rfind('/')));
  cabin::fs::write_file_atomic(path, text);
}

// "user:pass" style values, base64 by hand so the test does not use the decoder it checks.
const std::map<std::string, std::string> kB64 = {
    {"a:1", "YTox"},
    {"b:2", "Yjoy"},
    {"c:3", "Yzoz"},
    {"d:4", "ZDo0"},
    {"e:5", "ZTo1"},
    {"hub:pw", "aHViOnB3"},
    {"legacy:pw", "bGVnYWN5OnB3"},
    {"user:pa:ss", "dXNlcjpwYTpzcw=="},
    {"nocolon", "bm9jb2xvbg=="},
    {"tok:", "dG9rOg=="},
};

std::string entry(const std::string& creds) { return "{\"auth\": \"" + kB64.at(creds) + "\"}"; }

std::string user_of(const std::optional<Credentials>& c) { return c ? c->username + ":" + c->password : "(none)"; }

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const cabin::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("auth: base64 decoding is strict", "[auth]") {
  CHECK(base64_decode("") == std::string());
  CHECK(base64_decode("YTox") == std::string("a:1"));
  CHECK(base64_decode("dXNlcjpwYTpzcw==") == std::string("user:pa:ss"));
  CHECK(base64_decode("dXNlcjpwYTpz") == std::string("user:pa:s"));
  CHECK(base64_decode("dXNlcjpwYTpzcz0=") == std::string("user:pa:ss="));
  CHECK(base64_decode("+/+/") == std::string("\xfb\xff\xbf"));
  CHECK(base64_decode("YT\r\nox") == std::string("a:1"));
  CHECK_FALSE(base64_decode("YTo"));       // not a multiple of 4
  CHECK_FALSE(base64_decode("YT=x"));      // padding in the middle
  CHECK_FALSE(base64_decode("Y==="));      // too much padding
  CHECK_FALSE(base64_decode("YQ==YToy"));  // data after padding
  CHECK_FALSE(base64_decode("YT!x"));
  CHECK_FALSE(base64_decode("YTo-"));  // URL alphabet is not the standard one
}

TEST_CASE("auth: the most specific key in a file wins", "[auth]") {
  cabin::fs::TempDir dir("/tmp", "cabin-auth-");
  const std::string f = dir.path() + "/auth.json";
  write(f, "{\"auths\": {"
           "\"my-registry.local/namespace/user/image\": " + entry("a:1") + ","
           "\"my-registry.local/namespace/user\": " + entry("b:2") + ","
           "\"my-registry.local/namespace\": " + entry("c:3") + ","
           "\"my-registry.local\": " + entry("d:4") + ","
           "\"localhost:5000\": " + entry("e:5") + "}}");
  auto find = [&](const char* reg, const char* repo) { return user_of(find_credentials_in({f}, reg, repo)); };
  CHECK(find("my-registry.local", "namespace/user/image") == "a:1");
  CHECK(find("my-registry.local", "namespace/user/other") == "b:2");
  CHECK(find("my-registry.local", "namespace/x") == "c:3");
  CHECK(find("my-registry.local", "namespace") == "c:3");
  CHECK(find("my-registry.local", "other/image") == "d:4");
  CHECK(find("my-registry.local", "") == "d:4");
  // Components match whole: namespace2 is not under namespace.
  CHECK(find("my-registry.local", "namespace2/image") == "d:4");
  // The repository may come with its registry.
  CHECK(find("my-registry.local", "my-registry.local/namespace/user/image") == "a:1");
  CHECK(find("localhost:5000", "foo/bar") == "e:5");
  CHECK(find("localhost", "foo/bar") == "(none)");
  CHECK(find("other.io", "x") == "(none)");
}

TEST_CASE("auth: URL keys and Docker Hub's names are normalised", "[auth]") {
  cabin::fs::TempDir dir("/tmp", "cabin-auth-");
  const std::string f = dir.path() + "/config.json";
  write(f, "{\"auths\": {"
           "\"https://index.docker.io/v1/\": " + entry("hub:pw") + ","
           "\"http://localhost\": " + entry("a:1") + ","
           "\"https://127.0.0.1:5000\": " + entry("b:2") + ","
           "\"https://normalize.example.org/v1\": " + entry("c:3") + "}}");
  auto find = [&](const char* reg, const char* repo) { return user_of(find_credentials_in({f}, reg, repo)); };
  CHECK(find("docker.io", "library/alpine") == "hub:pw");
  CHECK(find("index.docker.io", "library/alpine") == "hub:pw");
  CHECK(find("registry-1.docker.io", "") == "hub:pw");
  CHECK(find("localhost", "x") == "a:1");
  CHECK(find("127.0.0.1:5000", "x") == "b:2");
  CHECK(find("normalize.example.org", "x/y") == "c:3");
  CHECK(find("example.org", "x") == "(none)");

  // An exact key is preferred over a normalised one; "docker.io" and
  // "registry-1.docker.io" plain keys also name Docker Hub.
  write(f, "{\"auths\": {\"https://index.docker.io/v1/\": " + entry("a:1") + ", \"docker.io\": " + entry("b:2") +
               ", \"docker.io/myorg\": " + entry("c:3") + "}}");
  CHECK(find("docker.io", "library/alpine") == "b:2");
  CHECK(find("docker.io", "myorg/app") == "c:3");
  CHECK(find("registry-1.docker.io", "myorg/app") == "c:3");
  write(f, "{\"auths\": {\"registry-1.docker.io\": " + entry("d:4") + "}}");
  CHECK(find("docker.io", "library/alpine") == "d:4");
}

TEST_CASE("auth: entry contents", "[auth]") {
  QuietLog quiet;
  cabin::fs::TempDir dir("/tmp", "cabin-auth-");
  const std::string f = dir.path() + "/auth.json";
  write(f, "{\"auths\": {"
           "\"colons.io\": " + entry("user:pa:ss") + ","
           "\"token.io\": {\"auth\": \"" + kB64.at("tok:") + "\", \"identitytoken\": \"refresh-me\"},"
           "\"tokenonly.io\": {\"identitytoken\": \"only\"},"
           "\"nul.io\": {\"auth\": \"dTpwdwAA\"},"
           "\"helper.io\": {},"
           "\"nocolon.io\": " + entry("nocolon") + "}}");
  auto c = find_credentials_in({f}, "colons.io", "x");
  REQUIRE(c);
  CHECK(c->username == "user");
  CHECK(c->password == "pa:ss");  // split at the first ':'
  CHECK(c->identity_token.empty());
  c = find_credentials_in({f}, "token.io", "x");
  REQUIRE(c);
  CHECK(c->username == "tok");
  CHECK(c->password.empty());
  CHECK(c->identity_token == "refresh-me");
  c = find_credentials_in({f}, "tokenonly.io", "x");
  REQUIRE(c);
  CHECK(c->username.empty());
  CHECK(c->identity_token == "only");
  CHECK(user_of(find_credentials_in({f}, "nul.io", "")) == "u:pw");  // trailing NULs dropped
  CHECK_FALSE(find_credentials_in({f}, "helper.io", "x"));
  CHECK_FALSE(find_credentials_in({f}, "nocolon.io", "x"));
}

TEST_CASE("auth: the first file with a match wins", "[auth]") {
  cabin::fs::TempDir dir("/tmp", "cabin-auth-");
  const std::string one = dir.path() + "/one.json", two = dir.path() + "/two.json", gone = dir.path() + "/gone.json";
  write(one, "{\"auths\": {\"a.io\": " + entry("a:1") + ", \"c.io/ns\": {}}}");
  write(two, "{\"auths\": {\"a.io/ns/repo\": " + entry("b:2") + ", \"b.io\": " + entry("c:3") +
                 ", \"c.io\": " + entry("d:4") + ", \"c.io/ns\": " + entry("e:5") + "}}");
  // A more specific key in a later file does not beat a match in an earlier one.
  CHECK(user_of(find_credentials_in({gone, one, two}, "a.io", "ns/repo")) == "a:1");
  CHECK(user_of(find_credentials_in({gone, one, two}, "b.io", "x")) == "c:3");
  // An empty entry ({}, a credential-helper marker) ends the search in its
  // file, even though a less specific key there or elsewhere might match;
  // the next file is searched.
  CHECK(user_of(find_credentials_in({one, two}, "c.io", "ns/x")) == "e:5");
  CHECK(user_of(find_credentials_in({one}, "c.io", "ns/x")) == "(none)");
  CHECK(user_of(find_credentials_in({two, one}, "a.io", "ns/repo")) == "b:2");
}

TEST_CASE("auth: ~/.dockercfg is read in the legacy format", "[auth]") {
  cabin::fs::TempDir dir("/tmp", "cabin-auth-");
  const std::string f = dir.path() + "/.dockercfg";
  write(f, "{\"http://index.docker.io/v1\": " + entry("legacy:pw") + ", \"https://localhost/v1\": " + entry("a:1") +
               ", \"registry.io\": " + entry("b:2") + "}");
  CHECK(user_of(find_credentials_in({f}, "docker.io", "library/alpine")) == "legacy:pw");
  CHECK(user_of(find_credentials_in({f}, "localhost", "x")) == "a:1");
  CHECK(user_of(find_credentials_in({f}, "registry.io", "x/y")) == "b:2");
}

TEST_CASE("auth: malformed files are errors naming the file", "[auth]") {
  cabin::fs::TempDir dir("/tmp", "cabin-auth-");
  const std::string f = dir.path() + "/auth.json";
  auto err = [&](const std::string& text) {
    write(f, text);
    return error_of([&] { find_credentials_in({f}, "a.io", "x"); });
  };
  CHECK(err("") == "auth file " + f +
                       ": [json.exception.parse_error.101] parse error at line 1, column 1: syntax error while parsing "
                       "value - unexpected end of input; expected '[', '{', or a literal");
  CHECK(err("{\"auths\": {").rfind("auth file " + f + ": [json.exception.parse_error.101]", 0) == 0);
  CHECK(err("[]") == "auth file " + f + ": expected a JSON object");
  CHECK(err("{\"auths\": []}") == "auth file " + f + ": \"auths\" is not an object");
  CHECK(err("{\"auths\": {\"a.io\": \"YToy\"}}") == "auth file " + f + ": entry \"a.io\": expected an object");
  CHECK(err("{\"auths\": {\"a.io\": {\"auth\": 5}}}") == "auth file " + f + ": entry \"a.io\": \"auth\" is not a string");
  CHECK(err("{\"auths\": {\"a.io\": {\"auth\": \"not base64!\"}}}") ==
        "auth file " + f + ": entry \"a.io\": \"auth\" is not valid base64");
  // Files without "auths" (only credHelpers, say) simply have no entries.
  CHECK(err("{\"credHelpers\": {\"a.io\": \"secretservice\"}, \"credsStore\": \"desktop\"}") == "(no error)");
  CHECK(err("{}") == "(no error)");
  // A malformed entry for another registry is not looked at.
  CHECK(err("{\"auths\": {\"b.io\": {\"auth\": \"!!\"}, \"a.io\": " + entry("a:1") + "}}") == "(no error)");
}

TEST_CASE("auth: lookup order follows the environment", "[auth]") {
  QuietLog quiet;
  cabin::fs::TempDir dir("/tmp", "cabin-auth-");
  const std::string d = dir.path();
  EnvGuard env;
  env.set("HOME", d + "/home");
  env.set("XDG_RUNTIME_DIR", d + "/run");
  env.set("XDG_CONFIG_HOME", d + "/config");
  env.unset("REGISTRY_AUTH_FILE");
  env.unset("DOCKER_CONFIG");
  cabin::fs::mkdir_p(d + "/run");

  CHECK(auth_file_paths() == std::vector<std::string>{d + "/run/containers/auth.json", d + "/config/containers/auth.json",
                                                      d + "/home/.docker/config.json", d + "/home/.dockercfg"});
  env.unset("XDG_CONFIG_HOME");
  env.unset("XDG_RUNTIME_DIR");
  CHECK(auth_file_paths() == std::vector<std::string>{"/run/containers/" + std::to_string(::getuid()) + "/auth.json",
                                                      d + "/home/.config/containers/auth.json",
                                                      d + "/home/.docker/config.json", d + "/home/.dockercfg"});
  // A runtime dir that does not exist is skipped (with a warning).
  env.set("XDG_RUNTIME_DIR", d + "/no-such-dir");
  CHECK(auth_file_paths().front() == d + "/home/.config/containers/auth.json");
  env.set("XDG_RUNTIME_DIR", d + "/run");

  // DOCKER_CONFIG: that config.json only.
  env.set("DOCKER_CONFIG", d + "/dockercfg");
  CHECK(auth_file_paths() == std::vector<std::string>{d + "/dockercfg/config.json"});
  // REGISTRY_AUTH_FILE: that file only, and it must exist.
  env.set("REGISTRY_AUTH_FILE", d + "/explicit.json");
  CHECK(error_of([] { auth_file_paths(); }) ==
        "credential file " + d + "/explicit.json ($REGISTRY_AUTH_FILE) is not accessible: No such file or directory");
  CHECK(error_of([] { find_credentials("a.io", "x"); }) ==
        "credential file " + d + "/explicit.json ($REGISTRY_AUTH_FILE) is not accessible: No such file or directory");
  write(d + "/explicit.json", "{\"auths\": {\"a.io\": " + entry("a:1") + "}}");
  CHECK(auth_file_paths() == std::vector<std::string>{d + "/explicit.json"});
  // --authfile beats everything, and must exist too.
  CHECK(error_of([&] { auth_file_paths(d + "/flag.json"); }) ==
        "credential file " + d + "/flag.json (--authfile) is not accessible: No such file or directory");
  write(d + "/flag.json", "{}");
  CHECK(auth_file_paths(d + "/flag.json") == std::vector<std::string>{d + "/flag.json"});
}

TEST_CASE("auth: find_credentials searches the default files in order", "[auth]") {
  cabin::fs::TempDir dir("/tmp", "cabin-auth-");
  const std::string d = dir.path();
  EnvGuard env;
  env.set("HOME", d + "/home");
  env.set("XDG_RUNTIME_DIR", d + "/run");
  env.set("XDG_CONFIG_HOME", d + "/config");
  env.unset("REGISTRY_AUTH_FILE");
  env.unset("DOCKER_CONFIG");
  write(d + "/run/containers/auth.json", "{\"auths\": {\"a.io\": " + entry("a:1") + "}}");
  write(d + "/config/containers/auth.json", "{\"auths\": {\"a.io\": " + entry("b:2") + ", \"b.io\": " + entry("b:2") + "}}");
  write(d + "/home/.docker/config.json",
        "{\"auths\": {\"b.io\": " + entry("c:3") + ", \"c.io\": " + entry("c:3") + "}, \"credsStore\": \"desktop\"}");
  write(d + "/home/.dockercfg", "{\"https://d.io/v1/\": " + entry("d:4") + "}");
  CHECK(user_of(find_credentials("a.io", "x")) == "a:1");
  CHECK(user_of(find_credentials("b.io", "x")) == "b:2");
  CHECK(user_of(find_credentials("c.io", "x")) == "c:3");
  CHECK(user_of(find_credentials("d.io", "x")) == "d:4");
  CHECK(user_of(find_credentials("e.io", "x")) == "(none)");

  // REGISTRY_AUTH_FILE replaces the whole list.
  write(d + "/explicit.json", "{\"auths\": {\"c.io\": " + entry("e:5") + "}}");
  env.set("REGISTRY_AUTH_FILE", d + "/explicit.json");
  CHECK(user_of(find_credentials("c.io", "x")) == "e:5");
  CHECK(user_of(find_credentials("a.io", "x")) == "(none)");
}

TEST_CASE("auth: --creds USERNAME[:PASSWORD]", "[auth]") {
  auto c = parse_creds("user:secret");
  CHECK(c.username == "user");
  CHECK(c.password == "secret");
  c = parse_creds("user:se:cret");
  CHECK(c.password == "se:cret");
  c = parse_creds("user");
  CHECK(c.username == "user");
  CHECK(c.password.empty());
  CHECK(c.identity_token.empty());
  // The message must not echo the password.
  CHECK(error_of([] { parse_creds(":secret"); }) == "--creds: the username must not be empty");
  CHECK(error_of([] { parse_creds(""); }) == "--creds: the username must not be empty");
}
