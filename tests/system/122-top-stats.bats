#!/usr/bin/env bats
# cabin top and cabin stats: a container's processes and resource figures,
# read from the host's /proc.
#
# Expected outputs are Podman 4.3.1's (rootless, --runtime runc) for the same
# commands on these machines; Podman's rootless stats needs cgroups v2, so its
# texts come from its source and from root's `podman stats`.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

# run_sleeper NAME: a detached container whose PID 1 is sh, with two sleeps
# below it.
run_sleeper() {
  run_cabin run -d --name "$1" "$PROBE_IMAGE" sh -c 'sleep 1000 & sleep 1001 & wait'
  [[ $output =~ ^[0-9a-f]{64}$ ]] || die "run -d printed '$output', not an ID"
  # Wait until both sleeps run.
  local i
  for ((i = 0; i < 100; i++)); do
    run_cabin top "$1" args
    [[ $output == *"sleep 1001"* && $output == *"sleep 1000"* ]] && return 0
    sleep 0.1
  done
  die "the sleeps of $1 did not start"
}

@test "top: default descriptors, PID 1 first as seen inside" {
  run_sleeper topme
  run_cabin top topme
  is "${lines[0]}" "USER        PID         PPID        %CPU        ELAPSED     +TTY         TIME        COMMAND" "header"
  is "${#lines[@]}" 4 "header and three processes"
  is "${lines[1]}" "root        1           0           [0-9.]+ +[^ ]+ +\? +[^ ]+ +sh -c sleep 1000 & sleep 1001 & wait ?" "PID 1"
  is "${lines[2]}" "root        [0-9]+ +1 .* sleep 1000 ?" "first sleep"
  is "${lines[3]}" "root        [0-9]+ +1 .* sleep 1001 ?" "second sleep"

  run_cabin container top topme
  is "${lines[0]}" "USER .*COMMAND" "container top"
}

@test "top: descriptors comma-separated or as separate arguments" {
  run_sleeper desc
  run_cabin top desc pid,args
  is "${lines[0]}" "PID         COMMAND" "header"
  is "${lines[1]}" "1           sh -c sleep 1000 & sleep 1001 & wait ?" "PID 1"
  is "${lines[2]}" "[0-9]+ +sleep 1000 ?"
  local comma=$output
  run_cabin top desc pid args
  is_exact "$output" "$comma" "separate arguments"
  run_cabin top desc user,pid ppid
  is "${lines[0]}" "USER        PID         PPID" "mixed"
  is "${lines[1]}" "root        1           0"
}

@test "top: errors" {
  run_cabin 125 top desc-nosuch
  expect_error 'unable to look up requested container: no container with name or ID "desc-nosuch" found: no such container'
  run_cabin 125 top
  expect_error "you must provide the name or id of a running container"

  run_sleeper busy
  # Podman then runs ps(1) in the container; cabin reports psgo's error.
  run_cabin 125 top busy pid,bogus
  expect_error "'bogus': unknown descriptor"

  run_cabin create --name idle "$PROBE_IMAGE" true
  run_cabin 125 top idle
  expect_error "top can only be used on running containers"
  run_cabin run --name done "$PROBE_IMAGE" true
  run_cabin 125 top done
  expect_error "top can only be used on running containers"
}

@test "stats --no-stream: the default table" {
  run_sleeper st
  local id
  id=$(cabin_out inspect --format '{{.Id}}' st)
  run_cabin stats --no-stream
  # Column widths follow the data (Go's tabwriter).
  is "$(tr -s ' ' <<<"${lines[0]}")" "ID NAME CPU % MEM USAGE / LIMIT MEM % NET IO BLOCK IO PIDS CPU TIME AVG CPU %" "header"
  is "${#lines[@]}" 2 "one container"
  is "${lines[1]}" "${id:0:12}  st +[0-9.]+% +[0-9.]+[kMG]?B / [0-9.]+[kMGT]B +[0-9.]+% +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +[0-9]+ +[^ ]+ +[0-9.]+%" "row"
  local pids
  pids=$(awk '{print $(NF-2)}' <<<"${lines[1]}")
  ((pids >= 3)) || die "PIDS $pids: sh and two sleeps"

  run_cabin container stats --no-stream st
  is "${lines[1]}" "${id:0:12}  st .*" "container stats NAME"
  run_cabin stats --no-stream --no-trunc st
  is "${lines[1]}" "$id  st .*" "--no-trunc"
}

@test "stats --format: Go templates and json" {
  run_sleeper fmt
  local id
  id=$(cabin_out inspect --format '{{.Id}}' fmt)
  run_cabin stats --no-stream --format '{{.Name}} {{.PIDs}}' fmt
  is "$output" "fmt [0-9]+"
  local pids=${output#fmt }
  ((pids >= 3)) || die "PIDs $pids"
  run_cabin stats --no-stream --format '{{.ID}} {{.ContainerID}} {{.CPUPerc}} {{.MemPerc}} {{.AVGCPU}} {{.PIDS}}' fmt
  is "$output" "${id:0:12} $id [0-9.]+% [0-9.]+% [0-9.]+% [0-9]+"
  run_cabin stats --no-stream --format '{{.MemUsage}}|{{.NetIO}}|{{.BlockIO}}|{{.UpTime}}' fmt
  is "$output" "[0-9.]+[kMG]?B / [0-9.]+[kMGT]B\|[0-9.]+[kMG]?B / [0-9.]+[kMG]?B\|[0-9.]+[kMG]?B / [0-9.]+[kMG]?B\|[^ ]+"
  run_cabin stats --no-stream --format 'table {{.Name}} {{.PIDS}} {{.UpTime}}' fmt
  is "${lines[0]}" "NAME        PIDS        CPU TIME" "table header"

  run_cabin stats --no-stream --format json fmt
  is "$(jq -r '.[0].id, .[0].name, (.[0] | keys_unsorted | join(","))' <<<"$output" | tr '\n' ' ')" \
    "${id:0:12} fmt id,name,cpu_time,cpu_percent,avg_cpu,mem_usage,mem_percent,net_io,block_io,pids "
  is "${lines[1]}" ' \{' "indented by one blank"
  (($(jq -r '.[0].pids' <<<"$output") >= 3)) || die "json pids"
}

@test "stats: containers that are not running, errors" {
  # Podman 4.3 shows zeros for a container that is not running.
  run_cabin create --name idle "$PROBE_IMAGE" true
  local id
  id=$(cabin_out inspect --format '{{.Id}}' idle)
  run_cabin stats --no-stream idle
  is "${lines[1]}" "${id:0:12}  idle        0.00%       0B / 0B            0.00%       0B / 0B     0B / 0B     0           0s          0.00%"
  run_cabin stats --no-stream --format json idle
  is "$(jq -c . <<<"$output")" '\[\{"id":"'"${id:0:12}"'","name":"idle","cpu_time":"0s","cpu_percent":"0.00%","avg_cpu":"0.00%","mem_usage":"0B / 0B","mem_percent":"0.00%","net_io":"0B / 0B","block_io":"0B / 0B","pids":"0"\}\]'

  run_cabin 125 stats --no-stream nosuch
  expect_error 'unable to get list of containers: unable to look up container nosuch: no container with name or ID "nosuch" found: no such container'
  run_cabin 125 stats --no-stream -a idle
  expect_error "--all, --latest and containers cannot be used together"
  run_cabin 125 stats --no-stream -i 0
  expect_error "invalid interval, must be a positive number greater zero"
}

@test "stats without --no-stream: a frame every interval until interrupted" {
  run_sleeper live
  local out=$BATS_TEST_TMPDIR/live.out
  timeout -s INT 3.5 "$CABIN" stats -i 1 live >"$out" 2>&1 || true
  local frames
  frames=$(grep -c '^ID  ' "$out")
  ((frames >= 3 && frames <= 4)) || die "$frames frames in 3.5 s at 1 s: $(<"$out")"
  # Not a terminal: no escape sequences.
  ! grep -q $'\033' "$out" || die "escape sequences in redirected output"
}
