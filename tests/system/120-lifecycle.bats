#!/usr/bin/env bats
# Detached containers and their lifecycle with no daemon: run -d, create,
# start, ps, logs, stop, kill, restart, wait, rm, inspect, exists; the
# monitor; repair after a killed monitor or a wiped runroot; concurrency.
#
# Expected outputs are Podman 4.3.1's (rootless, --runtime runc) for the same
# commands on these machines.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

# A container that prints, then waits for SIGTERM and says goodbye.
polite='echo started; echo to-stderr >&2; trap "echo bye; exit 0" TERM; while :; do sleep 0.1; done'
# One that ignores SIGTERM.
stubborn='trap "" TERM; echo started; while :; do sleep 0.1; done'

# run_d NAME SCRIPT [FLAGS…]: a detached container running sh -c SCRIPT.
run_d() {
  local name=$1 script=$2
  shift 2
  run_cabin run -d --name "$name" "$@" "$PROBE_IMAGE" sh -c "$script"
  [[ $output =~ ^[0-9a-f]{64}$ ]] || die "run -d printed '$output', not an ID"
}

state_of() { cabin_out inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1"; }

@test "run -d: the ID, then ps, inspect and exists see it running" {
  run_d web "$polite"
  local id=$output
  run_cabin ps --format '{{.ID}} {{.Names}} {{.Status}} {{.Command}}'
  is "$output" "${id:0:12} web Up .* ago sh -c echo starte\.\.\." "ps"
  run_cabin ps -q
  is "$output" "${id:0:12}" "ps -q"
  run_cabin ps -q --no-trunc
  is "$output" "$id" "ps -q --no-trunc"
  run_cabin inspect --format '{{.State.Status}} {{.State.Running}} {{.Name}} {{.Id}}' web
  is "$output" "running true web $id"
  local pid
  pid=$(cabin_out inspect --format '{{.State.Pid}}' web)
  [[ -d /proc/$pid ]] || die "State.Pid $pid is not a process"
  run_cabin container exists web
  run_cabin 1 container exists nosuch
  run_cabin ps -a --format json
  is "$(jq -r '.[0].State, .[0].Names[0], .[0].Id' <<<"$output" | tr '\n' ' ')" "running web $id " "ps --format json"
}

@test "logs: stdout and stderr apart, -t, --tail, --since; -f follows until the container exits" {
  # (pauses: the monitor reads two pipes, and keeps the order of what it reads)
  run_d talker 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo four; exit 0'
  wait_logs talker three
  run_cabin logs talker
  is "$output" "one"$'\n'"three" "stdout"
  is "$stderr" "two" "stderr"
  run_cabin logs --tail 1 talker
  is "$output" "three" "the last line"
  is "$stderr" "" "no stderr in the last line"
  run_cabin logs --tail 2 talker
  is "$output" "three"
  is "$stderr" "two" "the line before the last is stderr's"
  run_cabin logs -t talker
  is "${lines[0]}" "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+) one" "-t"
  run_cabin logs --since 1h talker
  is "${lines[0]}" "one" "--since 1h"
  run_cabin logs --since "$(date -d '+1 hour' +%s)" talker
  is "$output" "" "--since the future"
  # -f returns once the container has exited, with everything it wrote.
  run_cabin exec talker touch /tmp/go
  run_cabin logs -f talker
  is "$output" "one"$'\n'"three"$'\n'"four" "logs -f"
  run_cabin 125 logs --since bogus talker
  expect_error "invalid time value \"bogus\".*"
}

@test "stop: a container that handles SIGTERM stops at once; one that ignores it is killed at the timeout" {
  run_d polite "$polite"
  wait_logs polite started
  local t0=$SECONDS
  run_cabin stop polite
  is "$output" "polite"
  ((SECONDS - t0 < 5)) || die "stop took $((SECONDS - t0))s for a container that exits on SIGTERM"
  is "$(state_of polite)" "exited 0"
  run_cabin logs polite
  assert_contains "$output" "bye" "it saw SIGTERM"

  run_d stubborn "$stubborn"
  wait_logs stubborn started
  CABIN_ALLOWED_WARNINGS="StopSignal SIGTERM failed to stop container stubborn in 1 seconds, resorting to SIGKILL"
  t0=$SECONDS
  run_cabin stop -t 1 stubborn
  is "$output" "stubborn"
  ((SECONDS - t0 >= 1 && SECONDS - t0 < 6)) || die "stop -t 1 took $((SECONDS - t0))s"
  is "$(state_of stubborn)" "exited 137" "killed"
  # Stopping a stopped container is not an error.
  run_cabin stop stubborn
  is "$output" "stubborn"
  wait_no_container_processes
}

@test "--stop-signal and --stop-timeout" {
  run_d usr1 'trap "echo got-usr1; exit 7" USR1; echo started; while :; do sleep 0.1; done' --stop-signal USR1
  wait_logs usr1 started
  run_cabin stop usr1
  is "$(state_of usr1)" "exited 7"
  run_cabin inspect --format '{{.Config.StopSignal}}' usr1
  is "$output" "USR1"
  run_d quick "$stubborn" --stop-timeout 1
  wait_logs quick started
  CABIN_ALLOWED_WARNINGS="StopSignal SIGTERM failed to stop container quick in 1 seconds, resorting to SIGKILL"
  run_cabin stop quick
  is "$(state_of quick)" "exited 137"
  run_cabin 125 run -d --stop-signal BOGUS "$PROBE_IMAGE" true
  expect_error "invalid signal: BOGUS"
}

@test "kill: -s, a stopped container, a bad signal" {
  run_d target 'trap "echo got-hup" HUP; echo started; while :; do sleep 0.1; done'
  wait_logs target started
  run_cabin kill -s HUP target
  is "$output" "target"
  wait_logs target got-hup
  is "$(state_of target)" "running 0" "a handled signal does not stop it"
  run_cabin 125 kill -s BOGUS target
  expect_error "invalid signal: BOGUS"
  run_cabin kill target
  run_cabin wait target
  is "$output" "137" "SIGKILL by default"
  local id
  id=$(cabin_out inspect --format '{{.Id}}' target)
  run_cabin 125 kill target
  expect_error "can only kill running containers. $id is in state exited: container state improper"
}

@test "create, start, start -a, wait, restart" {
  run_cabin create --name later "$PROBE_IMAGE" sh -c 'echo ran; exit 4'
  [[ $output =~ ^[0-9a-f]{64}$ ]] || die "create printed '$output'"
  is "$(state_of later)" "created 0"
  run_cabin ps --format '{{.Names}}'
  is "$output" "" "a created container is not running"
  run_cabin ps -a --format '{{.Names}} {{.Status}}'
  is "$output" "later Created"
  run_cabin start later
  is "$output" "later"
  run_cabin wait later
  is "$output" "4" "wait prints the exit code"
  run_cabin logs later
  is "$output" "ran"
  # start -a: in the foreground, with its output and exit code.
  run_cabin 4 start -a later
  is "$output" "ran"
  run_cabin restart later
  run_cabin wait later
  is "$output" "4"
  run_cabin logs later
  is "$output" "ran"$'\n'"ran"$'\n'"ran" "three runs, one log"
  run_cabin 125 start nosuch
  expect_error 'no container with name or ID "nosuch" found: no such container'
}

@test "--restart on-failure:N restarts N times; always stops restarting after stop" {
  run_d flaky 'echo attempt; exit 3' --restart on-failure:2
  run_cabin wait flaky
  for _ in $(seq 100); do
    [[ $(cabin_out inspect --format '{{.RestartCount}} {{.State.Status}}' flaky) == "2 exited" ]] && break
    sleep 0.1
  done
  is "$(cabin_out inspect --format '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' flaky)" "2 exited 3"
  run_cabin logs flaky
  is "$output" "attempt"$'\n'"attempt"$'\n'"attempt" "first run and two restarts"

  run_d forever 'echo up; sleep 0.3; exit 0' --restart always
  for _ in $(seq 100); do
    (($(cabin_out inspect --format '{{.RestartCount}}' forever) >= 2)) && break
    sleep 0.1
  done
  (($(cabin_out inspect --format '{{.RestartCount}}' forever) >= 2)) || die "--restart always did not restart"
  run_cabin stop -t 1 forever
  is "$(cabin_out inspect --format '{{.State.Status}}' forever)" "exited"
  local count
  count=$(cabin_out inspect --format '{{.RestartCount}}' forever)
  sleep 1
  is "$(cabin_out inspect --format '{{.RestartCount}} {{.State.Status}}' forever)" "$count exited" "no restart after stop"
  run_cabin 125 run --rm --restart always "$PROBE_IMAGE" true
  expect_error 'the --rm option conflicts with --restart, when the restartPolicy is not "" and "no"'
  run_cabin 125 run --restart bogus "$PROBE_IMAGE" true
  expect_error 'running container create option: "bogus" is not a valid restart policy: invalid argument'
}

@test "rm: running without -f (exit 2), -f, a missing one (exit 1), -a; run -d --rm removes itself" {
  run_d busy "$polite"
  local id=$output
  run_cabin 2 rm busy
  is "$stderr" "Error: cannot remove container $id as it is running - running or paused containers cannot be removed without force: container state improper"
  run_cabin rm -f busy
  is "$output" "busy"
  run_cabin 1 rm nosuch
  is "$stderr" 'Error: no container with name or ID "nosuch" found: no such container'
  run_cabin rm -i nosuch
  # -v and --depend: no anonymous volumes or dependent containers exist yet
  # (volumes and pods come later); the container itself goes.
  run_cabin create --name v "$PROBE_IMAGE" true
  run_cabin rm -v v
  is "$output" "v"
  run_cabin create --name dep "$PROBE_IMAGE" true
  run_cabin rm --depend dep
  is "$output" "dep"
  run_cabin 1 container exists dep
  run_d a true
  run_d b "$polite"
  run_cabin rm -af
  is "$(cabin_out ps -aq)" "" "rm -af removed them all"
  run_cabin run -d --rm "$PROBE_IMAGE" sh -c 'sleep 0.2'
  id=$output
  for _ in $(seq 100); do
    "$CABIN" container exists "$id" || break
    sleep 0.1
  done
  run_cabin 1 container exists "$id"
  wait_no_container_processes
  is "$(container_ids)" "" "no record left"
}

@test "bad input: no such container, a taken name, missing arguments" {
  run_d taken true
  run_cabin 125 run -d --name taken "$PROBE_IMAGE" true
  expect_error 'creating container storage: the container name "taken" is already in use by .*'
  for cmd in stop kill restart logs wait inspect; do
    run_cabin 125 "$cmd" nosuch
    assert_contains "$stderr" "nosuch" "$cmd names it"
  done
  run_cabin 125 stop
  expect_error "you must provide at least one container name or ID"
}

@test "a monitor killed with SIGKILL: the next ps marks the container exited and nothing runs on" {
  run_d victim "$polite"
  wait_logs victim started
  local monitor
  monitor=$(cabin_out inspect --format '{{.State.ConmonPid}}' victim)
  [[ $monitor -gt 0 ]] || die "no monitor pid"
  kill -9 "$monitor"
  # kill returns before the process is done dying (the kernel takes some
  # milliseconds to remove its tap device): wait for its end.
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $(cut -d' ' -f3 "/proc/$monitor/stat" 2>/dev/null) =~ ^(Z|)$ ]] && break
    sleep 0.02
  done
  run_cabin ps -a --format '{{.Names}} {{.Status}}'
  is "$output" "victim Exited \(137\) .*" "marked exited"
  wait_no_container_processes
  # and it can start again
  run_cabin start victim
  wait_logs victim started
  is "$(state_of victim)" "running 0"
}

@test "a wiped runroot (as by a reboot) is noticed" {
  run_d orphan "$polite"
  wait_logs orphan started
  rm -rf "$RUNROOT/containers"
  run_cabin ps -a --format '{{.Names}} {{.Status}}'
  is "$output" "orphan Exited \(137\) .*"
  wait_no_container_processes
}

@test "the monitor is small" {
  run_d small "$polite"
  wait_logs small started
  local monitor rss
  monitor=$(cabin_out inspect --format '{{.State.ConmonPid}}' small)
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$monitor/status")
  echo "# monitor RSS ${rss} kB" >&2
  # The sanitized binary (./dev test's cabinsolo run): AddressSanitizer's
  # shadow memory and allocator add about 20 MB.
  local limit=16000
  ! grep -qa __asan_init "$CABIN" || limit=48000
  ((rss < limit)) || die "the monitor uses ${rss} kB"
}

@test "8 concurrent cabin processes creating, starting and removing containers" {
  local i
  for i in $(seq 8); do
    (
      for j in 1 2 3; do
        "$CABIN" run -d --name "c$i-$j" "$PROBE_IMAGE" sh -c 'sleep 0.2' >/dev/null || exit 1
        "$CABIN" rm -f "c$i-$j" >/dev/null || exit 2
      done
      "$CABIN" run -d --name "keep$i" "$PROBE_IMAGE" true >/dev/null || exit 3
    ) &
  done
  local rc=0
  for i in $(seq 8); do wait -n || rc=$?; done
  ((rc == 0)) || die "a worker failed ($rc)"
  run_cabin ps -a --format '{{.Names}}'
  is "$(sort <<<"$output" | tr '\n' ' ')" "keep1 keep2 keep3 keep4 keep5 keep6 keep7 keep8 " "exactly the kept ones"
  for i in $(seq 8); do run_cabin wait "keep$i"; done
  run_cabin ps -a --format '{{.Status}}'
  is "$(sort -u <<<"$output" | sed 's/ .*//' | sort -u)" "Exited" "all exited"
}

@test "events: the lifecycle of a container" {
  run_d evented true
  run_cabin wait evented
  run_cabin rm evented
  run_cabin events --stream=false --filter type=container --filter container=evented --format '{{.Status}} {{.Name}}'
  is "$(sort <<<"$output" | tr '\n' ' ')" "create evented died evented remove evented start evented " "create, start, died, remove"
  run_cabin events --stream=false --filter event=died --format '{{.Name}} {{.ContainerExitCode}}'
  is "$output" "evented 0"
}

@test "rename, port, container prune, pause" {
  run_cabin create --name first "$PROBE_IMAGE" true
  local id=$output
  run_cabin create --name second "$PROBE_IMAGE" true
  run_cabin rename first renamed
  is "$output" ""
  is "$(cabin_out inspect --format '{{.Id}}' renamed)" "$id" "the same container"
  run_cabin 125 rename renamed second
  expect_error "renaming container $id: name second already in use, cannot rename container $id: container already exists"
  run_cabin 125 rename renamed 'bad name'
  expect_error "names must match \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]\*: invalid argument"
  run_cabin 125 rename nosuch x
  expect_error 'no container with name or ID "nosuch" found: no such container'
  run_cabin port renamed
  is "$output" "" "no published ports"
  run_cabin 125 pause renamed
  expect_error '"created" is not running, can.t pause: container state improper'
  run_d up "$polite"
  run_cabin container prune -f
  is "$(sort <<<"$output" | wc -l)" "2" "the two stopped ones"
  run_cabin ps -a --format '{{.Names}}'
  is "$output" "up" "the running one stays"
}

@test "run -d --init: run returns once the command runs, and PID 1 holds nothing of cabin's" {
  run_cabin run -d --name initd --init "$PROBE_IMAGE" sh -c 'ls -l /proc/1/fd; sleep 1000'
  wait_logs initd ' 2 -> '
  run_cabin logs initd
  assert_not_contains "$output" " 3 -> "
  run_cabin rm -f -t 0 initd
}
