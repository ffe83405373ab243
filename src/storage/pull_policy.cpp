// --pull / --policy values; in the core so that commands can check them
// without loading the registry module.
#include "storage/pull.h"
#include "util/error.h"
#include "util/strings.h"

namespace cabin::storage {

PullPolicy parse_pull_policy(std::string_view text) {
  std::string t = to_lower(text);
  if (t == "always" || t == "true") return PullPolicy::Always;
  if (t == "missing" || t == "ifmissing" || t == "notpresent") return PullPolicy::Missing;
  if (t == "never" || t == "false") return PullPolicy::Never;
  if (t == "newer" || t == "ifnewer") return PullPolicy::Newer;
  fail("unsupported pull policy {:?}: must be always, missing, never or newer", std::string(text));
}

}  // namespace cabin::storage
