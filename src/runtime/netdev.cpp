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
  ::close(sock);
  return fd;
}

}  // namespace cabin::runtime
