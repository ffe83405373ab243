// Dockerfile parsing, variable substitution and .dockerignore patterns, with
// the cases Docker's reference spells out.
#include <catch2/catch.hpp>
#include <map>

#include "build/dockerfile.h"
#include "build/ignore.h"
#include "build/shell_words.h"
#include "build/stages.h"
#include "error_of.h"

using namespace cabin::build;
using Catch::Matchers::Equals;
using cabin::test::error_of;

namespace {

Lookup env_of(std::map<std::string, std::string> m) {
  return [m = std::move(m)](const std::string& name) -> std::optional<std::string> {
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("dockerfile: instructions, continuations, comments, flags, forms", "[build][parse]") {
  auto df = parse_dockerfile(
      "# syntax=docker/dockerfile:1\n"
      "\n"
      "ARG BASE=busybox\n"
      "FROM --platform=linux/amd64 $BASE AS build\n"
      "# a comment\n"
      "run echo one \\\n"
      "  # a comment inside is dropped\n"
      "    two\n"
      "COPY --from=build --chown=1:1 [\"a b\", \"/dst/\"]\n"
      "cmd [\"sh\", \"-c\", \"echo hi\"]\n"
      "ENTRYPOINT [not json\n"
      "HEALTHCHECK --interval=5s CMD true\n",
      "Containerfile");
  CHECK(df.directives.at("syntax") == "docker/dockerfile:1");
  REQUIRE(df.instructions.size() == 7);
  const auto& from = df.instructions[1];
  CHECK(from.keyword == "FROM");
  CHECK(from.line == 4);
  CHECK(from.flags == std::vector<std::string>{"--platform=linux/amd64"});
  CHECK(from.args == "$BASE AS build");
  const auto& run = df.instructions[2];
  CHECK(run.keyword == "RUN");
  CHECK(run.line == 6);
  CHECK(run.args == "echo one     two");
  CHECK_FALSE(run.json);
  const auto& copy = df.instructions[3];
  CHECK(copy.flags == std::vector<std::string>{"--from=build", "--chown=1:1"});
  CHECK(copy.json);
  CHECK(copy.json_args == std::vector<std::string>{"a b", "/dst/"});
  CHECK(df.instructions[4].json_args == std::vector<std::string>{"sh", "-c", "echo hi"});
  CHECK_FALSE(df.instructions[5].json);  // not JSON: the shell form
  CHECK(df.instructions[5].args == "[not json");
  CHECK(df.instructions[6].flags == std::vector<std::string>{"--interval=5s"});
  CHECK(df.instructions[6].args == "CMD true");
}

TEST_CASE("dockerfile: the escape directive, CRLF, flags only where they belong", "[build][parse]") {
  auto df = parse_dockerfile("# escape=`\r\nFROM scratch\r\nRUN dir c:\\ `\r\n  && echo done\r\nENV --not-a-flag=1\r\n", "Dockerfile");
  CHECK(df.escape == '`');
  REQUIRE(df.instructions.size() == 3);
  CHECK(df.instructions[1].args == "dir c:\\   && echo done");
  CHECK(df.instructions[2].flags.empty());
  CHECK(df.instructions[2].args == "--not-a-flag=1");
  // A directive after anything else is a comment.
  auto late = parse_dockerfile("FROM scratch\n# escape=`\nRUN a \\\n b\n", "Dockerfile");
  CHECK(late.escape == '\\');
  CHECK(late.instructions[1].args == "a  b");
}

TEST_CASE("dockerfile: heredocs", "[build][parse]") {
  auto df = parse_dockerfile(
      "FROM scratch\n"
      "RUN <<EOF\n"
      "echo $HOME\n"
      "EOF\n"
      "COPY <<-\"one\" /a <<two /b\n"
      "\t\tliteral $X\n"
      "\tone\n"
      "second\n"
      "two\n"
      "RUN cat <<< not-a-heredoc\n",
      "Dockerfile");
  REQUIRE(df.instructions.size() == 4);
  REQUIRE(df.instructions[1].heredocs.size() == 1);
  CHECK(df.instructions[1].heredocs[0].name == "EOF");
  CHECK(df.instructions[1].heredocs[0].content == "echo $HOME\n");
  CHECK(df.instructions[1].heredocs[0].expand);
  const auto& c = df.instructions[2].heredocs;
  REQUIRE(c.size() == 2);
  CHECK(c[0].content == "literal $X\n");
  CHECK_FALSE(c[0].expand);
  CHECK(c[0].strip_tabs);
  CHECK(c[1].content == "second\n");
  CHECK(df.instructions[3].heredocs.empty());
  CHECK(df.instructions[3].line == 10);
}

TEST_CASE("dockerfile: parse errors name file and line", "[build][parse]") {
  CHECK_THAT(error_of([] { parse_dockerfile("FROM scratch\n\nFROBNICATE x\n", "ctx/Containerfile"); }),
             Equals("ctx/Containerfile:3: unknown instruction: FROBNICATE"));
  CHECK_THAT(error_of([] { parse_dockerfile("# escape=x\nFROM scratch\n", "Dockerfile"); }),
             Equals("Dockerfile:1: invalid escape token \"x\": it must be \\ or `"));
  CHECK_THAT(error_of([] { parse_dockerfile("# escape=`\n# escape=\\\nFROM scratch\n", "Dockerfile"); }),
             Equals("Dockerfile:2: only one escape parser directive can be used"));
  CHECK_THAT(error_of([] { parse_dockerfile("FROM scratch\nRUN <<EOF\necho\n", "Dockerfile"); }),
             Equals("Dockerfile:2: unterminated heredoc \"EOF\": no line \"EOF\" ends it"));
}

TEST_CASE("shell words: Docker's substitution rules", "[build][words]") {
  auto env = env_of({{"A", "alpha"}, {"EMPTY", ""}, {"SP", "a b"}});
  CHECK(expand_word("$A", env) == "alpha");
  CHECK(expand_word("${A}_x", env) == "alpha_x");
  CHECK(expand_word("$A_x", env) == "");  // the name is A_x
  CHECK(expand_word("${UNSET:-def}", env) == "def");
  CHECK(expand_word("${EMPTY:-def}", env) == "def");
  CHECK(expand_word("${EMPTY-def}", env) == "");
  CHECK(expand_word("${UNSET-def}", env) == "def");
  CHECK(expand_word("${A:+alt}", env) == "alt");
  CHECK(expand_word("${EMPTY:+alt}", env) == "");
  CHECK(expand_word("${EMPTY+alt}", env) == "alt");
  CHECK(expand_word("${UNSET:-${A}}", env) == "alpha");
  CHECK(expand_word("'$A'", env) == "$A");
  CHECK(expand_word("\"$A and 'q'\"", env) == "alpha and 'q'");
  CHECK(expand_word("\\$A", env) == "$A");
  CHECK(expand_word("\"\\$A \\\" \\n\"", env) == "$A \" \\n");
  CHECK(expand_word("`$A", env, '`') == "$A");
  CHECK(expand_word("a$", env) == "a$");
  CHECK(expand_word("$1x", env) == "$1x");
  CHECK(expand_words("one \"two three\" $SP '' four", env) == std::vector<std::string>{"one", "two three", "a b", "four"});
  CHECK(expand_words("  ", env).empty());
  CHECK(expand_keep_quotes("echo \"$A\" '\\$A' \\$A", env) == "echo \"alpha\" '\\$A' \\$A");
  CHECK_THAT(error_of([&] { expand_word("${UNSET:?is required}", env); }), Equals("UNSET: is required"));
  CHECK(expand_word("${EMPTY?}", env) == "");
  CHECK_THAT(error_of([&] { expand_word("${A", env); }), Equals("missing '}' in \"${A\""));
  CHECK_THAT(error_of([&] { expand_word("${A%x}", env); }), Equals("unsupported modifier in ${A%} in \"${A%x}\""));
  CHECK_THAT(error_of([&] { expand_word("'open", env); }),
             Equals("unexpected end of statement while looking for matching single-quote in \"'open\""));
}

TEST_CASE("ignore: Docker's .dockerignore patterns", "[build][ignore]") {
  IgnoreRules r(
      "# comment\n"
      "\n"
      "*.md\n"
      "!README.md\n"
      "/build\n"
      "**/*.o\n"
      "temp?\n"
      "docs/**/draft\n"
      "./secret/../secret/key\n");
  CHECK(r.ignored("notes.md"));
  CHECK_FALSE(r.ignored("README.md"));
  CHECK_FALSE(r.ignored("sub/notes.md"));  // * does not cross /
  CHECK(r.ignored("build"));
  CHECK(r.ignored("build/out/x"));  // below an ignored directory
  CHECK(r.ignored("main.o"));       // **/ matches no directory too
  CHECK(r.ignored("a/b/c.o"));
  CHECK(r.ignored("temp1"));
  CHECK_FALSE(r.ignored("temp12"));
  CHECK(r.ignored("docs/draft"));
  CHECK(r.ignored("docs/x/y/draft/file"));
  CHECK(r.ignored("secret/key"));
  CHECK_FALSE(r.ignored("src/main.c"));
  CHECK(r.has_exceptions());

  CHECK(pattern_match("[a-c]?", "bz"));
  CHECK_FALSE(pattern_match("[^a-c]?", "bz"));
  CHECK(pattern_match("\\*", "*"));
  CHECK_FALSE(pattern_match("\\*", "x"));
  CHECK_FALSE(pattern_match("[abc", "a"));
  CHECK(clean_path("./a//b/../c/") == "a/c");
  CHECK(clean_path("") == ".");
}

TEST_CASE("ignore: many stars take polynomial time, not exponential", "[build][ignore]") {
  // Found by tests/fuzz/ignore (its regressions/ keep the input): each star
  // tried every place its run could end, again for every star after it, so a
  // .containerignore line of 30 stars hung the build on a path it did not match.
  std::string stars(30, '*');
  std::string path(60, 'a');
  CHECK_FALSE(cabin::build::pattern_match(stars + "b", path));
  CHECK_FALSE(cabin::build::pattern_match("**/" + stars + "/**/b", path + "/" + path + "/c"));
  CHECK(cabin::build::pattern_match(stars + "a", path));
  CHECK(cabin::build::pattern_match("**/" + stars + "/**/b", path + "/" + path + "/b"));
  cabin::build::IgnoreRules r(stars + "b\n!" + stars + "a\n");
  CHECK_FALSE(r.ignored(path + "/" + path));
}

TEST_CASE("stages: names, global ARGs, the target and what it needs", "[build][stages]") {
  auto df = parse_dockerfile(
      "ARG BASE=busybox\n"
      "FROM $BASE AS Deps\n"
      "RUN make deps\n"
      "FROM deps AS build\n"
      "COPY --from=tools /bin/x /x\n"
      "FROM scratch AS tools\n"
      "FROM scratch AS unused\n"
      "RUN --mount=type=cache,target=/c,from=0 true\n"
      "FROM busybox\n"
      "COPY --from=build /out /out\n"
      "COPY --from=docker.io/library/alpine /etc/os-release /\n",
      "Containerfile");
  auto args = env_of({{"BASE", "busybox:1.36"}});
  auto plan = plan_stages(df, args);
  REQUIRE(plan.stages.size() == 5);
  CHECK(plan.global_args.size() == 1);
  CHECK(plan.stages[0].name == "deps");
  CHECK(plan.stages[0].base == "busybox:1.36");
  CHECK(plan.stages[1].base_stage == 0);
  CHECK(plan.stages[1].steps.size() == 1);
  CHECK(plan.stages[4].name.empty());
  CHECK(target_stage(plan, "") == 4);
  CHECK(target_stage(plan, "BUILD") == 1);
  CHECK(target_stage(plan, "3") == 3);
  // "tools" comes after "build": COPY --from=tools there is an image name.
  CHECK(needed_stages(plan, 4, args) == std::vector<int>{0, 1, 4});
  CHECK(needed_stages(plan, 3, args) == std::vector<int>{0, 3});
  CHECK_THAT(error_of([&] { target_stage(plan, "nope"); }), Equals("target stage \"nope\" could not be found"));
}

TEST_CASE("stages: errors name file and line", "[build][stages]") {
  auto none = env_of({});
  auto plan_of = [&](const char* text) { plan_stages(parse_dockerfile(text, "Containerfile"), none); };
  CHECK_THAT(error_of([&] { plan_of("RUN true\nFROM scratch\n"); }),
             Equals("Containerfile:1: no build stage in current context: RUN comes before the first FROM"));
  CHECK_THAT(error_of([&] { plan_of("ARG X\n"); }), Equals("Containerfile: no FROM instruction: a build needs at least one stage"));
  CHECK_THAT(error_of([&] { plan_of("FROM scratch AS a\nFROM scratch AS A\n"); }),
             Equals("Containerfile:2: duplicate name for build stage: \"A\""));
  CHECK_THAT(error_of([&] { plan_of("FROM scratch AS 1x\n"); }),
             Equals("Containerfile:1: invalid name for build stage: \"1x\", name can't start with a number or contain symbols"));
  CHECK_THAT(error_of([&] { plan_of("FROM $UNSET\n"); }), Equals("Containerfile:1: FROM requires the name of an image (or scratch)"));
  CHECK_THAT(error_of([&] { plan_of("FROM a b c d\n"); }),
             Equals("Containerfile:1: FROM takes an image and an optional AS name, not \"a b c d\""));
}
