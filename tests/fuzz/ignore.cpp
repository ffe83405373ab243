// .containerignore / .dockerignore patterns (build/ignore.h). The input is
// the file; its last line is also matched as a path, and each line as a
// pattern against it.
#include "build/ignore.h"
#include "fuzz.h"
#include "util/strings.h"

using namespace cabin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  auto nl = text.rfind('\n');
  std::string_view path = nl == text.npos ? text : text.substr(nl + 1);
  fuzz::refused_ok([&] {
    build::IgnoreRules rules(text);
    (void)rules.ignored(build::clean_path(path));
    (void)rules.ignored("a/b/c");
  });
  for (const auto& line : split(text.substr(0, nl == text.npos ? 0 : nl), '\n'))
    fuzz::refused_ok([&] { (void)build::pattern_match(line, path); });
  return 0;
}
