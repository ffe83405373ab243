#include "build/stages.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "util/error.h"
#include "util/strings.h"

namespace cabin::build {
namespace {

[[noreturn]] void error_at(const Dockerfile& df, const Instruction& in, const std::string& what) {
  fail("{}:{}: {}", df.path, in.line, what);
}

bool valid_stage_name(std::string_view n) {
  return !n.empty() && std::isalpha(static_cast<unsigned char>(n[0])) &&
         std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || c == '.'; });
}

// The value of a --name=value flag, "" when absent.
std::string flag_value(const Instruction& in, std::string_view name) {
  std::string prefix = fmt::format("--{}=", name);
  for (const auto& f : in.flags)
    if (f.starts_with(prefix)) return f.substr(prefix.size());
  return "";
}

}  // namespace

StagePlan plan_stages(const Dockerfile& df, const Lookup& global_args) {
  StagePlan plan;
  std::set<std::string> names;
  for (const auto& in : df.instructions) {
    if (in.keyword != "FROM") {
      if (plan.stages.empty()) {
        if (in.keyword != "ARG") error_at(df, in, fmt::format("no build stage in current context: {} comes before the first FROM", in.keyword));
        plan.global_args.push_back(&in);
      } else {
        plan.stages.back().steps.push_back(&in);
      }
      continue;
    }
    Stage st;
    st.index = static_cast<int>(plan.stages.size());
    st.from = &in;
    auto words = expand_words(in.args, global_args, df.escape);
    if (words.empty()) error_at(df, in, "FROM requires the name of an image (or scratch)");
    if (words.size() == 3 && to_lower(words[1]) == "as") {
      st.name = to_lower(words[2]);
      if (!valid_stage_name(st.name)) error_at(df, in, fmt::format("invalid name for build stage: {:?}, name can't start with a number or contain symbols", words[2]));
      if (!names.insert(st.name).second) error_at(df, in, fmt::format("duplicate name for build stage: {:?}", words[2]));
    } else if (words.size() != 1) {
      error_at(df, in, fmt::format("FROM takes an image and an optional AS name, not {:?}", in.args));
    }
    st.base = words[0];
    if (st.base.empty()) error_at(df, in, "FROM requires the name of an image (or scratch)");
    st.platform = expand_word(flag_value(in, "platform"), global_args, df.escape);
    st.base_stage = stage_named(plan, st.base, st.index);
    plan.stages.push_back(std::move(st));
  }
  if (plan.stages.empty()) fail("{}: no FROM instruction: a build needs at least one stage", df.path);
  return plan;
}

int stage_named(const StagePlan& plan, std::string_view ref, int before) {
  std::string r = to_lower(ref);
  for (int i = 0; i < before && i < static_cast<int>(plan.stages.size()); ++i)
    if (!plan.stages[i].name.empty() && plan.stages[i].name == r) return i;
  if (auto i = parse_number<int>(r); i && *i >= 0 && *i < before && *i < static_cast<int>(plan.stages.size()))
    return *i;
  return -1;
}

int target_stage(const StagePlan& plan, std::string_view target) {
  if (target.empty()) return static_cast<int>(plan.stages.size()) - 1;
  int i = stage_named(plan, target, static_cast<int>(plan.stages.size()));
  if (i < 0) fail("target stage {:?} could not be found", target);
  return i;
}

std::vector<int> needed_stages(const StagePlan& plan, int target, const Lookup& global_args) {
  std::vector<bool> need(plan.stages.size(), false);
  std::vector<int> todo = {target};
  while (!todo.empty()) {
    int i = todo.back();
    todo.pop_back();
    if (i < 0 || need[i]) continue;
    need[i] = true;
    const Stage& st = plan.stages[i];
    todo.push_back(st.base_stage);
    for (const Instruction* in : st.steps) {
      std::vector<std::string> refs;
      if (in->keyword == "COPY") refs.push_back(flag_value(*in, "from"));
      if (in->keyword == "RUN")
        for (const auto& f : in->flags) {
          if (!f.starts_with("--mount=")) continue;
          for (const auto& kv : split(f.substr(8), ','))
            if (kv.starts_with("from=")) refs.push_back(kv.substr(5));
        }
      for (const auto& ref : refs)
        if (!ref.empty()) todo.push_back(stage_named(plan, expand_word(ref, global_args), i));
    }
  }
  std::vector<int> out;
  for (size_t i = 0; i < need.size(); ++i)
    if (need[i]) out.push_back(static_cast<int>(i));
  return out;
}

}  // namespace cabin::build
