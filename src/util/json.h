#pragma once
// JSON text for cabin's records and wire bodies.

#include <string>

#include <nlohmann/json.hpp>

namespace cabin {

// The JSON text of v, as v.dump(indent, indent_char) writes it, except that
// bytes that are not UTF-8 in a string (a label or a command given on the
// command line) become U+FFFD, as Go's encoder writes them, where dump()
// throws. Records and bodies are written with this, never with dump().
template <typename BasicJson>
std::string json_text(const BasicJson& v, int indent = -1, char indent_char = ' ') {
  return v.dump(indent, indent_char, false, BasicJson::error_handler_t::replace);
}

}  // namespace cabin
