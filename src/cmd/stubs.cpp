// Placeholder binders for commands being written.
#include <CLI/CLI.hpp>

#include "cmd/command.h"
#include "util/error.h"

namespace cabin::cmd {
#define CABIN_STUB(fn) \
  Runner fn(CLI::App&, Globals&) { return [] () -> int { fail("not implemented yet"); }; }
CABIN_STUB(bind_info)
CABIN_STUB(bind_pull)
CABIN_STUB(bind_images)
CABIN_STUB(bind_image_inspect)
CABIN_STUB(bind_image_exists)
CABIN_STUB(bind_tag)
CABIN_STUB(bind_untag)
CABIN_STUB(bind_rmi)
CABIN_STUB(bind_image_prune)
CABIN_STUB(bind_history)
CABIN_STUB(bind_import)
CABIN_STUB(bind_unshare)
}  // namespace cabin::cmd
