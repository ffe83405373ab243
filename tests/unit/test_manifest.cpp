#include <catch2/catch.hpp>

#include "error_of.h"
#include "image/change.h"
#include "image/manifest.h"
#include "util/error.h"

using namespace cabin::image;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {
const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

}  // namespace

TEST_CASE("manifest: OCI and Docker schema 2 parse", "[manifest]") {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + kDigestA +
                     R"(","size":10},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" + kDigestB +
                     R"(","size":20}]})";
  auto m = parse_manifest(body);
  CHECK(m.media_type == media::kDockerManifest);
  CHECK(m.config.digest == kDigestA);
  REQUIRE(m.layers.size() == 1);
  CHECK(m.layers[0].size == 20);
  CHECK(layer_compression(m.layers[0].media_type) == Compression::Gzip);
  CHECK(detect_media_type(body, "application/octet-stream") == media::kDockerManifest);
  CHECK(detect_media_type(body, "application/vnd.oci.image.manifest.v1+json; charset=utf-8") ==
        media::kOciManifest);
}

TEST_CASE("manifest: malformed documents say what is wrong", "[manifest]") {
  CHECK_THAT(cabin::test::error_of([] { parse_manifest("{not json"); }), Equals("malformed manifest: not valid JSON"));
  CHECK_THAT(cabin::test::error_of([] { parse_manifest("[]"); }), Equals("malformed manifest: not a JSON object"));
  CHECK_THAT(cabin::test::error_of([] { parse_manifest(R"({"schemaVersion":1})"); }),
             Contains("schema 1 images are deprecated"));
  // A schemaVersion that is no number: nlohmann's type_error escaped
  // before (tests/fuzz/manifest/regressions keeps the input).
  CHECK_THAT(cabin::test::error_of([] { parse_manifest(R"({"schemaVersion":"2"})"); }),
             Equals("malformed manifest: schemaVersion is not 2"));
  CHECK_THAT(cabin::test::error_of([] { parse_index(R"({"schemaVersion":[2]})"); }),
             Equals("malformed image index: schemaVersion is not 2"));
  CHECK(detect_media_type(R"({"schemaVersion":"1"})", "text/plain") == "text/plain");
  CHECK_THAT(cabin::test::error_of([] { parse_manifest(R"({"schemaVersion":2,"layers":[]})"); }),
             Equals("malformed manifest: missing \"config\""));
  CHECK_THAT(cabin::test::error_of([] {
               parse_manifest(R"({"schemaVersion":2,"config":{"digest":"sha256:xyz","size":1},"layers":[]})");
             }),
             Equals("malformed manifest: invalid digest \"sha256:xyz\""));
  CHECK_THAT(cabin::test::error_of([&] {
               parse_manifest(R"({"schemaVersion":2,"config":{"digest":")" + kDigestA + R"(","size":-1},"layers":[]})");
             }),
             Equals("malformed manifest: descriptor " + kDigestA + " has no valid size"));
  CHECK_THAT(cabin::test::error_of([] { layer_compression("application/x-foo"); }),
             Equals("unsupported layer media type \"application/x-foo\""));
}

TEST_CASE("index: platform selection", "[manifest]") {
  std::string body = R"({"schemaVersion":2,"manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kDigestA +
                     R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kDigestB +
                     R"(","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]})";
  auto idx = parse_index(body);
  CHECK(select_platform(idx, {"linux", "amd64", ""}).digest == kDigestA);
  CHECK(select_platform(idx, {"linux", "aarch64", ""}).digest == kDigestB);
  CHECK(select_platform(idx, {"linux", "arm64", "v8"}).digest == kDigestB);
  CHECK_THAT(cabin::test::error_of([&] { select_platform(idx, {"linux", "s390x", ""}); }),
             Equals("no image found in image index for architecture s390x, variant \"\", OS linux "
                    "(the index offers: linux/amd64, linux/arm64/v8)"));
  CHECK(parse_platform("linux/arm/v7").variant == "v7");
  CHECK_THAT(cabin::test::error_of([] { parse_platform("linux"); }),
             Equals("invalid platform \"linux\": want OS/ARCH[/VARIANT]"));
}

TEST_CASE("config: diff_ids are required and checked", "[manifest]") {
  auto c = parse_config(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
                        kDigestA + R"("]}})");
  CHECK(c.diff_ids == std::vector<std::string>{kDigestA});
  CHECK_THAT(cabin::test::error_of([] { parse_config(R"({"rootfs":{"type":"layers","diff_ids":["x"]}})"); }),
             Equals("malformed image config: invalid diff_id \"x\""));
  CHECK_THAT(cabin::test::error_of([] { parse_config(R"({"os":"linux"})"); }),
             Equals("malformed image config: missing \"rootfs\""));
}

TEST_CASE("change: Dockerfile instructions edit the config", "[manifest]") {
  nlohmann::json cfg = nlohmann::json::object();
  apply_change(cfg, R"(CMD ["/bin/sh", "-c", "echo hi"])");
  apply_change(cfg, "ENTRYPOINT /init");
  apply_change(cfg, "ENV A=1 B=\"two words\"");
  apply_change(cfg, "env A 3");
  apply_change(cfg, "LABEL org.example=yes");
  apply_change(cfg, "EXPOSE 80 53/udp");
  apply_change(cfg, "USER 1000:1000");
  apply_change(cfg, "WORKDIR /srv");
  apply_change(cfg, "VOLUME /data");
  apply_change(cfg, "STOPSIGNAL SIGINT");
  CHECK(cfg["Cmd"] == nlohmann::json::array({"/bin/sh", "-c", "echo hi"}));
  CHECK(cfg["Entrypoint"] == nlohmann::json::array({"/bin/sh", "-c", "/init"}));
  CHECK(cfg["Env"] == nlohmann::json::array({"B=two words", "A=3"}));
  CHECK(cfg["Labels"]["org.example"] == "yes");
  CHECK(cfg["ExposedPorts"].contains("80/tcp"));
  CHECK(cfg["ExposedPorts"].contains("53/udp"));
  CHECK(cfg["User"] == "1000:1000");
  CHECK(cfg["WorkingDir"] == "/srv");
  CHECK(cfg["Volumes"].contains("/data"));
  CHECK(cfg["StopSignal"] == "SIGINT");
  CHECK_THAT(cabin::test::error_of([&] { apply_change(cfg, "RUN rm -rf /"); }),
             Equals("invalid change \"RUN rm -rf /\": \"RUN\" is not a valid change instruction (want "
                    "CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME or WORKDIR)"));
  CHECK_THAT(cabin::test::error_of([&] { apply_change(cfg, "CMD"); }), Equals("invalid change \"CMD\": missing value"));
  CHECK_THAT(cabin::test::error_of([&] { apply_change(cfg, "EXPOSE eighty"); }),
             Equals("invalid change \"EXPOSE eighty\": invalid port \"eighty/tcp\""));
  CHECK_THAT(cabin::test::error_of([&] { apply_change(cfg, "WORKDIR rel"); }),
             Equals("invalid change \"WORKDIR rel\": WORKDIR must be an absolute path"));
}
