// Placeholder: being written.
#include "format/output.h"

#include <fmt/format.h>

namespace cabin::format {
void print_inspect(std::FILE* out, std::string_view, const nlohmann::json& objects) {
  fmt::print(out, "{}\n", objects.dump(4));
}
}  // namespace cabin::format
