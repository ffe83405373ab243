// util/strings.h: numbers parsed whole or refused; UTF-8 validation, which
// YAML files pass before their strings reach JSON records; util/json.h: JSON
// text that never throws on it.
#include <catch2/catch.hpp>

#include <string>

#include "util/json.h"
#include "util/strings.h"

using cabin::invalid_utf8;
using cabin::parse_number;
using cabin::yaml_non_utf8_line;
constexpr auto npos = std::string_view::npos;

TEST_CASE("invalid_utf8: valid sequences of every length, and the first bad byte") {
  CHECK(invalid_utf8("") == npos);
  CHECK(invalid_utf8("plain ascii") == npos);
  CHECK(invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3") == npos);  // é € 🐳
  CHECK(invalid_utf8("\xf4\x8f\xbf\xbf") == npos);                          // U+10FFFF
  CHECK(invalid_utf8("ab\xff") == 2);
  CHECK(invalid_utf8("a\xc3") == 1);                 // cut short
  CHECK(invalid_utf8("a\xc3(") == 1);                // not a continuation byte
  CHECK(invalid_utf8("\x80") == 0);                  // a lone continuation byte
  CHECK(invalid_utf8("x\xc0\xaf") == 1);             // overlong '/'
  CHECK(invalid_utf8("\xe0\x80\xaf") == 0);          // overlong, three bytes
  CHECK(invalid_utf8("\xed\xa0\x80") == 0);          // a surrogate
  CHECK(invalid_utf8("\xf4\x90\x80\x80") == 0);      // past U+10FFFF
  CHECK(invalid_utf8("\xf8\x88\x80\x80\x80") == 0);  // five bytes
}

TEST_CASE("yaml_non_utf8_line: the line of the first bad byte; byte order marks of UTF-16/32 pass") {
  CHECK(yaml_non_utf8_line("a: 1\nb: \xc3\xa9\n") == 0);
  CHECK(yaml_non_utf8_line("a: 1\nb: 2\nc: \xff\n") == 3);
  CHECK(yaml_non_utf8_line("\xff\xfe" "a\0:\0") == 0);
  CHECK(yaml_non_utf8_line("\xef\xbb\xbf" "a: 1\n") == 0);  // UTF-8's own mark is UTF-8
}

TEST_CASE("json_text: bytes that are not UTF-8 become U+FFFD, as Go's encoder writes them") {
  nlohmann::json j = {{"k", "a\xff" "b"}, {"ok", "caf\xc3\xa9"}};
  CHECK_THROWS_AS(j.dump(), nlohmann::json::type_error);
  CHECK(cabin::json_text(j) == "{\"k\":\"a\xef\xbf\xbd" "b\",\"ok\":\"caf\xc3\xa9\"}");
  CHECK(cabin::json_text(j, 1, '\t') == "{\n\t\"k\": \"a\xef\xbf\xbd" "b\",\n\t\"ok\": \"caf\xc3\xa9\"\n}");
  nlohmann::ordered_json o = {{"z", "\xc3"}, {"a", 1}};
  CHECK(cabin::json_text(o) == "{\"z\":\"\xef\xbf\xbd\",\"a\":1}");
}

TEST_CASE("parse_number: the whole text, in range, or nothing") {
  CHECK(parse_number<uint32_t>("4294967295") == 4294967295u);
  CHECK_FALSE(parse_number<uint32_t>("4294967296"));
  CHECK_FALSE(parse_number<uint64_t>("99999999999999999999"));
  CHECK_FALSE(parse_number<uint32_t>("-1"));
  CHECK(parse_number<int>("-1") == -1);
  CHECK_FALSE(parse_number<int>(""));
  CHECK_FALSE(parse_number<int>(" 1"));
  CHECK_FALSE(parse_number<int>("1 "));
  CHECK_FALSE(parse_number<int>("+1"));
  CHECK(parse_number<unsigned>("755", 8) == 0755u);
  CHECK_FALSE(parse_number<unsigned>("8", 8));
  CHECK(parse_number<uint8_t>("ff", 16) == 0xff);
  CHECK(parse_number<double>("1.5") == 1.5);
  CHECK(parse_number<double>("1e3") == 1000.0);
  CHECK_FALSE(parse_number<double>("1.5x"));
  CHECK_FALSE(parse_number<double>("."));
}
