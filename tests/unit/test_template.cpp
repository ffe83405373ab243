// Tests for the Go text/template engine (src/format/template.*).
//
// The two tables below were produced by Go 1.19.8's text/template, the Go
// Podman 4.3.1 is built with, with Podman's template functions
// (containers/common pkg/report) on the same data decoded from JSON as
// map[string]interface{}: each row is a template, its output (nullptr when
// it does not parse) and its error text (nullptr when none).
#include <cstdlib>
#include <optional>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "format/template.h"
#include "util/error.h"

namespace {

using cabin::format::ExecOptions;
using cabin::format::Template;
using nlohmann::json;

struct GoCase {
  const char* tmpl;
  const char* out;   // nullptr: the template does not parse
  const char* err;   // nullptr: no error
  const char* data;  // nullptr: the table's data
};

// Runs a template the way the tables were produced; returns the output and
// the error, if any.
struct Result {
  bool parsed = true;
  std::string out;
  std::optional<std::string> err;
};

Result run_case(std::string_view tmpl, const json& data, const ExecOptions& opts = {}) {
  Result r;
  std::optional<Template> t;
  try {
    t = Template::parse(tmpl);
  } catch (const cabin::Error& e) {
    r.parsed = false;
    r.err = e.message();
    return r;
  }
  try {
    t->execute(r.out, data, opts);
  } catch (const cabin::Error& e) {
    r.err = e.message();
  }
  return r;
}

// Output of a template that must succeed.
std::string exec(std::string_view tmpl, const json& data = json()) { return Template::parse(tmpl).execute(data); }

// The error text of a template that must fail, at parse or execution.
std::string error_of(std::string_view tmpl, const json& data = json()) {
  Result r = run_case(tmpl, data);
  REQUIRE(r.err.has_value());
  return *r.err;
}

void check_table(const GoCase* begin, const GoCase* end, const json& table_data) {
  for (const GoCase* c = begin; c != end; ++c) {
    INFO("template: " << c->tmpl);
    json data = c->data != nullptr ? json::parse(c->data) : table_data;
    Result r = run_case(c->tmpl, data);
    if (c->out == nullptr) {
      CHECK_FALSE(r.parsed);
    } else {
      CHECK(r.parsed);
      CHECK(r.out == c->out);
    }
    if (c->err == nullptr) {
      CHECK_FALSE(r.err.has_value());
    } else {
      CHECK(r.err.value_or("(no error)") == c->err);
    }
  }
}

const char* const kData1 = R"json({"ID": "4f234c1a141bc8e2", "Names": ["alpha", "beta"], "Labels": {"foo": "bar", "io.buildah.version": "1.28.2", "other": "x y"}, "Size": 1054354, "F": 3.5, "Big": 1e+21, "Small": 1e-07, "Neg": -42, "T": true, "Fa": false, "N": null, "E": "", "EA": [], "EM": {}, "Nested": {"A": {"B": "deep"}}, "Mixed": [1, "two", null, 3.25, true, {"k": "v"}, [1, 2]], "S": "Hello, World <&>\"'\n\t", "U": "h\u00e9llo w\u00f6rld \u01c6 stra\u00dfe", "Ints": [3, 1, 2], "Zero": 0, "FZ": 0.0, "Million": 1000000, "F6": 123456.0, "F7": 1234567.0, "Uni": "\u65e5\u672c\u8a9e"})json";

const GoCase kGoCases1[] = {
    {"{{.ID}}", "4f234c1a141bc8e2", nullptr, nullptr},
    {"{{.Names}}", "[alpha beta]", nullptr, nullptr},
    {"{{.Labels}}", "map[foo:bar io.buildah.version:1.28.2 other:x y]", nullptr, nullptr},
    {"{{.Size}}", "1054354", nullptr, nullptr},
    {"{{.F}}", "3.5", nullptr, nullptr},
    {"{{.Big}}", "1e+21", nullptr, nullptr},
    {"{{.Small}}", "1e-07", nullptr, nullptr},
    {"{{.Neg}}", "-42", nullptr, nullptr},
    {"{{.T}} {{.Fa}}", "true false", nullptr, nullptr},
    {"{{.N}}", "<no value>", nullptr, nullptr},
    {"{{.E}}|", "|", nullptr, nullptr},
    {"{{.EA}}", "[]", nullptr, nullptr},
    {"{{.EM}}", "map[]", nullptr, nullptr},
    {"{{.Nested}}", "map[A:map[B:deep]]", nullptr, nullptr},
    {"{{.Nested.A.B}}", "deep", nullptr, nullptr},
    {"{{.Mixed}}", "[1 two <nil> 3.25 true map[k:v] [1 2]]", nullptr, nullptr},
    {"{{.S}}", "Hello, World <&>\"'\n\t", nullptr, nullptr},
    {"{{.Labels.nope}}", "<no value>", nullptr, nullptr},
    {"{{.Labels.foo}}", "bar", nullptr, nullptr},
    {"{{.}}", "map[Big:1e+21 E: EA:[] EM:map[] F:3.5 F6:123456 F7:1.234567e+06 FZ:0 Fa:false ID:4f234c1a141bc8e2 Ints:[3 1 2] Labels:map[foo:bar io.buildah.version:1.28.2 other:x y] Million:1000000 Mixed:[1 two <nil> 3.25 true map[k:v] [1 2]] N:<nil> Names:[alpha beta] Neg:-42 Nested:map[A:map[B:deep]] S:Hello, World <&>\"'\n\t Size:1054354 Small:1e-07 T:true U:héllo wörld ǆ straße Uni:日本語 Zero:0]", nullptr, nullptr},
    {"{{$}}", "map[Big:1e+21 E: EA:[] EM:map[] F:3.5 F6:123456 F7:1.234567e+06 FZ:0 Fa:false ID:4f234c1a141bc8e2 Ints:[3 1 2] Labels:map[foo:bar io.buildah.version:1.28.2 other:x y] Million:1000000 Mixed:[1 two <nil> 3.25 true map[k:v] [1 2]] N:<nil> Names:[alpha beta] Neg:-42 Nested:map[A:map[B:deep]] S:Hello, World <&>\"'\n\t Size:1054354 Small:1e-07 T:true U:héllo wörld ǆ straße Uni:日本語 Zero:0]", nullptr, nullptr},
    {"{{.Million}} {{.F6}} {{.F7}} {{.Zero}} {{.FZ}}", "1000000 123456 1.234567e+06 0 0", nullptr, nullptr},
    {"a {{- .ID -}} b", "a4f234c1a141bc8e2b", nullptr, nullptr},
    {"a  {{- .ID}}  b", "a4f234c1a141bc8e2  b", nullptr, nullptr},
    {"a {{.ID -}}\n\n  b", "a 4f234c1a141bc8e2b", nullptr, nullptr},
    {"{{- /* comment */ -}} x", "x", nullptr, nullptr},
    {"{{/* c */}}y", "y", nullptr, nullptr},
    {"x {{- /* c */}} y", "x y", nullptr, nullptr},
    {"{{if .T}}yes{{else}}no{{end}}", "yes", nullptr, nullptr},
    {"{{if .Fa}}yes{{else if .E}}e{{else if .Names}}names{{end}}", "names", nullptr, nullptr},
    {"{{if .N}}1{{else}}0{{end}}", "0", nullptr, nullptr},
    {"{{if .EA}}1{{else}}0{{end}}{{if .EM}}1{{else}}0{{end}}{{if .Zero}}1{{else}}0{{end}}{{if .FZ}}1{{else}}0{{end}}{{if .Nested}}1{{end}}", "00001", nullptr, nullptr},
    {"{{range .Names}}[{{.}}]{{end}}", "[alpha][beta]", nullptr, nullptr},
    {"{{range $i, $e := .Names}}{{$i}}={{$e}} {{end}}", "0=alpha 1=beta ", nullptr, nullptr},
    {"{{range $k, $v := .Labels}}{{$k}}:{{$v}};{{end}}", "foo:bar;io.buildah.version:1.28.2;other:x y;", nullptr, nullptr},
    {"{{range .EA}}x{{else}}empty{{end}}", "empty", nullptr, nullptr},
    {"{{range .N}}x{{else}}nil{{end}}", "nil", nullptr, nullptr},
    {"{{range .Ints}}{{if eq . 1}}{{break}}{{end}}{{.}}{{end}}", "3", nullptr, nullptr},
    {"{{range .Ints}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}", "32", nullptr, nullptr},
    {"{{range $e := .Ints}}{{$e}}{{end}}", "312", nullptr, nullptr},
    {"{{range .ID}}x{{end}}", "", "template: format:1:8: executing \"format\" at <.ID>: range can't iterate over 4f234c1a141bc8e2", nullptr},
    {"{{with .Nested.A}}{{.B}}{{end}}", "deep", nullptr, nullptr},
    {"{{with .E}}x{{else}}empty{{end}}", "empty", nullptr, nullptr},
    {"{{with $x := .ID}}{{$x}}{{end}}", "4f234c1a141bc8e2", nullptr, nullptr},
    {"{{$x := 1}}{{$x}}{{$x = 2}}{{$x}}", "12", nullptr, nullptr},
    {"{{$x := .ID}}{{range .Names}}{{$x}}-{{.}} {{end}}", "4f234c1a141bc8e2-alpha 4f234c1a141bc8e2-beta ", nullptr, nullptr},
    {"{{$}}{{$.ID}}", "map[Big:1e+21 E: EA:[] EM:map[] F:3.5 F6:123456 F7:1.234567e+06 FZ:0 Fa:false ID:4f234c1a141bc8e2 Ints:[3 1 2] Labels:map[foo:bar io.buildah.version:1.28.2 other:x y] Million:1000000 Mixed:[1 two <nil> 3.25 true map[k:v] [1 2]] N:<nil> Names:[alpha beta] Neg:-42 Nested:map[A:map[B:deep]] S:Hello, World <&>\"'\n\t Size:1054354 Small:1e-07 T:true U:héllo wörld ǆ straße Uni:日本語 Zero:0]4f234c1a141bc8e2", nullptr, nullptr},
    {"{{.ID | printf \"%s!\"}}", "4f234c1a141bc8e2!", nullptr, nullptr},
    {"{{printf \"%d %5d %-5d| %05d %x %X %o %b %c %q %U\" 42 42 42 42 255 255 8 5 65 65 65}}", "42    42 42   | 00042 ff FF 10 101 A 'A' U+0041", nullptr, nullptr},
    {"{{printf \"%s %10s|%-10s|%.2s %q %x % x %#q\" \"abc\" \"abc\" \"abc\" \"abc\" \"a\\\"b\" \"hi\" \"hi\" \"ab`c\"}}", "abc        abc|abc       |ab \"a\\\"b\" 6869 68 69 \"ab`c\"", nullptr, nullptr},
    {"{{printf \"%f %.2f %e %g %G %8.3f %v %v\" 3.14159 3.14159 314.159 0.000012345 1e21 2.5 1e6 0.1}}", "3.141590 3.14 3.141590e+02 1.2345e-05 1E+21    2.500 1e+06 0.1", nullptr, nullptr},
    {"{{printf \"%t %v %d\" true false true}}", "true false %!d(bool=true)", nullptr, nullptr},
    {"{{printf \"%s\" .Names}}", "[alpha beta]", nullptr, nullptr},
    {"{{printf \"%d\" .Names}}", "[%!d(string=alpha) %!d(string=beta)]", nullptr, nullptr},
    {"{{printf \"%v %+v\" .Labels .Labels}}", "map[foo:bar io.buildah.version:1.28.2 other:x y] map[foo:bar io.buildah.version:1.28.2 other:x y]", nullptr, nullptr},
    {"{{printf \"%s %s\" 1}}", "%!s(int=1) %!s(MISSING)", nullptr, nullptr},
    {"{{printf \"%s\" 1 2}}", "%!s(int=1)%!(EXTRA int=2)", nullptr, nullptr},
    {"{{printf \"%!\"}}", "%!!(MISSING)", nullptr, nullptr},
    {"{{printf \"%\"}}", "%!(NOVERB)", nullptr, nullptr},
    {"{{printf \"%[2]s %[1]s\" \"a\" \"b\"}}", "b a", nullptr, nullptr},
    {"{{printf \"%*d|%-*d\" 5 1 4 2}}", "    1|2   ", nullptr, nullptr},
    {"{{printf \"%s\" nil}}", "%!s(<nil>)", nullptr, nullptr},
    {"{{printf \"%v\" .N}}", "<nil>", nullptr, nullptr},
    {"{{printf \"%d\" .Labels.nope}}", "%!d(<nil>)", nullptr, nullptr},
    {"{{printf \"%6.2v|\" 3.14159}}", "   3.1|", nullptr, nullptr},
    {"{{printf \"%x %X\" 3.5 -1}}", "0x1.cp+01 -1", nullptr, nullptr},
    {"{{printf \"%+d % d %+.3e\" 5 5 1234.5}}", "+5  5 +1.234e+03", nullptr, nullptr},
    {"{{print 1 2 \"a\" \"b\" 3 true}}", "1 2ab3 true", nullptr, nullptr},
    {"{{println 1 \"a\" 2}}", "1 a 2\n", nullptr, nullptr},
    {"{{print .N}}", "<nil>", nullptr, nullptr},
    {"{{print}}", "", nullptr, nullptr},
    {"{{print .Names .Labels}}", "[alpha beta] map[foo:bar io.buildah.version:1.28.2 other:x y]", nullptr, nullptr},
    {"{{len .Names}} {{len .Labels}} {{len .ID}} {{len .EA}}", "2 3 16 0", nullptr, nullptr},
    {"{{index .Mixed 5 \"k\"}} {{index .Mixed 6 1}}", "v 2", nullptr, nullptr},
    {"{{index .ID 0}}", "52", nullptr, nullptr},
    {"{{index .Names 2}}", "", "template: format:1:2: executing \"format\" at <index .Names 2>: error calling index: reflect: slice index out of range", nullptr},
    {"{{index .Names 5}}", "", "template: format:1:2: executing \"format\" at <index .Names 5>: error calling index: index out of range: 5", nullptr},
    {"{{index .Names -1}}", "", "template: format:1:2: executing \"format\" at <index .Names -1>: error calling index: index out of range: -1", nullptr},
    {"{{slice .ID 1 3}} {{slice .Names 1}} {{slice .ID 2}} {{slice .Names 0 1 2}}", "f2 [beta] 234c1a141bc8e2 [alpha]", nullptr, nullptr},
    {"{{slice .ID 3 1}}", "", "template: format:1:2: executing \"format\" at <slice .ID 3 1>: error calling slice: invalid slice index: 3 > 1", nullptr},
    {"{{slice .ID 1 2 3}}", "", "template: format:1:2: executing \"format\" at <slice .ID 1 2 3>: error calling slice: cannot 3-index slice a string", nullptr},
    {"{{not .T}} {{not .E}} {{and 1 0 2}} {{and 1 2}} {{or 0 \"\" 3}} {{or 0 \"\"}} {{and}}", "false true 0 2 3  ", "template: format:1:76: executing \"format\" at <and>: wrong number of args for and: want at least 1 got 0", nullptr},
    {"{{eq 1 1}} {{eq 1 2 3 1}} {{eq \"a\" \"a\"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt 3 2}} {{ge 1 2}} {{eq .Size 1054354}}", "true true true true true true true false true", nullptr, nullptr},
    {"{{eq 1 1.0}}", "", "template: format:1:2: executing \"format\" at <eq 1 1.0>: error calling eq: incompatible types for comparison", nullptr},
    {"{{eq .N nil}}", "true", nullptr, nullptr},
    {"{{eq .Labels.nope \"\"}}", "false", nullptr, nullptr},
    {"{{lt true false}}", "", "template: format:1:2: executing \"format\" at <lt true false>: error calling lt: invalid type for comparison", nullptr},
    {"{{lt \"a\" 1}}", "", "template: format:1:2: executing \"format\" at <lt \"a\" 1>: error calling lt: incompatible types for comparison", nullptr},
    {"{{eq .Names .Names}}", "", "template: format:1:2: executing \"format\" at <eq .Names .Names>: error calling eq: non-comparable type [alpha beta]: []string", nullptr},
    {"{{eq 1}}", "", "template: format:1:2: executing \"format\" at <eq 1>: error calling eq: missing argument for comparison", nullptr},
    {"{{lt .Neg .Size}}", "true", nullptr, nullptr},
    {"{{html .S}} {{js .S}} {{urlquery .S}}", "Hello, World &lt;&amp;&gt;&#34;&#39;\n\t Hello, World \\u003C\\u0026\\u003E\\\"\\'\\u000A\\u0009 Hello%2C+World+%3C%26%3E%22%27%0A%09", nullptr, nullptr},
    {"{{html 1 \"<\" 2}}", "1&lt;2", nullptr, nullptr},
    {"{{html .N}}", "&lt;no value&gt;", nullptr, nullptr},
    {"{{js .U}} {{urlquery .U}}", "héllo wörld ǆ straße h%C3%A9llo+w%C3%B6rld+%C7%86+stra%C3%9Fe", nullptr, nullptr},
    {"{{join .Names \",\"}} {{json .Labels}} {{json .}} {{json .N}} {{json .S}}", "alpha,beta {\"foo\":\"bar\",\"io.buildah.version\":\"1.28.2\",\"other\":\"x y\"} {\"Big\":1e+21,\"E\":\"\",\"EA\":[],\"EM\":{},\"F\":3.5,\"F6\":123456,\"F7\":1234567,\"FZ\":0,\"Fa\":false,\"ID\":\"4f234c1a141bc8e2\",\"Ints\":[3,1,2],\"Labels\":{\"foo\":\"bar\",\"io.buildah.version\":\"1.28.2\",\"other\":\"x y\"},\"Million\":1000000,\"Mixed\":[1,\"two\",null,3.25,true,{\"k\":\"v\"},[1,2]],\"N\":null,\"Names\":[\"alpha\",\"beta\"],\"Neg\":-42,\"Nested\":{\"A\":{\"B\":\"deep\"}},\"S\":\"Hello, World <&>\\\"'\\n\\t\",\"Size\":1054354,\"Small\":1e-7,\"T\":true,\"U\":\"héllo wörld ǆ straße\",\"Uni\":\"日本語\",\"Zero\":0} null \"Hello, World <&>\\\"'\\n\\t\"", nullptr, nullptr},
    {"{{lower \"ÀBC Ǆ\"}} {{upper .U}} {{title \"hello wORLD foo_bar x-y\"}}", "àbc ǆ HÉLLO WÖRLD Ǆ STRAßE Hello WORLD Foo_bar X-Y", nullptr, nullptr},
    {"{{pad .ID 2 3}}|{{pad .E 2 3}}|", "  4f234c1a141bc8e2   ||", nullptr, nullptr},
    {"{{split \"a,b,,c\" \",\"}} {{split \"abc\" \"\"}} {{len (split \"\" \",\")}}", "[a b  c] [a b c] 1", nullptr, nullptr},
    {"{{truncate .ID 5}} {{truncate .ID 100}} {{.ID | truncate 3}}", "4f234 4f234c1a141bc8e2 ", "template: format:1:57: executing \"format\" at <3>: expected string; found 3", nullptr},
    {"{{truncate .ID -1}}", "", "template: format:1:2: executing \"format\" at <truncate .ID -1>: error calling truncate: runtime error: slice bounds out of range [:-1]", nullptr},
    {"{{pad .ID -1 0}}", "", "template: format:1:2: executing \"format\" at <pad .ID -1 0>: error calling pad: strings: negative Repeat count", nullptr},
    {"{{join .Mixed \",\"}}", "", "template: format:1:7: executing \"format\" at <.Mixed>: wrong type for value; expected []string; got []interface {}", nullptr},
    {"{{upper .Size}}", "", "template: format:1:8: executing \"format\" at <.Size>: wrong type for value; expected string; got int", nullptr},
    {"{{upper 1}}", "", "template: format:1:8: executing \"format\" at <1>: expected string; found 1", nullptr},
    {"{{truncate .ID \"x\"}}", "", "template: format:1:15: executing \"format\" at <\"x\">: expected integer; found \"x\"", nullptr},
    {"{{lower nil}}", "", "template: format:1:8: executing \"format\" at <nil>: cannot assign nil to string", nullptr},
    {"{{(.ID)}} {{(len .Names) | printf \"%d!\"}} {{ (index .Nested \"A\").B }}", "4f234c1a141bc8e2 2! deep", nullptr, nullptr},
    {"{{1}} {{1.5}} {{-3}} {{0x1F}} {{1e3}} {{'a'}} {{\"s\\tq\"}} {{`raw\\n`}} {{true}} {{0o17}} {{0b101}} {{1_000}} {{.5}}", "1 1.5 -3 31 1000 97 s\tq raw\\n true 15 5 1000 0.5", nullptr, nullptr},
    {"{{nil}}", "", "template: format:1:2: executing \"format\" at <nil>: nil is not a command", nullptr},
    {"{{1 2}}", "", "template: format:1:2: executing \"format\" at <1>: can't give argument to non-function 1", nullptr},
    {"{{.Labels.foo 1}}", "", "template: format:1:9: executing \"format\" at <.Labels.foo>: foo is not a method but has arguments", nullptr},
    {"{{\"x\" | 1}}", nullptr, "template: format:1: non executable command in pipeline stage 2", nullptr},
    {"{{len 3}}", "", "template: format:1:2: executing \"format\" at <len 3>: error calling len: len of type int", nullptr},
    {"{{len .N}}", "", "template: format:1:2: executing \"format\" at <len .N>: error calling len: len of nil pointer", nullptr},
    {"{{define \"t\"}}[{{.}}]{{end}}{{template \"t\" .ID}}{{template \"t\"}}", "[4f234c1a141bc8e2][<no value>]", nullptr, nullptr},
    {"{{block \"b\" .Names}}{{range .}}<{{.}}>{{end}}{{end}}", "<alpha><beta>", nullptr, nullptr},
    {"{{template \"nope\"}}", "", "template: format:1:11: executing \"format\" at <{{template \"nope\"}}>: template \"nope\" not defined", nullptr},
    {"{{foo}}", nullptr, "template: format:1: function \"foo\" not defined", nullptr},
    {"{{.ID | foo}}", nullptr, "template: format:1: function \"foo\" not defined", nullptr},
    {"{{.ID", nullptr, "template: format:1: unclosed action", nullptr},
    {"{{if}}", nullptr, "template: format:1: missing value for if", nullptr},
    {"{{end}}", nullptr, "template: format:1: unexpected {{end}}", nullptr},
    {"{{else}}", nullptr, "template: format:1: unexpected {{else}}", nullptr},
    {"{{if .T}}", nullptr, "template: format:1: unexpected EOF", nullptr},
    {"{{range .Names}}{{end}}{{end}}", nullptr, "template: format:1: unexpected {{end}}", nullptr},
    {"{{\"abc}}", nullptr, "template: format:1: unterminated quoted string", nullptr},
    {"{{`abc}}", nullptr, "template: format:1: unterminated raw quoted string", nullptr},
    {"{{'ab'}}", nullptr, "template: format:1: malformed character constant: 'ab'", nullptr},
    {"{{$x}}", nullptr, "template: format:1: undefined variable \"$x\"", nullptr},
    {"{{.ID)}}", nullptr, "template: format:1: unexpected \")\" in command", nullptr},
    {"{{(.ID}}", nullptr, "template: format:1: unclosed left paren", nullptr},
    {"{{/* x }}", nullptr, "template: format:1: unclosed comment", nullptr},
    {"{{/* x */ }}", nullptr, "template: format:1: comment ends before closing delimiter", nullptr},
    {"a\nb\n{{.ID\n}}", "a\nb\n4f234c1a141bc8e2", nullptr, nullptr},
    {"{{break}}", nullptr, "template: format:1: {{break}} outside {{range}}", nullptr},
    {"{{range .Names}}{{break 1}}{{end}}", nullptr, "template: format:1: unexpected \"1\" in {{break}}", nullptr},
    {"{{with $x, $y := .}}{{end}}", nullptr, "template: format:1: too many declarations in with", nullptr},
    {"{{range $x, $y, $z := .}}{{end}}", nullptr, "template: format:1: too many declarations in range", nullptr},
    {"{{range $x, 1 := .}}{{end}}", nullptr, "template: format:1: range can only initialize variables", nullptr},
    {"{{.ID | 1}}", nullptr, "template: format:1: non executable command in pipeline stage 2", nullptr},
    {"{{3 | printf}}", "", "template: format:1:6: executing \"format\" at <printf>: wrong type for value; expected string; got int", nullptr},
    {"{{08}}", nullptr, "template: format:1: integer overflow: \"08\"", nullptr},
    {"{{1.2.3}}", nullptr, "template: format:1: unexpected \".3\" in operand", nullptr},
    {"{{0x}}", nullptr, "template: format:1: illegal number syntax: \"0x\"", nullptr},
    {"{{99999999999999999999}}", nullptr, "template: format:1: integer overflow: \"99999999999999999999\"", nullptr},
    {"{{#}}", nullptr, "template: format:1: unexpected \"#\" in command", nullptr},
    {"{{é}}", nullptr, "template: format:1: function \"é\" not defined", nullptr},
    {"{{.ID,}}", nullptr, "template: format:1: unexpected \",\" in operand", nullptr},
    {"{{$x := 1}}{{$x.Foo}}", "", "template: format:1:15: executing \"format\" at <$x.Foo>: can't evaluate field Foo in type int", nullptr},
    {"{{template 1}}", nullptr, "template: format:1: unexpected \"1\" in template clause", nullptr},
    {"{{define \"a\"}}x{{else}}y{{end}}", nullptr, "template: format:1: unexpected {{else}} in define clause", nullptr},
    {"{{if .T}}a{{else}}b{{else}}c{{end}}", nullptr, "template: format:1: expected end; found {{else}}", nullptr},
    {"{{range .Names}}{{else if .T}}{{end}}", nullptr, "template: format:1: unexpected <if> in input", nullptr},
    {"{{\"\\q\"}}", nullptr, "template: format:1: invalid syntax", nullptr},
    {"{{nil.Foo}}", nullptr, "template: format:1: unexpected . after term \"nil\"", nullptr},
    {"{{true.Foo}}", nullptr, "template: format:1: unexpected . after term \"true\"", nullptr},
    {"{{(1).Foo}}", "", "template: format:1:3: executing \"format\" at <1>: can't evaluate field Foo in type int", nullptr},
    {"{{printf \"%s\" (.ID)}}", "4f234c1a141bc8e2", nullptr, nullptr},
    {"{{index .N 1}}", "", "template: format:1:2: executing \"format\" at <index .N 1>: error calling index: index of untyped nil", nullptr},
    {"{{index nil 1}}", "", "template: format:1:2: executing \"format\" at <index nil 1>: error calling index: index of untyped nil", nullptr},
    {"{{slice .Size 1}}", "", "template: format:1:2: executing \"format\" at <slice .Size 1>: error calling slice: can't slice item of type int", nullptr},
    {"{{printf \"%08.3f|%-8.2f|%+.1e\" 3.14159 2.5 -1234.5}}", "0003.142|2.50    |-1.2e+03", nullptr, nullptr},
    {"{{printf \"%5t|%-6v|%3c\" true 12 66}}", " true|12    |  B", nullptr, nullptr},
    {"{{printf \"%.0f %.0f %.0f\" 0.5 1.5 2.5}}", "0 2 2", nullptr, nullptr},
    {"{{printf \"%g %g %g %g\" 100000.0 1000000.0 1e-4 1e-5}}", "100000 1e+06 0.0001 1e-05", nullptr, nullptr},
    {"{{printf \"%v\" .Mixed}}", "[1 two <nil> 3.25 true map[k:v] [1 2]]", nullptr, nullptr},
    {"{{printf \"%q\" .Names}}", "[\"alpha\" \"beta\"]", nullptr, nullptr},
    {"{{printf \"%x\" .Names}}", "[616c706861 62657461]", nullptr, nullptr},
    {"{{printf \"%05s|%-05d|%+q\" \"ab\" 3 \"é\"}}", "000ab|3    |\"\\u00e9\"", nullptr, nullptr},
    {"{{printf \"%3.1s|%.0d|%.3d\" \"abc\" 0 7}}", "  a||007", nullptr, nullptr},
    {"{{printf \"%c%c\" 26085 0x1F600}}", "日😀", nullptr, nullptr},
    {"{{printf \"%#U\" 0x1F600}}", "U+1F600 '😀'", nullptr, nullptr},
    {"{{range $i, $e := .Labels}}{{$i}}{{end}} {{range .Nested}}{{.B}}{{end}}", "fooio.buildah.versionother deep", nullptr, nullptr},
    {"{{range .Mixed}}{{.}},{{end}}", "1,two,<no value>,3.25,true,map[k:v],[1 2],", nullptr, nullptr},
    {"{{if and .T .Names}}both{{end}} {{if or .E .Zero}}x{{else}}neither{{end}}", "both neither", nullptr, nullptr},
    {"{{if not .N}}nil{{end}}", "nil", nullptr, nullptr},
    {"{{with .Labels}}{{.foo}}{{end}}", "bar", nullptr, nullptr},
    {"{{range .Names}}{{$.ID}}{{end}}", "4f234c1a141bc8e24f234c1a141bc8e2", nullptr, nullptr},
    {"{{$x := 0}}{{range .Ints}}{{$x = .}}{{end}}{{$x}}", "2", nullptr, nullptr},
    {"{{if $x := .ID}}{{$x}}{{end}}", "4f234c1a141bc8e2", nullptr, nullptr},
    {"{{range .Names -}} {{.}} {{- end}}", "alphabeta", nullptr, nullptr},
    {"{{ .ID }}{{\t.ID\t}}", "4f234c1a141bc8e24f234c1a141bc8e2", nullptr, nullptr},
    {"{{\n.ID\n}}", "4f234c1a141bc8e2", nullptr, nullptr},
    {"{{- .ID}}", "4f234c1a141bc8e2", nullptr, nullptr},
    {"{{-.ID}}", nullptr, "template: format:1: bad number syntax: \"-.I\"", nullptr},
    {"{{.ID-}}", nullptr, "template: format:1: bad character U+002D '-'", nullptr},
    {"{{ -3 }}", "-3", nullptr, nullptr},
    {"{{3 -}} x", "3x", nullptr, nullptr},
    {"{{-3}}", "-3", nullptr, nullptr},
    {"{{.}}", "<no value>", nullptr, "null"},
    {"{{.}}", "str", nullptr, "\"str\""},
    {"{{.}}", "[1 [2 3] map[a:<nil>]]", nullptr, "[1, [2, 3], {\"a\": null}]"},
    {"{{.}} {{len .}}", "日本 6", nullptr, "\"\\u65e5\\u672c\""},
    {"{{.Foo}}", "", "template: format:1:2: executing \"format\" at <.Foo>: can't evaluate field Foo in type string", "\"str\""},
    {"{{range .}}{{.}}{{end}}", "012", nullptr, "{\"b\": 2, \"a\": 1, \"B\": 0}"},
    {"{{.}} {{printf \"%d %x\" . .}}", "-9223372036854775808 -9223372036854775808 -8000000000000000", nullptr, "-9223372036854775808"},
    {"{{.}}", "1", nullptr, "1.0"},
    {"{{.}}", "1.23456789e+08", nullptr, "123456789.0"},
    {"{{.}}", "1e-06", nullptr, "1e-06"},
    {"{{.}}", "1e-300", nullptr, "1e-300"},
    {"{{json .}}", "{\"a\":1,\"b\":1e+21,\"c\":1e-7,\"d\":\"<>&\\u2028\",\"e\":[],\"f\":{},\"g\":0.1}", nullptr, "{\"a\": 1.0, \"b\": 1e+21, \"c\": 1e-07, \"d\": \"<>&\\u2028\", \"e\": [], \"f\": {}, \"g\": 0.1}"},
    {"{{.a}}", "é x​z", nullptr, "{\"a\": \"\\u00e9\\u00a0x\\u200bz\"}"},
    {"{{printf \"%q\" .a}}", "\"é\\u00a0x\\u200bz\\a\\x7f\"", nullptr, "{\"a\": \"\\u00e9\\u00a0x\\u200bz\\u0007\\u007f\"}"},
    {"{{printf \"%+q\" .a}}", "\"\\u00e9\\u65e5\\U0001f600\"", nullptr, "{\"a\": \"\\u00e9\\u65e5\\ud83d\\ude00\"}"},
};

const char* const kData2 = R"json({"ID": "abc", "Names": ["a", "b"], "L": {"k": "v"}, "T": true, "Size": 10, "F": 2.5, "Ints": [1, 2, 3]})json";

const GoCase kGoCases2[] = {
    {"{{if .T\n}}x{{end}}", "x", nullptr, nullptr},
    {"{{if .T}}\n{{.ID\n}}", nullptr, "template: format:3: unexpected EOF", nullptr},
    {"a\n{{.ID\n\"x}}", nullptr, "template: format:3: unterminated quoted string in action started at format:2", nullptr},
    {"{{.ID\n| printf \"%s\"\n| printf \"[%s]\"}}", "[abc]", nullptr, nullptr},
    {"{{\n/* c */}}", nullptr, "template: format:2: unexpected \"/\" in command", nullptr},
    {"{{/* a\nb */}}z", "z", nullptr, nullptr},
    {"{{- /* a */}}", "", nullptr, nullptr},
    {"{{/* a */ -}}  \n z", "z", nullptr, nullptr},
    {"{{/*a*/-}}", nullptr, "template: format:1: comment ends before closing delimiter", nullptr},
    {"x\n\n{{- 1 -}}\n\ny", "x1y", nullptr, nullptr},
    {"{{1 -}}{{- 2}}", "12", nullptr, nullptr},
    {"{{ 1 - }}", nullptr, "template: format:1: illegal number syntax: \"-\"", nullptr},
    {"{{-\n1}}", "1", nullptr, nullptr},
    {"{{1\n-}}", "1", nullptr, nullptr},
    {"{{ - 1}}", nullptr, "template: format:1: illegal number syntax: \"-\"", nullptr},
    {"{{--1}}", nullptr, "template: format:1: bad number syntax: \"--1\"", nullptr},
    {"{{- -1 -}}", "-1", nullptr, nullptr},
    {"{{range .Names}}\n  {{- .}}\n{{- end}}", "ab", nullptr, nullptr},
    {"{{.ID}} {{- \"\" -}} {{.ID}}", "abcabc", nullptr, nullptr},
    {"{{\"a\" | printf \"%s%s\" \"b\"}}", "ba", nullptr, nullptr},
    {"{{printf \"%s\" | printf \"%s\"}}", "%!s(MISSING)", nullptr, nullptr},
    {"{{.ID | len | printf \"%d\"}}", "3", nullptr, nullptr},
    {"{{.Ints | len}}", "3", nullptr, nullptr},
    {"{{len | .ID}}", "", "template: format:1:2: executing \"format\" at <len>: wrong number of args for len: want 1 got 0", nullptr},
    {"{{ $x := 1 }}{{ $y := 2 }}{{ $x }}{{ $y }}", "12", nullptr, nullptr},
    {"{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", "21", nullptr, nullptr},
    {"{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2", nullptr, nullptr},
    {"{{range $i, $v := .Ints}}{{if $i}},{{end}}{{$v}}{{end}}", "1,2,3", nullptr, nullptr},
    {"{{range $i := .Ints}}{{$i}}{{end}}", "123", nullptr, nullptr},
    {"{{range $i, $v := .L}}{{$i}}{{$v}}{{end}}", "kv", nullptr, nullptr},
    {"{{with $v := .L}}{{$v.k}}{{end}}", "v", nullptr, nullptr},
    {"{{$.ID}}{{range .Names}}{{$.ID}}{{.}}{{end}}", "abcabcaabcb", nullptr, nullptr},
    {"{{$x := .}}{{$x.ID}}", "abc", nullptr, nullptr},
    {"{{$x := .L}}{{$x.k}} {{$x.nope}}", "v <no value>", nullptr, nullptr},
    {"{{range .Ints}}{{range $.Names}}{{.}}{{end}}{{end}}", "ababab", nullptr, nullptr},
    {"{{range .Ints}}{{if eq . 2}}{{continue}}{{end}}{{range $.Names}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}{{end}}", "aa", nullptr, nullptr},
    {"{{continue}}", nullptr, "template: format:1: {{continue}} outside {{range}}", nullptr},
    {"{{if true}}{{break}}{{end}}", nullptr, "template: format:1: {{break}} outside {{range}}", nullptr},
    {"{{range .Ints}}{{define \"x\"}}{{end}}{{end}}", nullptr, "template: format:1: unexpected <define> in command", nullptr},
    {"{{define \"x\"}}{{break}}{{end}}", nullptr, "template: format:1: {{break}} outside {{range}}", nullptr},
    {"{{template \"x\" 1 2}}", "", "template: format:1:11: executing \"format\" at <{{template \"x\" 1 2}}>: template \"x\" not defined", nullptr},
    {"{{template x}}", nullptr, "template: format:1: unexpected \"x\" in template clause", nullptr},
    {"{{template}}", nullptr, "template: format:1: unexpected \"}}\" in template clause", nullptr},
    {"{{define}}", nullptr, "template: format:1: unexpected \"}}\" in define clause", nullptr},
    {"{{define \"x\"}}", nullptr, "template: format:1: unexpected EOF", nullptr},
    {"{{define \"x\" 1}}{{end}}", nullptr, "template: format:1: unexpected \"1\" in define clause", nullptr},
    {"{{define \"x\"}}a{{end}}{{define \"x\"}}b{{end}}", nullptr, "template: format:1: template: multiple definition of template \"x\"", nullptr},
    {"{{define \"x\"}}a{{end}}{{define \"x\"}} {{end}}{{template \"x\"}}", "a", nullptr, nullptr},
    {"{{block \"b\" .}}{{.ID}}{{end}} {{template \"b\" .L}}", "abc <no value>", nullptr, nullptr},
    {"{{block \"b\"}}{{end}}", nullptr, "template: format:1: missing value for block clause", nullptr},
    {"{{block \"b\" .}}{{else}}{{end}}", nullptr, "template: format:1: unexpected {{else}} in block clause", nullptr},
    {"{{define \"rec\"}}{{if .}}{{index . 0}}{{template \"rec\" (slice . 1)}}{{end}}{{end}}{{template \"rec\" .Ints}}", "123", nullptr, nullptr},
    {"{{if}}", nullptr, "template: format:1: missing value for if", nullptr},
    {"{{if .T}}{{else}}{{else}}{{end}}", nullptr, "template: format:1: expected end; found {{else}}", nullptr},
    {"{{with}}", nullptr, "template: format:1: missing value for with", nullptr},
    {"{{range}}", nullptr, "template: format:1: missing value for range", nullptr},
    {"{{end 1}}", nullptr, "template: format:1: unexpected \"1\" in end", nullptr},
    {"{{else 1}}", nullptr, "template: format:1: unexpected \"1\" in else", nullptr},
    {"{{if .T}}{{else 1}}{{end}}", nullptr, "template: format:1: unexpected \"1\" in else", nullptr},
    {"{{if .T}}x{{else if}}{{end}}", nullptr, "template: format:1: missing value for if", nullptr},
    {"{{.T | not | not}}", "true", nullptr, nullptr},
    {"{{(1)}}", "1", nullptr, nullptr},
    {"{{(1 2)}}", "", "template: format:1:3: executing \"format\" at <1>: can't give argument to non-function 1", nullptr},
    {"{{()}}", nullptr, "template: format:1: missing value for parenthesized pipeline", nullptr},
    {"{{(.ID | printf \"%s\")}}", "abc", nullptr, nullptr},
    {"{{print (1) (2)}}", "1 2", nullptr, nullptr},
    {"{{print (.ID) .ID}}", "abcabc", nullptr, nullptr},
    {"{{.ID | (printf \"%s\")}}", "", "template: format:1:2: executing \"format\" at <.ID>: can't give argument to non-function printf \"%s\"", nullptr},
    {"{{\"x\" | (printf \"%s\")}}", "", "template: format:1:2: executing \"format\" at <\"x\">: can't give argument to non-function printf \"%s\"", nullptr},
    {"{{1 | print}}", "1", nullptr, nullptr},
    {"{{print | 1}}", nullptr, "template: format:1: non executable command in pipeline stage 2", nullptr},
    {"{{. .ID}}", "", "template: format:1:2: executing \"format\" at <.>: can't give argument to non-function .", nullptr},
    {"{{true 1}}", "", "template: format:1:2: executing \"format\" at <true>: can't give argument to non-function true", nullptr},
    {"{{\"x\" 1}}", "", "template: format:1:2: executing \"format\" at <\"x\">: can't give argument to non-function \"x\"", nullptr},
    {"{{$ 1}}", "", "template: format:1:2: executing \"format\" at <$>: can't give argument to non-function $", nullptr},
    {"{{(.ID) 1}}", "", "template: format:1:2: executing \"format\" at <(.ID) 1>: can't give argument to non-function .ID", nullptr},
    {"{{index}}", "", "template: format:1:2: executing \"format\" at <index>: wrong number of args for index: want at least 1 got 0", nullptr},
    {"{{index .Names}}", "[a b]", nullptr, nullptr},
    {"{{index .Names \"x\"}}", "", "template: format:1:2: executing \"format\" at <index .Names \"x\">: error calling index: cannot index slice/array with type string", nullptr},
    {"{{index .L 1}}", "", "template: format:1:2: executing \"format\" at <index .L 1>: error calling index: value has type int; should be string", nullptr},
    {"{{index .L nil}}", "", "template: format:1:2: executing \"format\" at <index .L nil>: error calling index: value is nil; should be of type string", nullptr},
    {"{{index 1 1}}", "", "template: format:1:2: executing \"format\" at <index 1 1>: error calling index: can't index item of type int", nullptr},
    {"{{index .Names 1.5}}", "", "template: format:1:2: executing \"format\" at <index .Names 1.5>: error calling index: cannot index slice/array with type float64", nullptr},
    {"{{slice}}", "", "template: format:1:2: executing \"format\" at <slice>: wrong number of args for slice: want at least 1 got 0", nullptr},
    {"{{slice .Names}}", "[a b]", nullptr, nullptr},
    {"{{slice .Names 1 2 3 4}}", "", "template: format:1:2: executing \"format\" at <slice .Names 1 2 3 4>: error calling slice: too many slice indexes: 4", nullptr},
    {"{{slice .Names -1}}", "", "template: format:1:2: executing \"format\" at <slice .Names -1>: error calling slice: index out of range: -1", nullptr},
    {"{{slice .Names 3}}", "", "template: format:1:2: executing \"format\" at <slice .Names 3>: error calling slice: index out of range: 3", nullptr},
    {"{{len}}", "", "template: format:1:2: executing \"format\" at <len>: wrong number of args for len: want 1 got 0", nullptr},
    {"{{len 1 2}}", "", "template: format:1:2: executing \"format\" at <len>: wrong number of args for len: want 1 got 2", nullptr},
    {"{{not}}", "", "template: format:1:2: executing \"format\" at <not>: wrong number of args for not: want 1 got 0", nullptr},
    {"{{not 1 2}}", "", "template: format:1:2: executing \"format\" at <not>: wrong number of args for not: want 1 got 2", nullptr},
    {"{{eq}}", "", "template: format:1:2: executing \"format\" at <eq>: wrong number of args for eq: want at least 1 got 0", nullptr},
    {"{{ne 1}}", "", "template: format:1:2: executing \"format\" at <ne>: wrong number of args for ne: want 2 got 1", nullptr},
    {"{{lt 1}}", "", "template: format:1:2: executing \"format\" at <lt>: wrong number of args for lt: want 2 got 1", nullptr},
    {"{{lt 1 2 3}}", "", "template: format:1:2: executing \"format\" at <lt>: wrong number of args for lt: want 2 got 3", nullptr},
    {"{{eq 1 \"a\"}}", "", "template: format:1:2: executing \"format\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison", nullptr},
    {"{{ne \"a\" 1}}", "", "template: format:1:2: executing \"format\" at <ne \"a\" 1>: error calling ne: incompatible types for comparison", nullptr},
    {"{{eq 1 nil}}", "false", nullptr, nullptr},
    {"{{eq nil 1}}", "false", nullptr, nullptr},
    {"{{eq nil nil}}", "true", nullptr, nullptr},
    {"{{lt .Names 1}}", "", "template: format:1:2: executing \"format\" at <lt .Names 1>: error calling lt: invalid type for comparison", nullptr},
    {"{{lt 1.5 2.5}}", "true", nullptr, nullptr},
    {"{{le 1.5 1.5}}", "true", nullptr, nullptr},
    {"{{gt \"b\" \"a\"}}", "true", nullptr, nullptr},
    {"{{ge 2 3}}", "false", nullptr, nullptr},
    {"{{eq .T true}}", "true", nullptr, nullptr},
    {"{{lt .F 3}}", "", "template: format:1:2: executing \"format\" at <lt .F 3>: error calling lt: incompatible types for comparison", nullptr},
    {"{{eq .Size 10.0}}", "", "template: format:1:2: executing \"format\" at <eq .Size 10.0>: error calling eq: incompatible types for comparison", nullptr},
    {"{{eq 'a' 97}}", "true", nullptr, nullptr},
    {"{{eq 0x61 'a'}}", "true", nullptr, nullptr},
    {"{{printf \"%v\" 'a'}}", "97", nullptr, nullptr},
    {"{{and .T 0 (index .Names 5)}}", "0", nullptr, nullptr},
    {"{{or .T (index .Names 5)}}", "true", nullptr, nullptr},
    {"{{and 1}}", "1", nullptr, nullptr},
    {"{{or}}", "", "template: format:1:2: executing \"format\" at <or>: wrong number of args for or: want at least 1 got 0", nullptr},
    {"{{.T | and 1}}", "true", nullptr, nullptr},
    {"{{0 | or 1}}", "1", nullptr, nullptr},
    {"{{html}}", "", nullptr, nullptr},
    {"{{html nil}}", "&lt;no value&gt;", nullptr, nullptr},
    {"{{js \"<a href='x'>\\u2028\"}}", "\\u003Ca href\\u003D\\'x\\'\\u003E\\u2028", nullptr, nullptr},
    {"{{urlquery \"a b&c=d/é\"}}", "a+b%26c%3Dd%2F%C3%A9", nullptr, nullptr},
    {"{{html \"\\x00\"}}", "�", nullptr, nullptr},
    {"{{join}}", "", "template: format:1:2: executing \"format\" at <join>: wrong number of args for join: want 2 got 0", nullptr},
    {"{{join .Names}}", "", "template: format:1:2: executing \"format\" at <join>: wrong number of args for join: want 2 got 1", nullptr},
    {"{{join .ID \",\"}}", "", "template: format:1:7: executing \"format\" at <.ID>: wrong type for value; expected []string; got string", nullptr},
    {"{{join .Names 1}}", "", "template: format:1:14: executing \"format\" at <1>: expected string; found 1", nullptr},
    {"{{join nil \",\"}}|", "|", nullptr, nullptr},
    {"{{join (split \"a b\" \" \") \"-\"}}", "a-b", nullptr, nullptr},
    {"{{json}}", "", "template: format:1:2: executing \"format\" at <json>: wrong number of args for json: want 1 got 0", nullptr},
    {"{{json 1 2}}", "", "template: format:1:2: executing \"format\" at <json>: wrong number of args for json: want 1 got 2", nullptr},
    {"{{json .F}}", "2.5", nullptr, nullptr},
    {"{{json 1.0}}", "1", nullptr, nullptr},
    {"{{json \"\\u0001\\u001f\"}}", "\"\\u0001\\u001f\"", nullptr, nullptr},
    {"{{json .Names}}", "[\"a\",\"b\"]", nullptr, nullptr},
    {"{{lower}}", "", "template: format:1:2: executing \"format\" at <lower>: wrong number of args for lower: want 1 got 0", nullptr},
    {"{{lower 1 2}}", "", "template: format:1:2: executing \"format\" at <lower>: wrong number of args for lower: want 1 got 2", nullptr},
    {"{{upper .ID .ID}}", "", "template: format:1:2: executing \"format\" at <upper>: wrong number of args for upper: want 1 got 2", nullptr},
    {"{{title .ID}}", "Abc", nullptr, nullptr},
    {"{{title \"ǆemal ǉ 3x a_b a.b ünter\"}}", "ǅemal ǈ 3x A_b A.B Ünter", nullptr, nullptr},
    {"{{pad}}", "", "template: format:1:2: executing \"format\" at <pad>: wrong number of args for pad: want 3 got 0", nullptr},
    {"{{pad .ID}}", "", "template: format:1:2: executing \"format\" at <pad>: wrong number of args for pad: want 3 got 1", nullptr},
    {"{{pad .ID 1}}", "", "template: format:1:2: executing \"format\" at <pad>: wrong number of args for pad: want 3 got 2", nullptr},
    {"{{pad .ID 1.5 1}}", "", "template: format:1:10: executing \"format\" at <1.5>: expected integer; found 1.5", nullptr},
    {"{{pad .ID .Size 0}}|", "          abc|", nullptr, nullptr},
    {"{{pad .ID \"1\" 0}}", "", "template: format:1:10: executing \"format\" at <\"1\">: expected integer; found \"1\"", nullptr},
    {"{{truncate}}", "", "template: format:1:2: executing \"format\" at <truncate>: wrong number of args for truncate: want 2 got 0", nullptr},
    {"{{truncate .ID}}", "", "template: format:1:2: executing \"format\" at <truncate>: wrong number of args for truncate: want 2 got 1", nullptr},
    {"{{truncate .ID 0}}|", "|", nullptr, nullptr},
    {"{{truncate .ID 3}}", "abc", nullptr, nullptr},
    {"{{truncate \"héllo\" 2}}", "h\303", nullptr, nullptr},  // Go cuts bytes: half of é
    {"{{truncate .ID .F}}", "", "template: format:1:15: executing \"format\" at <.F>: wrong type for value; expected int; got float64", nullptr},
    {"{{split}}", "", "template: format:1:2: executing \"format\" at <split>: wrong number of args for split: want 2 got 0", nullptr},
    {"{{split .ID}}", "", "template: format:1:2: executing \"format\" at <split>: wrong number of args for split: want 2 got 1", nullptr},
    {"{{split .ID \"b\"}}", "[a c]", nullptr, nullptr},
    {"{{index (split \"a:b\" \":\") 1}}", "b", nullptr, nullptr},
    {"{{split 1 \"\"}}", "", "template: format:1:8: executing \"format\" at <1>: expected string; found 1", nullptr},
    {"{{call}}", "", "template: format:1:2: executing \"format\" at <call>: wrong number of args for call: want at least 1 got 0", nullptr},
    {"{{call .ID}}", "", "template: format:1:2: executing \"format\" at <call .ID>: error calling call: non-function of type string", nullptr},
    {"{{call nil}}", "", "template: format:1:2: executing \"format\" at <call nil>: error calling call: call of nil", nullptr},
    {"{{printf}}", "", "template: format:1:2: executing \"format\" at <printf>: wrong number of args for printf: want at least 1 got 0", nullptr},
    {"{{printf 1}}", "", "template: format:1:9: executing \"format\" at <1>: expected string; found 1", nullptr},
    {"{{printf nil}}", "", "template: format:1:9: executing \"format\" at <nil>: cannot assign nil to string", nullptr},
    {"{{printf .ID}}", "abc", nullptr, nullptr},
    {"{{printf \"%d%%\" 50}}", "50%", nullptr, nullptr},
    {"{{printf \"%[3]d\" 1}}", "%!d(BADINDEX)", nullptr, nullptr},
    {"{{printf \"%[0]d\" 1}}", "%!d(BADINDEX)", nullptr, nullptr},
    {"{{printf \"%[1]d %d\" 1 2}}", "1 2", nullptr, nullptr},
    {"{{printf \"%[2]*[1]d\" 12 5}}", "   12", nullptr, nullptr},
    {"{{printf \"%.*f\" 2 3.14159}}", "3.14", nullptr, nullptr},
    {"{{printf \"%*s\" \"x\" \"y\"}}", "%!(BADWIDTH)y", nullptr, nullptr},
    {"{{printf \"%-*d|\" -5 1}}", "1    |", nullptr, nullptr},
    {"{{printf \"%z\" 1}}", "%!z(int=1)", nullptr, nullptr},
    {"{{printf \"%s %d\" 1.5 \"x\"}}", "%!s(float64=1.5) %!d(string=x)", nullptr, nullptr},
    {"{{printf \"%t\" 1}}", "%!t(int=1)", nullptr, nullptr},
    {"{{printf \"%e\" 1}}", "%!e(int=1)", nullptr, nullptr},
    {"{{printf \"%c\" \"x\"}}", "%!c(string=x)", nullptr, nullptr},
    {"{{printf \"%.3s|%.10s|%5.1s|\" \"日本語テキスト\" \"ab\" \"xyz\"}}", "日本語|ab|    x|", nullptr, nullptr},
    {"{{printf \"%10v|%-10v|\" .Names .L}}", "[         a          b]|map[k         :v         ]|", nullptr, nullptr},
    {"{{printf \"%d\" .F}}", "%!d(float64=2.5)", nullptr, nullptr},
    {"{{printf \"%6.2f%%\" 12.3456}}", " 12.35%", nullptr, nullptr},
    {"{{printf \"%v %v %v %v\" 1e20 1e21 1e-4 1e-5}}", "1e+20 1e+21 0.0001 1e-05", nullptr, nullptr},
    {"{{printf \"%.3g|%.10g|%g\" 1234567.0 1234567.0 100.0}}", "1.23e+06|1234567|100", nullptr, nullptr},
    {"{{printf \"%08d|%-08d|%+08d|% 08d\" -42 42 42 42}}", "-0000042|42      |+0000042| 0000042", nullptr, nullptr},
    {"{{printf \"%x|% X|%#x\" \"héllo\" \"ab\" \"ab\"}}", "68c3a96c6c6f|61 62|0x6162", nullptr, nullptr},
    {"{{printf \"%q|%#q|%+q\" 'x' 'y' 'é'}}", "'x'|'y'|'\\u00e9'", nullptr, nullptr},
    {"{{printf \"%5.1f|%-7.2e|%G\" -2.25 12345.678 1e-10}}", " -2.2|1.23e+04|1E-10", nullptr, nullptr},
    {"{{printf \"%#g|%#.3g|%#v\" 1.0 2.0 3.0}}", "1.00000|2.00|3", nullptr, nullptr},
    {"{{printf \"%b\" 5.0}}", "5629499534213120p-50", nullptr, nullptr},
    {"{{printf \"%v\" nil}}", "<nil>", nullptr, nullptr},
    {"{{printf \"%T\" nil}}", "<nil>", nullptr, nullptr},
    {"{{printf \"%p\" 1}}", "%!p(int=1)", nullptr, nullptr},
    {"{{print \"a\" 1 2 \"b\" \"c\" 3.5 nil true}}", "a1 2bc3.5 <nil> true", nullptr, nullptr},
    {"{{print 1 nil 2}}", "1 <nil> 2", nullptr, nullptr},
    {"{{println}}", "\n", nullptr, nullptr},
    {"{{println nil .Names}}", "<nil> [a b]\n", nullptr, nullptr},
    {"{{printf \"%d items\" (len .Names)}}", "2 items", nullptr, nullptr},
    {"{{printf \"%s has %d\" .ID (len .Ints) | upper}}", "ABC HAS 3", nullptr, nullptr},
    {"{{.Names | join \"x\"}}", "", "template: format:1:16: executing \"format\" at <\"x\">: can't handle \"x\" for arg of type []string", nullptr},
    {"{{\",\" | join .Names}}", "a,b", nullptr, nullptr},
    {"{{.ID | pad 1 2}}", "", "template: format:1:12: executing \"format\" at <1>: expected string; found 1", nullptr},
    {"{{1 | pad .ID 2}}", "  abc ", nullptr, nullptr},
    {"\\t{{.ID}}\\n", "\\tabc\\n", nullptr, nullptr},
    {"{{\"\\t\"}}", "\t", nullptr, nullptr},
    {"{{`a\rb`}}", "ab", nullptr, nullptr},
    {"{{\"\\x41\\101\\u00e9\\U0001F600\"}}", "AAé😀", nullptr, nullptr},
    {"{{\"\\'\"}}", nullptr, "template: format:1: invalid syntax", nullptr},
    {"{{'\\''}}", "39", nullptr, nullptr},
    {"{{'\\\"'}}", nullptr, "template: format:1: invalid syntax", nullptr},
    {"{{''}}", nullptr, "template: format:1: invalid syntax", nullptr},
    {"{{'\\x41'}}", "65", nullptr, nullptr},
    {"{{'é'}}", "233", nullptr, nullptr},
    {"{{1e}}", nullptr, "template: format:1: illegal number syntax: \"1e\"", nullptr},
    {"{{1.5.}}", nullptr, "template: format:1: unexpected <.> in operand", nullptr},
    {"{{.5.ID}}", nullptr, "template: format:1: unexpected . after term \".5\"", nullptr},
    {"{{0x1p-2}}", "0.25", nullptr, nullptr},
    {"{{0X1F}}", "31", nullptr, nullptr},
    {"{{-0}}", "0", nullptr, nullptr},
    {"{{+5}}", "5", nullptr, nullptr},
    {"{{1__0}}", nullptr, "template: format:1: illegal number syntax: \"1__0\"", nullptr},
    {"{{_1}}", nullptr, "template: format:1: function \"_1\" not defined", nullptr},
    {"{{0_7}}", "7", nullptr, nullptr},
    {"{{077}}", "63", nullptr, nullptr},
    {"{{0o8}}", nullptr, "template: format:1: bad number syntax: \"0o8\"", nullptr},
    {"{{9223372036854775807}}", "9223372036854775807", nullptr, nullptr},
    {"{{-9223372036854775808}}", "-9223372036854775808", nullptr, nullptr},
    {"{{9223372036854775808}}", "", "template: format:1:2: executing \"format\" at <9223372036854775808>: 9223372036854775808 overflows int", nullptr},
    {"{{18446744073709551616}}", nullptr, "template: format:1: integer overflow: \"18446744073709551616\"", nullptr},
    {"{{1e400}}", nullptr, "template: format:1: illegal number syntax: \"1e400\"", nullptr},
    {"{{0x1.8p1}}", "3", nullptr, nullptr},
    {"{{printf \"%T\" 0x10}} {{printf \"%T\" 1e2}} {{printf \"%T\" 'a'}} {{printf \"%T\" 1.0}}", "int float64 int float64", nullptr, nullptr},
    {"{{.ID}}{{/* comment with }} inside */}}", "abc", nullptr, nullptr},
    {"{{/**/}}", "", nullptr, nullptr},
    {"{{/*}}", nullptr, "template: format:1: unclosed comment", nullptr},
    {"{{/* */", nullptr, "template: format:1: comment ends before closing delimiter", nullptr},
    {"{{", nullptr, "template: format:1: unclosed action", nullptr},
    {"}}", "}}", nullptr, nullptr},
    {"{{}}", nullptr, "template: format:1: missing value for command", nullptr},
    {"{{ }}", nullptr, "template: format:1: missing value for command", nullptr},
    {"{{.}}}}", "map[F:2.5 ID:abc Ints:[1 2 3] L:map[k:v] Names:[a b] Size:10 T:true]}}", nullptr, nullptr},
    {"{{{.ID}}}", nullptr, "template: format:1: unexpected \"{\" in command", nullptr},
    {"{{.ID}} }} {{", nullptr, "template: format:1: unclosed action", nullptr},
    {"{{.ID|printf \"%v\"|printf \"%v\"}}", "abc", nullptr, nullptr},
    {"{{.ID|}}", "abc", nullptr, nullptr},
    {"{{|.ID}}", nullptr, "template: format:1: unexpected \"|\" in command", nullptr},
    {"{{.ID||.ID}}", nullptr, "template: format:1: unexpected \"|\" in command", nullptr},
    {"{{.ID :=}}", nullptr, "template: format:1: unexpected \":=\" in operand", nullptr},
    {"{{$x := }}", nullptr, "template: format:1: missing value for command", nullptr},
    {"{{$x = 1}}", "", "template: format:1:7: executing \"format\" at <1>: undefined variable: $x", nullptr},
    {"{{$x := 1}}{{$x := 2}}{{$x}}", "2", nullptr, nullptr},
    {"{{$ := 1}}", "", nullptr, nullptr},
    {"{{$x:=1}}{{$x}}", "1", nullptr, nullptr},
    {"{{$x=1}}", nullptr, "template: format:1: bad character U+003D '='", nullptr},
    {"{{$x:1}}", nullptr, "template: format:1: undefined variable \"$x\"", nullptr},
    {"{{range $i, $e := .Ints}}{{$i}}{{end}}{{$i}}", nullptr, "template: format:1: undefined variable \"$i\"", nullptr},
    {"{{if $x := .T}}{{end}}{{$x}}", nullptr, "template: format:1: undefined variable \"$x\"", nullptr},
    {"{{with $x := 1}}{{else}}{{$x}}{{end}}", "", nullptr, nullptr},
    {"{{range .Names}}{{.}}{{else}}none{{end}}", "ab", nullptr, nullptr},
    {"{{range 5}}{{end}}", "", "template: format:1:8: executing \"format\" at <5>: range can't iterate over 5", nullptr},
    {"{{range .T}}{{end}}", "", "template: format:1:8: executing \"format\" at <.T>: range can't iterate over true", nullptr},
    {"{{range .F}}{{end}}", "", "template: format:1:8: executing \"format\" at <.F>: range can't iterate over 2.5", nullptr},
    {"{{nil | print}}", "", "template: format:1:2: executing \"format\" at <nil>: nil is not a command", nullptr},
    {"{{print nil | print}}", "<nil>", nullptr, nullptr},
    {"{{.ID | nil}}", nullptr, "template: format:1: non executable command in pipeline stage 2", nullptr},
    {"{{(nil)}}", "", "template: format:1:3: executing \"format\" at <nil>: nil is not a command", nullptr},
    {"{{print (nil)}}", "", "template: format:1:9: executing \"format\" at <nil>: nil is not a command", nullptr},
    {"{{len nil}}", "", "template: format:1:2: executing \"format\" at <len nil>: error calling len: reflect: call of reflect.Value.Type on zero Value", nullptr},
    {"{{index nil}}", "", "template: format:1:2: executing \"format\" at <index nil>: error calling index: index of untyped nil", nullptr},
    {"{{.ID.}}", nullptr, "template: format:1: unexpected <.> in operand", nullptr},
    {"{{..ID}}", nullptr, "template: format:1: unexpected . after term \".\"", nullptr},
    {"{{.ID..X}}", nullptr, "template: format:1: unexpected <.> in operand", nullptr},
    {"{{$x.}}", nullptr, "template: format:1: undefined variable \"$x\"", nullptr},
    {"{{ .ID}}{{.ID }}", "abcabc", nullptr, nullptr},
    {"{{.I%D}}", nullptr, "template: format:1: bad character U+0025 '%'", nullptr},
    {"{{.ID@}}", nullptr, "template: format:1: bad character U+0040 '@'", nullptr},
    {"{{@}}", nullptr, "template: format:1: unexpected \"@\" in command", nullptr},
    {"{{.ID;}}", nullptr, "template: format:1: bad character U+003B ';'", nullptr},
    {"{{ `x` }}{{` y `}}", "x y ", nullptr, nullptr},
    {"{{printf `%s` \"a\"}}", "a", nullptr, nullptr},
    {"{{printf \"%s\" `\\n`}}", "\\n", nullptr, nullptr},
    {"a{{.ID}}b{{.ID}}c", "aabcbabcc", nullptr, nullptr},
    {"{{.ID}}\r\n{{.ID}}", "abc\r\nabc", nullptr, nullptr},
};

}  // namespace

TEST_CASE("template matches Go 1.19 on data set 1", "[template]") {
  check_table(std::begin(kGoCases1), std::end(kGoCases1), json::parse(kData1));
}

TEST_CASE("template matches Go 1.19 on data set 2", "[template]") {
  check_table(std::begin(kGoCases2), std::end(kGoCases2), json::parse(kData2));
}

TEST_CASE("template prints values as Go's fmt prints them", "[template]") {
  CHECK(exec("{{.}}", "raw \"string\"") == "raw \"string\"");
  CHECK(exec("{{.}}", 42) == "42");
  CHECK(exec("{{.}}", -7) == "-7");
  CHECK(exec("{{.}}", json::parse("18446744073709551615")) == "18446744073709551615");
  CHECK(exec("{{.}}", 3.5) == "3.5");
  CHECK(exec("{{.}}", 3.0) == "3");
  CHECK(exec("{{.}}", 123456.0) == "123456");
  CHECK(exec("{{.}}", 1234567.0) == "1.234567e+06");
  CHECK(exec("{{.}}", 1e6) == "1e+06");
  CHECK(exec("{{.}}", 1e21) == "1e+21");
  CHECK(exec("{{.}}", 0.0001) == "0.0001");
  CHECK(exec("{{.}}", 0.00001) == "1e-05");
  CHECK(exec("{{.}}", 0.1) == "0.1");
  CHECK(exec("{{.}}", true) == "true");
  CHECK(exec("{{.}}", false) == "false");
  CHECK(exec("{{.}}", nullptr) == "<no value>");
  CHECK(exec("{{.}}", json::array({"a", "b", "c"})) == "[a b c]");
  CHECK(exec("{{.}}", json::array()) == "[]");
  CHECK(exec("{{.}}", json::object()) == "map[]");
  CHECK(exec("{{.}}", json::parse(R"({"k2":"v2","k":"v","a b":[1,2]})")) == "map[a b:[1 2] k:v k2:v2]");
  CHECK(exec("{{.}}", json::parse(R"([1,null,"x",[2,3],{"k":null},2.5])")) == "[1 <nil> x [2 3] map[k:<nil>] 2.5]");
  CHECK(cabin::format::go_print(json::parse(R"({"b":[true,false],"a":1.5})")) == "map[a:1.5 b:[true false]]");
  CHECK(cabin::format::go_print(nullptr) == "<no value>");
}

TEST_CASE("template trims blanks at {{- and -}}", "[template]") {
  CHECK(exec("a  {{- 1 -}}  b") == "a1b");
  CHECK(exec("a\n\t {{- 1}} \n") == "a1 \n");
  CHECK(exec("a {{1 -}} \n\n b") == "a 1b");
  CHECK(exec("{{-3}}") == "-3");  // no blank after "-": a negative number
  CHECK(exec("{{3 -}}\r\n\tx") == "3x");
  CHECK(exec("x\n{{- /* comment */ -}}\ny") == "xy");
  CHECK(exec("x{{/* comment */}}y") == "xy");
  CHECK(exec("{{range .}}\n  {{- .}}\n{{- end}}", json::array({1, 2})) == "12");
  CHECK(error_of("{{/* comment }}") == "template: format:1: unclosed comment");
  CHECK(error_of("{{/* comment */ }}") == "template: format:1: comment ends before closing delimiter");
}

TEST_CASE("template evaluates fields, dot, $ and variables", "[template]") {
  json d = json::parse(R"({"A":{"B":{"C":"deep"}},"Names":["x","y"],"ID":"id"})");
  CHECK(exec("{{.A.B.C}}", d) == "deep");
  CHECK(exec("{{with .A}}{{.B.C}}{{end}}", d) == "deep");
  CHECK(exec("{{range .Names}}{{.}}{{$.ID}} {{end}}", d) == "xid yid ");
  CHECK(exec("{{$}}", json::array({1})) == "[1]");
  CHECK(exec("{{$x := .ID}}{{$x}}{{$x = \"new\"}} {{$x}}", d) == "id new");
  CHECK(exec("{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", d) == "21");
  CHECK(exec("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", d) == "2");
  CHECK(exec("{{$v := .A}}{{$v.B.C}}", d) == "deep");
  CHECK(exec("{{(index .Names 1)}} {{(.A).B.C}}", d) == "y deep");
  CHECK(error_of("{{$x}}") == "template: format:1: undefined variable \"$x\"");
}

TEST_CASE("template follows Go's truth for if, with and else", "[template]") {
  auto truth = [](const json& v) { return exec("{{if .}}T{{else}}F{{end}}", v); };
  CHECK(truth(nullptr) == "F");
  CHECK(truth(false) == "F");
  CHECK(truth(true) == "T");
  CHECK(truth(0) == "F");
  CHECK(truth(-1) == "T");
  CHECK(truth(0.0) == "F");
  CHECK(truth(0.5) == "T");
  CHECK(truth("") == "F");
  CHECK(truth("0") == "T");
  CHECK(truth(json::array()) == "F");
  CHECK(truth(json::array({0})) == "T");
  CHECK(truth(json::object()) == "F");
  CHECK(truth(json::parse(R"({"ID":""})")) == "T");
  CHECK(exec("{{if .A}}a{{else if .B}}b{{else}}c{{end}}", json::parse(R"({"A":0,"B":"x"})")) == "b");
  CHECK(exec("{{if .A}}a{{else if .B}}b{{else}}c{{end}}", json::parse(R"({"A":0,"B":""})")) == "c");
  CHECK(exec("{{with .A}}[{{.}}]{{else}}none{{end}}", json::parse(R"({"A":"v"})")) == "[v]");
  CHECK(exec("{{with .A}}[{{.}}]{{else}}none{{end}}", json::parse(R"({"A":[]})")) == "none");
  CHECK(exec("{{if and .A .B}}both{{end}}{{if or .A .B}} one{{end}}{{if not .A}} notA{{end}}",
             json::parse(R"({"A":"","B":1})")) == " one notA");
}

TEST_CASE("template ranges over arrays and objects", "[template]") {
  json d = json::parse(R"({"L":["a","b","c"],"M":{"z":1,"a":2,"B":3},"E":[],"N":null,"S":"str"})");
  CHECK(exec("{{range .L}}<{{.}}>{{end}}", d) == "<a><b><c>");
  CHECK(exec("{{range $i, $e := .L}}{{$i}}={{$e}} {{end}}", d) == "0=a 1=b 2=c ");
  CHECK(exec("{{range $e := .L}}{{$e}}{{end}}", d) == "abc");
  // Objects in sorted key order, as Go ranges over maps.
  CHECK(exec("{{range $k, $v := .M}}{{$k}}={{$v}} {{end}}", d) == "B=3 a=2 z=1 ");
  CHECK(exec("{{range .M}}{{.}}{{end}}", d) == "321");
  CHECK(exec("{{range .E}}x{{else}}empty{{end}}", d) == "empty");
  CHECK(exec("{{range .N}}x{{else}}nil{{end}}", d) == "nil");
  CHECK(exec("{{range .L}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", d) == "a");
  CHECK(exec("{{range .L}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}", d) == "ac");
  CHECK(exec("{{range .L}}{{range $.L}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}};{{end}}", d) == "a;a;a;");
  CHECK(error_of("{{range .S}}{{end}}", d) ==
        "template: format:1:8: executing \"format\" at <.S>: range can't iterate over str");
  CHECK(error_of("{{break}}") == "template: format:1: {{break}} outside {{range}}");
  CHECK(error_of("{{range $a, $b, $c := .}}{{end}}") == "template: format:1: too many declarations in range");
}

TEST_CASE("template runs define, template and block", "[template]") {
  CHECK(exec("{{define \"t\"}}[{{.}}]{{end}}{{template \"t\" \"x\"}}{{template \"t\"}}") == "[x][<no value>]");
  CHECK(exec("{{block \"b\" .}}<{{.}}>{{end}}", "v") == "<v>");
  CHECK(exec("{{define \"rec\"}}{{if .}}{{index . 0}}{{template \"rec\" (slice . 1)}}{{end}}{{end}}"
             "{{template \"rec\" .}}",
             json::array({1, 2, 3})) == "123");
  CHECK(error_of("{{template \"nope\"}}") ==
        "template: format:1:11: executing \"format\" at <{{template \"nope\"}}>: template \"nope\" not defined");
  CHECK(error_of("{{define \"x\"}}a{{end}}{{define \"x\"}}b{{end}}") ==
        "template: format:1: template: multiple definition of template \"x\"");
  // Errors inside a called template name it.
  CHECK(error_of("{{define \"t\"}}{{.Foo}}{{end}}{{template \"t\" .}}", json::parse(R"({"ID":1})")) ==
        "template: format:1:16: executing \"t\" at <.Foo>: can't evaluate field Foo in type struct");
}

TEST_CASE("template reads Go literals", "[template]") {
  CHECK(exec(R"({{"tab\there \"q\" \x41\101\u00e9\U0001F600"}})") == "tab\there \"q\" AAé\U0001F600");
  CHECK(exec("{{`raw \\n {{x}}`}}") == "raw \\n {{x}}");
  CHECK(exec("{{'a'}} {{'\\n'}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{-3}} {{+4}}") == "97 10 31 15 15 5 1000 -3 4");
  CHECK(exec("{{1.5}} {{1e3}} {{.5}} {{0x1p-2}} {{true}} {{false}}") == "1.5 1000 0.5 0.25 true false");
  CHECK(exec("{{printf \"%T %T %T %T\" 1 1.0 'a' 0x10}}") == "int float64 int int");
  CHECK(error_of("{{nil}}") == "template: format:1:2: executing \"format\" at <nil>: nil is not a command");
  CHECK(error_of("{{\"abc}}") == "template: format:1: unterminated quoted string");
  CHECK(error_of("{{`abc}}") == "template: format:1: unterminated raw quoted string");
  CHECK(error_of("{{'ab'}}") == "template: format:1: malformed character constant: 'ab'");
  CHECK(error_of("{{\"\\q\"}}") == "template: format:1: invalid syntax");
  CHECK(error_of("{{1.2.3}}") == "template: format:1: unexpected \".3\" in operand");
  CHECK(error_of("{{08}}") == "template: format:1: integer overflow: \"08\"");
  CHECK(error_of("{{99999999999999999999}}") == "template: format:1: integer overflow: \"99999999999999999999\"");
  CHECK(error_of("{{18446744073709551615}}") ==
        "template: format:1:2: executing \"format\" at <18446744073709551615>: 18446744073709551615 overflows int");
}

TEST_CASE("template pipelines and parentheses", "[template]") {
  json d = json::parse(R"({"ID":"abcdef","Names":["a","b"]})");
  CHECK(exec("{{.ID | printf \"%s!\" | printf \"[%s]\"}}", d) == "[abcdef!]");
  // The piped value is the last argument.
  CHECK(exec("{{3 | truncate .ID}}", d) == "abc");
  CHECK(error_of("{{.ID | truncate 3}}", d) ==
        "template: format:1:17: executing \"format\" at <3>: expected string; found 3");
  CHECK(exec("{{\",\" | join .Names}}", d) == "a,b");
  CHECK(exec("{{printf \"%d names\" (len .Names)}}", d) == "2 names");
  CHECK(exec("{{(printf \"%s-%s\" .ID \"x\") | upper}}", d) == "ABCDEF-X");
  CHECK(error_of("{{.ID | 1}}", d) == "template: format:1: non executable command in pipeline stage 2");
  CHECK(error_of("{{1 2}}") ==
        "template: format:1:2: executing \"format\" at <1>: can't give argument to non-function 1");
  CHECK(error_of("{{(.ID}}") == "template: format:1: unclosed left paren");
  CHECK(error_of("{{.ID)}}") == "template: format:1: unexpected \")\" in command");
}

TEST_CASE("template has Go's builtin functions", "[template]") {
  json d = json::parse(R"({"L":["a","b","c"],"M":{"k":"v"},"S":"abc","N":null})");
  CHECK(exec("{{len .L}} {{len .M}} {{len .S}}", d) == "3 1 3");
  CHECK(exec("{{index .L 1}} {{index .M \"k\"}} {{index .S 0}}", d) == "b v 97");
  CHECK(exec("{{slice .L 1}} {{slice .L 1 2}} {{slice .S 1}} {{slice .L 0 1 2}}", d) == "[b c] [b] bc [a]");
  CHECK(exec("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" 3}} {{or 0 \"\"}} {{not 0}}") == "0 2 3  true");
  // and/or stop at the first deciding argument.
  CHECK(exec("{{and 0 (index .L 9)}} {{or 1 (index .L 9)}}", d) == "0 1");
  CHECK(exec("{{eq 1 1}} {{eq 1 2 3 1}} {{ne \"a\" \"b\"}} {{lt 1 2}} {{le 2 2}} {{gt 1.5 2.5}} {{ge \"b\" \"a\"}}") ==
        "true true true true true false true");
  CHECK(exec("{{eq .N nil}} {{eq .Missing \"\"}}", json::parse(R"({"N":null,"io.x":1})")) == "true false");
  CHECK(exec("{{print 1 2 \"a\" \"b\" 3}}|{{println 1 \"a\"}}|{{print .N}}", d) == "1 2ab3|1 a\n|<nil>");
  CHECK(exec("{{html \"<a href='x'>&\"}}") == "&lt;a href=&#39;x&#39;&gt;&amp;");
  CHECK(exec("{{js \"it's <b>\"}}") == "it\\'s \\u003Cb\\u003E");
  CHECK(exec("{{urlquery \"a b&c=d/é\"}}") == "a+b%26c%3Dd%2F%C3%A9");
  CHECK(error_of("{{index .L 5}}", d) ==
        "template: format:1:2: executing \"format\" at <index .L 5>: error calling index: index out of range: 5");
  CHECK(error_of("{{len 3}}") == "template: format:1:2: executing \"format\" at <len 3>: error calling len: len of type int");
  CHECK(error_of("{{eq 1 \"a\"}}") ==
        "template: format:1:2: executing \"format\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison");
  CHECK(error_of("{{lt true false}}") ==
        "template: format:1:2: executing \"format\" at <lt true false>: error calling lt: invalid type for comparison");
  CHECK(error_of("{{len}}") == "template: format:1:2: executing \"format\" at <len>: wrong number of args for len: want 1 got 0");
  CHECK(error_of("{{call .S}}", d) ==
        "template: format:1:2: executing \"format\" at <call .S>: error calling call: non-function of type string");
}

TEST_CASE("template has Podman's functions", "[template]") {
  json d = json::parse(R"({"ID":"4f234c1a141bc8e2","Names":["a","b"],"L":{"k":"<v>"},"E":""})");
  CHECK(exec("{{truncate .ID 12}}|{{truncate .ID 100}}|{{truncate .ID 0}}|", d) == "4f234c1a141b|4f234c1a141bc8e2||");
  CHECK(exec("{{join .Names \", \"}}", d) == "a, b");
  CHECK(exec("{{json .L}} {{json .Names}} {{json .E}} {{json .Missing}}", json::parse(R"({"L":{"k":"<v>"},"Names":["a"],"E":"","io.x":0})")) ==
        "{\"k\":\"<v>\"} [\"a\"] \"\" null");
  CHECK(exec("{{lower \"ÀbC\"}} {{upper \"àbc straße\"}} {{title \"hello wORLD foo_bar x-y\"}}") ==
        "àbc ÀBC STRAßE Hello WORLD Foo_bar X-Y");
  CHECK(exec("[{{pad .ID 2 1}}][{{pad .E 2 1}}]", d) == "[  4f234c1a141bc8e2 ][]");
  CHECK(exec("{{split \"a,b,,c\" \",\"}} {{len (split \"abc\" \"\")}} {{index (split \"k=v\" \"=\") 1}}") == "[a b  c] 3 v");
  CHECK(error_of("{{truncate .ID -1}}", d) ==
        "template: format:1:2: executing \"format\" at <truncate .ID -1>: error calling truncate: runtime error: slice "
        "bounds out of range [:-1]");
  CHECK(error_of("{{upper 1}}") == "template: format:1:8: executing \"format\" at <1>: expected string; found 1");
  CHECK(error_of("{{truncate .ID \"x\"}}", d) ==
        "template: format:1:15: executing \"format\" at <\"x\">: expected integer; found \"x\"");
  CHECK(error_of("{{join .ID \",\"}}", d) ==
        "template: format:1:7: executing \"format\" at <.ID>: wrong type for value; expected []string; got string");
}

TEST_CASE("template printf follows Go's verbs", "[template]") {
  CHECK(exec("{{printf \"%s|%5s|%-5s|%.2s|%q|%x|%X|% x\" \"abc\" \"abc\" \"abc\" \"abc\" \"a\\\"b\" \"hi\" \"hi\" \"hi\"}}") ==
        "abc|  abc|abc  |ab|\"a\\\"b\"|6869|6869|68 69");
  CHECK(exec("{{printf \"%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%c|%q|%U\" 42 42 42 42 42 255 255 8 5 65 65 65}}") ==
        "42|   42|42   |00042|+42|ff|FF|10|101|A|'A'|U+0041");
  CHECK(exec("{{printf \"%f|%.2f|%8.3f|%e|%g|%v|%v\" 3.14159 3.14159 2.5 314.159 0.000012345 1e6 0.1}}") ==
        "3.141590|3.14|   2.500|3.141590e+02|1.2345e-05|1e+06|0.1");
  CHECK(exec("{{printf \"%t|%v|%10v|%-6v|\" true false true 12}}") == "true|false|      true|12    |");
  CHECK(exec("{{printf \"%v|%s|%d\" .L .L .I}}", json::parse(R"({"L":["a","b"],"I":[1,2]})")) == "[a b]|[a b]|[1 2]");
  CHECK(exec("{{printf \"%v\" .M}}", json::parse(R"({"M":{"b":2,"a":1}})")) == "map[a:1 b:2]");
  CHECK(exec("{{printf \"%[2]s %[1]s\" \"a\" \"b\"}}|{{printf \"%*d|%-*d|%%\" 4 7 3 8}}") == "b a|   7|8  |%");
  CHECK(exec("{{printf \"%d\" \"x\"}}|{{printf \"%s\" 1}}|{{printf \"%s %s\" \"a\"}}|{{printf \"%s\" \"a\" 2}}|{{printf \"%z\" 1}}") ==
        "%!d(string=x)|%!s(int=1)|a %!s(MISSING)|a%!(EXTRA int=2)|%!z(int=1)");
  CHECK(exec("{{printf \"%s|%v\" nil nil}}") == "%!s(<nil>)|<nil>");
}

TEST_CASE("template reports syntax errors with their line", "[template]") {
  CHECK(error_of("{{foo}}") == "template: format:1: function \"foo\" not defined");
  CHECK(error_of("{{.ID | foo}}") == "template: format:1: function \"foo\" not defined");
  CHECK(error_of("{{if .T}}") == "template: format:1: unexpected EOF");
  CHECK(error_of("{{end}}") == "template: format:1: unexpected {{end}}");
  CHECK(error_of("{{else}}") == "template: format:1: unexpected {{else}}");
  CHECK(error_of("{{if}}{{end}}") == "template: format:1: missing value for if");
  CHECK(error_of("{{.ID") == "template: format:1: unclosed action");
  CHECK(error_of("line1\nline2 {{.ID\n\"x}}") == "template: format:3: unterminated quoted string in action started at format:2");
  CHECK(error_of("a\n\nb{{.ID}}{{.X | nope}}") == "template: format:3: function \"nope\" not defined");
  CHECK(error_of("{{.ID@}}") == "template: format:1: bad character U+0040 '@'");
  CHECK(error_of("{{é}}") == "template: format:1: function \"é\" not defined");
  CHECK(error_of("{{#}}") == "template: format:1: unexpected \"#\" in command");
  CHECK(Template::parse("{{.ID}}", "images").execute(json::parse(R"({"ID":1})")) == "1");
  Result r = run_case("{{", json());
  CHECK(r.err == std::optional<std::string>("template: format:1: unclosed action"));
}

// JSON objects stand for Go structs when their keys are all exported Go
// identifiers, and for maps otherwise; Podman's rows are structs, its
// Labels maps.
TEST_CASE("template treats objects as structs or maps", "[template]") {
  json row = json::parse(R"({"ID":"4f23","Labels":{"foo":"bar","io.buildah.version":"1.28.2"},"Empty":{}})");
  // Podman 4.3.1: `podman images --format '{{.Foo}}'` fails like this (its
  // type name is images.imageReporter).
  CHECK(error_of("{{.Foo}}", row) ==
        "template: format:1:2: executing \"format\" at <.Foo>: can't evaluate field Foo in type struct");
  CHECK(exec("{{.Labels.foo}}|{{.Labels.nope}}|{{.Empty.x}}", row) == "bar|<no value>|<no value>");
  CHECK(error_of("{{.Labels.foo.bar}}", row) ==
        "template: format:1:9: executing \"format\" at <.Labels.foo.bar>: can't evaluate field bar in type string");
  CHECK(error_of("{{.ID 2}}", row) ==
        "template: format:1:2: executing \"format\" at <.ID>: ID has arguments but cannot be invoked as function");
  CHECK(error_of("{{.Labels.foo 2}}", row) ==
        "template: format:1:9: executing \"format\" at <.Labels.foo>: foo is not a method but has arguments");
  // index on a map of strings gives "" for a missing key, as on Go's
  // map[string]string; on other maps nothing.
  CHECK(exec("[{{index .Labels \"nope\"}}]", row) == "[]");
  CHECK(exec("[{{index .M \"nope\"}}]", json::parse(R"({"M":{"a":1}})")) == "[<no value>]");
  // With maps_only every object is a map, as Podman's header rows are.
  ExecOptions maps{true};
  Result r = run_case("{{.Foo}}|{{.ID}}", row, maps);
  CHECK_FALSE(r.err.has_value());
  CHECK(r.out == "<no value>|4f23");
  r = run_case("{{.ID.X}}", row, maps);
  CHECK(r.err == std::optional<std::string>(
                     "template: format:1:5: executing \"format\" at <.ID.X>: can't evaluate field X in type string"));
}

TEST_CASE("template keeps the output written before an error", "[template]") {
  Template t = Template::parse("a{{.ID}}b{{.Foo}}c", "images");
  std::string out = "previous ";
  try {
    t.execute(out, json::parse(R"({"ID":"x"})"));
    FAIL("no error");
  } catch (const cabin::Error& e) {
    CHECK(std::string(e.message()) ==
          "template: images:1:11: executing \"images\" at <.Foo>: can't evaluate field Foo in type struct");
  }
  CHECK(out == "previous axb");
}

TEST_CASE("template lists the fields it reads", "[template]") {
  Template t = Template::parse(
      "{{.A.B}} {{range .C}}{{.D}}{{end}}{{$x := .E}}{{len .F | printf \"%d\"}}{{define \"t\"}}{{.G}}{{end}}"
      "{{if .H}}{{else}}{{.I}}{{end}}{{with (index .J 0)}}{{end}}{{$x.K}}");
  CHECK(t.fields() == std::vector<std::string>{"A", "C", "D", "E", "F", "G", "H", "I", "J"});
  CHECK(Template::parse("text {{1}}").fields().empty());
}

TEST_CASE("template objects can be moved and reused", "[template]") {
  Template a = Template::parse("<{{.}}>");
  Template b = std::move(a);
  CHECK(b.execute(1) == "<1>");
  CHECK(b.execute("x") == "<x>");
  a = Template::parse("{{len .}}");
  CHECK(a.execute(json::array({1, 2})) == "2");
}

TEST_CASE("template: Go field names find JSON keys that differ only in case", "[template]") {
  using cabin::format::Template;
  nlohmann::json data = {{"store", {{"graphRoot", "/x"}}}, {"host", {{"os", "linux"}, {"idMappings", {{"uidmap", nullptr}}}}}};
  CHECK(Template::parse("{{.Store.GraphRoot}} {{.Host.OS}}").execute(data) == "/x linux");
  CHECK(Template::parse("{{json .Host.IDMappings}}").execute(data) == "{\"uidmap\":null}");
  nlohmann::json exact = {{"ID", "short"}, {"Id", "full"}};
  CHECK(Template::parse("{{.ID}} {{.Id}}").execute(exact) == "short full");
}

TEST_CASE("template: ExecOptions::structs makes a missing field an error", "[template]") {
  using cabin::format::ExecOptions;
  using cabin::format::Template;
  nlohmann::json data = {{"store", {{"graphRoot", "/x"}}}};
  ExecOptions opts;
  opts.structs = true;
  std::string out;
  Template::parse("{{.Store.GraphRoot}}").execute(out, data, opts);
  CHECK(out == "/x");
  CHECK(Template::parse("{{.Bogus}}").execute(data) == "<no value>");
  std::string ignored;
  CHECK_THROWS_WITH(Template::parse("{{.Bogus}}").execute(ignored, data, opts),
                    Catch::Matchers::Contains("can't evaluate field Bogus"));
}
