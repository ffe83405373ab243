#include "image/manifest.h"

#include <sys/utsname.h>

#include "util/digest.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"

namespace cabin::image {
namespace {

using nlohmann::json;

json parse_json(std::string_view body, std::string_view what) {
  auto doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) fail("malformed {}: not valid JSON", what);
  if (!doc.is_object()) fail("malformed {}: not a JSON object", what);
  return doc;
}

std::string get_string(const json& j, const char* key, std::string_view what, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) fail("malformed {}: missing \"{}\"", what, key);
    return "";
  }
  if (!it->is_string()) fail("malformed {}: \"{}\" is not a string", what, key);
  return it->get<std::string>();
}

// schemaVersion when it is an integer, else 0 (which no check accepts).
// json::value() would throw a type_error of nlohmann's own for a string
// ("schemaVersion":"2"), which escaped as that library's message (found by
// tests/fuzz/manifest).
int64_t schema_version(const json& doc) {
  auto it = doc.find("schemaVersion");
  return it != doc.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

Descriptor parse_descriptor(const json& j, std::string_view what) {
  if (!j.is_object()) fail("malformed {}: descriptor is not an object", what);
  Descriptor d;
  d.media_type = get_string(j, "mediaType", what, false);
  d.digest = get_string(j, "digest", what, true);
  if (!is_valid_digest(d.digest)) fail("malformed {}: invalid digest {:?}", what, d.digest);
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0)
    fail("malformed {}: descriptor {} has no valid size", what, d.digest);
  d.size = size->get<int64_t>();
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    Platform plat;
    plat.os = get_string(*p, "os", what, false);
    plat.architecture = get_string(*p, "architecture", what, false);
    plat.variant = get_string(*p, "variant", what, false);
    d.platform = plat;
  }
  return d;
}

}  // namespace

std::string Platform::string() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

std::string detect_media_type(std::string_view body, std::string_view content_type) {
  std::string ct(trim(content_type.substr(0, content_type.find(';'))));
  if (is_index(ct) || is_manifest(ct)) return ct;
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_object()) {
    if (auto mt = doc.find("mediaType"); mt != doc.end() && mt->is_string()) return *mt;
    if (doc.contains("manifests")) return std::string(media::kOciIndex);
    if (doc.contains("layers")) return std::string(media::kOciManifest);
    if (schema_version(doc) == 1) return "application/vnd.docker.distribution.manifest.v1+json";
  }
  return ct;
}

bool is_index(std::string_view mt) { return mt == media::kOciIndex || mt == media::kDockerList; }
bool is_manifest(std::string_view mt) {
  return mt == media::kOciManifest || mt == media::kDockerManifest;
}

Manifest parse_manifest(std::string_view body) {
  constexpr std::string_view what = "manifest";
  auto doc = parse_json(body, what);
  if (schema_version(doc) != 2) {
    if (schema_version(doc) == 1)
      fail("unsupported manifest: Docker schema 1 images are deprecated and not supported");
    fail("malformed manifest: schemaVersion is not 2");
  }
  Manifest m;
  m.media_type = get_string(doc, "mediaType", what, false);
  if (m.media_type.empty()) m.media_type = media::kOciManifest;
  if (!is_manifest(m.media_type)) fail("malformed manifest: unexpected mediaType {:?}", m.media_type);
  auto cfg = doc.find("config");
  if (cfg == doc.end()) fail("malformed manifest: missing \"config\"");
  m.config = parse_descriptor(*cfg, what);
  auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_array()) fail("malformed manifest: missing \"layers\"");
  for (const auto& l : *layers) m.layers.push_back(parse_descriptor(l, what));
  return m;
}

Index parse_index(std::string_view body) {
  constexpr std::string_view what = "image index";
  auto doc = parse_json(body, what);
  if (schema_version(doc) != 2) fail("malformed image index: schemaVersion is not 2");
  Index idx;
  idx.media_type = get_string(doc, "mediaType", what, false);
  if (idx.media_type.empty()) idx.media_type = media::kOciIndex;
  auto ms = doc.find("manifests");
  if (ms == doc.end() || !ms->is_array()) fail("malformed image index: missing \"manifests\"");
  for (const auto& m : *ms) idx.manifests.push_back(parse_descriptor(m, what));
  return idx;
}

Platform normalize_platform(Platform p) {
  if (p.os.empty()) p.os = "linux";
  p.os = to_lower(p.os);
  p.architecture = to_lower(p.architecture);
  if (p.architecture == "x86_64" || p.architecture == "x86-64") p.architecture = "amd64";
  if (p.architecture == "aarch64") p.architecture = "arm64";
  if (p.architecture == "armhf" || p.architecture == "armv7l") {
    p.architecture = "arm";
    if (p.variant.empty()) p.variant = "v7";
  }
  if (p.architecture == "i386" || p.architecture == "i686") p.architecture = "386";
  if (p.architecture == "arm64" && p.variant.empty()) p.variant = "v8";
  if (p.architecture == "arm" && p.variant.empty()) p.variant = "v7";
  return p;
}

Platform host_platform() {
  struct utsname u {};
  ::uname(&u);
  return normalize_platform(Platform{"linux", u.machine, ""});
}

Platform parse_platform(std::string_view text) {
  auto parts = split(text, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    fail("invalid platform {:?}: want OS/ARCH[/VARIANT]", std::string(text));
  return Platform{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
}

const Descriptor& select_platform(const Index& index, const Platform& want_raw) {
  Platform want = normalize_platform(want_raw);
  const Descriptor* loose = nullptr;
  std::vector<std::string> offered;
  for (const auto& d : index.manifests) {
    if (!d.platform) continue;
    Platform p = normalize_platform(*d.platform);
    if (p.os == "unknown") continue;  // attestation manifests
    offered.push_back(p.string());
    if (p.os != want.os || p.architecture != want.architecture) continue;
    if (p.variant == want.variant) return d;
    if (!loose && (want_raw.variant.empty() || d.platform->variant.empty())) loose = &d;
  }
  if (loose) return *loose;
  fail("no image found in image index for architecture {}, variant {:?}, OS {} (the index offers: {})",
       want.architecture, want.variant, want.os, offered.empty() ? "nothing" : join(offered, ", "));
}

Compression layer_compression(std::string_view mt) {
  if (mt == media::kOciLayerGzip || mt == media::kDockerLayerGzip ||
      mt == media::kDockerForeignLayerGzip || mt == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")
    return Compression::Gzip;
  if (mt == media::kOciLayerZstd || mt == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")
    return Compression::Zstd;
  if (mt == media::kOciLayer || mt == "application/vnd.oci.image.layer.nondistributable.v1.tar" ||
      mt == "application/vnd.docker.image.rootfs.diff.tar")
    return Compression::None;
  fail("unsupported layer media type {:?}", std::string(mt));
}

ImageConfig parse_config(std::string_view body) {
  constexpr std::string_view what = "image config";
  ImageConfig c;
  c.json = parse_json(body, what);
  auto rootfs = c.json.find("rootfs");
  if (rootfs == c.json.end() || !rootfs->is_object()) fail("malformed image config: missing \"rootfs\"");
  if (get_string(*rootfs, "type", what, true) != "layers")
    fail("malformed image config: rootfs.type is not \"layers\"");
  auto ids = rootfs->find("diff_ids");
  if (ids == rootfs->end() || !ids->is_array())
    fail("malformed image config: missing \"rootfs.diff_ids\"");
  for (const auto& id : *ids) {
    if (!id.is_string() || !is_valid_digest(id.get<std::string>()))
      fail("malformed image config: invalid diff_id {}", json_text(id));
    c.diff_ids.push_back(id.get<std::string>());
  }
  c.created = get_string(c.json, "created", what, false);
  c.architecture = get_string(c.json, "architecture", what, false);
  c.os = get_string(c.json, "os", what, false);
  c.variant = get_string(c.json, "variant", what, false);
  if (auto cfg = c.json.find("config"); cfg != c.json.end() && !cfg->is_object() && !cfg->is_null())
    fail("malformed image config: \"config\" is not an object");
  return c;
}

}  // namespace cabin::image
