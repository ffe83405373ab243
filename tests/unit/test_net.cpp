// net/config.h: -p and --network parsing, the PORTS column, addresses.
#include <catch2/catch.hpp>

#include "net/config.h"
#include "net/members.h"
#include "util/error.h"

using namespace cabin;
using namespace cabin::net;

TEST_CASE("parse_publish: Podman's forms") {
  CHECK(parse_publish("80") == std::vector<PortMapping>{{"", 0, 80, "tcp"}});
  CHECK(parse_publish("8080:80") == std::vector<PortMapping>{{"", 8080, 80, "tcp"}});
  CHECK(parse_publish("127.0.0.1:8080:80/udp") == std::vector<PortMapping>{{"127.0.0.1", 8080, 80, "udp"}});
  CHECK(parse_publish("127.0.0.1::80") == std::vector<PortMapping>{{"127.0.0.1", 0, 80, "tcp"}});
  CHECK(parse_publish("0.0.0.0:81:80") == std::vector<PortMapping>{{"", 81, 80, "tcp"}});
  CHECK(parse_publish("[::1]:8080:80") == std::vector<PortMapping>{{"::1", 8080, 80, "tcp"}});
  CHECK(parse_publish("8000-8001:80-81/TCP") ==
        std::vector<PortMapping>{{"", 8000, 80, "tcp"}, {"", 8001, 81, "tcp"}});
  CHECK(parse_publish("90-91").size() == 2);
}

TEST_CASE("parse_publish: bad values") {
  CHECK_THROWS_WITH(parse_publish("foo"),
                    "parsing container port: invalid port number: strconv.Atoi: parsing \"foo\": invalid syntax");
  CHECK_THROWS_WITH(parse_publish("0:80"),
                    "parsing host port: port numbers must be between 1 and 65535 (inclusive), got 0");
  CHECK_THROWS_WITH(parse_publish("8000-8001:80"), "host and container port ranges have different lengths: 2 vs 1");
  CHECK_THROWS_WITH(parse_publish("80/sctp"), "sctp ports cannot be published by a rootless container: use tcp or udp");
  CHECK_THROWS_WITH(parse_publish("8080:80:90"), "cannot parse \"8080\" as an IP address");
  CHECK_THROWS_WITH(parse_publish("1.2.3.4:"), "parsing container port: invalid port number: strconv.Atoi: parsing \"\": invalid syntax");
}

TEST_CASE("ports_summary folds consecutive ports") {
  std::vector<PortMapping> p = {{"", 8000, 80, "tcp"}, {"", 8001, 81, "tcp"}, {"127.0.0.1", 9000, 53, "udp"}};
  CHECK(ports_summary(p) == "0.0.0.0:8000-8001->80-81/tcp, 127.0.0.1:9000->53/udp");
  CHECK(ports_summary({}) == "");
  CHECK(port_line(p[2]) == "53/udp -> 127.0.0.1:9000");
  CHECK(port_bindings(p).dump() ==
        R"({"53/udp":[{"HostIp":"127.0.0.1","HostPort":"9000"}],"80/tcp":[{"HostIp":"","HostPort":"8000"}],"81/tcp":[{"HostIp":"","HostPort":"8001"}]})");
}

TEST_CASE("parse_network: modes") {
  CHECK(parse_network({}, {}, "", "").mode == Mode::Slirp);
  CHECK(parse_network({"none"}, {}, "", "").mode == Mode::None);
  CHECK(parse_network({"host"}, {}, "", "").mode == Mode::Host);
  CHECK(parse_network({"private"}, {}, "", "").mode == Mode::Slirp);
  auto s = parse_network({"slirp4netns:allow_host_loopback=true,mtu=1500,port_handler=slirp4netns"}, {}, "", "");
  CHECK(s.slirp.allow_host_loopback);
  CHECK(s.slirp.mtu == 1500);
  auto c = parse_network({"container:db"}, {}, "", "");
  CHECK((c.mode == Mode::Container && c.target == "db"));
  auto b = parse_network({"app:alias=web,ip=10.89.0.9", "other"}, {"x"}, "", "");
  REQUIRE(b.mode == Mode::Bridge);
  REQUIRE(b.networks.size() == 2);
  CHECK(b.networks[0].aliases == std::vector<std::string>{"web", "x"});
  CHECK(b.networks[0].ip == "10.89.0.9");
  CHECK(b.networks[1].aliases == std::vector<std::string>{"x"});
  CHECK(parse_network({"bridge"}, {}, "", "").networks[0].network == "podman");
  CHECK(parse_network({"app"}, {}, "10.89.0.4", "02:00:00:00:00:01").networks[0].mac == "02:00:00:00:00:01");

  CHECK_THROWS_WITH(parse_network({"none", "host"}, {}, "", ""),
                    "cannot set multiple networks without bridge network mode, selected mode none: invalid argument");
  CHECK_THROWS_WITH(parse_network({"app", "host"}, {}, "", ""),
                    "cannot set multiple networks without bridge network mode, selected mode host: invalid argument");
  CHECK_THROWS_WITH(parse_network({"slirp4netns:bogus=1"}, {}, "", ""), "unknown slirp4netns option \"bogus\"");
  CHECK_THROWS_WITH(parse_network({"slirp4netns:allow_host_loopback=maybe"}, {}, "", ""),
                    "invalid value \"maybe\" for network option allow_host_loopback: use true or false");
  CHECK_THROWS_WITH(parse_network({"none"}, {"a"}, "", ""),
                    "--network-alias can only be set for a container on a network (--network NAME)");
  CHECK_THROWS_WITH(parse_network({"a", "b"}, {}, "10.0.0.1", ""),
                    "--ip can only be set for a single network: use --network NAME:ip=…");
  CHECK_THROWS_WITH(parse_network({"app"}, {}, "", "zz"), "invalid MAC address \"zz\"");
  CHECK_THROWS_WITH(parse_network({"bad name"}, {}, "", ""),
                    "invalid network name \"bad name\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
}

TEST_CASE("NetConfig survives JSON") {
  auto c = parse_network({"app:alias=web"}, {}, "", "");
  c.ports = {{"127.0.0.1", 8080, 80, "tcp"}};
  auto back = net_config_from_json(to_json(c));
  CHECK(back.mode == Mode::Bridge);
  CHECK(back.networks == c.networks);
  CHECK(back.ports == c.ports);
  CHECK(mode_name(back) == "bridge");
}

TEST_CASE("tap_specs: the user-mode stack's tap first, then one per network") {
  NetConfig slirp;
  auto t = tap_specs(slirp, {});
  REQUIRE(t.size() == 1);
  CHECK(std::string(t[0].name) == "tap0");
  CHECK(ip_text(t[0].address) == "10.0.2.100");
  CHECK(ip_text(t[0].gateway) == "10.0.2.2");
  CHECK(t[0].mtu == 65520);

  NetConfig bridge = parse_network({"a", "b"}, {}, "", "");
  Link internal{"a", "/x", parse_cidr("10.89.0.0/24"), parse_ipv4("10.89.0.2"), {2, 0, 0, 0, 0, 1}, true};
  Link open{"b", "/y", parse_cidr("10.89.1.0/24"), parse_ipv4("10.89.1.2"), {2, 0, 0, 0, 0, 2}, false};
  CHECK(tap_specs(bridge, {internal}).size() == 1);  // internal only: no outbound
  auto both = tap_specs(bridge, {internal, open});
  REQUIRE(both.size() == 3);
  CHECK(std::string(both[1].name) == "eth0");
  CHECK(std::string(both[2].name) == "eth1");
  CHECK(ip_text(both[2].netmask) == "255.255.255.0");
  CHECK(both[2].gateway == 0);
}

TEST_CASE("parse_cidr") {
  auto c = parse_cidr("10.89.3.7/24");
  CHECK(ip_text(c.network) == "10.89.3.0");
  CHECK(ip_text(c.host(1)) == "10.89.3.1");
  CHECK_THROWS_WITH(parse_cidr("10.0.0.0/33"), "invalid CIDR address: 10.0.0.0/33");
  CHECK_THROWS_WITH(parse_cidr("bogus"), "invalid CIDR address: bogus");
}
