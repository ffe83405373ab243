// Manifests, indexes and image configs (image/manifest.h) as a registry or
// an archive hands them over; the input is the body.
#include "fuzz.h"
#include "image/manifest.h"

using namespace cabin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto body = fuzz::as_text(data, size);
  for (std::string_view ct : {"", "application/json", "application/vnd.oci.image.index.v1+json"})
    fuzz::refused_ok([&] { (void)image::detect_media_type(body, ct); });
  fuzz::refused_ok([&] {
    auto m = image::parse_manifest(body);
    fuzz::refused_ok([&] { (void)image::layer_compression(m.config.media_type); });
    for (const auto& l : m.layers) fuzz::refused_ok([&] { (void)image::layer_compression(l.media_type); });
  });
  fuzz::refused_ok([&] {
    auto index = image::parse_index(body);
    for (const char* p : {"linux/amd64", "linux/arm64/v8", "linux/arm"})
      fuzz::refused_ok([&] { (void)image::select_platform(index, image::normalize_platform(image::parse_platform(p))); });
  });
  fuzz::refused_ok([&] { (void)image::parse_config(body); });
  return 0;
}
