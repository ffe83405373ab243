// How a container is networked, as plain data: parsed from run/create
// flags (--network, -p, -P), kept in the container's start.json, and
// carried out at start by its waiter (net/stack.h) and the container child
// (runtime/netdev.h).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/netdev.h"

namespace cabin::net {

// -p [hostIP:][hostPort:]containerPort[/protocol], one port of it.
struct PortMapping {
  std::string host_ip;          // "" = every address
  uint16_t host_port = 0;       // 0 until a free one is chosen (at create)
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp | udp
  bool operator==(const PortMapping&) const = default;
};

// One -p value (ranges expand to one mapping per port). Podman's messages.
std::vector<PortMapping> parse_publish(const std::string& text);

// The image's ExposedPorts keys ("80/tcp") for -P.
std::vector<PortMapping> exposed_ports(const nlohmann::json& image_config);
// --expose PORT[-PORT][/tcp|udp]: more ports for -P.
std::vector<PortMapping> parse_expose(const std::string& text);

// The ports a container record keeps for ps (its config's "ports", as
// to_json writes them; fields missing in older records defaulted).
std::vector<PortMapping> record_ports(const nlohmann::json& record_config);
// ps's PORTS column: "0.0.0.0:8080->80/tcp, 127.0.0.1:9000-9001->90-91/udp"
// (consecutive ports folded into ranges).
std::string ports_summary(const std::vector<PortMapping>& ports);
// inspect's Ports / PortBindings: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}.
nlohmann::json port_bindings(const std::vector<PortMapping>& ports);
// `port`'s lines: "80/tcp -> 0.0.0.0:8080".
std::string port_line(const PortMapping& p);

// The host side of a mapping as a socket address (IPv6 when host_ip is
// one; every IPv4 address when it is empty); returns its length.
socklen_t host_sockaddr(const PortMapping& p, sockaddr_storage* out);
// Throws the error for a host port that could not be bound (errno err).
[[noreturn]] void publish_failed(const PortMapping& p, int err);

// Gives each mapping without a host port a free one (bound and released
// here, as Podman chooses them at create).
void choose_host_ports(std::vector<PortMapping>& ports);

// --network slirp4netns[:OPTIONS] (the default).
struct SlirpOptions {
  bool allow_host_loopback = false;
  bool enable_ipv6 = true;  // Podman's default
  uint32_t mtu = 65520;
  std::string cidr = "10.0.2.0/24";
  // Published TCP ports: "rootlesskit" (Podman's default name; cabin's own
  // splice relay, the container sees connections from its own address) or
  // "slirp4netns" (through the user-mode stack, real client addresses).
  std::string port_handler = "rootlesskit";
  std::string outbound_addr;
};

// A user-defined network the container is on.
struct Attachment {
  std::string network;
  std::vector<std::string> aliases;
  std::string ip, mac;  // asked for; "" = chosen at start
  bool operator==(const Attachment&) const = default;
};

enum class Mode { Slirp, None, Host, Container, Ns, Bridge };

struct NetConfig {
  Mode mode = Mode::Slirp;
  std::string target;  // Container: the container's name or ID; Ns: the path
  SlirpOptions slirp;
  std::vector<Attachment> networks;  // Bridge
  std::vector<PortMapping> ports;
  bool own_netns() const { return mode == Mode::Slirp || mode == Mode::None || mode == Mode::Bridge; }
};

// The --network values (Podman's modes: none, host, private, slirp4netns[:…],
// container:X, ns:PATH, bridge, or network names with :alias=,ip=,mac=),
// plus --network-alias, --ip and --mac-address. default_mode is used when
// there is no value (slirp4netns for rootless cabin).
NetConfig parse_network(const std::vector<std::string>& values, const std::vector<std::string>& aliases,
                        const std::string& ip, const std::string& mac);

nlohmann::json to_json(const NetConfig& c);
NetConfig net_config_from_json(const nlohmann::json& j);

// The text of a mode as inspect shows it (HostConfig.NetworkMode).
std::string mode_name(const NetConfig& c);

// The addresses of the user-mode network for a cidr (slirp4netns's):
// gateway (the host as the container sees it) .2, DNS .3, container .100.
struct SlirpAddresses {
  in_addr_t network, netmask, gateway, dns, container;
};
SlirpAddresses slirp_addresses(const SlirpOptions& o);
// Its IPv6 (with enable_ipv6), fixed as slirp4netns's prefix fd00::/64:
// gateway ::2, DNS ::3, the container ::100.
inline constexpr const char* kSlirpPrefix6 = "fd00::";
inline constexpr const char* kSlirpGateway6 = "fd00::2";
inline constexpr const char* kSlirpDns6 = "fd00::3";
inline constexpr const char* kSlirpContainer6 = "fd00::100";

struct Link;
// The tap devices the container child makes for c (with links, its
// user-defined networks' addresses: net/members.h), in the order the stack
// takes their fds: the user-mode stack's first (when it has outbound
// access), then one per network.
std::vector<runtime::TapSpec> tap_specs(const NetConfig& c, const std::vector<Link>& links);

// "10.0.2.0/24" → network address and prefix length; throws on bad text.
struct Cidr {
  in_addr_t network = 0;  // network byte order
  int prefix = 0;
  in_addr_t host(uint32_t n) const;  // the n-th address of the subnet
  in_addr_t netmask() const;
};
Cidr parse_cidr(const std::string& text);
std::string ip_text(in_addr_t a);
// Throws unless text is an IPv4 address; returns it in network byte order.
in_addr_t parse_ipv4(const std::string& text);

}  // namespace cabin::net
