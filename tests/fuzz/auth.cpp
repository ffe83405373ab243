// Credential files (config/auth.h): auth.json / Docker's config.json as
// login writes them and pull and push read them, and --creds values.
#include "config/auth.h"
#include "fuzz.h"

using namespace cabin;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  std::string file = fuzz::scratch() + "/auth.json";
  fs::write_file_atomic(file, std::string(text), 0600);
  for (const char* registry : {"docker.io", "localhost:5000", "quay.io"})
    fuzz::refused_ok([&] { (void)config::find_credentials_in({file}, registry, "library/alpine"); });
  fuzz::refused_ok([&] { (void)config::parse_creds(text); });
  (void)config::base64_decode(text);
  return 0;
}
