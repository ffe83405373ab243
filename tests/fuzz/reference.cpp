// Image references (image/reference.h) and --platform values.
#include "fuzz.h"
#include "image/manifest.h"
#include "image/reference.h"

using namespace cabin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  fuzz::refused_ok([&] {
    auto parsed = image::parse_reference(text);
    // What parses must print and parse back to itself.
    auto again = image::parse_reference(parsed.ref.string());
    if (!(again.ref == parsed.ref)) std::abort();
    (void)image::typed_name(parsed);
    (void)image::docker_familiar_name(parsed.ref.string());
    (void)image::shown_name(parsed.ref.string());
  });
  fuzz::refused_ok([&] { (void)image::docker_familiar_reference(text); });
  (void)image::docker_familiar_name(text);
  (void)image::shown_name(text);
  (void)image::looks_like_id(text);
  (void)image::is_valid_domain(text);
  fuzz::refused_ok([&] { (void)image::normalize_platform(image::parse_platform(text)); });
  return 0;
}
