// CDI specs (cdi/cdi.h): the input's first line is the device names asked
// for (comma-separated, as several --device flags), the rest a spec file in
// a spec directory of its own, resolved as `--device vendor.com/class=name`
// would.
#include <string>
#include <vector>

#include "cdi/cdi.h"
#include "fuzz.h"

using namespace cabin;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  auto nl = text.find('\n');
  std::string_view first = text.substr(0, nl);
  std::string spec(nl == std::string_view::npos ? "" : text.substr(nl + 1));
  std::vector<std::string> names;
  for (size_t pos = 0; pos <= first.size();) {
    auto comma = first.find(',', pos);
    if (comma == std::string_view::npos) comma = first.size();
    names.emplace_back(first.substr(pos, comma - pos));
    pos = comma + 1;
  }
  const std::string& dir = fuzz::scratch();
  fs::write_file_atomic(dir + "/spec.yaml", spec, 0600);
  fuzz::refused_ok([&] { (void)cdi::resolve(names, {dir}); });
  return 0;
}
