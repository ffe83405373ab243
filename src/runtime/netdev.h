// Network devices the container child makes in its new network namespace
// before it runs anything: loopback up, and tap devices whose other ends
// (the fds) go to the container's waiter, which runs the user-mode stack
// or the network relay on them (net/stack.h). Async-signal-safe: the child
// calls these between clone and exec.
#pragma once

#include <netinet/in.h>

#include <cstdint>

namespace cabin::runtime {

struct TapSpec {
  char name[16] = {};             // IFNAMSIZ
  in_addr_t address = 0;          // network byte order, as the rest
  in_addr_t netmask = 0;
  in_addr_t gateway = 0;          // the default route goes through it; 0: none
  uint8_t mac[6] = {};
  bool has_mac = false;
  uint32_t mtu = 1500;
  // IPv6 (the user-mode stack's): a static address without duplicate
  // address detection and router advertisements, so that it is there at
  // once, and a default route through gateway6. Left out when the kernel
  // has no IPv6.
  bool ipv6 = false;
  in6_addr address6 = {};
  uint8_t prefix6 = 64;
  in6_addr gateway6 = {};
};

// Brings lo up. 0 or -errno.
int loopback_up();

// Creates the tap, sets its MTU, MAC, addresses and routes, brings it up and
// returns its fd (non-blocking, close-on-exec), or -errno with *what naming
// the part that failed ("/dev/net/tun" when the device cannot be opened).
int make_tap(const TapSpec& t, const char** what);

}  // namespace cabin::runtime
