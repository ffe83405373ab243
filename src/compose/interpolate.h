// Compose's variable interpolation in the values of a compose file (and in
// .env files): $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}, with defaults and
// alternatives interpolated in turn (${A:-${B:-x}}), and $$ for a literal $.
// Unlike a shell, quotes mean nothing here and a value is never split.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cabin::compose {

// A variable's value, nullopt when it is not set.
using Lookup = std::function<std::optional<std::string>(const std::string& name)>;
// Called for each variable used without a default that is not set (Compose
// warns "The "X" variable is not set. Defaulting to a blank string.").
using OnUnset = std::function<void(const std::string& name)>;

// Throws cabin::Error without a location (the caller adds it):
//   required variable DB_PASSWORD is missing a value: set it in .env
//   invalid interpolation format "${A": you may need to escape any $ with another $
std::string interpolate(std::string_view text, const Lookup& env, const OnUnset& on_unset = {});

}  // namespace cabin::compose
