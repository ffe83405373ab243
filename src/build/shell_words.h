// Docker's variable substitution in Dockerfile arguments (its "shell
// lexer"): $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word},
// ${VAR+word}, ${VAR:?message}, ${VAR?message}; single quotes keep
// everything literal, double quotes keep spaces, the escape token (\ or `)
// escapes the next character. Used for ADD, COPY, ENV, EXPOSE, FROM, LABEL,
// STOPSIGNAL, USER, VOLUME, WORKDIR and ARG values, and unquoted heredocs.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cabin::build {

// A variable's value, nullopt when it is not set.
using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

// One word, quotes removed and variables expanded. Throws cabin::Error for
// ${VAR?message} with VAR unset, or a "${" without its "}".
std::string expand_word(std::string_view text, const Lookup& env, char escape = '\\');

// Words split at unquoted blanks (after expansion, a variable's value is not
// split again, as in Docker), quotes removed. Empty words are dropped.
std::vector<std::string> expand_words(std::string_view text, const Lookup& env, char escape = '\\');

// Variables expanded, quotes and escapes kept: for a heredoc's content.
std::string expand_keep_quotes(std::string_view text, const Lookup& env, char escape = '\\');

}  // namespace cabin::build
