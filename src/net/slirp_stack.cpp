// The user-mode stack (net/stack.h) on libslirp: frames from the tap go to
// slirp_input, slirp's packets back to the tap; slirp's sockets and timers
// ride in the waiter's poll loop.
#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <slirp/libslirp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <list>

#include "net/forwarder.h"
#include "net/relay.h"
#include "net/stack.h"
#include "util/error.h"
#include "util/log.h"

namespace cabin::net {
namespace {


short to_poll(int events) {
  short e = 0;
  if (events & SLIRP_POLL_IN) e |= POLLIN;
  if (events & SLIRP_POLL_OUT) e |= POLLOUT;
  if (events & SLIRP_POLL_PRI) e |= POLLPRI;
  return e;
}

int from_poll(short revents) {
  int e = 0;
  if (revents & POLLIN) e |= SLIRP_POLL_IN;
  if (revents & POLLOUT) e |= SLIRP_POLL_OUT;
  if (revents & POLLPRI) e |= SLIRP_POLL_PRI;
  if (revents & (POLLERR | POLLNVAL)) e |= SLIRP_POLL_ERR;
  if (revents & POLLHUP) e |= SLIRP_POLL_HUP;
  return e;
}

// Whether a published port goes through the forwarder (Podman's default
// handler, "rootlesskit") rather than the user-mode stack.
bool forwarded(const NetConfig& c, const PortMapping&) { return c.slirp.port_handler != "slirp4netns"; }

class SlirpStack final : public PollSource {
 public:
  explicit SlirpStack(const NetConfig& c) {
    auto a = slirp_addresses(c.slirp);
    SlirpConfig cfg{};
    cfg.version = 4;
    cfg.in_enabled = true;
    cfg.vnetwork.s_addr = a.network;
    cfg.vnetmask.s_addr = a.netmask;
    cfg.vhost.s_addr = a.gateway;
    cfg.vnameserver.s_addr = a.dns;
    cfg.vdhcp_start.s_addr = a.container;
    cfg.in6_enabled = c.slirp.enable_ipv6;
    ::inet_pton(AF_INET6, kSlirpPrefix6, &cfg.vprefix_addr6);
    cfg.vprefix_len = 64;
    ::inet_pton(AF_INET6, kSlirpGateway6, &cfg.vhost6);
    ::inet_pton(AF_INET6, kSlirpDns6, &cfg.vnameserver6);
    cfg.if_mtu = c.slirp.mtu;
    cfg.if_mru = c.slirp.mtu;
    cfg.disable_host_loopback = !c.slirp.allow_host_loopback;
    sockaddr_in outbound{};
    if (!c.slirp.outbound_addr.empty()) {
      outbound.sin_family = AF_INET;
      outbound.sin_addr.s_addr = parse_ipv4(c.slirp.outbound_addr);
      cfg.outbound_addr = &outbound;
    }
    cfg.disable_dhcp = true;  // the address is set by cabin
    static const SlirpCb callbacks = {
        .send_packet = send_packet,
        .guest_error = [](const char* msg, void*) { log::debug("slirp: {}", msg); },
        .clock_get_ns = [](void*) { return monotonic_ns(); },
        .timer_new = timer_new,
        .timer_free = timer_free,
        .timer_mod = timer_mod,
        .register_poll_fd = [](int, void*) {},
        .unregister_poll_fd = [](int, void*) {},
        .notify = [](void*) {},
        .init_completed = nullptr,
        .timer_new_opaque = nullptr,
    };
    guest_ = a.container;
    gateway_ = a.gateway;
    slirp_ = slirp_new(&cfg, &callbacks, this);
    if (!slirp_) fail("start the user-mode network stack");
    for (const auto& p : c.ports)
      if (!forwarded(c, p)) publish(p, a.container);
  }

  ~SlirpStack() override {
    if (slirp_) slirp_cleanup(slirp_);
  }

  void attach(UniqueFd tap) {
    tap_ = std::move(tap);
    announce_guest();
  }

  void prepare(std::vector<pollfd>& fds, int* timeout_ms) override {
    fill_ = &fds;
    base_ = fds.size();
    fds.push_back({tap_.get(), POLLIN, 0});
    uint32_t t = UINT32_MAX;
    slirp_pollfds_fill(slirp_, &t, add_poll, this);
    if (t != UINT32_MAX) lower_timeout(timeout_ms, static_cast<int>(t));
    int64_t now = monotonic_ms();
    for (const auto& tm : timers_)
      if (tm.expire_ms >= 0) lower_timeout(timeout_ms, static_cast<int>(std::max<int64_t>(0, tm.expire_ms - now)));
    fill_ = nullptr;
  }

  void dispatch(const pollfd* fds, size_t n) override {
    if (n == 0) return;
    if (fds[0].revents & POLLIN) read_tap();
    polled_ = fds;
    polled_n_ = n;
    slirp_pollfds_poll(slirp_, 0, get_revents, this);
    polled_ = nullptr;
    run_timers();
  }

 private:
  struct Timer {
    SlirpTimerCb cb;
    void* cb_opaque;
    int64_t expire_ms = -1;
  };

  void publish(const PortMapping& p, in_addr_t guest) {
    sockaddr_storage host;
    socklen_t host_len = host_sockaddr(p, &host);
    bool v6 = host.ss_family == AF_INET6;
    sockaddr_in g{};
    g.sin_family = AF_INET;
    g.sin_addr.s_addr = guest;
    g.sin_port = htons(p.container_port);
    errno = 0;
    int flags = (p.protocol == "udp" ? SLIRP_HOSTFWD_UDP : 0) | (v6 ? SLIRP_HOSTFWD_V6ONLY : 0);
    if (slirp_add_hostxfwd(slirp_, reinterpret_cast<sockaddr*>(&host), host_len, reinterpret_cast<sockaddr*>(&g),
                           sizeof g, flags) < 0)
      publish_failed(p, errno);
  }

  // The stack learns the container's MAC from its ARP: until the container
  // sends something, a datagram to a published UDP port would be dropped
  // for want of it. So the container's "who has the gateway" goes in first.
  void announce_guest() {
    ifreq r{};
    if (::ioctl(tap_.get(), SIOCGIFHWADDR, &r) != 0) return;
    uint8_t f[42] = {};
    std::memset(f, 0xff, 6);                     // to everyone
    std::memcpy(f + 6, r.ifr_hwaddr.sa_data, 6);  // from the container
    f[12] = 0x08, f[13] = 0x06;                  // ARP
    f[14] = 0, f[15] = 1, f[16] = 0x08, f[17] = 0, f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1;  // request
    std::memcpy(f + 22, r.ifr_hwaddr.sa_data, 6);
    std::memcpy(f + 28, &guest_, 4);
    std::memcpy(f + 38, &gateway_, 4);
    slirp_input(slirp_, f, sizeof f);
  }

  void read_tap() {
    // A bounded batch, so that the container cannot starve the rest of the loop.
    for (int i = 0; i < 64; ++i) {
      ssize_t n = ::read(tap_.get(), frame_, sizeof frame_);
      if (n <= 0) return;
      slirp_input(slirp_, frame_, static_cast<int>(n));
    }
  }

  void run_timers() {
    int64_t now = monotonic_ms();
    for (auto& t : timers_)
      if (t.expire_ms >= 0 && t.expire_ms <= now) {
        t.expire_ms = -1;
        t.cb(t.cb_opaque);
      }
  }

  static ssize_t send_packet(const void* buf, size_t len, void* opaque) {
    auto* self = static_cast<SlirpStack*>(opaque);
    if (!self->tap_) return static_cast<ssize_t>(len);
    ssize_t n;
    do n = ::write(self->tap_.get(), buf, len);
    while (n < 0 && errno == EINTR);
    return n < 0 ? static_cast<ssize_t>(len) : n;  // a full tap queue drops, as a wire would
  }

  static void* timer_new(SlirpTimerCb cb, void* cb_opaque, void* opaque) {
    auto* self = static_cast<SlirpStack*>(opaque);
    self->timers_.push_back({cb, cb_opaque, -1});
    return &self->timers_.back();
  }
  static void timer_free(void* timer, void* opaque) {
    auto* self = static_cast<SlirpStack*>(opaque);
    self->timers_.remove_if([timer](const Timer& t) { return &t == timer; });
  }
  static void timer_mod(void* timer, int64_t expire_ms, void*) { static_cast<Timer*>(timer)->expire_ms = expire_ms; }

  static int add_poll(int fd, int events, void* opaque) {
    auto* self = static_cast<SlirpStack*>(opaque);
    self->fill_->push_back({fd, to_poll(events), 0});
    return static_cast<int>(self->fill_->size() - 1 - self->base_);
  }

  static int get_revents(int idx, void* opaque) {
    auto* self = static_cast<SlirpStack*>(opaque);
    if (idx < 0 || static_cast<size_t>(idx) >= self->polled_n_) return 0;
    return from_poll(self->polled_[idx].revents);
  }

  Slirp* slirp_ = nullptr;
  UniqueFd tap_;
  in_addr_t guest_ = 0, gateway_ = 0;
  std::list<Timer> timers_;
  std::vector<pollfd>* fill_ = nullptr;
  size_t base_ = 0;
  const pollfd* polled_ = nullptr;
  size_t polled_n_ = 0;
  uint8_t frame_[65536 + 64];
};

// The user-mode stack on the first tap (when there is outbound access),
// a relay on each network's.
class Composite final : public Stack {
 public:
  Composite(const NetConfig& c, const std::vector<Link>& links) : config_(c) {
    bool outbound = c.mode == Mode::Slirp ||
                    std::any_of(links.begin(), links.end(), [](const Link& l) { return !l.internal; });
    if (outbound) slirp_ = std::make_unique<SlirpStack>(c);
    for (const auto& l : links) relays_.push_back({l.network, std::make_unique<Relay>(l)});
    std::vector<PortMapping> ports;
    for (const auto& p : c.ports)
      if (forwarded(c, p)) ports.push_back(p);
    if (!ports.empty())
      forwarder_ = std::make_unique<Forwarder>(ports, links.empty() ? slirp_addresses(c.slirp).container : links[0].ip);
  }
  void attach(std::vector<UniqueFd> taps, int pidfd) override {
    size_t i = 0;
    if (slirp_ && i < taps.size()) slirp_->attach(std::move(taps[i++]));
    if (forwarder_) forwarder_->attach(pidfd);
    for (auto& r : relays_)
      if (i < taps.size()) r.second->attach(std::move(taps[i++]));
  }
  void connect(const Link& link, UniqueFd tap) override {
    relays_.push_back({link.network, std::make_unique<Relay>(link)});
    relays_.back().second->attach(std::move(tap));
  }
  void disconnect(const std::string& network) override {
    std::erase_if(relays_, [&](const auto& r) { return r.first == network; });
  }
  void set_outbound(UniqueFd tap) override {
    slirp_.reset();
    if (!tap) return;
    slirp_ = std::make_unique<SlirpStack>(config_);
    slirp_->attach(std::move(tap));
  }
  void prepare(std::vector<pollfd>& fds, int* timeout_ms) override {
    auto& parts = set_.sources;
    parts.clear();
    if (slirp_) parts.push_back(slirp_.get());
    if (forwarder_) parts.push_back(forwarder_.get());
    for (auto& r : relays_) parts.push_back(r.second.get());
    set_.prepare(fds, timeout_ms);
  }
  void dispatch(const pollfd* fds, size_t n) override { set_.dispatch(fds, n); }

 private:
  NetConfig config_;
  std::unique_ptr<SlirpStack> slirp_;
  std::unique_ptr<Forwarder> forwarder_;
  std::vector<std::pair<std::string, std::unique_ptr<Relay>>> relays_;  // by network
  PollSet set_;
};

std::unique_ptr<Stack> make_composite(const NetConfig& c, const std::vector<Link>& links) {
  return std::make_unique<Composite>(c, links);
}

const NetApi kApi = {kNetApiVersion, make_composite};

}  // namespace
}  // namespace cabin::net

extern "C" __attribute__((visibility("default"))) const void* cabin_net_api() {
  return &cabin::net::kApi;
}
