// containers.conf (config/containers_conf.h): one file's text merged.
#include "config/containers_conf.h"
#include "fuzz.h"

using namespace cabin;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  config::ContainersConf conf;
  fuzz::refused_ok([&] { conf.merge_text(fuzz::as_text(data, size), "fuzz.conf"); });
  return 0;
}
