// The registry client's reading of responses (registry/response.h).
#include <catch2/catch.hpp>

#include "error_of.h"
#include "registry/response.h"

using namespace cabin::registry;
using cabin::test::error_of;

TEST_CASE("registry response: status lines and header fields", "[registry]") {
  auto s = parse_head_line("HTTP/1.1 206 Partial Content\r\n");
  CHECK(s.kind == HeadLine::Status);
  CHECK(s.status == 206);
  CHECK(parse_head_line("HTTP/2 20x\r\n").status == 0);
  auto f = parse_head_line("Content-Range :  bytes 5-9/10 \r\n");
  CHECK(f.kind == HeadLine::Field);
  CHECK(f.name == "content-range");
  CHECK(f.value == "bytes 5-9/10");
  CHECK(parse_head_line(": no name\r\n").kind == HeadLine::Other);
  CHECK(parse_head_line("\r\n").kind == HeadLine::Other);
}

TEST_CASE("registry response: Content-Range and numbers", "[registry]") {
  uint64_t start = 0;
  std::optional<uint64_t> total;
  CHECK(parse_content_range("bytes 5-9/10", start, total));
  CHECK(start == 5);
  CHECK(total == 10u);
  total.reset();
  CHECK(parse_content_range("BYTES 0-1/*", start, total));
  CHECK(!total);
  CHECK_FALSE(parse_content_range("bytes 5/9-10", start, total));
  CHECK_FALSE(parse_content_range("bytes x-9/10", start, total));
  CHECK(parse_u64(" 1234 ") == 1234u);
  CHECK(parse_u64("9999999999999999999") == 9999999999999999999u);
  CHECK_FALSE(parse_u64("99999999999999999999"));
  CHECK_FALSE(parse_u64("-1"));
}

TEST_CASE("registry response: a token endpoint's answer", "[registry]") {
  auto t = parse_token_response(R"({"token":"abc","expires_in":300})");
  CHECK(t.token == "abc");
  CHECK(t.lifetime_secs == 300);
  CHECK(parse_token_response(R"({"access_token":"x"})").lifetime_secs == kMinTokenLifetimeSecs);
  CHECK(parse_token_response(R"({"token":"x","expires_in":5})").lifetime_secs == kMinTokenLifetimeSecs);
  // A lifetime the steady clock cannot add in nanoseconds (it overflowed
  // before: undefined behaviour, caught by UBSan) is cut to a day.
  CHECK(parse_token_response(R"({"token":"x","expires_in":9223372036854775807})").lifetime_secs ==
        kMaxTokenLifetimeSecs);
  CHECK(parse_token_response(R"({"token":"x","expires_in":18446744073709551615})").lifetime_secs ==
        kMinTokenLifetimeSecs);
  CHECK(error_of([] { parse_token_response("[]"); }) == "requesting bearer token: the response is not a JSON object");
  CHECK(error_of([] { parse_token_response(R"({"token":""})"); }) ==
        "requesting bearer token: the response holds no token");
}

TEST_CASE("registry response: error bodies and manifest types", "[registry]") {
  CHECK(registry_detail(R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})") ==
        "denied: requested access to the resource is denied");
  CHECK(registry_detail(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})") ==
        "manifest unknown");
  CHECK(registry_detail("not json").empty());
  CHECK(manifest_media_type("application/json", R"({"mediaType":"application/vnd.oci.image.index.v1+json"})") ==
        "application/vnd.oci.image.index.v1+json");
  CHECK(error_of([] {
          manifest_media_type("application/vnd.oci.image.manifest.v1+json; charset=x",
                              R"({"mediaType":"application/vnd.oci.image.index.v1+json"})");
        }) ==
        "manifest media type mismatch: Content-Type is application/vnd.oci.image.manifest.v1+json but the manifest "
        "says application/vnd.oci.image.index.v1+json");
}
