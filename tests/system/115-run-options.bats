#!/usr/bin/env bats
# cabin run/create: the process's environment defaults, umask, time zone,
# /dev/shm and sysctls; --pidfile, --replace and --expose — each as Podman
# has it (checked against Podman 4.3 with runc, rootless).

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

@test "run --unsetenv and --unsetenv-all drop the defaults (cabin's, the image's), not -e; TERM is set without -t, as in Podman" {
  run_cabin run --rm --network none "$PROBE_IMAGE" sh -c 'env | cut -d= -f1 | sort | tr "\n" " "'
  is "$output" "HOME HOSTNAME PATH PROBE_IMAGE PROBE_OVERRIDE PWD SHLVL TERM container " "the defaults"
  run_cabin run --rm --network none --unsetenv PROBE_IMAGE --unsetenv TERM --unsetenv NOT_SET "$PROBE_IMAGE" sh -c 'env | cut -d= -f1 | sort | tr "\n" " "'
  is "$output" "HOME HOSTNAME PATH PROBE_OVERRIDE PWD SHLVL container " "--unsetenv: the image's and cabin's"
  run_probe --unsetenv-all -e KEPT=1 -- env
  is "$(sort <<<"$output" | cut -d= -f1 | tr '\n' ' ')" "HOME HOSTNAME KEPT " "--unsetenv-all: -e stays, HOME and HOSTNAME come after"
  run_cabin run --rm --network none --unsetenv PROBE_OVERRIDE -e PROBE_OVERRIDE=given "$PROBE_IMAGE" sh -c 'echo $PROBE_OVERRIDE'
  is "$output" "given" "-e is not a default"
}

@test "run --umask: the process's umask and inspect's Config.Umask; 0022 by default whatever cabin's own" {
  local saved
  saved=$(umask)
  umask 0077
  run_cabin run --rm --network none "$PROBE_IMAGE" sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
  umask "$saved"
  is "$output" $'0022\n644' "the default, though cabin ran with 0077"
  run_cabin run --rm --network none --umask 027 "$PROBE_IMAGE" sh -c 'umask; mkdir /tmp/d; stat -c %a /tmp/d'
  is "$output" $'0027\n750' "--umask 027"
  run_cabin create --name masked --umask 0077 "$PROBE_IMAGE" true
  run_cabin inspect --format '{{.Config.Umask}}' masked
  is "$output" "0077"
  run_cabin rm masked
  store_baseline
  local bad
  for bad in 999 08 77777 abc; do
    run_cabin 125 run --rm --network none --umask "$bad" "$PROBE_IMAGE" true
    expect_error "invalid umask string $bad: it must be an octal mode such as 0022" "--umask '$bad'"
  done
  assert_nothing_left "$BASELINE"
}

@test "run --tz: /etc/localtime is the zone's file (local: the host's); inspect's Config.Timezone; an unknown zone is refused" {
  run_cabin run --rm --network none --tz Asia/Tokyo -v /usr/share/zoneinfo/Asia/Tokyo:/zone:ro "$PROBE_IMAGE" sh -c 'date +%Z; cmp /etc/localtime /zone && echo same'
  is "$output" $'JST\nsame' "the zone's file, read by the C library"
  run_cabin run --rm --network none --tz local -v /etc/localtime:/zone:ro "$PROBE_IMAGE" sh -c 'cmp /etc/localtime /zone && echo same'
  is "$output" "same" "local: the host's"
  run_cabin create --name zoned --tz Europe/Berlin "$PROBE_IMAGE" true
  run_cabin inspect --format '{{.Config.Timezone}}' zoned
  is "$output" "Europe/Berlin"
  run_cabin rm zoned
  store_baseline
  run_cabin 125 run --rm --network none --tz Nowhere/Land "$PROBE_IMAGE" true
  expect_error 'invalid --tz "Nowhere/Land": /usr/share/zoneinfo/Nowhere/Land is not a time zone file on this host \(see /usr/share/zoneinfo\)'
  run_cabin 125 run --rm --network none --tz ../../../etc/passwd "$PROBE_IMAGE" true
  expect_error 'invalid --tz "../../../etc/passwd": name a zone such as Europe/Berlin, UTC or local'
  run_cabin 125 run --rm --network none --tz Europe "$PROBE_IMAGE" true
  expect_error 'invalid --tz "Europe": /usr/share/zoneinfo/Europe is not a time zone file on this host .*'
  assert_nothing_left "$BASELINE"
}

@test "run --shm-size sizes /dev/shm (64m by default); inspect's HostConfig.ShmSize; bad sizes are refused" {
  run_cabin run --rm --network none "$PROBE_IMAGE" sh -c "df -k /dev/shm | awk 'NR == 2 {print \$2}'"
  is "$output" "65536" "64m by default"
  run_cabin run --rm --network none --shm-size 2m "$PROBE_IMAGE" sh -c "df -k /dev/shm | awk 'NR == 2 {print \$2}'"
  is "$output" "2048" "--shm-size 2m"
  run_cabin create --name shm --shm-size 1.5g "$PROBE_IMAGE" true
  run_cabin inspect --format '{{.HostConfig.ShmSize}}' shm
  is "$output" "1610612736"
  run_cabin rm shm
  store_baseline
  run_cabin 125 run --rm --network none --shm-size 1x "$PROBE_IMAGE" true
  expect_error "unable to translate --shm-size: invalid suffix: 'x'"
  run_cabin 125 run --rm --network none --shm-size 0 "$PROBE_IMAGE" true
  expect_error "--shm-size 0: /dev/shm needs at least 1k"
  assert_nothing_left "$BASELINE"
}

@test "run --sysctl sets the container's own network and IPC values; the host's are untouched; others are refused" {
  local host_forward host_shmmax
  host_forward=$(cat /proc/sys/net/ipv4/ip_forward)
  host_shmmax=$(cat /proc/sys/kernel/shmmax)
  run_cabin run --rm --network none --sysctl net.ipv4.ip_forward=$((1 - host_forward)) --sysctl kernel.shmmax=12345 \
    "$PROBE_IMAGE" cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax
  is "$output" "$((1 - host_forward))"$'\n'"12345"
  is "$(cat /proc/sys/net/ipv4/ip_forward) $(cat /proc/sys/kernel/shmmax)" "$host_forward $host_shmmax" "the host's stay"
  store_baseline
  run_cabin 125 run --rm --network none --sysctl kernel.hostname=x "$PROBE_IMAGE" true
  expect_error "sysctl 'kernel.hostname' is not allowed: only the network \(net\.\*\) and IPC .*"
  run_cabin 125 run --rm --network none --sysctl net.ipv4.ip_forward "$PROBE_IMAGE" true
  expect_error "net.ipv4.ip_forward is invalid, sysctl values must be in the form of KEY=VALUE"
  run_cabin 125 run --rm --network host --sysctl net.ipv4.ip_forward=1 "$PROBE_IMAGE" true
  expect_error "sysctl net.ipv4.ip_forward=1 can't be set since Network Namespace set to host: invalid argument"
  run_cabin 125 run --rm --network none --ipc host --sysctl kernel.shmmax=1 "$PROBE_IMAGE" true
  expect_error "sysctl kernel.shmmax=1 can't be set since IPC Namespace set to host: invalid argument"
  run_cabin 125 run --rm --network none --sysctl net.no.such.key=1 "$PROBE_IMAGE" true
  expect_error "set sysctl net.no.such.key: No such file or directory"
  assert_nothing_left "$BASELINE"
}

@test "run --pidfile: each start writes the process's pid there; without it, inspect's PidFile names the file" {
  local pidfile=$BATS_TEST_TMPDIR/sub/../ctr.pid
  run_cabin run -d --name pidded --network none --pidfile "$pidfile" "$PROBE_IMAGE" sleep 100
  run_cabin inspect --format '{{.PidFile}} {{.State.Pid}}' pidded
  is "$output" "$BATS_TEST_TMPDIR/ctr.pid $(cat "$BATS_TEST_TMPDIR/ctr.pid")" "the file holds State.Pid"
  is "$(cat /proc/"$(cat "$BATS_TEST_TMPDIR/ctr.pid")"/comm)" "sleep" "the container's process"
  run_cabin run -d --name plain --network none "$PROBE_IMAGE" sleep 100
  run_cabin inspect --format '{{.PidFile}} {{.State.Pid}}' plain
  local file=${output% *} pid=${output#* }
  is "$(cat "$file")" "$pid" "the default file"
  run_cabin restart -t 0 pidded
  run_cabin inspect --format '{{.State.Pid}}' pidded
  is "$(cat "$BATS_TEST_TMPDIR/ctr.pid")" "$output" "rewritten at the next start"
  run_cabin rm -f -t 0 pidded plain
}

@test "--pidfile in a directory that does not exist: the start fails before the process runs (run leaves nothing, a created one stays created)" {
  local pidfile=$BATS_TEST_TMPDIR/missing/ctr.pid
  store_baseline
  run_cabin 125 run --rm --network none --pidfile "$pidfile" "$PROBE_IMAGE" true
  expect_error "write --pidfile $pidfile: No such file or directory"
  run_cabin 125 run -d --name nopid --network none --pidfile "$pidfile" "$PROBE_IMAGE" sleep 100
  expect_error "write --pidfile $pidfile: No such file or directory"
  assert_nothing_left "$BASELINE"
  run_cabin create --name nopid --network none --pidfile "$pidfile" "$PROBE_IMAGE" sleep 100
  run_cabin 125 start nopid
  expect_error "write --pidfile $pidfile: No such file or directory"
  run_cabin inspect --format '{{.State.Status}} {{.State.Pid}}' nopid
  is "$output" "created 0" "never started"
  mkdir "$BATS_TEST_TMPDIR/missing"
  run_cabin start nopid
  run_cabin inspect --format '{{.State.Pid}}' nopid
  is "$(cat "$pidfile")" "$output" "written once the directory is there"
  run_cabin rm -f -t 0 nopid
}

@test "run --replace removes the container of the same name first (its name printed, as Podman does); without --name it is refused" {
  # wait-signal exits on the stop signal (a sleep as PID 1 would ignore it).
  run_cabin run -d --name twin --network none "$PROBE_IMAGE" /bin/probe wait-signal 100
  local old=$output
  run_cabin run -d --replace --name twin --network none "$PROBE_IMAGE" /bin/probe wait-signal 100
  is "${lines[0]}" "twin" "the old one's name first"
  local new=${lines[1]}
  run_cabin ps -a --format '{{.ID}} {{.Names}}' --no-trunc
  is "$output" "$new twin" "only the new one"
  [[ $new != "$old" ]] || die "the same container"
  run_cabin create --replace --name fresh "$PROBE_IMAGE" true
  is "${#lines[@]}" 1 "nothing to replace: the id alone"
  run_cabin rm -f -t 0 twin fresh
  store_baseline
  run_cabin 125 run --rm --network none --replace "$PROBE_IMAGE" true
  expect_error "cannot replace container without --name being set"
  run_cabin create --name keepme "$PROBE_IMAGE" true
  run_cabin 125 create --replace --name keepme --umask 9 "$PROBE_IMAGE" true
  expect_error "invalid umask string 9: .*"
  run_cabin container exists keepme
  run_cabin rm keepme
  assert_nothing_left "$BASELINE"
}

@test "create --expose: ports -P publishes besides the image's; bad ports and protocols are refused" {
  run_cabin create --name exposed -P --expose 8080 --expose 9000-9001/udp "$PROBE_IMAGE" true
  run_cabin inspect --format '{{range $p, $b := .HostConfig.PortBindings}}{{$p}} {{end}}' exposed
  is "$output" "8080/tcp 9000/udp 9001/udp " "published to random host ports"
  run_cabin create --name unpublished --expose 8080 "$PROBE_IMAGE" true
  run_cabin inspect --format '{{len .HostConfig.PortBindings}}' unpublished
  is "$output" "0" "without -P nothing is published"
  run_cabin rm exposed unpublished
  store_baseline
  run_cabin 125 create --expose 99999 "$PROBE_IMAGE" true
  expect_error "invalid range format for --expose: 99999: parsing exposed port: port numbers must be between 1 and 65535 \(inclusive\), got 99999"
  run_cabin 125 create --expose 80/sctp "$PROBE_IMAGE" true
  expect_error 'invalid range format for --expose: 80/sctp: protocol "sctp" is not allowed: use tcp or udp'
  assert_nothing_left "$BASELINE"
}
