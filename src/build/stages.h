// A Dockerfile's build stages: each FROM starts one (named by AS, numbered
// from 0); ARGs before the first FROM are global. A build runs only the
// stages its target needs: the target, the stages its FROM builds on, and
// those COPY --from and RUN --mount=from name, transitively.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "build/dockerfile.h"
#include "build/shell_words.h"

namespace cabin::build {

struct Stage {
  int index = 0;
  std::string name;        // AS name, lower case; "" without one
  std::string base;        // FROM's image (variables expanded with the global ARGs)
  std::string platform;    // --platform, expanded
  int base_stage = -1;     // base names an earlier stage
  const Instruction* from = nullptr;
  std::vector<const Instruction*> steps;  // what follows FROM up to the next one
};

struct StagePlan {
  std::vector<const Instruction*> global_args;  // ARG before the first FROM
  std::vector<Stage> stages;
};

// Splits df into stages. Throws cabin::Error (path:line) for an instruction
// other than ARG before the first FROM, a FROM without an image, a bad AS
// name or one used twice, and no FROM at all.
StagePlan plan_stages(const Dockerfile& df, const Lookup& global_args);

// The stage --target names (a name or an index), the last one when empty.
// Throws: "target stage "x" could not be found".
int target_stage(const StagePlan& plan, std::string_view target);

// The stages a build of target runs, in order.
std::vector<int> needed_stages(const StagePlan& plan, int target, const Lookup& global_args);

// The stage a --from=X (COPY) or from=X (RUN --mount) names, or -1 when X
// is an image. Only earlier stages count.
int stage_named(const StagePlan& plan, std::string_view ref, int before);

}  // namespace cabin::build
