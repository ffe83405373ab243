// Containerfiles (build/dockerfile.h) and the word expansion their
// instructions go through later (build/shell_words.h).
#include <map>

#include "build/dockerfile.h"
#include "build/shell_words.h"
#include "fuzz.h"

using namespace cabin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  std::map<std::string, std::string> vars{{"A", "1"}, {"EMPTY", ""}, {"SPACES", "a b  c"}};
  build::Lookup env = [&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  fuzz::refused_ok([&] {
    auto df = build::parse_dockerfile(text, "Containerfile");
    for (const auto& ins : df.instructions) {
      fuzz::refused_ok([&] { (void)build::expand_words(ins.args, env, df.escape); });
      fuzz::refused_ok([&] { (void)build::expand_word(ins.args, env, df.escape); });
      fuzz::refused_ok([&] { (void)build::expand_keep_quotes(ins.args, env, df.escape); });
    }
  });
  fuzz::refused_ok([&] { (void)build::expand_words(text, env); });
  return 0;
}
