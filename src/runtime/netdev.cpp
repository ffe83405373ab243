#include "runtime/netdev.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cabin::runtime {
namespace {

void set_addr(sockaddr* sa, in_addr_t a) {
  auto* in = reinterpret_cast<sockaddr_in*>(sa);
  std::memset(in, 0, sizeof *in);
  in->sin_family = AF_INET;
  in->sin_addr.s_addr = a;
}

int bring_up(int sock, const char* name) {
  ifreq r{};
  std::strncpy(r.ifr_name, name, IFNAMSIZ - 1);
  if (::ioctl(sock, SIOCGIFFLAGS, &r) < 0) return -errno;
  r.ifr_flags = static_cast<short>(r.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(sock, SIOCSIFFLAGS, &r) < 0) return -errno;
  return 0;
}

// Writes VALUE to /proc/sys/net/ipv6/conf/DEV/KEY (this network namespace's).
int ipv6_sysctl(const char* dev, const char* key, const char* value) {
  char path[96] = "/proc/sys/net/ipv6/conf/";
  std::strcat(path, dev);
  std::strcat(path, "/");
  std::strcat(path, key);
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  int r = ::write(fd, value, std::strlen(value)) < 0 ? -errno : 0;
  ::close(fd);
  return r;
}

// The kernel's struct in6_ifreq (linux/ipv6.h, which clashes with netinet/in.h).
struct In6Ifreq {
  in6_addr addr;
  uint32_t prefixlen;
  int ifindex;
};

// Adds the IPv6 address and default route of t to the device (up, index
// ifindex). A kernel without IPv6 skips it; otherwise 0 or -errno.
int add_ipv6(const TapSpec& t, int ifindex, const char** what) {
  int sock = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return errno == EAFNOSUPPORT ? 0 : -errno;
  int err = 0;
  *what = "set the IPv6 address";
  In6Ifreq a{t.address6, t.prefix6, ifindex};
  if (::ioctl(sock, SIOCSIFADDR, &a) < 0) err = -errno;
  if (err == 0) {
    *what = "add the IPv6 default route";
    in6_rtmsg rt{};
    rt.rtmsg_gateway = t.gateway6;
    rt.rtmsg_flags = RTF_UP | RTF_GATEWAY;
    rt.rtmsg_metric = 1;
    rt.rtmsg_ifindex = ifindex;
    if (::ioctl(sock, SIOCADDRT, &rt) < 0) err = -errno;
  }
  ::close(sock);
  return err;
}

}  // namespace

int loopback_up() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  int r = bring_up(s, "lo");
  ::close(s);
  return r;
}

int make_tap(const TapSpec& t, const char** what) {
  *what = "/dev/net/tun";
  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return -errno;
  int sock = -1;
  auto failed = [&](const char* step) {
    int err = errno;
    *what = step;
    if (sock >= 0) ::close(sock);
    ::close(fd);
    return -err;
  };
  ifreq r{};
  std::memcpy(r.ifr_name, t.name, IFNAMSIZ - 1);
  r.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (::ioctl(fd, TUNSETIFF, &r) < 0) return failed("create the tap device");
  sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return failed("socket");
  r.ifr_mtu = static_cast<int>(t.mtu);
  if (::ioctl(sock, SIOCSIFMTU, &r) < 0) return failed("set the MTU");
  // Before the device comes up: no duplicate address detection (the address
  // would stay tentative for a second) and no autoconfiguration from the
  // stack's router advertisements (a second address, later).
  bool ipv6 = t.ipv6 && ipv6_sysctl(t.name, "accept_dad", "0") == 0 && ipv6_sysctl(t.name, "accept_ra", "0") == 0;
  if (t.has_mac) {
    r.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    std::memcpy(r.ifr_hwaddr.sa_data, t.mac, 6);
    if (::ioctl(sock, SIOCSIFHWADDR, &r) < 0) return failed("set the MAC address");
  }
  set_addr(&r.ifr_addr, t.address);
  if (::ioctl(sock, SIOCSIFADDR, &r) < 0) return failed("set the address");
  set_addr(&r.ifr_netmask, t.netmask);
  if (::ioctl(sock, SIOCSIFNETMASK, &r) < 0) return failed("set the netmask");
  if (int e = bring_up(sock, t.name); e < 0) {
    errno = -e;
    return failed("bring the device up");
  }
  if (t.gateway != 0) {
    rtentry rt{};
    set_addr(&rt.rt_dst, 0);
    set_addr(&rt.rt_genmask, 0);
    set_addr(&rt.rt_gateway, t.gateway);
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    rt.rt_dev = const_cast<char*>(t.name);
    if (::ioctl(sock, SIOCADDRT, &rt) < 0) return failed("add the default route");
  }
  if (ipv6) {
    if (::ioctl(sock, SIOCGIFINDEX, &r) < 0) return failed("find the device's index");
    if (int e = add_ipv6(t, r.ifr_ifindex, what); e < 0) {
      errno = -e;
      return failed(*what);
    }
  }
  ::close(sock);
  return fd;
}

}  // namespace cabin::runtime
