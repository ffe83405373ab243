#!/usr/bin/env bats
# Concurrency: cabin processes working on one store at the same time, and
# containers' waiters (monitors) that are slow or killed. Each ends with a
# store that `system check` finds sound, and no mount, process or held lock
# left behind.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

# monitor_of NAME: the pid of the container's monitor.
monitor_of() {
  local pid
  pid=$(cabin_out inspect --format '{{.State.ConmonPid}}' "$1")
  [[ $pid -gt 0 ]] || die "container $1 has no monitor"
  echo "$pid"
}

# ended PID: PID is gone, or a zombie (its parent has not reaped it yet).
ended() { [[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) =~ ^(Z|)$ ]]; }

# wait_ended PID…: waits (10 s at most) until each PID has ended.
wait_ended() {
  local i p
  for p; do
    for ((i = 0; i < 100; i++)); do
      ended "$p" && break
      sleep 0.1
    done
    ended "$p" || die "process $p did not end"
  done
}

@test "a waiter slow to record an exit: stop and rm -f record it themselves once the process is gone" {
  local name pids=() mons=() mon
  for name in slow-stop slow-rm; do
    run_cabin run -d --name "$name" "$PROBE_IMAGE" sh -c 'trap "exit 3" TERM; echo started; while :; do sleep 0.1; done'
    wait_logs "$name" started
    mon=$(monitor_of "$name")
    pids+=("$(cabin_out inspect --format '{{.State.Pid}}' "$name")")
    # The monitor can neither reap the container nor record its exit.
    kill -STOP "$mon"
    mons+=("$mon")
  done
  kill -TERM "${pids[@]}"
  wait_ended "${pids[@]}"
  CABIN_ALLOWED_WARNINGS="the waiter of container [0-9a-f]{12} has not recorded its exit 10 s after its end: recorded as killed"
  start_cabin "$BATS_TEST_TMPDIR/stop.out" stop slow-stop
  local stop_pid=$CABIN_PID
  run_cabin rm -f slow-rm
  is "$output" "slow-rm" "rm -f removed it"
  is "$stderr" "WARN\[[0-9]+\] $CABIN_ALLOWED_WARNINGS" "what rm -f says"
  CABIN_PID=$stop_pid
  wait_cabin 30
  is "$status" 0 "stop's exit code"
  is "$(grep -v "$CABIN_SINGLE_ID_WARNING" "$BATS_TEST_TMPDIR/stop.out")" "WARN\[[0-9]+\] $CABIN_ALLOWED_WARNINGS"$'\n'"slow-stop" "what stop says"
  run_cabin ps -a --format '{{.Names}} {{.Status}}'
  is "$output" "slow-stop Exited \(137\) .*" "recorded as killed while its monitor sleeps"
  # The monitors go on: the one whose container is left records the real
  # exit code over stop's; the other finds its container gone and ends.
  kill -CONT "${mons[@]}"
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $(cabin_out inspect --format '{{.State.ExitCode}}' slow-stop) == 3 ]] && break
    sleep 0.1
  done
  is "$(cabin_out inspect --format '{{.State.Status}} {{.State.ExitCode}}' slow-stop)" "exited 3" "the monitor's record"
  wait_ended "${mons[@]}"
  run_cabin rm slow-stop
  run_cabin system check
  is "$output" "no problems found"
  wait_no_container_processes
}

