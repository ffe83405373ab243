#pragma once

#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace cabin::cmd {

// The subcommand of app nearest to word (Levenshtein distance ≤ 2, or a
// prefix), or empty.
std::string suggest(std::string_view word, const CLI::App& app);
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace cabin::cmd
