// registries.conf, its drop-ins and the short-name alias cache
// (config/registries.h). The first byte picks the flavour; the rest is the
// file. What merges is then used: a short name resolved, a reference looked up.
#include "config/registries.h"
#include "fuzz.h"

using namespace cabin;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto text = fuzz::as_text(data + 1, size - 1);
  config::RegistriesConf conf;
  fuzz::refused_ok([&] {
    switch (data[0] % 3) {
      case 0: conf.merge_text(text, "fuzz.conf"); break;
      case 1: conf.merge_dropin_text(text, "fuzz.conf"); break;
      default: conf.merge_alias_cache_text(text, "fuzz.conf"); break;
    }
    for (const char* name : {"alpine", "quay.io/a/b:1", "localhost:5000/x@sha256:" 
                             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}) {
      auto parsed = image::parse_reference(name);
      fuzz::refused_ok([&] { (void)conf.resolve_short_name(parsed); });
      fuzz::refused_ok([&] { (void)conf.pull_sources(parsed.ref); });
      (void)conf.find(parsed.ref);
      (void)conf.is_insecure(parsed.ref.domain);
    }
  });
  return 0;
}
