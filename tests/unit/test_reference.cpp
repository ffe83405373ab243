// Image reference parsing: the interesting rows of containers/image's
// docker/reference tests (reference_test.go, normalize_test.go), as Podman
// normalises them, plus cabin's error texts.
#include <catch2/catch.hpp>

#include <string>

#include "image/reference.h"
#include "util/error.h"

using cabin::image::looks_like_id;
using cabin::image::parse_reference;
using cabin::image::typed_name;

namespace {

std::string parse_error(const std::string& input) {
  try {
    parse_reference(input);
  } catch (const cabin::Error& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kHex64(64, 'f');
const std::string kDigest = "sha256:" + kHex64;

}  // namespace

TEST_CASE("references: valid inputs split into domain, path, tag and digest", "[reference]") {
  struct Row {
    std::string input, domain, path, tag, digest;
    bool qualified;
  };
  const std::vector<Row> rows = {
      {"test_com", "docker.io", "library/test_com", "latest", "", false},
      // Without a '/', "test.com" is a repository, and what follows ':' a tag.
      {"test.com:tag", "docker.io", "library/test.com", "tag", "", false},
      {"test.com:5000", "docker.io", "library/test.com", "5000", "", false},
      {"test.com/repo:tag", "test.com", "repo", "tag", "", true},
      {"test:5000/repo", "test:5000", "repo", "latest", "", true},
      {"test:5000/repo@" + kDigest, "test:5000", "repo", "", kDigest, true},
      {"test:5000/repo:tag@" + kDigest, "test:5000", "repo", "tag", kDigest, true},
      {"lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", "", false},
      {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", "", true},
      {"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
       "test.example.com", "", true},
      {"xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", "", true},
      {"xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + std::string(128, 'f'), "xn--7o8h.com", "myimage",
       "xn--7o8h.com", "sha512:" + std::string(128, 'f'), true},
      {"foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", "", false},
      // "foo" has no '.' or ':' and is not localhost: a namespace, not a host.
      {"foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", "", false},
      {"localhost/foo", "localhost", "foo", "latest", "", true},
      {"localhost:5000/foo/bar:1", "localhost:5000", "foo/bar", "1", "", true},
      {"127.0.0.1:5000/private/moonbase", "127.0.0.1:5000", "private/moonbase", "latest", "", true},
      {"[::1]:5000/foo", "[::1]:5000", "foo", "latest", "", true},
      {"[fe80::1]/foo", "[fe80::1]", "foo", "latest", "", true},
      {"index.docker.io/library/debian", "docker.io", "library/debian", "latest", "", true},
      {"index.docker.io/debian", "docker.io", "library/debian", "latest", "", true},
      {"docker.io/debian", "docker.io", "library/debian", "latest", "", true},
      {"docker.io/docker/docker", "docker.io", "docker/docker", "latest", "", true},
      {"library/debian", "docker.io", "library/debian", "latest", "", false},
      {"docker.io/library/foo/bar", "docker.io", "library/foo/bar", "latest", "", true},
      {"store/foo/bar", "docker.io", "store/foo/bar", "latest", "", false},
      // A hex name is fine once a registry says it is a name, not an ID.
      {"docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "docker.io",
       "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "latest", "", true},
      {"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker.io",
       "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "latest", "", false},
      {"docker-rules/docker", "docker.io", "docker-rules/docker", "latest", "", false},
      {"docker---rules/docker", "docker.io", "docker---rules/docker", "latest", "", false},
      {"dock__er/docker", "docker.io", "dock__er/docker", "latest", "", false},
      {"dock_er-x__y/d.e", "docker.io", "dock_er-x__y/d.e", "latest", "", false},
      {"d/docker", "docker.io", "d/docker", "latest", "", false},
      {"jess/t", "docker.io", "jess/t", "latest", "", false},
      {"alpine@" + kDigest, "docker.io", "library/alpine", "", kDigest, false},
      {"alpine:_tag.-x", "docker.io", "library/alpine", "_tag.-x", "", false},
      {"alpine:" + std::string(128, 'a'), "docker.io", "library/alpine", std::string(128, 'a'), "", false},
      {"Example.COM/foo", "Example.COM", "foo", "latest", "", true},
      {"x.io/a@sha384:" + std::string(96, '0'), "x.io", "a", "", "sha384:" + std::string(96, '0'), true},
  };
  for (const auto& row : rows) {
    INFO(row.input);
    auto p = parse_reference(row.input);
    CHECK(p.ref.domain == row.domain);
    CHECK(p.ref.path == row.path);
    CHECK(p.ref.tag == row.tag);
    CHECK(p.ref.digest == row.digest);
    CHECK(p.qualified == row.qualified);
    CHECK(p.original == row.input);
  }
}

TEST_CASE("references: name() and string() print the normalised form", "[reference]") {
  auto p = parse_reference("alpine");
  CHECK(p.ref.name() == "docker.io/library/alpine");
  CHECK(p.ref.string() == "docker.io/library/alpine:latest");

  p = parse_reference("quay.io/podman/hello:1@" + kDigest);
  CHECK(p.ref.name() == "quay.io/podman/hello");
  CHECK(p.ref.string() == "quay.io/podman/hello:1@" + kDigest);

  p = parse_reference("localhost:5000/x@" + kDigest);
  CHECK(p.ref.string() == "localhost:5000/x@" + kDigest);

  // Round trip: a normalised string parses to the same reference.
  for (const std::string& s : std::vector<std::string>{"alpine", "foo/bar:1", "quay.io/a/b@" + kDigest,
                                                       "ubuntu:22.04@" + kDigest}) {
    auto ref = parse_reference(s).ref;
    CHECK(parse_reference(ref.string()).ref == ref);
  }
}

TEST_CASE("references: invalid inputs name the input and the reason", "[reference]") {
  const std::string bad_format = ": invalid reference format";
  const std::vector<std::string> invalid = {
      "",
      ":justtag",
      "@" + kDigest,
      "aa/asdf$$^/aa",
      "https://github.com/docker/docker",
      "-docker",
      "-docker/docker",
      "-docker.io/docker/docker",
      "docker///docker",
      "docker.io/docker///docker",
      "docker-/docker",
      "-docker-/docker",
      "____/____",
      "_docker/_docker",
      "dock..er/docker",
      "dock_.er/docker",
      "dock-.er/docker",
      "dock___er/docker",
      "docker/",
      "/docker",
      "alpine:",
      "alpine:-tag",
      "alpine:" + std::string(129, 'a'),
      "alpine@",
      "alpine@sha256:" + std::string(31, 'f'),  // the grammar wants 32+ hex digits
      "alpine@sha256:" + std::string(63, 'f') + "g",
      "alpine:tag:tag",
      "example.com:/foo",
      "example.com:50a0/foo",
      // The first component has a '.', so it is a host, and '_' is not allowed
      // in hosts. containers/image lets these through as names without a
      // domain; cabin rejects them.
      "exa_mple.com/foo",
      "dock_er.x-y/d",
      "-example.com/foo",
      "[::1/foo",
      "[]:5000/foo",
      "alpine latest",
  };
  for (const auto& input : invalid) {
    INFO(input);
    CHECK(parse_error(input) == "parse \"" + input + "\"" + bad_format);
  }
}

TEST_CASE("references: uppercase repository names get their own message", "[reference]") {
  const std::string upper = ": invalid reference format: repository name must be lowercase";
  for (const std::string& input :
       std::vector<std::string>{"Alpine", "Uppercase:tag", "test:5000/Uppercase/lowercase:tag", "docker/Docker",
                                "docker.io/docker/Docker", "localhost/Foo", "quay.io/A/b@" + kDigest}) {
    INFO(input);
    CHECK(parse_error(input) == "parse \"" + input + "\"" + upper);
  }
}

TEST_CASE("references: digests are checked like go-digest does", "[reference]") {
  CHECK(parse_error("repo@sha256:" + std::string(34, 'f')) ==
        "parse \"repo@sha256:ffffffffffffffffffffffffffffffffff\": invalid checksum digest length");
  CHECK(parse_error("validname@invaliddigest:" + kHex64) ==
        "parse \"validname@invaliddigest:" + kHex64 + "\": unsupported digest algorithm");
  CHECK(parse_error("repo@sha256:" + std::string(64, 'F')) ==
        "parse \"repo@sha256:" + std::string(64, 'F') + "\": invalid checksum digest format");
  CHECK(parse_error("repo@sha512:" + kHex64) == "parse \"repo@sha512:" + kHex64 + "\": invalid checksum digest length");
}

TEST_CASE("references: a bare 64-hex string is an ID, not a name", "[reference]") {
  const std::string id = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
  CHECK(parse_error(id) == "parse \"" + id + "\": invalid repository name (" + id +
                               "), cannot specify 64-byte hexadecimal strings");
  // 63 hex digits are an ordinary name.
  CHECK(parse_reference(id.substr(1)).ref.path == "library/" + id.substr(1));
}

TEST_CASE("references: the normalised name is at most 255 characters", "[reference]") {
  const std::string too_long = ": repository name must not be more than 255 characters";
  // example.com/ is 12 characters: 243 more make 255.
  std::string path243(243, 'a');
  CHECK(parse_reference("example.com/" + path243).ref.name().size() == 255);
  CHECK(parse_error("example.com/" + path243 + "a") == "parse \"example.com/" + path243 + "a\"" + too_long);
  // The limit applies after normalisation, as in Podman: "a/a/…/a" (255
  // characters) becomes docker.io/a/a/…/a.
  std::string slashes;
  for (int i = 0; i < 127; ++i) slashes += "a/";
  slashes += "a";
  REQUIRE(slashes.size() == 255);
  CHECK(parse_error(slashes + ":tag") == "parse \"" + slashes + ":tag\"" + too_long);
  // The tag does not count.
  CHECK_NOTHROW(parse_reference("example.com/" + path243 + ":" + std::string(128, 't')));
}

TEST_CASE("references: typed_name is the repository as typed", "[reference]") {
  auto typed = [](const std::string& s) { return typed_name(parse_reference(s)); };
  CHECK(typed("alpine") == "alpine");
  CHECK(typed("alpine:3.19") == "alpine");
  CHECK(typed("alpine@" + kDigest) == "alpine");
  CHECK(typed("alpine:3@" + kDigest) == "alpine");
  CHECK(typed("library/alpine") == "library/alpine");
  CHECK(typed("foo/bar:1") == "foo/bar");
  CHECK(typed("docker.io/alpine:1") == "docker.io/alpine");
  CHECK(typed("localhost:5000/a/b:2") == "localhost:5000/a/b");
  CHECK(typed("localhost:5000/a/b") == "localhost:5000/a/b");
}

TEST_CASE("references: looks_like_id accepts lowercase hex of 3 to 64 digits", "[reference]") {
  CHECK(looks_like_id("abc"));
  CHECK(looks_like_id("0123456789abcdef"));
  CHECK(looks_like_id(kHex64));
  CHECK_FALSE(looks_like_id("ab"));
  CHECK_FALSE(looks_like_id(kHex64 + "0"));
  CHECK_FALSE(looks_like_id("ABC"));
  CHECK_FALSE(looks_like_id("abx"));
  CHECK_FALSE(looks_like_id("sha256:abc"));
  CHECK_FALSE(looks_like_id(""));
}

TEST_CASE("references: registry host grammar", "[reference]") {
  using cabin::image::is_valid_domain;
  for (const char* ok : {"docker.io", "localhost", "localhost:5000", "a", "a-b.c-d.e", "127.0.0.1:80",
                         "[::1]", "[::1]:5000", "XN--N3H.com"}) {
    INFO(ok);
    CHECK(is_valid_domain(ok));
  }
  for (const char* bad : {"", "-a.com", "a-.com", "a..com", "a.com:", "a.com:x", "a_b.com", "[::1",
                          "[::g]", "[::1]x", "a.com/foo", "https://a.com"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_domain(bad));
  }
}
