// Dockerfiles (and Containerfiles) as Docker's reference describes them:
// parser directives (escape, syntax), comments, line continuations,
// instructions with their --flags, exec (JSON) and shell forms, and
// heredocs for RUN, COPY and ADD. Parsing only splits: variables are
// expanded later (build/shell_words.h), when the build knows their values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cabin::build {

// <<EOF (or <<-EOF, <<"EOF") and the lines up to EOF.
struct Heredoc {
  std::string name;
  std::string content;  // each line with its newline
  bool expand = true;   // an unquoted name: variables in the content are expanded
  bool strip_tabs = false;  // <<-: leading tabs removed from each line
};

struct Instruction {
  std::string keyword;  // upper case: "RUN"
  int line = 0;         // where it starts (1-based)
  std::string original; // the whole instruction, continuations joined, for history and errors
  std::vector<std::string> flags;  // "--from=builder", as written
  std::string args;     // what follows the flags, continuations joined
  bool json = false;    // args is a JSON array of strings (exec form) ...
  std::vector<std::string> json_args;  // ... holding these
  std::vector<Heredoc> heredocs;
};

struct Dockerfile {
  std::string path;  // for errors: "Containerfile:3: ..."
  char escape = '\\';
  std::map<std::string, std::string> directives;  // lower-case names: syntax, escape, check
  std::vector<Instruction> instructions;
};

// Throws cabin::Error naming path:line for an unknown instruction, a bad
// directive, an unterminated heredoc, or a flag where none may be.
Dockerfile parse_dockerfile(std::string_view text, const std::string& path);

}  // namespace cabin::build
