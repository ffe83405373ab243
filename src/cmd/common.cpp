#include "cmd/common.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "rootless/userns.h"
#include "util/error.h"
#include "util/strings.h"

namespace cabin::cmd {

storage::Store open_store(const Globals& g) { return storage::Store(g.paths); }

void enter_userns(const Globals& g) {
  if (rootless::userns_state().entered) return;
  const auto& state = rootless::enter_user_namespace();
  if (state.entered) rootless::note_mapping_for_store(g.paths.graphroot, state);
}

storage::ContainerRecord find_container(const storage::ContainerStore& containers, const std::string& name) {
  auto rec = containers.find(name);
  if (!rec) throw Error(fmt::format("no container with name or ID {:?} found: no such container", name));
  return *rec;
}

void add_bool_flag(CLI::App& app, const std::string& name, std::optional<bool>& target,
                   const std::string& help) {
  app.add_option_function<std::string>(
         name,
         [&target, name](const std::string& v) {
           std::string l = to_lower(v);
           if (l.empty() || l == "true" || l == "1") target = true;
           else if (l == "false" || l == "0") target = false;
           else fail("invalid argument {:?} for {:?} flag: strconv.ParseBool: parsing {:?}: invalid syntax", v, name, v);
         },
         help)
      ->expected(0, 1)
      ->default_str("true");
}

void check_args(const std::vector<std::string>& args, size_t min, size_t max) {
  size_t n = args.size();
  if (n >= min && n <= max) return;
  if (min == max) fail("accepts {} arg(s), received {}", min, n);
  if (max == kAnyArgs) fail("requires at least {} arg(s), only received {}", min, n);
  if (min == 0) fail("accepts at most {} arg(s), received {}", max, n);
  fail("accepts between {} and {} arg(s), received {}", min, max, n);
}

bool confirm(const std::string& question) {
  fmt::print(stderr, "{} [y/N] ", question);
  std::fflush(stderr);
  std::string line;
  if (!std::getline(std::cin, line)) return false;
  auto l = to_lower(trim(line));
  return l == "y" || l == "yes";
}

}  // namespace cabin::cmd
