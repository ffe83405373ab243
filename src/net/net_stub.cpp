// The executable's side of net/stack.h: a thunk that loads cabin-net.so on
// first use (util/module.h).
#include "net/stack.h"
#include "util/module.h"

namespace cabin::net {

std::unique_ptr<Stack> make_stack(const NetConfig& c, const std::vector<Link>& links) {
  static const auto* api = static_cast<const NetApi*>(
      load_module("cabin-net.so", "cabin_net_api", kNetApiVersion, "user-mode networking"));
  return api->make_stack(c, links);
}

}  // namespace cabin::net
