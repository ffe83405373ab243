#include <catch2/catch.hpp>

#include "registry/www_authenticate.h"

using cabin::registry::Challenge;
using cabin::registry::parse_www_authenticate;
using Params = std::map<std::string, std::string>;

TEST_CASE("www-authenticate: a registry's bearer challenge", "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].scheme == "bearer");
  CHECK(cs[0].params == Params{{"realm", "https://auth.docker.io/token"},
                               {"service", "registry.docker.io"},
                               {"scope", "repository:samalba/my-app:pull,push"}});
}

TEST_CASE("www-authenticate: scheme and names are case-insensitive, values are not",
          "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate(R"(BASIC Realm="My Registry", CharSet="UTF-8")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].scheme == "basic");
  CHECK(cs[0].params == Params{{"realm", "My Registry"}, {"charset", "UTF-8"}});
}

TEST_CASE("www-authenticate: several challenges in one header", "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate(
      R"(Basic realm="basic realm", Bearer realm="https://a.example/token",service="a.example", Newauth realm="apps", type=1, title="Login to \"apps\"")");
  REQUIRE(cs.size() == 3);
  CHECK(cs[0].scheme == "basic");
  CHECK(cs[0].params == Params{{"realm", "basic realm"}});
  CHECK(cs[1].scheme == "bearer");
  CHECK(cs[1].params == Params{{"realm", "https://a.example/token"}, {"service", "a.example"}});
  CHECK(cs[2].scheme == "newauth");
  CHECK(cs[2].params == Params{{"realm", "apps"}, {"type", "1"}, {"title", R"(Login to "apps")"}});
}

TEST_CASE("www-authenticate: quoted strings keep commas and undo escapes",
          "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate(
      R"(Bearer realm="https://h/token?a=1,b=2",scope="repository:a:pull repository:b:pull",x="back\\slash \"q\" \z")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].params.at("realm") == "https://h/token?a=1,b=2");
  CHECK(cs[0].params.at("scope") == "repository:a:pull repository:b:pull");
  CHECK(cs[0].params.at("x") == R"(back\slash "q" z)");
}

TEST_CASE("www-authenticate: token values and whitespace around '='",
          "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate("Bearer realm = https://h/token ,\tservice=h ,  ,error=invalid_token");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].params == Params{{"realm", "https://h/token"}, {"service", "h"}, {"error", "invalid_token"}});
}

TEST_CASE("www-authenticate: an empty quoted value", "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate(R"(Bearer realm="",service="s")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].params == Params{{"realm", ""}, {"service", "s"}});
}

TEST_CASE("www-authenticate: schemes without parameters", "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate("Negotiate, Basic");
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].scheme == "negotiate");
  CHECK(cs[0].params.empty());
  CHECK(cs[1].scheme == "basic");
}

TEST_CASE("www-authenticate: a token68 is skipped, not read as a parameter",
          "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate(R"(Negotiate YWxhZGRpbjpvcGVuc2VzYW1l==, Basic realm="r", Foo a/b+c)");
  REQUIRE(cs.size() == 3);
  CHECK(cs[0].scheme == "negotiate");
  CHECK(cs[0].params.empty());
  CHECK(cs[1].scheme == "basic");
  CHECK(cs[1].params == Params{{"realm", "r"}});
  CHECK(cs[2].scheme == "foo");
  CHECK(cs[2].params.empty());
}

TEST_CASE("www-authenticate: empty and junk input", "[registry][www-authenticate]") {
  CHECK(parse_www_authenticate("").empty());
  CHECK(parse_www_authenticate("   ,  , ").empty());
  CHECK(parse_www_authenticate(R"("quoted", realm="x")").empty());  // parameters need a scheme
  auto cs = parse_www_authenticate(R"(, Basic realm="x",)");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].params == Params{{"realm", "x"}});
}

TEST_CASE("www-authenticate: an unterminated quoted string runs to the end",
          "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate(R"(Bearer service="s",realm="https://h/tok, more)");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].params == Params{{"service", "s"}, {"realm", "https://h/tok, more"}});
  auto trailing = parse_www_authenticate(R"(Bearer realm="a\)");
  REQUIRE(trailing.size() == 1);
  CHECK(trailing[0].params.at("realm") == "a");
}

TEST_CASE("www-authenticate: the first of repeated parameters wins",
          "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate(R"(Bearer realm="first", realm="second")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].params.at("realm") == "first");
}

TEST_CASE("www-authenticate: a parameter without a value is dropped",
          "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate(R"(Bearer realm=, service="s")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].params == Params{{"service", "s"}});
}

TEST_CASE("www-authenticate: junk after a value is skipped", "[registry][www-authenticate]") {
  auto cs = parse_www_authenticate(R"(Bearer realm="r" junk here, service="s")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].params == Params{{"realm", "r"}, {"service", "s"}});
}
