// Attaching to a detached container: its monitor listens on a unix socket
// (SOCK_SEQPACKET, one message per datagram, the first byte its kind) in the
// container's runtime directory; `cabin attach` and `cabin start -a` connect
// and relay their terminal. Detach keys (ctrl-p,ctrl-q) end the attach
// session and leave the container running.
#pragma once

#include <sys/ioctl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/fd.h"

namespace cabin::runtime {

// The first byte of every message.
enum class AttachMsg : uint8_t {
  Stdin = 0,       // client → monitor: input for the container
  Stdout = 1,      // monitor → client: output (a pty's is all Stdout)
  Stderr = 2,
  Exit = 3,        // monitor → client: the container ended; decimal exit code
  Resize = 4,      // client → monitor: a winsize
  CloseStdin = 5,  // client → monitor: input ended (not with a pty)
  Connect = 6,     // client → monitor: join a network (JSON: network, aliases, ip, mac)
  Disconnect = 7,  // client → monitor: leave the network named
  Reply = 8,       // monitor → client: to Connect/Disconnect; "" or an error
};

// The sockets' names in the waiter's runtime directory: a monitor's attach
// socket, and the control socket of a foreground `run`, which takes only
// Connect and Disconnect.
inline constexpr std::string_view kAttachSocket = "attach";
inline constexpr std::string_view kControlSocket = "control";

// Sends one message; false when the peer is gone (or, with dontwait, its
// queue is full).
bool send_msg(int sock, AttachMsg kind, std::string_view data, bool dontwait = false);

// A listening socket at dir/NAME (dir may be longer than a sockaddr_un
// allows: it is reached through /proc/self/fd).
UniqueFd listen_attach(const std::string& dir, std::string_view name = kAttachSocket);
// A connection to the waiter listening at dir/NAME; none when nobody listens.
UniqueFd connect_attach(const std::string& dir, std::string_view name = kAttachSocket);

// Podman's --detach-keys: "ctrl-p,ctrl-q" (the default), single characters
// and ctrl-@, ctrl-a … ctrl-z, ctrl-[, ctrl-\, ctrl-], ctrl-^, ctrl-_, joined
// by commas; "" turns detaching off. Throws Error "invalid detach keys:
// Unknown character: 'KEY'".
std::string parse_detach_keys(std::string_view keys);
inline constexpr std::string_view kDefaultDetachKeys = "ctrl-p,ctrl-q";

// Watches typed input for the detach sequence. feed() returns the input to
// pass on: bytes that may begin the sequence are held back until they turn
// out not to (then passed on); the sequence and what follows it are dropped.
class DetachMatcher {
 public:
  explicit DetachMatcher(std::string keys) : keys_(std::move(keys)) {}
  std::string feed(std::string_view input);
  bool detached() const { return detached_; }

 private:
  std::string keys_;
  size_t matched_ = 0;
  bool detached_ = false;
};

struct AttachClientOptions {
  bool tty = false;           // the container has a pty: raw mode, resizes
  bool relay_stdin = false;   // send our stdin (-i, not --no-stdin)
  std::string detach_keys;    // parsed; empty: none
  bool sig_proxy = false;     // forward signals we get to pidfd
  int pidfd = -1;             // the container's PID 1, for sig_proxy
};

struct AttachResult {
  bool detached = false;
  std::optional<int> exit_code;  // when the monitor said how it ended
};

// Relays stdin/stdout/stderr over sock until the container ends (the
// monitor closes it) or the detach keys are typed.
AttachResult attach_client(int sock, const AttachClientOptions& o);

// The window size of our stdin, or stdout; none when neither is a terminal.
std::optional<winsize> own_window_size();

}  // namespace cabin::runtime
