// One container's port on a user-defined network: the frames its eth
// device sends go straight to the peer that owns the destination MAC (a
// datagram socket named after it in the network's member directory), or
// to every peer for broadcast and multicast; what peers send comes out of
// the device. Every member's waiter runs one, so the network is a switch
// with no process of its own. Part of cabin-net.so.
#pragma once

#include <string>

#include "net/members.h"
#include "util/fd.h"
#include "util/poll_source.h"

namespace cabin::net {

class Relay final : public PollSource {
 public:
  explicit Relay(const Link& link);  // binds its socket
  ~Relay() override;                  // removes it
  void attach(UniqueFd tap) { tap_ = std::move(tap); }

  void prepare(std::vector<pollfd>& fds, int* timeout_ms) override;
  void dispatch(const pollfd* fds, size_t n) override;

 private:
  void from_tap();
  void from_peers();
  void send_to(const std::string& name, const uint8_t* frame, size_t len);

  UniqueFd dir_, sock_, tap_;
  std::string name_;  // our socket's name: the MAC in hex
  uint8_t frame_[65536 + 64];
};

}  // namespace cabin::net
