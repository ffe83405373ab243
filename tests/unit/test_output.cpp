// Tests for --format handling, tables and JSON (src/format/output.*) and
// for human-readable units (src/format/units.*).
//
// Expected outputs were captured from Podman 4.3.1 (`podman images` on three
// images built for the purpose; kRows holds what Podman's template saw for
// them) and from Go 1.19.8's text/tabwriter and encoding/json.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "scoped_tz.h"
#include <nlohmann/json.hpp>

#include "format/output.h"
#include "format/units.h"
#include "util/error.h"

namespace {

using namespace cabin::format;
using nlohmann::json;

const char* const kRows = R"json([{"Repository": "localhost/verylongrepositoryname/big", "Tag": "latest", "ID": "4f234c1a141b", "Size": "1.05 MB", "Digest": "sha256:b7744cc5ac1aec38c3857532646313c2eb7279593623f37fa95a4a300c67865e", "Names": ["localhost/verylongrepositoryname/big:latest"], "Labels": {"io.buildah.version": "1.28.2"}, "Containers": 0, "ReadOnly": false, "Dangling": false, "SharedSize": 0, "VirtualSize": 1054354, "History": "localhost/verylongrepositoryname/big:latest", "CreatedAt": "2026-11-27 11:49:53 +0000 UTC", "ParentId": "1f4addb5d11baf03bf045ad5c6b4ce9faa32d2adbc6698d39ca64e0d7fb7166d", "RepoTags": ["localhost/verylongrepositoryname/big:latest"], "RepoDigests": ["localhost/verylongrepositoryname/big@sha256:b7744cc5ac1aec38c3857532646313c2eb7279593623f37fa95a4a300c67865e"]}, {"Repository": "localhost/small", "Tag": "1", "ID": "5abb289c2599", "Size": "3.85 kB", "Digest": "sha256:fe8e48e3008559d3f84742eef57a81042003189e438e97df057df70092412e99", "Names": ["localhost/small:1", "localhost/small:two"], "Labels": {"foo": "bar", "io.buildah.version": "1.28.2", "other": "x y"}, "Containers": 0, "ReadOnly": false, "Dangling": false, "SharedSize": 0, "VirtualSize": 3854, "History": "localhost/small:two, localhost/small:1", "CreatedAt": "2026-11-27 11:49:52 +0000 UTC", "ParentId": "b4003de502d072241ff6e01cab2e8b42ea000ee14ec298d5c008b0ecc865a967", "RepoTags": ["localhost/small:1", "localhost/small:two"], "RepoDigests": ["localhost/small@sha256:fe8e48e3008559d3f84742eef57a81042003189e438e97df057df70092412e99"]}, {"Repository": "localhost/small", "Tag": "two", "ID": "5abb289c2599", "Size": "3.85 kB", "Digest": "sha256:fe8e48e3008559d3f84742eef57a81042003189e438e97df057df70092412e99", "Names": ["localhost/small:1", "localhost/small:two"], "Labels": {"foo": "bar", "io.buildah.version": "1.28.2", "other": "x y"}, "Containers": 0, "ReadOnly": false, "Dangling": false, "SharedSize": 0, "VirtualSize": 3854, "History": "localhost/small:two, localhost/small:1", "CreatedAt": "2026-11-27 11:49:52 +0000 UTC", "ParentId": "b4003de502d072241ff6e01cab2e8b42ea000ee14ec298d5c008b0ecc865a967", "RepoTags": ["localhost/small:1", "localhost/small:two"], "RepoDigests": ["localhost/small@sha256:fe8e48e3008559d3f84742eef57a81042003189e438e97df057df70092412e99"]}])json";

struct Printed {
  std::string out;
  std::optional<std::string> err;
};

// Runs fn with a FILE that collects what it writes.
template <typename Fn>
Printed capture(Fn fn) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = ::open_memstream(&buf, &len);
  REQUIRE(f != nullptr);
  Printed p;
  try {
    fn(f);
  } catch (const cabin::Error& e) {
    p.err = e.message();
  }
  std::fclose(f);
  p.out.assign(buf, len);
  std::free(buf);
  return p;
}

ListOptions images_options(std::string format, bool noheading = false) {
  ListOptions o;
  o.format = std::move(format);
  o.noheading = noheading;
  o.name = "images";
  o.headers = {{"ID", "IMAGE ID"}, {"ReadOnly", "R/O"}};
  o.default_format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}";
  return o;
}

Printed images(std::string format, bool noheading = false) {
  json rows = json::parse(kRows);
  std::vector<json> v(rows.begin(), rows.end());
  ListOptions o = images_options(std::move(format), noheading);
  return capture([&](std::FILE* f) { print_list(f, o, v, rows); });
}

std::string tabwrite(std::initializer_list<std::string_view> pieces, TabWriter::Settings s = {}) {
  std::string out;
  TabWriter w(&out, s);
  for (auto p : pieces) w.write(p);
  w.flush();
  return out;
}

TabWriter::Settings settings(int minwidth, int tabwidth, int padding, char padchar, unsigned flags) {
  TabWriter::Settings s;
  s.minwidth = minwidth;
  s.tabwidth = tabwidth;
  s.padding = padding;
  s.padchar = padchar;
  s.flags = flags;
  return s;
}


std::chrono::system_clock::time_point at(int64_t unix_seconds, int64_t nanos = 0) {
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(unix_seconds) + std::chrono::nanoseconds(nanos)));
}

}  // namespace

TEST_CASE("TabWriter aligns like Go's text/tabwriter with Podman's settings", "[output]") {
  // minwidth 12, tabwidth 2, padding 2, blanks, StripEscape.
  CHECK(tabwrite({"REPOSITORY\tTAG\tIMAGE ID\n",
                  "localhost/small\t1\t5abb289c2599\nlocalhost/verylongrepositoryname/big\tlatest\t4f234c1a141b\n"}) ==
        "REPOSITORY                            TAG         IMAGE ID\n"
        "localhost/small                       1           5abb289c2599\n"
        "localhost/verylongrepositoryname/big  latest      4f234c1a141b\n");
  // A line without a tab ends a block of columns; the last cell of a line is
  // not a column and is not padded.
  CHECK(tabwrite({"a\tb\tc\nlonger cell\tx\n", "no tabs here\n", "1\t2\t3\n"}) ==
        "a            b           c\nlonger cell  x\nno tabs here\n1           2           3\n");
  // Empty cells get the minimal width.
  CHECK(tabwrite({"\t\tx\n\ty\n"}) == "                        x\n            y\n");
  // Text written in pieces, and a last line without a newline.
  CHECK(tabwrite({"par", "tial\tce", "lls\n"}) == "partial     cells\n");
  CHECK(tabwrite({"no newline\tat\tend"}) == "no newline  at          end");
  CHECK(tabwrite({""}).empty());
}

TEST_CASE("TabWriter supports Go's other settings and flags", "[output]") {
  // Widths count runes, not bytes.
  CHECK(tabwrite({"日本語\tb\nab\tc\n"}, settings(0, 8, 1, ' ', 0)) == "日本語 b\nab  c\n");
  CHECK(tabwrite({"a\tbb\tc\n", "aaa\tb\tcc\n"}, settings(0, 8, 1, '.', TabWriter::kAlignRight)) ==
        "...a.bbc\n.aaa..bcc\n");
  CHECK(tabwrite({"a\tb\tc\n", "aaa\tbbbb\tc\n"}, settings(0, 8, 1, ' ', TabWriter::kDebug)) ==
        "a   |b    |c\naaa |bbbb |c\n");
  CHECK(tabwrite({"a\tb\n", "aaaaaaaaa\tb\n"}, settings(0, 4, 1, '\t', 0)) == "a\t\t\tb\naaaaaaaaa\tb\n");
  CHECK(tabwrite({"a\t\tc\n", "b\t\td\n"}, settings(0, 8, 1, ' ', TabWriter::kDiscardEmptyColumns)) == "a  c\nb  d\n");
  CHECK(tabwrite({"<b>bold</b>\t&amp;\tx\n", "plain\ty\tz\n"}, settings(0, 8, 1, ' ', TabWriter::kFilterHTML)) ==
        "<b>bold</b>  &amp; x\nplain y z\n");
  CHECK(tabwrite({"a\tb\vc\td\n", "aaa\tbbb\tc\n"}, settings(0, 8, 1, ' ', 0)) == "a   b   c d\naaa bbb c\n");
  CHECK(tabwrite({"a\tb\fccc\td\n"}, settings(0, 8, 1, ' ', TabWriter::kDebug)) == "a |b\n---\nccc |d\n");
  CHECK(tabwrite({"\t\tx\n\t\ty\n"}, settings(0, 4, 1, ' ', TabWriter::kTabIndent)) == "\t\tx\n\t\ty\n");
  // Text between 0xff bytes is one unbroken piece; StripEscape drops the bytes.
  CHECK(tabwrite({"\xff" "a\tb" "\xff\tc\nx\ty\n"}) == "a\tb         c\nx           y\n");
  CHECK(tabwrite({"\xff" "a\tb" "\xff\tc\nx\ty\n"}, settings(0, 8, 1, ' ', 0)) == "\xff" "a\tb" "\xff c\nx   y\n");
}

TEST_CASE("print_list prints tables as Podman does", "[output]") {
  CHECK(images("table {{.ID}} {{.Repository}}").out ==
        "IMAGE ID      REPOSITORY\n"
        "4f234c1a141b  localhost/verylongrepositoryname/big\n"
        "5abb289c2599  localhost/small\n"
        "5abb289c2599  localhost/small\n");
  CHECK(images("table {{.ID}} {{.Repository}}", true).out ==
        "4f234c1a141b  localhost/verylongrepositoryname/big\n"
        "5abb289c2599  localhost/small\n"
        "5abb289c2599  localhost/small\n");
  // \t written as two characters.
  CHECK(images("table {{.ID}}\\t{{.Size}}").out ==
        "IMAGE ID      SIZE\n4f234c1a141b  1.05 MB\n5abb289c2599  3.85 kB\n5abb289c2599  3.85 kB\n");
  // Every blank is a column break, even inside actions.
  CHECK(images("table    {{ .ID }}  X{{.Size}}").out ==
        "                                    IMAGE ID                  XSIZE\n"
        "                                    4f234c1a141b              X1.05 MB\n"
        "                                    5abb289c2599              X3.85 kB\n"
        "                                    5abb289c2599              X3.85 kB\n");
  CHECK(images("table {{.Repository}}:{{.Tag}} {{.Names}}").out ==
        "REPOSITORY:TAG                               NAMES\n"
        "localhost/verylongrepositoryname/big:latest  [localhost/verylongrepositoryname/big:latest]\n"
        "localhost/small:1                            [localhost/small:1 localhost/small:two]\n"
        "localhost/small:two                          [localhost/small:1 localhost/small:two]\n");
  // Headers go through the same template, against a map of headers.
  CHECK(images("table {{if .Tag}}{{.Tag}}{{else}}<none>{{end}}\\t{{.ID}}").out ==
        "TAG         IMAGE ID\nlatest      4f234c1a141b\n1           5abb289c2599\ntwo         5abb289c2599\n");
  CHECK(images("table {{.ReadOnly}} {{.SharedSize}} {{.ParentId}}").out ==
        "R/O         SHARED SIZE  PARENT ID\n"
        "false       0            1f4addb5d11baf03bf045ad5c6b4ce9faa32d2adbc6698d39ca64e0d7fb7166d\n"
        "false       0            b4003de502d072241ff6e01cab2e8b42ea000ee14ec298d5c008b0ecc865a967\n"
        "false       0            b4003de502d072241ff6e01cab2e8b42ea000ee14ec298d5c008b0ecc865a967\n");
  // "table " is removed wherever it occurs.
  CHECK(images("table {{.Repository}} table {{.Tag}}").out ==
        "REPOSITORY                            TAG\n"
        "localhost/verylongrepositoryname/big  latest\n"
        "localhost/small                       1\n"
        "localhost/small                       two\n");
  // The default format, used without --format.
  CHECK(images("").out ==
        "REPOSITORY                            TAG         IMAGE ID      SIZE\n"
        "localhost/verylongrepositoryname/big  latest      4f234c1a141b  1.05 MB\n"
        "localhost/small                       1           5abb289c2599  3.85 kB\n"
        "localhost/small                       two         5abb289c2599  3.85 kB\n");
}

TEST_CASE("print_list prints other templates once per row", "[output]") {
  CHECK(images("{{.ID}}\\t{{.Size}}").out ==
        "4f234c1a141b\t1.05 MB\n5abb289c2599\t3.85 kB\n5abb289c2599\t3.85 kB\n");
  CHECK(images("{{.ID}}\\n\\n").out == "4f234c1a141b\n\n5abb289c2599\n\n5abb289c2599\n\n");
  // A format with its own range runs once, over all rows.
  CHECK(images("{{range .}}{{.ID}} {{end}}").out == "4f234c1a141b 5abb289c2599 5abb289c2599 \n");
  // '{{printf "\n"}}' no longer parses once \n is a newline: the original runs.
  CHECK(images("{{printf \"\\n\"}}").out == "\n\n\n");
  CHECK(images("{{len $}}").out == "3\n3\n3\n");
}

TEST_CASE("print_list reports template errors after the output so far", "[output]") {
  Printed p = images("{{.Size}}{{.Foo}}");
  CHECK(p.out == "1.05 MB");
  CHECK(p.err == std::optional<std::string>(
                     "template: images:1:22: executing \"images\" at <.Foo>: can't evaluate field Foo in type struct"));
  // The header has no value for an unknown field; the first row fails.
  p = images("table {{.Foo}}");
  CHECK(p.out == "<no value>\n");
  CHECK(p.err == std::optional<std::string>(
                     "template: images:1:13: executing \"images\" at <.Foo>: can't evaluate field Foo in type struct"));
  p = images("table {{.Labels.foo}}");
  CHECK(p.out.empty());
  CHECK(p.err == std::optional<std::string>("template: images:1:20: executing \"images\" at <.Labels.foo>: can't "
                                            "evaluate field foo in type string"));
  p = images("table {{.Labels.foo}}", true);
  CHECK(p.out == "<no value>\nbar\nbar\n");
  CHECK_FALSE(p.err.has_value());
  p = images("{{.ID");
  CHECK(p.out.empty());
  CHECK(p.err == std::optional<std::string>("template: images:1: bad character U+007B '{'"));
}

TEST_CASE("print_list prints JSON as Podman's list commands do", "[output]") {
  json json_rows = json::parse(R"([{"Id":"x","Labels":{"html":"<a&b>"},"Size":3854,"Names":null,"Empty":[],"EmptyMap":{}}])");
  ListOptions o;
  o.format = "json";
  auto print = [&] { return capture([&](std::FILE* f) { print_list(f, o, {json::object()}, json_rows); }).out; };
  // json.MarshalIndent(rows, "", "    "), HTML escaped, then a newline.
  const std::string four =
      "[\n    {\n        \"Empty\": [],\n        \"EmptyMap\": {},\n        \"Id\": \"x\",\n        \"Labels\": {\n"
      "            \"html\": \"\\u003ca\\u0026b\\u003e\"\n        },\n        \"Names\": null,\n        \"Size\": 3854\n"
      "    }\n]\n";
  CHECK(print() == four);
  o.format = " {{ json . }} ";
  CHECK(print() == four);
  o.format = "{{json}}";
  CHECK(print() == four);
  o.json_indent = 2;
  CHECK(print() ==
        "[\n  {\n    \"Empty\": [],\n    \"EmptyMap\": {},\n    \"Id\": \"x\",\n    \"Labels\": {\n      \"html\": "
        "\"\\u003ca\\u0026b\\u003e\"\n    },\n    \"Names\": null,\n    \"Size\": 3854\n  }\n]\n");
  o.format = "json";
  CHECK(capture([&](std::FILE* f) { print_list(f, o, {}, json::array()); }).out == "[]\n");
}

TEST_CASE("print_list prints the header of an empty list", "[output]") {
  ListOptions o;
  o.default_format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}";
  o.headers = {{"ID", "image id"}};
  // Podman 4.3.1's `podman images` with no images.
  CHECK(capture([&](std::FILE* f) { print_list(f, o, {}, json::array()); }).out ==
        "REPOSITORY  TAG         IMAGE ID    CREATED     SIZE\n");
  o.noheading = true;
  CHECK(capture([&](std::FILE* f) { print_list(f, o, {}, json::array()); }).out.empty());
  // Podman's own formats get a header row even without "table".
  o.noheading = false;
  o.default_format = "{{.ID}}\t{{.Size}}";
  json rows = json::parse(kRows);
  std::vector<json> v(rows.begin(), rows.end());
  CHECK(capture([&](std::FILE* f) { print_list(f, o, v, rows); }).out ==
        "IMAGE ID      SIZE\n4f234c1a141b  1.05 MB\n5abb289c2599  3.85 kB\n5abb289c2599  3.85 kB\n");
}

TEST_CASE("print_inspect prints JSON or one template run per object", "[output]") {
  json objects = json::parse(R"([{"Id":"a","RepoTags":["x:1"],"H":"<&>"},{"Id":"b","RepoTags":[]}])");
  // json.Encoder with SetIndent("", "     ") and no HTML escaping.
  const std::string five =
      "[\n     {\n          \"H\": \"<&>\",\n          \"Id\": \"a\",\n          \"RepoTags\": [\n"
      "               \"x:1\"\n          ]\n     },\n     {\n          \"Id\": \"b\",\n          \"RepoTags\": []\n"
      "     }\n]\n";
  CHECK(capture([&](std::FILE* f) { print_inspect(f, "", objects); }).out == five);
  CHECK(capture([&](std::FILE* f) { print_inspect(f, "json", objects); }).out == five);
  CHECK(capture([&](std::FILE* f) { print_inspect(f, "{{.Id}}", objects); }).out == "a\nb\n");
  CHECK(capture([&](std::FILE* f) { print_inspect(f, "{{.Id}}\\t{{len .RepoTags}}", objects); }).out == "a\t1\nb\t0\n");
  // "table" aligns, without a header row.
  CHECK(capture([&](std::FILE* f) { print_inspect(f, "table {{.Id}} {{.RepoTags}}", objects); }).out ==
        "a           [x:1]\nb           []\n");
  Printed p = capture([&](std::FILE* f) { print_inspect(f, "{{.Id}}{{.Nope}}", objects); });
  CHECK(p.out == "a");
  CHECK(p.err == std::optional<std::string>(
                     "template: inspect:1:20: executing \"inspect\" at <.Nope>: can't evaluate field Nope in type struct"));
  // Go field names for the template, JSON names for JSON.
  json go_view = json::parse(R"([{"ID":"a"},{"ID":"b"}])");
  CHECK(capture([&](std::FILE* f) { print_inspect(f, "{{.ID}}", objects, go_view); }).out == "a\nb\n");
  CHECK(capture([&](std::FILE* f) { print_inspect(f, "", objects, go_view); }).out == five);
}

TEST_CASE("print_object prints one object as podman version does", "[output]") {
  json v = json::parse(R"({"Client":{"Version":"4.3.1","OsArch":"linux/amd64","Built":0}})");
  CHECK(capture([&](std::FILE* f) { print_object(f, "json", v); }).out ==
        "{\"Client\":{\"Built\":0,\"OsArch\":\"linux/amd64\",\"Version\":\"4.3.1\"}}\n");
  CHECK(capture([&](std::FILE* f) { print_object(f, "{{json .}}", v); }).out ==
        "{\"Client\":{\"Built\":0,\"OsArch\":\"linux/amd64\",\"Version\":\"4.3.1\"}}\n");
  CHECK(capture([&](std::FILE* f) { print_object(f, "json", v, 2); }).out ==
        "{\n  \"Client\": {\n    \"Built\": 0,\n    \"OsArch\": \"linux/amd64\",\n    \"Version\": \"4.3.1\"\n  }\n}\n");
  CHECK(capture([&](std::FILE* f) { print_object(f, "{{.Client.Version}}", v); }).out == "4.3.1\n");
  CHECK(capture([&](std::FILE* f) { print_object(f, "{{.Client.Version}}\\t{{.Client.OsArch}}", v); }).out ==
        "4.3.1\tlinux/amd64\n");
}

TEST_CASE("go_json writes what Go's encoding/json writes", "[output]") {
  json v = json::parse(R"({"f":1.5,"g":3.0,"big":1e21,"under":1e20,"tiny":1e-7,"small":1e-6,"neg":-0.000001234,
                           "ctl":"\u0001\b\f\n\r\t\"\\\u2028\u2029é\u007f","i":-42,"u":18446744073709551615})");
  v["bad"] = std::string("a\xff" "b");
  CHECK(go_json(v) ==
        "{\"bad\":\"a\\ufffdb\",\"big\":1e+21,\"ctl\":\"\\u0001\\u0008\\u000c\\n\\r\\t\\\"\\\\\\u2028\\u2029é\x7f\","
        "\"f\":1.5,\"g\":3,\"i\":-42,\"neg\":-0.000001234,\"small\":0.000001,\"tiny\":1e-7,"
        "\"u\":18446744073709551615,\"under\":100000000000000000000}");
  CHECK(go_json(json::parse(R"({"h":"<&>"})")) == "{\"h\":\"<&>\"}");
  CHECK(go_json(json::parse(R"({"h":"<&>"})"), "", true) == "{\"h\":\"\\u003c\\u0026\\u003e\"}");
  CHECK(go_json(json::parse(R"({"a":[],"b":{},"c":[1,{"d":null}]})"), "  ") ==
        "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": null\n    }\n  ]\n}");
  CHECK(go_json(json()) == "null");
  CHECK(go_json(json::array()) == "[]");
}

TEST_CASE("format helpers follow containers/common pkg/report", "[output]") {
  CHECK(normalize_format("table {{.ID}} {{.Name}}") == "{{.ID}}\t{{.Name}}\n");
  CHECK(normalize_format("table {{.ID}}\\t{{.Name}}\\n") == "{{.ID}}\t{{.Name}}\n");
  CHECK(normalize_format("table {{.A}} table {{.B}}") == "{{.A}}\t{{.B}}\n");
  CHECK(normalize_format("{{.ID}}\\t{{ .Name }}") == "{{.ID}}\t{{ .Name }}\n");
  CHECK(normalize_format("{{.ID}}\n") == "{{.ID}}\n");
  CHECK(normalize_format("tablex {{.A}}") == "tablex {{.A}}\n");
  CHECK(normalize_format("") == "\n");

  CHECK(is_json_format("json"));
  CHECK(is_json_format(" json\n"));
  CHECK(is_json_format("{{json .}}"));
  CHECK(is_json_format("\t{{ json . }} "));
  CHECK(is_json_format("{{json}}"));
  CHECK_FALSE(is_json_format("JSON"));
  CHECK_FALSE(is_json_format("{{json .ID}}"));
  CHECK_FALSE(is_json_format("json {{.ID}}"));
  CHECK_FALSE(is_json_format("table json"));
  CHECK_FALSE(is_json_format(""));

  CHECK(enforce_range("{{.ID}}\n") == "{{range .}}{{.ID}}\n{{end -}}");
  CHECK(enforce_range("{{range .}}{{.ID}}{{end}}") == "{{range .}}{{.ID}}{{end}}");
  CHECK(enforce_range("x{{ range . }}\n{{.ID}}{{ end -}}") == "x{{ range . }}\n{{.ID}}{{ end -}}");
  CHECK(enforce_range("{{range .Names}}{{.}}{{end}}") == "{{range .}}{{range .Names}}{{.}}{{end}}{{end -}}");

  CHECK(header_for_field("ID") == "ID");
  CHECK(header_for_field("Size") == "SIZE");
  CHECK(header_for_field("RepoDigests") == "REPO DIGESTS");
  CHECK(header_for_field("ParentId") == "PARENT ID");
  CHECK(header_for_field("SharedSize") == "SHARED SIZE");
  CHECK(header_for_field("CreatedAt") == "CREATED AT");
  CHECK(header_for_field("IPAddress") == "IP ADDRESS");
  CHECK(header_for_field("HTTPServer") == "HTTP SERVER");
  CHECK(header_for_field("Port80Open") == "PORT 80 OPEN");
  CHECK(header_for_field("lowerCase") == "LOWER CASE");
}

TEST_CASE("human_size prints sizes as Podman does", "[units]") {
  // Go: HumanSizeWithPrecision(size, 3) with a blank after the last digit.
  CHECK(human_size(0) == "0 B");
  CHECK(human_size(1) == "1 B");
  CHECK(human_size(123) == "123 B");
  CHECK(human_size(999) == "999 B");
  CHECK(human_size(1000) == "1 kB");
  CHECK(human_size(1023) == "1.02 kB");
  CHECK(human_size(1049) == "1.05 kB");
  CHECK(human_size(3854) == "3.85 kB");
  CHECK(human_size(9995) == "9.99 kB");
  CHECK(human_size(9999) == "10 kB");
  CHECK(human_size(99950) == "100 kB");
  CHECK(human_size(999499) == "999 kB");
  CHECK(human_size(999500) == "1e+03 kB");
  CHECK(human_size(1e6) == "1 MB");
  CHECK(human_size(1054354) == "1.05 MB");
  CHECK(human_size(7630000) == "7.63 MB");
  CHECK(human_size(7635000) == "7.63 MB");
  CHECK(human_size(12345678901) == "12.3 GB");
  CHECK(human_size(1.5e12) == "1.5 TB");
  CHECK(human_size(1e24) == "1 YB");
  CHECK(human_size(1e27) == "1e+03 YB");
  CHECK(human_size(-5) == "-5 B");
  CHECK(human_size(0.5) == "0.5 B");
  CHECK(go_human_size(1023, 4) == "1.023kB");
  CHECK(go_human_size(1054354, 4) == "1.054MB");
  CHECK(go_human_size(99950, 4) == "99.95kB");
  CHECK(go_human_size(999999, 4) == "1000kB");
  CHECK(go_human_size(3854, 3) == "3.85kB");
}

TEST_CASE("human_duration follows go-units' thresholds", "[units]") {
  using std::chrono::seconds;
  CHECK(human_duration(seconds(-5)) == "Less than a second");
  CHECK(human_duration(seconds(0)) == "Less than a second");
  CHECK(human_duration(seconds(1)) == "1 second");
  CHECK(human_duration(seconds(2)) == "2 seconds");
  CHECK(human_duration(seconds(59)) == "59 seconds");
  CHECK(human_duration(seconds(60)) == "About a minute");
  CHECK(human_duration(seconds(119)) == "About a minute");
  CHECK(human_duration(seconds(120)) == "2 minutes");
  CHECK(human_duration(seconds(3599)) == "59 minutes");
  CHECK(human_duration(seconds(3600)) == "About an hour");
  CHECK(human_duration(seconds(5399)) == "About an hour");
  CHECK(human_duration(seconds(5400)) == "2 hours");
  CHECK(human_duration(seconds(170999)) == "47 hours");
  CHECK(human_duration(seconds(171000)) == "2 days");
  CHECK(human_duration(seconds(13 * 86400)) == "13 days");
  CHECK(human_duration(seconds(1207800)) == "2 weeks");
  CHECK(human_duration(seconds(59 * 86400)) == "8 weeks");
  CHECK(human_duration(seconds(60 * 86400)) == "2 months");
  CHECK(human_duration(seconds(729 * 86400)) == "24 months");
  CHECK(human_duration(seconds(730 * 86400)) == "2 years");
  CHECK(human_duration(seconds(3650L * 86400)) == "10 years");
}

TEST_CASE("time_ago keeps the sub-second part as time.Since does", "[units]") {
  auto now = at(1704207845);
  CHECK(time_ago(at(1704207845, 1), now) == "Less than a second ago");
  CHECK(time_ago(now - std::chrono::milliseconds(999), now) == "Less than a second ago");
  CHECK(time_ago(now - std::chrono::milliseconds(1500), now) == "1 second ago");
  CHECK(time_ago(now - std::chrono::seconds(90), now) == "About a minute ago");
  CHECK(time_ago(now - std::chrono::hours(24 * 20), now) == "2 weeks ago");
  CHECK(time_ago(std::chrono::system_clock::now() - std::chrono::minutes(5)) == "5 minutes ago");
}

TEST_CASE("rfc3339_nano and parse_rfc3339 follow Go's RFC3339Nano", "[units]") {
  CHECK(rfc3339_nano(at(1704207845, 123456789)) == "2024-01-02T15:04:05.123456789Z");
  CHECK(rfc3339_nano(at(1704207845, 120000000)) == "2024-01-02T15:04:05.12Z");
  CHECK(rfc3339_nano(at(1704207845)) == "2024-01-02T15:04:05Z");
  CHECK(rfc3339_nano(at(-1, 500000000)) == "1969-12-31T23:59:59.5Z");
  CHECK(rfc3339_nano(at(0)) == "1970-01-01T00:00:00Z");

  CHECK(parse_rfc3339("2024-01-02T15:04:05Z") == at(1704207845));
  CHECK(parse_rfc3339("2024-01-02T15:04:05.123456789Z") == at(1704207845, 123456789));
  CHECK(parse_rfc3339("2024-01-02T16:04:05+01:00") == at(1704207845));
  CHECK(parse_rfc3339("2024-01-02T10:04:05.5-05:00") == at(1704207845, 500000000));
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z") == at(1709164800));
  for (const char* s : {"2024-01-02T15:04:05.123456789Z", "2024-01-02T15:04:05Z", "1999-12-31T23:59:59.000001Z"})
    CHECK(rfc3339_nano(parse_rfc3339(s)) == s);

  for (const char* bad : {"", "2024-01-02", "2024-01-02T15:04:05", "2024-01-02 15:04:05Z", "2024-13-02T00:00:00Z",
                          "2023-02-29T00:00:00Z", "2024-01-02T24:00:00Z", "2024-01-02T15:04:05.Z",
                          "2024-01-02T15:04:05Zjunk", "2024-01-02T15:04:05+0100", "24-01-02T15:04:05Z"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_rfc3339(bad), cabin::Error);
  }
  try {
    parse_rfc3339("2024-13-02T00:00:00Z");
    FAIL("no error");
  } catch (const cabin::Error& e) {
    CHECK(e.message() == "parsing time \"2024-13-02T00:00:00Z\" as RFC 3339: month out of range");
  }
}

TEST_CASE("go_time_string prints as Go's time.Time.String", "[units]") {
  // Podman's CreatedAt of an image: time.Unix(created, 0).UTC().String().
  CHECK(go_time_string_utc(at(1795780193)) == "2026-11-27 11:49:53 +0000 UTC");
  CHECK(go_time_string_utc(at(1704207845, 123456789)) == "2024-01-02 15:04:05.123456789 +0000 UTC");
  {
    ScopedTz tz("UTC");
    CHECK(go_time_string(at(1704207845, 120000000)) == "2024-01-02 15:04:05.12 +0000 UTC");
  }
  {
    ScopedTz tz("Asia/Kolkata");
    CHECK(go_time_string(at(1704207845, 123456789)) == "2024-01-02 20:34:05.123456789 +0530 IST");
  }
  {
    // A zone without an abbreviation of letters.
    ScopedTz tz("America/Sao_Paulo");
    CHECK(go_time_string(at(1704207845, 123456789)) == "2024-01-02 12:04:05.123456789 -0300 -03");
  }
}

TEST_CASE("JSON output keeps the key order of ordered_json", "[output]") {
  nlohmann::ordered_json o = nlohmann::ordered_json::parse(R"({"Id":"x","Created":1,"A":{"z":1,"b":"<"}})");
  CHECK(go_json(o) == "{\"Id\":\"x\",\"Created\":1,\"A\":{\"z\":1,\"b\":\"<\"}}");
  CHECK(go_json(json(o)) == "{\"A\":{\"b\":\"<\",\"z\":1},\"Created\":1,\"Id\":\"x\"}");
  nlohmann::ordered_json rows = nlohmann::ordered_json::array({o});
  ListOptions lo;
  lo.format = "json";
  lo.json_indent = 1;
  CHECK(capture([&](std::FILE* f) { print_list(f, lo, {json(o)}, rows); }).out ==
        "[\n {\n  \"Id\": \"x\",\n  \"Created\": 1,\n  \"A\": {\n   \"z\": 1,\n   \"b\": \"\\u003c\"\n  }\n }\n]\n");
  CHECK(capture([&](std::FILE* f) { print_inspect(f, "", rows); }).out ==
        "[\n     {\n          \"Id\": \"x\",\n          \"Created\": 1,\n          \"A\": {\n               \"z\": 1,\n"
        "               \"b\": \"<\"\n          }\n     }\n]\n");
  CHECK(capture([&](std::FILE* f) { print_inspect(f, "{{.Id}} {{.A}}", rows); }).out == "x map[b:< z:1]\n");
  CHECK(capture([&](std::FILE* f) { print_object(f, "json", o); }).out ==
        "{\"Id\":\"x\",\"Created\":1,\"A\":{\"z\":1,\"b\":\"<\"}}\n");
}
