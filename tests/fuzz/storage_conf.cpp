// storage.conf, read where CONTAINERS_STORAGE_CONF points
// (config/paths.h resolve_store_paths).
#include "config/paths.h"
#include "fuzz.h"

using namespace cabin;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet();
  ::setenv("CONTAINERS_STORAGE_CONF", (fuzz::scratch() + "/storage.conf").c_str(), 1);
  ::setenv("HOME", fuzz::scratch().c_str(), 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fs::write_file_atomic(fuzz::scratch() + "/storage.conf", std::string(fuzz::as_text(data, size)), 0600);
  fuzz::refused_ok([&] { (void)config::resolve_store_paths("", "", ""); });
  return 0;
}
