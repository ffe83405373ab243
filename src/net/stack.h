// A container's network while it runs, kept by its waiter (the monitor, or
// the foreground `cabin run`) inside the loop that relays its output:
// libslirp's user-mode stack on the container's tap device (outbound TCP,
// UDP and ICMP echo through the host's sockets, a DNS forwarder, published
// ports bound on the host). No slirp4netns or rootlessport process.
//
// The stack lives in cabin-net.so (linked with libslirp and GLib), loaded
// only by a waiter that needs it; make_stack is a thunk into it.
#pragma once

#include <memory>
#include <vector>

#include "net/config.h"
#include "net/members.h"
#include "util/fd.h"
#include "util/poll_source.h"

namespace cabin::net {

class Stack : public PollSource {
 public:
  // After the container has started: the tap fds (Started::taps) and its
  // pidfd (whose network namespace published TCP ports connect into).
  virtual void attach(std::vector<UniqueFd> taps, int pidfd) = 0;
  // network connect/disconnect while it runs: a relay for the link on its
  // new tap device, or the relay (and so the device) gone.
  virtual void connect(const Link& link, UniqueFd tap) = 0;
  virtual void disconnect(const std::string& network) = 0;
  // The user-mode stack on tap0 (outbound access) after all, when a
  // connect gave a container that had only internal networks a network
  // with a way out; an empty fd takes it away (the device goes with it).
  virtual void set_outbound(UniqueFd tap) = 0;
};

// The user-mode stack (when the container has outbound access) and a relay
// per user-defined network (net/relay.h). Binds the published ports at once
// (throws cabin::Error naming the port when one is taken), so nothing
// starts when a port is unavailable.
std::unique_ptr<Stack> make_stack(const NetConfig& c, const std::vector<Link>& links);

struct NetApi {
  int version;
  std::unique_ptr<Stack> (*make_stack)(const NetConfig&, const std::vector<Link>&);
};
inline constexpr int kNetApiVersion = 4;

}  // namespace cabin::net

// Exported by the module: its NetApi, as the const void* that load_module
// calls it through (one function type on both sides).
extern "C" const void* cabin_net_api();
