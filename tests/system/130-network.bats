#!/usr/bin/env bats
# Networking: the user-mode network each container gets by default (a tap
# device, libslirp in the container's waiter), published ports, user-defined
# networks with names in /etc/hosts, and the network commands; bad input.
# Only loopback is ever contacted: servers the tests start on 127.0.0.1.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

teardown() {
  [[ -z ${HOST_SERVER:-} ]] || kill "$HOST_SERVER" 2>/dev/null || true
  basic_teardown
}

# wait_log CONTAINER REGEX: until a line of its log matches.
wait_log() {
  local i
  for ((i = 0; i < 100; i++)); do "$CABIN" logs "$1" 2>/dev/null | grep -qE -- "$2" && return; sleep 0.1; done
  die "no line matching '$2' in the log of $1"
}

# wait_http URL: until it answers (the container's server starts).
wait_http() {
  local i
  for ((i = 0; i < 100; i++)); do curl -fs "$1" >/dev/null && return; sleep 0.1; done
  die "$1 did not answer"
}

@test "run: the default network is user-mode: tap0 at 10.0.2.100, MTU 65520, DNS forwarder, lo up" {
  run_cabin run --rm --name web1 "$PROBE_IMAGE" sh -c \
    'cat /sys/class/net/tap0/mtu; ip -4 -o addr show tap0 | sed "s/.*inet \([^ ]*\).*/\1/"; ip route | grep default; cat /sys/class/net/lo/operstate'
  is "${lines[0]}" "65520" "MTU"
  is "${lines[1]}" "10.0.2.100/24" "address"
  is "${lines[2]}" "default via 10.0.2.2 dev tap0 *" "route through the user-mode stack"
  is "${lines[3]}" "unknown" "lo is up"
  run_cabin run --rm --hostname h1 --name n1 "$PROBE_IMAGE" sh -c 'head -1 /etc/resolv.conf; grep h1 /etc/hosts'
  is "${lines[0]}" "nameserver 10.0.2.3" "resolv.conf: the stack's DNS forwarder first"
  is "${lines[1]}" $'10.0.2.100\th1 n1' "hosts: the container's address"
  run_cabin run --rm --dns 127.0.0.9 "$PROBE_IMAGE" cat /etc/resolv.conf
  is "$output" "nameserver 127.0.0.9" "--dns replaces it"
  # ICMP echo without CAP_NET_RAW (ping_group_range) to the stack's own addresses.
  run_cabin run --rm "$PROBE_IMAGE" probe ping 10.0.2.2
  is "$output" "ok" "ping the gateway"
  run_cabin run --rm --userns keep-id "$PROBE_IMAGE" probe ping 10.0.2.3
  is "$output" "ok" "as a non-root user too"
}

@test "run: --network private, --add-host, --dns-search, --dns-option; --mac-address and --ip on a network" {
  run_cabin run --rm --network private --add-host db.example:192.0.2.7 --dns-search example.org --dns-option ndots:2 \
    "$PROBE_IMAGE" sh -c 'ls /sys/class/net | tr "\n" " "; echo; grep db.example /etc/hosts; cat /etc/resolv.conf'
  is "${lines[0]}" "lo tap0 " "private is the user-mode network"
  is "${lines[1]}" $'192.0.2.7\tdb.example' "--add-host"
  is "${lines[2]}" "search example.org" "--dns-search"
  is "${lines[3]}" "nameserver 10.0.2.3" "the stack's resolver stays"
  is "${lines[-1]}" "options ndots:2" "--dns-option"
  run_cabin 125 run --rm --add-host nocolon "$PROBE_IMAGE" true
  expect_error 'invalid value for --add-host "nocolon": use HOST:IP'

  run_cabin network create macnet
  run_cabin run --rm --network macnet --mac-address 92:d0:c6:0a:29:33 --ip 10.89.0.44 "$PROBE_IMAGE" \
    sh -c 'cat /sys/class/net/eth0/address; ip -4 -o addr show eth0 | sed "s/.*inet \([^ ]*\).*/\1/"'
  is "$output" $'92:d0:c6:0a:29:33\n10.89.0.44/24' "--mac-address and --ip"
  run_cabin 125 run --rm --network macnet --mac-address 92:d0:zz:0a:29:33 "$PROBE_IMAGE" true
  expect_error 'invalid MAC address "92:d0:zz:0a:29:33"'
}

@test "run: the host's loopback only with slirp4netns:allow_host_loopback=true (TCP and UDP)" {
  local port
  port=$(free_port)
  host_httpd "$port"
  run_cabin run --rm --network slirp4netns:allow_host_loopback=true "$PROBE_IMAGE" probe http "http://10.0.2.2:$port/"
  is "$output" "from the host" "TCP to the host's 127.0.0.1 through 10.0.2.2"
  run_cabin 1 run --rm "$PROBE_IMAGE" probe http "http://10.0.2.2:$port/" 2
  is "$output" "error connect: .*" "not without asking"
  run_cabin run --rm --network slirp4netns:allow_host_loopback=true "$PROBE_IMAGE" grep host.containers.internal /etc/hosts
  is "$output" $'10.0.2.2\thost.containers.internal' "host.containers.internal is the host's loopback then"

  local uport
  uport=$(free_port)
  "$CABIN_TEST_PROBE" udp-echo "$uport" >"$BATS_TEST_TMPDIR/udp.out" 3>&- &
  local echo_pid=$!
  wait_for_line "$BATS_TEST_TMPDIR/udp.out" ready
  run_cabin run --rm --network slirp4netns:allow_host_loopback=true "$PROBE_IMAGE" probe udp 10.0.2.2 "$uport" hi
  kill "$echo_pid"
  is "$output" "echo:hi" "UDP round trip"
}

@test "run: IPv6 on the default network: fd00::100, the host's ::1 through fd00::2 only when asked; enable_ipv6=false" {
  [[ -e /proc/net/if_inet6 ]] || skip "the kernel has no IPv6"
  run_cabin run --rm "$PROBE_IMAGE" sh -c \
    'ip -6 -o addr show tap0 scope global | sed "s/.*inet6 \([^ ]*\).*/\1/"; ip -6 route | grep default'
  is "${lines[0]}" "fd00::100/64" "the static address, at once (no DAD, no autoconfiguration)"
  is "${#lines[@]}" 2 "one global address"
  is "${lines[1]}" "default via fd00::2 dev tap0 .*" "route through the user-mode stack"

  local port
  port=$(free_port)
  "$CABIN_TEST_PROBE" peer "$port" >"$BATS_TEST_TMPDIR/peer.out" 3>&- &
  HOST_SERVER=$!
  wait_for_line "$BATS_TEST_TMPDIR/peer.out" ready
  run_cabin run --rm --network slirp4netns:allow_host_loopback=true "$PROBE_IMAGE" probe http "http://[fd00::2]:$port/"
  is "$output" "::1" "TCP over IPv6 to the host's ::1"
  run_cabin 1 run --rm "$PROBE_IMAGE" probe http "http://[fd00::2]:$port/" 2
  is "$output" "error connect: .*" "not without asking"
  run_cabin run --rm --network slirp4netns:enable_ipv6=false "$PROBE_IMAGE" sh -c 'ip -6 -o addr show tap0 scope global | wc -l'
  is "$output" "0" "enable_ipv6=false: no IPv6 address"
}

@test "run -p: the container sees connections from its own address (rootlesskit) or the stack's gateway (slirp4netns)" {
  local p1 p2 p3
  p1=$(free_port)
  p2=$(free_port)
  p3=$(free_port)
  run_cabin run -d --name r -p "127.0.0.1:$p1:8080" -p "[::1]:$p3:8080" "$PROBE_IMAGE" probe peer 8080
  run_cabin run -d --name s -p "127.0.0.1:$p2:8080" --network slirp4netns:port_handler=slirp4netns "$PROBE_IMAGE" probe peer 8080
  wait_http "http://127.0.0.1:$p1/"
  is "$(curl -fs "http://127.0.0.1:$p1/")" "10.0.2.100" "the splice forwarder connects from inside the container's namespace"
  is "$(curl -fsg "http://[::1]:$p3/")" "10.0.2.100" "a host port on IPv6"
  wait_http "http://127.0.0.1:$p2/"
  is "$(curl -fs "http://127.0.0.1:$p2/")" "10.0.2.2" "libslirp shows the host's loopback as the gateway"
}

@test "run -p: a published port reaches the container's server; port, ps and inspect show it" {
  local p1 p2
  p1=$(free_port)
  p2=$(free_port)
  run_cabin run -d --name s1 -p "127.0.0.1:$p1:80" "$PROBE_IMAGE" httpd -f -p 80 -h /srv
  run_cabin run -d --name s2 -p "$p2:80" -p 81 -p 9000/udp "$PROBE_IMAGE" httpd -f -p 80 -h /srv
  wait_http "http://127.0.0.1:$p1/hello.txt"
  is "$(curl -fs "http://127.0.0.1:$p1/hello.txt")" "hello from the probe image" "first container"
  wait_http "http://127.0.0.1:$p2/hello.txt"
  is "$(curl -fs "http://127.0.0.1:$p2/hello.txt")" "hello from the probe image" "the same container port, another host port"

  run_cabin port s1
  is "$output" "80/tcp -> 127.0.0.1:$p1" "port"
  run_cabin port s1 80
  is "$output" "127.0.0.1:$p1" "port CTR PORT"
  run_cabin port s2 81
  [[ $output =~ ^0\.0\.0\.0:([0-9]+)$ ]] || die "a host port was chosen for 81: $output"
  run_cabin 125 port s1 82
  expect_error 'failed to find published port "82"'
  run_cabin ps --format '{{.Names}} {{.Ports}}' --filter name=s1
  is "$output" "s1 127.0.0.1:$p1->80/tcp" "ps"
  run_cabin inspect --format '{{json .HostConfig.PortBindings}} {{.HostConfig.NetworkMode}}' s1
  is_exact "$output" "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$p1\"}]} slirp4netns" "inspect"
  run_cabin rm -f -t 0 s1 s2
  run curl -fs --max-time 2 "http://127.0.0.1:$p1/hello.txt"
  [[ $status != 0 ]] || die "the port is released with the container"
}

@test "run -p: UDP, ranges, and -P for the image's EXPOSEd ports" {
  local u u2 base
  u=$(free_port)
  run_cabin run -d --name u -p "$u:9000/udp" "$PROBE_IMAGE" probe udp-echo 9000
  wait_log u ready
  run "$CABIN_TEST_PROBE" udp 127.0.0.1 "$u" ping
  is "$output" "echo:ping" "a published UDP port answers a client on the host's loopback"
  run "$CABIN_TEST_PROBE" udp 127.0.0.1 "$u" again
  is "$output" "echo:again" "the same client again"
  run_cabin logs u
  is "$output" $'ready\nfrom 10.0.2.100\nfrom 10.0.2.100' "the container sees datagrams from its own address, as TCP"
  # Through libslirp instead, replies to the host's loopback need
  # allow_host_loopback (libslirp's rule), and the client is the gateway.
  u2=$(free_port)
  run_cabin run -d --name u2 -p "$u2:9000/udp" --network slirp4netns:port_handler=slirp4netns,allow_host_loopback=true \
    "$PROBE_IMAGE" probe udp-echo 9000
  wait_log u2 ready
  run "$CABIN_TEST_PROBE" udp 127.0.0.1 "$u2" ping
  is "$output" "echo:ping" "port_handler=slirp4netns"
  run_cabin logs u2
  is "${lines[-1]}" "from 10.0.2.2" "sees the gateway"

  base=$(free_port)
  run_cabin create --name r -p "$base-$((base + 2)):80-82" "$PROBE_IMAGE" true
  run_cabin inspect --format '{{range $k, $v := .HostConfig.PortBindings}}{{$k}}={{(index $v 0).HostPort}} {{end}}' r
  is "$output" "80/tcp=$base 81/tcp=$((base + 1)) 82/tcp=$((base + 2)) " "a range maps port to port"
  run_cabin ps -a --format '{{.Ports}}' --filter name=r
  is "$output" "0.0.0.0:$base-$((base + 2))->80-82/tcp" "ps folds the range"

  pull_image "$REGISTRY/multilayer:latest"
  run_cabin create --name e -P "$REGISTRY/multilayer:latest"
  run_cabin inspect --format '{{range $k, $v := .HostConfig.PortBindings}}{{$k}}{{end}}' e
  is "$output" "8080/tcp" "-P publishes EXPOSE 8080"
}

@test "run -p: a host port already taken is an error at start, and nothing is left" {
  local port
  port=$(free_port)
  host_httpd "$port"
  store_baseline
  run_cabin 125 run -d -p "127.0.0.1:$port:80" "$PROBE_IMAGE" httpd -f -p 80
  local msg
  msg=$(re_escape "cannot publish port 127.0.0.1:$port -> 80/tcp: bind: Address already in use (another process or container holds that host port)")
  expect_error "$msg"
  run_cabin 125 run --rm -p "127.0.0.1:$port:80" "$PROBE_IMAGE" true
  expect_error "$msg"
  assert_nothing_left "$BASELINE"
  # A created container stays created.
  run_cabin create --name c -p "127.0.0.1:$port:80" "$PROBE_IMAGE" true
  run_cabin 125 start c
  is "$(cabin_out inspect --format '{{.State.Status}}' c)" "created" "not half started"
}

@test "run -p / --network: bad values are one-line errors and create nothing" {
  store_baseline
  local -A bad=(
    [-p foo]='parsing container port: invalid port number: strconv.Atoi: parsing "foo": invalid syntax'
    [-p 70000:80]='parsing host port: port numbers must be between 1 and 65535 (inclusive), got 70000'
    [-p 8000-8002:80-81]='host and container port ranges have different lengths: 3 vs 2'
    [-p 80-70:80]='parsing host port: the end port of a range must be higher than the start port - 70 is not higher than 80'
    [-p 80/xyz]='unrecognized protocol "xyz" in port mapping'
    [-p 1.2.3:80:80]='cannot parse "1.2.3" as an IP address'
    [--network nosuchnet]='unable to find network with name or ID nosuchnet: network not found'
    [--network slirp4netns:bogus=1]='unknown slirp4netns option "bogus"'
    [--network slirp4netns:mtu=9]='invalid slirp4netns mtu "9": use a number from 1280 to 65521'
    [--network pasta]="pasta is not supported: cabin's user-mode networking is built in (use --network slirp4netns[:OPTIONS])"
    [--network container:nope]='looking up container to share net namespace with: no container with name or ID "nope" found: no such container'
    [--ip 10.0.0.5]='--ip can only be set for a container on a network (--network NAME)'
  )
  local k
  for k in "${!bad[@]}"; do
    # shellcheck disable=SC2086
    run_cabin 125 run --rm $k "$PROBE_IMAGE" true
    expect_error "$(re_escape "${bad[$k]}")" "$k"
  done
  run_cabin 125 run --rm --network none --network host "$PROBE_IMAGE" true
  expect_error "cannot set multiple networks without bridge network mode, selected mode none: invalid argument"
  assert_nothing_left "$BASELINE"
}

@test "network create, ls, inspect, exists, rm, prune: shaped like Podman's" {
  run_cabin network create n1
  is "$output" "n1" "create prints the name"
  run_cabin network create --subnet 10.90.0.0/24 --gateway 10.90.0.254 --ip-range 10.90.0.128/25 --internal --label a=b n2
  run_cabin network ls
  is "${lines[0]}" "NETWORK ID    NAME        DRIVER" "header"
  is "${lines[1]}" "2f259bab93aa  podman      bridge" "the default network"
  is "${lines[2]}" "[0-9a-f]{12}  n1          bridge" "n1"
  run_cabin network ls -q --filter label=a=b
  is "$output" "n2" "-q and a label filter"
  run_cabin network inspect n1
  is "$(jq -r '.[0].subnets[0].subnet' <<<"$output")" "10.89.0.0/24" "the first free subnet"
  is "$(jq -r '.[0].subnets[0].gateway' <<<"$output")" "10.89.0.1" "its gateway"
  is "$(jq -r '.[0] | [.driver, .internal, .dns_enabled, .ipam_options.driver] | join(" ")' <<<"$output")" \
    "bridge false true host-local" "fields"
  run_cabin network inspect --format '{{.Name}} {{(index .Subnets 0).Gateway}} {{.Internal}}' n2
  is "$output" "n2 10.90.0.254 true" "a template"
  run_cabin network inspect n2
  is_exact "$(jq -c '.[0].subnets[0].lease_range' <<<"$output")" '{"start_ip":"10.90.0.129","end_ip":"10.90.0.255"}' "ip range"
  run_cabin network exists n1
  run_cabin 1 network exists nope

  run_cabin 125 network create n1
  expect_error "network name n1 already used: network already exists"
  run_cabin 125 network create --subnet 10.89.0.0/24 n3
  expect_error "subnet 10.89.0.0/24 is already used on the host or by another config"
  run_cabin 125 network create --subnet bogus n3
  expect_error "invalid CIDR address: bogus"
  run_cabin 125 network create "bad name"
  expect_error "$(re_escape "network name bad name invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument")"
  run_cabin 125 network create --gateway 10.99.0.1 n3
  expect_error "cannot set gateway or range without subnet"
  run_cabin 1 network exists n3

  run_cabin create --name user --network n1 "$PROBE_IMAGE" true
  run_cabin 2 network rm n1
  is_exact "$stderr" 'Error: "n1" has associated containers with it. Use -f to forcibly delete containers and pods: network is being used' "in use"
  run_cabin 1 network rm nope
  is "$stderr" "Error: unable to find network with name or ID nope: network not found" "not found"
  run_cabin 125 network rm podman
  is "$stderr" "Error: default network podman cannot be removed" "the default network stays"
  run_cabin network prune -f
  is "$output" "n2" "prune removes the unused network"
  run_cabin network rm -f n1
  is "$output" "n1" "rm -f"
  run_cabin 1 container exists user
  run_cabin network ls -q
  is "$output" "podman" "only the default network is left"
}

@test "network: containers reach each other by name and alias, also one started later; networks are isolated" {
  run_cabin network create app
  # Internal, so that nothing it sends leaves for the host's networks.
  run_cabin network create --internal other
  run_cabin run -d --name db --network app --network-alias database "$PROBE_IMAGE" httpd -f -p 80 -h /srv
  run_cabin run --rm --network app "$PROBE_IMAGE" probe http http://db/hello.txt
  is "$output" "hello from the probe image" "by name"
  run_cabin run --rm --network app "$PROBE_IMAGE" probe http http://database/hello.txt
  is "$output" "hello from the probe image" "by alias"
  local dbip
  dbip=$(cabin_out exec db sh -c "ip -4 -o addr show eth0 | sed 's/.*inet \([^/]*\).*/\1/'")
  is "$dbip" "10.89.0.2" "the first address of the network's subnet"

  # Started after db: db finds it without a restart.
  run_cabin run -d --name web --network app "$PROBE_IMAGE" httpd -f -p 80 -h /srv
  run_cabin exec db probe http http://web/hello.txt
  is "$output" "hello from the probe image" "an earlier container reaches a later one"
  run_cabin exec db probe resolve web
  is "$output" "10.89.0.3" "by its address"

  # Another network cannot reach it, even by address.
  run_cabin 1 run --rm --network other "$PROBE_IMAGE" probe http "http://$dbip/hello.txt" 2
  is "$output" "error connect: (ENETUNREACH|EHOSTUNREACH|E115)" "isolated"
  run_cabin 1 run --rm --network other "$PROBE_IMAGE" probe resolve db
  is "$output" "error .*" "and db is no name there"

  # Leaving takes the name away.
  run_cabin rm -f -t 0 web
  run_cabin 1 exec db probe resolve web
  is "$output" "error .*" "web left"
}

@test "network --internal: no outbound access; a normal network keeps it" {
  run_cabin network create --internal closed
  run_cabin run --rm --network closed "$PROBE_IMAGE" ls /sys/class/net
  is "$output" $'eth0\nlo' "no user-mode stack"
  run_cabin 1 run --rm --network closed "$PROBE_IMAGE" probe ping 10.0.2.2
  is "$output" "ENETUNREACH" "nothing outside"
  run_cabin network create open
  run_cabin run --rm --network open --ip 10.89.1.77 "$PROBE_IMAGE" sh -c 'ls /sys/class/net; ip -4 -o addr show eth0; probe ping 10.0.2.2'
  is "${lines[0]}" "eth0" "the network"
  is "${lines[2]}" "tap0" "and the user-mode stack for outbound"
  assert_contains "$output" "inet 10.89.1.77/24" "--ip"
  is "${lines[-1]}" "ok" "outbound works"
  run_cabin run -d --name holder --network open --ip 10.89.1.77 "$PROBE_IMAGE" sleep 100
  run_cabin 125 run --rm --network open --ip 10.89.1.77 "$PROBE_IMAGE" true
  expect_error "IPAM error: requested ip address 10.89.1.77 is already allocated to container ID $(cabin_out inspect --format '{{.Id}}' holder)"
}

@test "run --network container:: the other container's network, also with keep-id; a stopped one is started first" {
  run_cabin run -d --name owner "$PROBE_IMAGE" httpd -f -p 8080 -h /srv
  run_cabin run --rm --network container:owner "$PROBE_IMAGE" probe http http://127.0.0.1:8080/hello.txt
  is "$output" "hello from the probe image" "the owner's server on the shared loopback"
  local hosts
  hosts=$(cabin_out exec owner cat /etc/hosts /etc/resolv.conf)
  run_cabin run --rm --network container:owner --hostname other "$PROBE_IMAGE" cat /etc/hosts /etc/resolv.conf
  is_exact "$output" "$hosts" "the owner's hosts and resolv.conf, as Podman shares them"
  local pid
  pid=$(cabin_out inspect --format '{{.State.Pid}}' owner)
  run_cabin run --rm --network "ns:/proc/$pid/ns/net" "$PROBE_IMAGE" probe http http://127.0.0.1:8080/hello.txt
  is "$output" "hello from the probe image" "ns:PATH of the same namespace"
  # (ip, not /sys: a keep-id container cannot mount a sysfs for a network
  # namespace its user namespace does not own.)
  local mac show='ip -o link show tap0 | sed "s/.*link.ether \([^ ]*\).*/\1/"'
  mac=$(cabin_out exec owner sh -c "$show")
  [[ $mac =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]] || die "owner's tap0 MAC: $mac"
  run_cabin run --rm --network container:owner --userns keep-id "$PROBE_IMAGE" sh -c "$show"
  is "$output" "$mac" "keep-id: the same tap0"
  run_cabin create --name guest --network container:owner "$PROBE_IMAGE" probe http http://127.0.0.1:8080/hello.txt
  run_cabin inspect --format '{{.HostConfig.NetworkMode}}' guest
  is "$output" "container:$(cabin_out inspect --format '{{.Id}}' owner)" "inspect names the owner's ID"

  # Stopped: starting the guest starts the owner first, as Podman does.
  run_cabin stop -t 0 owner
  run_cabin start -a guest
  is "$output" "hello from the probe image" "the owner was started again"
  run_cabin inspect --format '{{.State.Status}}' owner
  is "$output" "running"

  # One start cannot put containers into two user namespaces.
  run_cabin create --name loner "$PROBE_IMAGE" true
  run_cabin stop -t 0 owner
  run_cabin run -d --name owner2 "$PROBE_IMAGE" sleep 100
  run_cabin create --name guest2 --network container:owner2 "$PROBE_IMAGE" true
  run_cabin 125 start loner guest2
  expect_error "cannot join the network namespace of container owner2: it belongs to another cabin command's user namespace, not this one's; start this container with a command of its own"
  run_cabin start guest2
  is "$output" "guest2"
}

@test "run: without /dev/net/tun the error names the fix, nothing is left, and --network none works" {
  # A user namespace of the test's own (cabin is its root there, with a store
  # of its own) where /dev/net/tun is covered by a file nobody in it may open.
  local t=$BATS_TEST_TMPDIR/tun
  mkdir -p "$t"
  cat >"$t/inner.sh" <<INNER
set -u
mount --bind /etc/shadow /dev/net/tun || exit 99
c() { "$CABIN" --root "$t/graph" --runroot "$t/run" "\$@"; }
c pull -q --tls-verify=false "$PROBE_IMAGE" >/dev/null || exit 98
c run --name tunless "$PROBE_IMAGE" true >"$t/out" 2>"$t/err"
echo \$? >"$t/rc"
c ps -a -q >"$t/ps"
c run --rm --network none "$PROBE_IMAGE" echo without-a-network
INNER
  run unshare --user --map-root-user --mount sh "$t/inner.sh"
  echo "$output" | sed 's/^/#   /' >&2
  [[ $status == 0 ]] || die "inner script: exit $status"
  is "$output" "without-a-network" "--network none needs no tun device"
  is "$(<"$t/rc")" "125" "exit code"
  is_exact "$(<"$t/err")" "Error: cannot open /dev/net/tun: Permission denied: user-mode networking needs it (fix: sudo chmod 0666 /dev/net/tun (to keep it: a udev rule, echo 'KERNEL==\"tun\", MODE=\"0666\"' | sudo tee /etc/udev/rules.d/99-cabin-tun.rules), or run containers with --network none or --network host)" "one line, naming the fix (as system doctor does)"
  is "$(<"$t/out")" "" "no output"
  is "$(<"$t/ps")" "" "no container is left"
}

@test "network connect/disconnect: a running container joins and leaves at once (also run's foreground), a stopped one at its next start" {
  run_cabin network create front
  run_cabin network create --internal back
  run_cabin run -d --name api --network front "$PROBE_IMAGE" httpd -f -p 80 -h /srv
  run_cabin run -d --name worker --network back "$PROBE_IMAGE" sleep 1000
  run_cabin 1 exec worker probe resolve api
  run_cabin network connect --alias svc --ip 10.89.1.77 back api
  is "$output" "" "connect prints nothing"
  run_cabin exec worker probe http http://svc/hello.txt
  is "$output" "hello from the probe image" "reached by its alias on the network it joined while running"
  run_cabin exec worker probe resolve api
  is "$output" "10.89.1.77" "with the address asked for"
  run_cabin inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' api
  is "$output" "back front " "inspect lists both"
  run_cabin 125 network connect back api
  expect_error "container $(cabin_out inspect --format '{{.Id}}' api) is already connected to network \"back\": network is already connected"

  run_cabin network disconnect back api
  run_cabin 1 exec worker probe resolve api
  run_cabin 1 exec worker probe http http://10.89.1.77/hello.txt 1
  run_cabin exec api sh -c 'ls /sys/class/net | grep -c eth'
  is "$output" "1" "the device is gone"

  # An internal network alone has no way out; connecting a normal one
  # brings the user-mode stack (tap0 and its route), disconnecting it
  # takes them away again.
  run_cabin 1 exec worker probe ping 10.0.2.2
  is "$output" "ENETUNREACH" "worker has no way out"
  run_cabin network connect front worker
  run_cabin exec worker sh -c 'ls /sys/class/net | tr "\n" " "; probe ping 10.0.2.2'
  is "$output" "eth0 eth1 lo tap0 ok" "outbound at once"
  run_cabin exec worker probe http http://api/hello.txt
  is "$output" "hello from the probe image" "and the new network's names"
  run_cabin network disconnect front worker
  run_cabin 1 exec worker sh -c 'ls /sys/class/net | tr "\n" " "; probe ping 10.0.2.2'
  is "$output" "eth0 lo ENETUNREACH" "gone again with it"
  run_cabin network connect front worker
  run_cabin exec worker sh -c 'ls /sys/class/net | tr "\n" " "'
  is "$output" "eth0 eth1 lo tap0 " "a device name freed by a disconnect is used again"

  # In the foreground of `run`: the run process answers as a monitor does.
  start_cabin "$BATS_TEST_TMPDIR/fg.out" run --rm --name fg --network back "$PROBE_IMAGE" \
    sh -c 'echo up; for i in $(seq 200); do [ -e /sys/class/net/eth1 ] && break; sleep 0.1; done; probe http http://api/hello.txt'
  wait_for_line "$BATS_TEST_TMPDIR/fg.out" up
  run_cabin network connect front fg
  wait_cabin
  is "$status" "0" "the foreground container went on"
  is "$(tail -n 1 "$BATS_TEST_TMPDIR/fg.out")" "hello from the probe image" "and reached api through the network it was given"

  # Stopped: kept for the next start.
  run_cabin create --name later --network front "$PROBE_IMAGE" sh -c 'ls /sys/class/net | grep eth | sort | tr "\n" " "'
  run_cabin network connect back later
  run_cabin start -a later
  is "$output" "eth0 eth1 " "both networks at start"
  run_cabin network disconnect front later
  run_cabin start -a later
  is "$output" "eth0 " "one left"

  # Bad input: one-line errors, nothing changed.
  run_cabin run -d --name plain "$PROBE_IMAGE" sleep 1000
  run_cabin 125 network connect back plain
  expect_error '"slirp4netns" is not supported: invalid network mode'
  run_cabin 125 network connect nosuch api
  expect_error 'unable to find network with name or ID nosuch: network not found'
  run_cabin 125 network connect --ip 10.0.0.5 back api
  expect_error 'requested static ip 10.0.0.5 not in any subnet on network back'
  run_cabin 125 network disconnect back api
  expect_error "container $(cabin_out inspect --format '{{.Id}}' api) is not connected to network back: network not found"
  run_cabin 125 network connect back nosuch
  expect_error 'no container with name or ID "nosuch" found: no such container'
  run_cabin inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' api
  is "$output" "front " "nothing changed"
}
