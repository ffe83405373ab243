// registries.conf: parsing, merging, lookups and short-name resolution, as
// containers-registries.conf(5) and containers/image describe them.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "config/registries.h"
#include "env_guard.h"
#include "util/error.h"
#include "util/fs.h"

using cabin::config::PullSource;
using cabin::config::RegistriesConf;
using cabin::config::RegistriesConfSources;
using cabin::image::parse_reference;

namespace {

constexpr const char* kOrigin = "/test/registries.conf";

RegistriesConf conf_from(const std::string& toml) {
  RegistriesConf c;
  c.merge_text(toml, kOrigin);
  return c;
}

std::string merge_error(const std::string& toml) {
  try {
    conf_from(toml);
  } catch (const cabin::Error& e) {
    return e.what();
  }
  return "(no error)";
}

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const cabin::Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> strings(const std::vector<PullSource>& sources) {
  std::vector<std::string> out;
  for (const auto& s : sources) out.push_back(s.ref.string() + (s.insecure ? " (insecure)" : ""));
  return out;
}

std::vector<std::string> strings(const std::vector<cabin::image::Reference>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) out.push_back(r.string());
  return out;
}

std::vector<std::string> pull(const RegistriesConf& c, const std::string& ref) {
  return strings(c.pull_sources(parse_reference(ref).ref));
}

std::optional<std::string> found_prefix(const RegistriesConf& c, const std::string& ref_string) {
  auto* r = c.find(std::string_view(ref_string));
  if (!r) return std::nullopt;
  return r->prefix;
}

using cabin::test::EnvGuard;

void write(const std::string& path, const std::string& text) {
  auto slash = path.rfind('/');
  cabin::fs::mkdir_p(path.substr(0, slash));
  cabin::fs::write_file_atomic(path, text);
}

bool uid_map_is_initial() {
  auto map = cabin::fs::read_file_if_exists("/proc/self/uid_map");
  return map && map->find("4294967295") != std::string::npos;
}

}  // namespace

TEST_CASE("registries.conf: v2 keys are read", "[registries]") {
  auto c = conf_from(R"(
unqualified-search-registries = ["registry.fedoraproject.org", "quay.io/", "docker.io"]
short-name-mode = "enforcing"

[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
"alpine" = "docker.io/alpine"
"rhel/ubi" = "registry.access.redhat.com/ubi9"

[[registry]]
prefix = "example.com/foo"
location = "internal.example.com/bar/"
insecure = true

[[registry.mirror]]
location = "mirror-0.local/foo"

[[registry.mirror]]
location = "mirror-1.local/foo"
insecure = true
pull-from-mirror = "digest-only"

[[registry]]
location = "registry.com"
blocked = true
mirror-by-digest-only = true
)");
  CHECK(c.unqualified_search_registries ==
        std::vector<std::string>{"registry.fedoraproject.org", "quay.io", "docker.io"});
  CHECK(c.unqualified_search_registries_origin == kOrigin);
  CHECK(c.short_name_mode == "enforcing");
  // Alias values are normalised like any reference.
  CHECK(c.aliases == std::map<std::string, std::string>{{"alpine", "docker.io/library/alpine"},
                                                        {"fedora", "registry.fedoraproject.org/fedora"},
                                                        {"rhel/ubi", "registry.access.redhat.com/ubi9"}});
  REQUIRE(c.registries.size() == 2);
  // Sorted by prefix; the prefix defaults to the location; trailing '/' goes.
  const auto& a = c.registries[0];
  CHECK(a.prefix == "example.com/foo");
  CHECK(a.location == "internal.example.com/bar");
  CHECK(a.insecure);
  CHECK_FALSE(a.blocked);
  CHECK(a.origin == kOrigin);
  REQUIRE(a.mirrors.size() == 2);
  CHECK(a.mirrors[0].location == "mirror-0.local/foo");
  CHECK_FALSE(a.mirrors[0].insecure);
  CHECK(a.mirrors[0].pull_from_mirror.empty());
  CHECK(a.mirrors[1].insecure);
  CHECK(a.mirrors[1].pull_from_mirror == "digest-only");
  const auto& b = c.registries[1];
  CHECK(b.prefix == "registry.com");
  CHECK(b.location == "registry.com");
  CHECK(b.blocked);
  CHECK(b.mirror_by_digest_only);
  CHECK(c.files_read == std::vector<std::string>{kOrigin});
}

TEST_CASE("registries.conf: defaults without keys", "[registries]") {
  auto c = conf_from("");
  CHECK(c.unqualified_search_registries.empty());
  CHECK(c.short_name_mode == "permissive");  // the documented default
  CHECK(c.aliases.empty());
  CHECK(c.registries.empty());
  // The main file is the origin of (no) search registries even without the key.
  CHECK(c.unqualified_search_registries_origin == kOrigin);
}

TEST_CASE("registries.conf: syntax and type errors name the file", "[registries]") {
  const std::string pre = "registries.conf /test/registries.conf: ";
  CHECK(merge_error("unqualified-search-registries = [\"a\"\n") == pre + "Unclosed array at line 2");
  CHECK(merge_error("a = \n") == pre + "Failed to parse value type at line 1");
  CHECK(merge_error("[[registry]]\nprefix = \"x\"\nprefix = \"y\"\n") == pre + "Key prefix already present at line 3");
  CHECK(merge_error("unqualified-search-registries = \"docker.io\"\n") ==
        pre + "unqualified-search-registries: expected an array of strings");
  CHECK(merge_error("short-name-mode = 1\n") == pre + "short-name-mode: expected a string");
  CHECK(merge_error("[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"\n") ==
        pre + "registry[0].insecure: expected true or false");
  CHECK(merge_error("[[registry]]\nlocation = \"a.io\"\n[[registry]]\nlocation = 5\n") ==
        pre + "registry[1].location: expected a string");
  CHECK(merge_error("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = true\n") ==
        pre + "registry[0].mirror[0].location: expected a string");
  CHECK(merge_error("[registry]\nlocation = \"a.io\"\n") == pre + "registry: expected an array of tables ([[registry]])");
  CHECK(merge_error("aliases = 3\n") == pre + "aliases: expected a table ([aliases])");
  CHECK(merge_error("[aliases]\nfoo = 3\n") == pre + "aliases.\"foo\": expected a string");
}

TEST_CASE("registries.conf: invalid values are rejected like containers/image does", "[registries]") {
  const std::string pre = "registries.conf /test/registries.conf: ";
  CHECK(merge_error("unqualified-search-registries = [\"https://quay.io\"]") ==
        pre + "invalid location 'https://quay.io': URI schemes are not supported");
  CHECK(merge_error("unqualified-search-registries = [\"quay.io/ns\"]") ==
        pre + "invalid unqualified-search-registries entry \"quay.io/ns\"");
  CHECK(merge_error("short-name-mode = \"prompt\"") == pre + "invalid short-name mode: \"prompt\"");
  CHECK(merge_error("[[registry]]\ninsecure = true\n") == pre + "invalid condition: both location and prefix are unset");
  CHECK(merge_error("[[registry]]\nprefix = \"example.com\"\n") ==
        pre + "invalid condition: location is unset and prefix is not in the format: *.example.com");
  CHECK(merge_error("[[registry]]\nlocation = \"http://example.com\"\n") ==
        pre + "invalid location 'http://example.com': URI schemes are not supported");
  CHECK(merge_error("[[registry]]\nprefix = \"*.example.com/foo\"\n") ==
        pre + "wildcarded prefix should be in the format: *.example.com. Current prefix \"*.example.com/foo\" is "
              "incorrectly formatted");
  CHECK(merge_error("[[registry]]\nlocation = \"a.io\"\npull-from-mirror = \"all\"\n") ==
        pre + "pull-from-mirror must not be set for a non-mirror registry \"a.io\"");
  CHECK(merge_error("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\ninsecure = true\n") ==
        pre + "invalid condition: mirror location is unset");
  CHECK(merge_error("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = \"m.io\"\n"
                    "pull-from-mirror = \"sometimes\"\n") ==
        pre + "unsupported pull-from-mirror value \"sometimes\" for mirror \"m.io\"");
  CHECK(merge_error("[[registry]]\nlocation = \"a.io\"\nmirror-by-digest-only = true\n[[registry.mirror]]\n"
                    "location = \"m.io\"\npull-from-mirror = \"all\"\n") ==
        pre + "cannot set mirror usage mirror-by-digest-only for the registry (\"a.io\") and pull-from-mirror "
              "for per-mirror (\"m.io\") at the same time");
  CHECK(merge_error("[[registry]]\nprefix = \"x.io/a\"\nlocation = \"a.io\"\ninsecure = true\n"
                    "[[registry]]\nprefix = \"x.io/b\"\nlocation = \"a.io\"\n") ==
        pre + "registry 'a.io' is defined multiple times with conflicting 'insecure' setting");
  CHECK(merge_error("[[registry]]\nprefix = \"x.io/a\"\nlocation = \"a.io\"\nblocked = true\n"
                    "[[registry]]\nprefix = \"x.io/b\"\nlocation = \"a.io\"\n") ==
        pre + "registry 'a.io' is defined multiple times with conflicting 'blocked' setting");
}

TEST_CASE("registries.conf: aliases must map short names to qualified names", "[registries]") {
  const std::string pre = "registries.conf /test/registries.conf: validating short-name aliases: ";
  CHECK(merge_error("[aliases]\n\"docker.io/foo\" = \"quay.io/foo\"\n") ==
        pre + "invalid short name \"docker.io/foo\": must not contain registry");
  CHECK(merge_error("[aliases]\n\"localhost/foo\" = \"quay.io/foo\"\n") ==
        pre + "invalid short name \"localhost/foo\": must not contain registry");
  CHECK(merge_error("[aliases]\n\"foo:1\" = \"quay.io/foo\"\n") == pre + "invalid short name \"foo:1\": must not contain tag");
  CHECK(merge_error("[aliases]\n\"Foo\" = \"quay.io/foo\"\n") ==
        pre + "cannot parse short name: \"Foo\": parse \"Foo\": invalid reference format: repository name must be "
              "lowercase");
  CHECK(merge_error("[aliases]\nfoo = \"foo/bar\"\n") ==
        pre + "invalid alias \"foo/bar\": must contain registry and repository");
  CHECK(merge_error("[aliases]\nfoo = \"quay.io/foo:1\"\n") == pre + "invalid alias \"quay.io/foo:1\": must not contain tag");
  CHECK(merge_error("[aliases]\nfoo = \"quay.io/foo@sha256:" + std::string(64, 'a') + "\"\n") ==
        pre + "invalid alias \"quay.io/foo@sha256:" + std::string(64, 'a') + "\": must not contain digest");
  // All problems are reported at once, in a stable order.
  CHECK(merge_error("[aliases]\nzz = \"zz\"\naa = \"aa\"\n") ==
        pre + "invalid alias \"aa\": must contain registry and repository; invalid alias \"zz\": must contain "
              "registry and repository");
}

TEST_CASE("registries.conf: the v1 format is converted", "[registries]") {
  auto c = conf_from(R"(
[registries.search]
registries = ['registry1.com', 'registry2.com']

[registries.insecure]
registries = ['registry3.com', 'registry1.com']

[registries.block]
registries = ['registry.untrusted.com', 'registry.unsafe.com']
)");
  CHECK(c.unqualified_search_registries == std::vector<std::string>{"registry1.com", "registry2.com"});
  REQUIRE(c.registries.size() == 4);
  CHECK(c.registries[0].prefix == "registry.unsafe.com");
  CHECK(c.registries[0].blocked);
  CHECK(c.registries[1].prefix == "registry.untrusted.com");
  CHECK(c.registries[1].blocked);
  CHECK(c.registries[2].prefix == "registry1.com");
  CHECK(c.registries[2].location == "registry1.com");
  CHECK(c.registries[2].insecure);
  CHECK(c.registries[3].prefix == "registry3.com");
  CHECK(c.registries[3].insecure);
  CHECK_FALSE(c.registries[3].blocked);
  CHECK(c.is_insecure("registry3.com"));
  CHECK(error_of([&] { c.pull_sources(parse_reference("registry.unsafe.com/x").ref); }) ==
        "registry registry.unsafe.com is blocked in /test/registries.conf");

  CHECK(merge_error("unqualified-search-registries = [\"a.io\"]\n[registries.search]\nregistries = [\"b.io\"]\n") ==
        "registries.conf /test/registries.conf: mixing sysregistry v1/v2 is not supported");
  RegistriesConf d;
  CHECK(error_of([&] { d.merge_dropin_text("[registries.search]\nregistries = [\"b.io\"]\n", "/d/1.conf"); }) ==
        "registries.conf /d/1.conf: registry must be in v2 format but is in v1");
}

TEST_CASE("registries.conf: the longest matching prefix wins", "[registries]") {
  auto c = conf_from(R"(
[[registry]]
location = "example.com"
[[registry]]
location = "example.com/foo"
[[registry]]
location = "example.com/foo/bar"
[[registry]]
location = "example.com/tagged:v1"
[[registry]]
location = "localhost"
)");
  CHECK(found_prefix(c, "example.com") == "example.com");
  CHECK(found_prefix(c, "example.com/x/y:1") == "example.com");
  CHECK(found_prefix(c, "example.com/foo") == "example.com/foo");
  CHECK(found_prefix(c, "example.com/foo:latest") == "example.com/foo");
  CHECK(found_prefix(c, "example.com/foo@sha256:" + std::string(64, 'a')) == "example.com/foo");
  CHECK(found_prefix(c, "example.com/foo/bar/baz:1") == "example.com/foo/bar");
  // A prefix matches whole components only.
  CHECK(found_prefix(c, "example.com/foobar:1") == "example.com");
  CHECK(found_prefix(c, "example.community/x") == std::nullopt);
  // A prefix may name a tag.
  CHECK(found_prefix(c, "example.com/tagged:v1") == "example.com/tagged:v1");
  CHECK(found_prefix(c, "example.com/tagged:v2") == "example.com");
  // Another port is another registry (containers/image matches here and says not to rely on it).
  CHECK(found_prefix(c, "example.com:5000/foo") == std::nullopt);
  CHECK(found_prefix(c, "localhost:5000/foo") == std::nullopt);
  CHECK(found_prefix(c, "localhost/foo") == "localhost");
  CHECK(c.find(parse_reference("example.com/foo/bar/x").ref)->prefix == "example.com/foo/bar");
  CHECK(c.find(parse_reference("alpine").ref) == nullptr);
}

TEST_CASE("registries.conf: wildcard prefixes match subdomains", "[registries]") {
  auto c = conf_from(R"(
[[registry]]
prefix = "*.example.com"
insecure = true
[[registry]]
prefix = "*.sub.example.com"
location = "mirror.local/sub"
[[registry]]
location = "exact.example.com/ns"
)");
  CHECK(found_prefix(c, "a.example.com/x") == "*.example.com");
  CHECK(found_prefix(c, "a.b.example.com/x:1") == "*.example.com");
  CHECK(found_prefix(c, "a.example.com") == "*.example.com");
  CHECK(found_prefix(c, "x.sub.example.com/y") == "*.sub.example.com");
  // Longest prefix, wildcard or not.
  CHECK(found_prefix(c, "exact.example.com/ns/x") == "exact.example.com/ns");
  CHECK(found_prefix(c, "exact.example.com/other") == "*.example.com");
  CHECK(found_prefix(c, "example.com/x") == std::nullopt);
  CHECK(found_prefix(c, "aexample.com/x") == std::nullopt);
  CHECK(found_prefix(c, "a.example.com.evil.org/x") == std::nullopt);
  CHECK(found_prefix(c, "a.example.com:5000/x") == std::nullopt);
  CHECK(c.is_insecure("registry.example.com"));
  CHECK_FALSE(c.is_insecure("example.com"));
  // Without a location the reference is used as it is; with one, the host is replaced.
  CHECK(pull(c, "a.example.com/x:1") == std::vector<std::string>{"a.example.com/x:1 (insecure)"});
  CHECK(pull(c, "q.sub.example.com/x/y:1") == std::vector<std::string>{"mirror.local/sub/x/y:1"});
}

TEST_CASE("registries.conf: pull sources rewrite prefixes and try mirrors first", "[registries]") {
  // The example of containers-registries.conf(5).
  auto c = conf_from(R"(
unqualified-search-registries = ["example.com"]

[[registry]]
prefix = "example.com/foo"
insecure = false
blocked = false
location = "internal-registry-for-example.com/bar"

[[registry.mirror]]
location = "example-mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "example-mirror-1.local/mirrors/foo"
insecure = true

[[registry]]
location = "registry.com"

[[registry.mirror]]
location = "mirror.registry.com"

[[registry]]
prefix = "example.org/foo"
location = "localhost:5000/bar"
)");
  CHECK(pull(c, "example.com/foo/image:latest") ==
        std::vector<std::string>{"example-mirror-0.local/mirror-for-foo/image:latest",
                                 "example-mirror-1.local/mirrors/foo/image:latest (insecure)",
                                 "internal-registry-for-example.com/bar/image:latest"});
  CHECK(pull(c, "registry.com/image:latest") ==
        std::vector<std::string>{"mirror.registry.com/image:latest", "registry.com/image:latest"});
  CHECK(pull(c, "example.org/foo/x") == std::vector<std::string>{"localhost:5000/bar/x:latest"});
  CHECK(pull(c, "example.org/foo/x/y@sha256:" + std::string(64, 'a')) ==
        std::vector<std::string>{"localhost:5000/bar/x/y@sha256:" + std::string(64, 'a')});
  // Neither matches: the reference itself.
  CHECK(pull(c, "quay.io/podman/hello") == std::vector<std::string>{"quay.io/podman/hello:latest"});
  CHECK(pull(c, "example.com/foobar/x") == std::vector<std::string>{"example.com/foobar/x:latest"});
}

TEST_CASE("registries.conf: pull-from-mirror and mirror-by-digest-only", "[registries]") {
  auto c = conf_from(R"(
[[registry]]
location = "r.io"
[[registry.mirror]]
location = "all.local"
[[registry.mirror]]
location = "explicit-all.local"
pull-from-mirror = "all"
[[registry.mirror]]
location = "digest.local"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "tag.local"
pull-from-mirror = "tag-only"

[[registry]]
location = "d.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "dmirror.local"
)");
  const std::string digest = "@sha256:" + std::string(64, 'b');
  CHECK(pull(c, "r.io/a:1") ==
        std::vector<std::string>{"all.local/a:1", "explicit-all.local/a:1", "tag.local/a:1", "r.io/a:1"});
  CHECK(pull(c, "r.io/a" + digest) == std::vector<std::string>{"all.local/a" + digest, "explicit-all.local/a" + digest,
                                                                "digest.local/a" + digest, "r.io/a" + digest});
  // A reference with a tag and a digest counts as a digest reference.
  CHECK(pull(c, "r.io/a:1" + digest)[2] == "digest.local/a:1" + digest);
  CHECK(pull(c, "d.io/a:1") == std::vector<std::string>{"d.io/a:1"});
  CHECK(pull(c, "d.io/a" + digest) == std::vector<std::string>{"dmirror.local/a" + digest, "d.io/a" + digest});
}

TEST_CASE("registries.conf: blocked registries", "[registries]") {
  auto c = conf_from(R"(
[[registry]]
location = "blocked.io"
blocked = true

[[registry]]
prefix = "ok.io/ns"
location = "ok.io/ns"
blocked = true

[[registry]]
location = "ok.io"
[[registry.mirror]]
location = "bad-mirror.local"
[[registry.mirror]]
location = "insecure-mirror.local"

[[registry]]
location = "bad-mirror.local"
blocked = true

[[registry]]
location = "insecure-mirror.local"
insecure = true
)");
  CHECK(error_of([&] { c.pull_sources(parse_reference("blocked.io/x").ref); }) ==
        "registry blocked.io is blocked in /test/registries.conf");
  CHECK(error_of([&] { c.pull_sources(parse_reference("ok.io/ns/x").ref); }) ==
        "registry ok.io/ns is blocked in /test/registries.conf");
  // A blocked mirror is skipped; a mirror's own insecure entry applies.
  CHECK(pull(c, "ok.io/other/x") ==
        std::vector<std::string>{"insecure-mirror.local/other/x:latest (insecure)", "ok.io/other/x:latest"});
}

TEST_CASE("registries.conf: a bad location fails when a pull rewrites to it", "[registries]") {
  auto c = conf_from("[[registry]]\nprefix = \"x.io/ns\"\nlocation = \"Bad_Host/ns\"\n");
  CHECK(error_of([&] { c.pull_sources(parse_reference("x.io/ns/app").ref); }) ==
        "rewriting reference x.io/ns/app:latest to Bad_Host/ns: parse \"Bad_Host/ns/app:latest\": invalid reference "
        "format: repository name must be lowercase");
}

TEST_CASE("registries.conf: short names resolve through aliases, then search registries", "[registries]") {
  auto c = conf_from(R"(
unqualified-search-registries = ["registry.fedoraproject.org", "quay.io", "docker.io"]
[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
"myorg/app" = "quay.io/myorg/app"
)");
  auto resolve = [&](const std::string& s) { return strings(c.resolve_short_name(parse_reference(s))); };
  const std::string digest = "@sha256:" + std::string(64, 'c');
  // An alias wins and keeps the typed tag or digest.
  CHECK(resolve("fedora") == std::vector<std::string>{"registry.fedoraproject.org/fedora:latest"});
  CHECK(resolve("fedora:39") == std::vector<std::string>{"registry.fedoraproject.org/fedora:39"});
  CHECK(resolve("fedora" + digest) == std::vector<std::string>{"registry.fedoraproject.org/fedora" + digest});
  CHECK(resolve("myorg/app:2") == std::vector<std::string>{"quay.io/myorg/app:2"});
  // Otherwise one candidate per search registry; docker.io adds library/.
  CHECK(resolve("alpine") == std::vector<std::string>{"registry.fedoraproject.org/alpine:latest",
                                                      "quay.io/alpine:latest", "docker.io/library/alpine:latest"});
  CHECK(resolve("foo/bar:1" + digest) ==
        std::vector<std::string>{"registry.fedoraproject.org/foo/bar:1" + digest, "quay.io/foo/bar:1" + digest,
                                 "docker.io/foo/bar:1" + digest});
  // "library/fedora" is not the alias "fedora".
  CHECK(resolve("library/fedora")[0] == "registry.fedoraproject.org/library/fedora:latest");
  // A qualified name is its own (only) candidate.
  CHECK(resolve("docker.io/alpine") == std::vector<std::string>{"docker.io/library/alpine:latest"});
  CHECK(resolve("localhost/fedora") == std::vector<std::string>{"localhost/fedora:latest"});
}

TEST_CASE("registries.conf: short names without aliases or search registries fail", "[registries]") {
  auto c = conf_from("[aliases]\nfedora = \"registry.fedoraproject.org/fedora\"\n");
  CHECK(error_of([&] { c.resolve_short_name(parse_reference("alpine:3")); }) ==
        "short-name \"alpine:3\" did not resolve to an alias and no unqualified-search registries are defined in "
        "\"/test/registries.conf\"");
  CHECK(c.resolve_short_name(parse_reference("fedora")).size() == 1);
  RegistriesConf none;
  CHECK(error_of([&] { none.resolve_short_name(parse_reference("alpine")); }) ==
        "short-name \"alpine\" did not resolve to an alias and no containers-registries.conf(5) was found");
}

TEST_CASE("registries.conf: drop-ins override the main file", "[registries]") {
  RegistriesConf c;
  c.merge_text(R"(
unqualified-search-registries = ["a.io", "b.io"]
short-name-mode = "enforcing"
[aliases]
one = "a.io/one"
two = "a.io/two"
[[registry]]
location = "a.io"
insecure = true
[[registry]]
location = "b.io"
)",
               "/main.conf");
  c.merge_dropin_text(R"(
[aliases]
two = "b.io/two"
three = "b.io/three"
[[registry]]
location = "a.io"
[[registry]]
location = "c.io"
blocked = true
)",
                      "/d/10.conf");
  // Keys a drop-in does not set stay as they were.
  CHECK(c.unqualified_search_registries == std::vector<std::string>{"a.io", "b.io"});
  CHECK(c.unqualified_search_registries_origin == "/main.conf");
  CHECK(c.short_name_mode == "enforcing");
  CHECK(c.aliases == std::map<std::string, std::string>{{"one", "a.io/one"}, {"two", "b.io/two"}, {"three", "b.io/three"}});
  // Same prefix: replaced as a whole; new ones added; sorted.
  REQUIRE(c.registries.size() == 3);
  CHECK(c.registries[0].prefix == "a.io");
  CHECK_FALSE(c.registries[0].insecure);
  CHECK(c.registries[0].origin == "/d/10.conf");
  CHECK(c.registries[1].prefix == "b.io");
  CHECK(c.registries[2].prefix == "c.io");

  // An empty list replaces too, and an empty alias value erases.
  c.merge_dropin_text("unqualified-search-registries = []\nshort-name-mode = \"disabled\"\n[aliases]\none = \"\"\n",
                      "/d/20.conf");
  CHECK(c.unqualified_search_registries.empty());
  CHECK(c.unqualified_search_registries_origin == "/d/20.conf");
  CHECK(c.short_name_mode == "disabled");
  CHECK(c.aliases.count("one") == 0);
  CHECK(c.files_read == std::vector<std::string>{"/main.conf", "/d/10.conf", "/d/20.conf"});
  CHECK(error_of([&] { c.resolve_short_name(parse_reference("x")); }) ==
        "short-name \"x\" did not resolve to an alias and no unqualified-search registries are defined in "
        "\"/d/20.conf\"");
}

TEST_CASE("registries.conf: within one file the first entry of a prefix wins", "[registries]") {
  auto c = conf_from("[[registry]]\nprefix = \"x.io\"\nlocation = \"one.io\"\n"
                     "[[registry]]\nprefix = \"x.io\"\nlocation = \"two.io\"\n");
  REQUIRE(c.registries.size() == 1);
  CHECK(c.registries[0].location == "one.io");
}

TEST_CASE("registries.conf: the alias cache wins over registries.conf", "[registries]") {
  RegistriesConf c;
  c.merge_text("[aliases]\nfoo = \"a.io/foo\"\nbar = \"a.io/bar\"\n", "/main.conf");
  c.merge_alias_cache_text("[aliases]\nfoo = \"b.io/foo\"\nbar = \"\"\n", "/cache/short-name-aliases.conf");
  CHECK(c.aliases == std::map<std::string, std::string>{{"foo", "b.io/foo"}});
  CHECK(error_of([&] { c.merge_alias_cache_text("[aliases]\nx = \"y\"\n", "/c.conf"); }) ==
        "short-name-aliases.conf /c.conf: validating short-name aliases: invalid alias \"y\": must contain registry "
        "and repository");
}

TEST_CASE("registries.conf: which files are read", "[registries]") {
  cabin::fs::TempDir home("/tmp", "cabin-regs-");
  EnvGuard env;
  env.set("HOME", home.path());
  env.unset("CONTAINERS_REGISTRIES_CONF");
  env.unset("REGISTRIES_CONFIG_PATH");
  env.set("XDG_CONFIG_HOME", home.path() + "/xdg-config");  // not used for registries.conf
  env.set("XDG_CACHE_HOME", home.path() + "/cache");
  const std::string user_conf = home.path() + "/.config/containers/registries.conf";
  const std::string user_dir = home.path() + "/.config/containers/registries.conf.d";

  auto s = RegistriesConf::sources();
  CHECK(s.main == "/etc/containers/registries.conf");
  CHECK_FALSE(s.main_required);
  CHECK(s.dropin_dirs == std::vector<std::string>{"/etc/containers/registries.conf.d", user_dir});
  if (::geteuid() != 0 || !uid_map_is_initial())
    CHECK(s.alias_cache == home.path() + "/cache/containers/short-name-aliases.conf");
  else
    CHECK(s.alias_cache == "/var/cache/containers/short-name-aliases.conf");

  // The user's file replaces the system one and its drop-ins.
  write(user_conf, "");
  s = RegistriesConf::sources();
  CHECK(s.main == user_conf);
  CHECK(s.dropin_dirs == std::vector<std::string>{user_dir});

  // The environment overrides both; both drop-in dirs still apply, as in Podman.
  env.set("REGISTRIES_CONFIG_PATH", "/legacy.conf");
  CHECK(RegistriesConf::sources().main == "/legacy.conf");
  env.set("CONTAINERS_REGISTRIES_CONF", "/x/registries.conf");
  s = RegistriesConf::sources();
  CHECK(s.main == "/x/registries.conf");
  CHECK(s.main_required);
  CHECK(s.dropin_dirs == std::vector<std::string>{"/etc/containers/registries.conf.d", user_dir});
}

TEST_CASE("registries.conf: load merges the main file, drop-ins in order, then the alias cache", "[registries]") {
  cabin::fs::TempDir dir("/tmp", "cabin-regs-");
  const std::string d = dir.path();
  write(d + "/main.conf", "unqualified-search-registries = [\"main.io\"]\n[aliases]\na = \"main.io/a\"\n");
  write(d + "/sys.d/20-b.conf", "[aliases]\na = \"sys20.io/a\"\n");
  write(d + "/sys.d/10-a.conf", "unqualified-search-registries = [\"sys10.io\"]\n[aliases]\na = \"sys10.io/a\"\n");
  write(d + "/sys.d/README", "not toml at all [");
  write(d + "/sys.d/sub.conf/inner.conf", "not toml at all [");  // a directory named *.conf
  write(d + "/user.d/05-z.conf", "[[registry]]\nlocation = \"user.io\"\ninsecure = true\n");
  write(d + "/cache/aliases.conf", "[aliases]\nb = \"cache.io/b\"\n");

  RegistriesConfSources src;
  src.main = d + "/main.conf";
  src.dropin_dirs = {d + "/sys.d", d + "/missing.d", d + "/user.d"};
  src.alias_cache = d + "/cache/aliases.conf";
  auto c = RegistriesConf::load(src);
  CHECK(c.files_read == std::vector<std::string>{d + "/main.conf", d + "/sys.d/10-a.conf", d + "/sys.d/20-b.conf",
                                                 d + "/user.d/05-z.conf", d + "/cache/aliases.conf"});
  CHECK(c.unqualified_search_registries == std::vector<std::string>{"sys10.io"});
  CHECK(c.unqualified_search_registries_origin == d + "/sys.d/10-a.conf");
  CHECK(c.aliases == std::map<std::string, std::string>{{"a", "sys20.io/a"}, {"b", "cache.io/b"}});
  CHECK(c.is_insecure("user.io"));

  // A broken drop-in is an error naming it.
  write(d + "/user.d/30-bad.conf", "short-name-mode = \"sometimes\"\n");
  CHECK(error_of([&] { RegistriesConf::load(src); }) ==
        "registries.conf " + d + "/user.d/30-bad.conf: invalid short-name mode: \"sometimes\"");

  // A missing main file is fine unless the environment named it.
  RegistriesConfSources missing;
  missing.main = d + "/none.conf";
  auto empty = RegistriesConf::load(missing);
  CHECK(empty.files_read.empty());
  CHECK(empty.unqualified_search_registries_origin.empty());
  missing.main_required = true;
  CHECK(error_of([&] { RegistriesConf::load(missing); }) ==
        "registries.conf " + d + "/none.conf: No such file or directory");
}

TEST_CASE("registries.conf: load() reads CONTAINERS_REGISTRIES_CONF", "[registries]") {
  cabin::fs::TempDir dir("/tmp", "cabin-regs-");
  EnvGuard env;
  env.set("HOME", dir.path());
  env.set("XDG_CACHE_HOME", dir.path() + "/cache");
  env.set("CONTAINERS_REGISTRIES_CONF", dir.path() + "/test.conf");
  write(dir.path() + "/test.conf", "[[registry]]\nlocation = \"cabin-test-only.example\"\ninsecure = true\n");
  write(dir.path() + "/.config/containers/registries.conf.d/50-user.conf",
        "[[registry]]\nlocation = \"cabin-user-dropin.example\"\nblocked = true\n");
  auto c = RegistriesConf::load();
  REQUIRE_FALSE(c.files_read.empty());
  CHECK(c.files_read.front() == dir.path() + "/test.conf");
  CHECK(c.files_read.back() == dir.path() + "/.config/containers/registries.conf.d/50-user.conf");
  CHECK(c.is_insecure("cabin-test-only.example"));
  CHECK(c.find(std::string_view("cabin-user-dropin.example/x"))->blocked);

  env.set("CONTAINERS_REGISTRIES_CONF", dir.path() + "/nope.conf");
  CHECK(error_of([] { RegistriesConf::load(); }) ==
        "registries.conf " + dir.path() + "/nope.conf: No such file or directory");
}
