#!/usr/bin/env bats
# Concurrency: cabin processes working on one store at the same time, and
# containers' waiters (monitors) that are slow or killed. Each ends with a
# store that `system check` finds sound, and no mount, process or held lock
# left behind.
#
# Sized for CI (about two minutes per user); longer by hand (bats directly,
# tests/system/README.md): CABIN_TEST_STRESS_SECONDS (the 8 workers, 30),
# CABIN_TEST_KILL_ROUNDS (monitors killed, 10), CABIN_TEST_BUILD_KILL_ROUNDS
# (build, rmi and volume kills, 4 rounds).

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

teardown() {
  # Monitors a failed test left stopped go on, and so end with their containers.
  [[ -z ${STOPPED_MONITORS:-} ]] || kill -CONT "${STOPPED_MONITORS[@]}" 2>/dev/null || true
  basic_teardown
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
  STOPPED_MONITORS=()
  for name in slow-stop slow-rm; do
    run_cabin run -d --name "$name" "$PROBE_IMAGE" sh -c 'trap "exit 3" TERM; echo started; while :; do sleep 0.1; done'
    wait_logs "$name" started
    mon=$(monitor_of "$name")
    pids+=("$(cabin_out inspect --format '{{.State.Pid}}' "$name")")
    # The monitor can neither reap the container nor record its exit.
    kill -STOP "$mon"
    mons+=("$mon") STOPPED_MONITORS+=("$mon")
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

# ---------------------------------------------------------------- workers
# A worker's operations, chosen at random until the deadline. Each prints
# "OP ok" or "OP failed: …" (its first error line) to the worker's log; a
# failure that another worker's operation explains is "OP refused: …".
# N: the worker, K: its count (names unique in the store).
op_run() { "$CABIN" run --rm --network none "$PROBE_IMAGE" probe exit 0; }
op_detached() {
  "$CABIN" run -d --name "d$N-$K" "$PROBE_IMAGE" sh -c "sleep 0.$((RANDOM % 10))" >/dev/null &&
    "$CABIN" rm -f -t 1 "d$N-$K" >/dev/null
}
op_build() {
  local ctx=$BATS_TEST_TMPDIR/ctx-$N
  mkdir -p "$ctx"
  printf 'FROM %s\nRUN echo %s-%s >/built\n' "$PROBE_IMAGE" "$N" "$K" >"$ctx/Containerfile"
  "$CABIN" build -q -t "built$N:$K" "$ctx" >/dev/null && "$CABIN" rmi "built$N:$K" >/dev/null
}
op_volume() {
  "$CABIN" volume create "v$N-$K" >/dev/null &&
    "$CABIN" run --rm --network none -v "v$N-$K:/data" "$PROBE_IMAGE" sh -c 'echo x >/data/f' &&
    "$CABIN" volume rm "v$N-$K" >/dev/null
}
# busybox comes and goes: other workers' pulls, runs and rmis race for it.
op_pull() { "$CABIN" pull -q "$IMAGE" >/dev/null; }
op_busybox() { "$CABIN" run --rm --network none "$IMAGE" true; }
op_rmi() { "$CABIN" rmi "$IMAGE" >/dev/null; }
# What rmi may answer when others use or removed the image.
RMI_REFUSALS='image is in use by a container|image not known'

worker() {
  N=$1
  local deadline=$2 ops=(run detached build volume pull busybox rmi) op err
  K=0
  while ((SECONDS < deadline)); do
    K=$((K + 1))
    op=${ops[RANDOM % ${#ops[@]}]}
    if err=$("op_$op" 2>&1 >/dev/null); then
      echo "$op ok"
    elif [[ $op == rmi && $err =~ $RMI_REFUSALS ]]; then
      echo "$op refused: $(grep -m1 Error <<<"$err")"
    else
      echo "$op failed: $(grep -v "$CABIN_SINGLE_ID_WARNING" <<<"$err" | head -3 | tr '\n' ' ')"
    fi
  done
}

# store_locks_held: entries of /proc/locks on the store's lock files.
store_locks_held() {
  local inodes
  inodes=$("$CABIN" unshare find "$GRAPHROOT" "$RUNROOT" \( -name '*.lock' -o -name lock \) -printf '%i\n' 2>/dev/null)
  [[ -n $inodes ]] || return 0
  awk -v list="$inodes" 'BEGIN { n = split(list, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    { split($6, d, ":"); if (d[3] in want) print }' /proc/locks
}

@test "8 workers pulling, running, building and removing on one store: all succeed, the store is sound, nothing is left" {
  local seconds=${CABIN_TEST_STRESS_SECONDS:-30} i
  local deadline=$((SECONDS + seconds))
  for i in $(seq 8); do
    worker "$i" "$deadline" >"$BATS_TEST_TMPDIR/worker-$i.log" 2>&1 3>&- &
  done
  wait
  cat "$BATS_TEST_TMPDIR"/worker-*.log >"$BATS_TEST_TMPDIR/ops.log"
  local total failed
  total=$(wc -l <"$BATS_TEST_TMPDIR/ops.log")
  printf '# %s operations in %s s by 8 workers:' "$total" "$seconds" >&3
  printf ' %s' $(sed 's/:.*//' "$BATS_TEST_TMPDIR/ops.log" | sort | uniq -c | awk '{ print $2 "-" $3 "=" $1 }') >&3
  echo >&3
  failed=$(grep ' failed: ' "$BATS_TEST_TMPDIR/ops.log" || true)
  is "$failed" "" "failed operations"
  ((total >= 24)) || die "only $total operations in $seconds s"
  # Nothing left: no container, volume or built image; busybox may be there.
  run_cabin ps -a -q
  is "$output" "" "containers left"
  run_cabin volume ls -q
  is "$output" "" "volumes left"
  run_cabin images -a --format '{{.Repository}}'
  is "$(sort <<<"$output" | tr '\n' ' ')" "($REGISTRY/busybox )?$REGISTRY/probe " "images left"
  run_cabin system check
  is "$output" "no problems found" "system check"
  wait_no_container_processes
  assert_no_mounts
  is "$(store_locks_held)" "" "locks held on the store's files"
  is "$("$CABIN" unshare find "$GRAPHROOT/tmp" "$RUNROOT/containers" -mindepth 1 2>/dev/null)" "" \
    "staging directories and waiters' markers left"
}

# ---------------------------------------------------------------- killed waiters
# monitor_pid ID: the pid of the container's monitor process, if any.
monitor_pid() { pgrep -u "$(id -u)" -f -- "__monitor $1" | head -1; }

# kill_monitor_at_random ID MAX-MS: waits (5 s at most) for the container's
# monitor, then kills it with SIGKILL after a random delay of up to MAX-MS
# milliseconds (its container may have ended by then), and waits for its end.
# KILLS gets KIND@DELAY, or KIND:gone when the monitor had ended already.
kill_monitor_at_random() {
  local id=$1 max=$2 mon= end=$((SECONDS + 5)) ms
  while :; do
    mon=$(monitor_pid "$id")
    [[ -n $mon || $SECONDS -ge $end ]] && break
    sleep 0.01
  done
  if [[ -z $mon ]]; then
    KILLS+=("$KIND:gone")
    return 0
  fi
  ms=$((RANDOM % max))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  kill -KILL "$mon" 2>/dev/null || true
  wait_ended "$mon"
  KILLS+=("$KIND@${ms}ms")
}

@test "a monitor killed at random points (starting, running, restarting, recording the exit, removing --rm): the container is exited or gone, and removable" {
  local i id st kinds=(start running restart exit rm)
  KILLS=()
  for i in $(seq "${CABIN_TEST_KILL_ROUNDS:-10}"); do
    KIND=${kinds[i % ${#kinds[@]}]}
    case $KIND in
      start)
        id=$(cabin_out create --name "k$i" "$PROBE_IMAGE" sh -c 'sleep 3131')
        start_cabin "$BATS_TEST_TMPDIR/start.out" start "k$i"
        kill_monitor_at_random "$id" 300
        wait_cabin
        # Started, or "the container's monitor died before the container started".
        [[ $status == 0 || $status == 125 ]] || die "start exited $status"
        ;;
      running)
        id=$(cabin_out run -d --name "k$i" "$PROBE_IMAGE" sh -c 'sleep 3131')
        kill_monitor_at_random "$id" 300
        is "$(cabin_out inspect --format '{{.State.Status}} {{.State.ExitCode}}' "k$i")" "exited 137" "a running container whose monitor was killed"
        ;;
      restart)
        id=$(cabin_out run -d --name "k$i" --restart always "$PROBE_IMAGE" sh -c 'exit 1')
        kill_monitor_at_random "$id" 1000
        ;;
      exit)
        id=$(cabin_out run -d --name "k$i" "$PROBE_IMAGE" sh -c 'sleep 1; exit 2')
        kill_monitor_at_random "$id" 1500
        ;;
      rm)
        id=$(cabin_out run -d --name "k$i" --rm "$PROBE_IMAGE" sh -c 'sleep 1')
        kill_monitor_at_random "$id" 1500
        ;;
    esac
    # Whatever the point, the container is not running (or is gone: --rm).
    st=$("$CABIN" inspect --format '{{.State.Status}}' "k$i" 2>/dev/null || echo gone)
    [[ $st =~ ^(created|exited|gone)$ ]] || die "after the kill ($KIND), k$i is $st"
  done
  printf '# monitors killed: %s\n' "${KILLS[*]}" >&3
  run_cabin system check
  is "$output" "no problems found" "system check"
  run_cabin rm -a
  run_cabin ps -a -q
  is "$output" "" "containers left"
  [[ -z $(pgrep -u "$(id -u)" -f 'sleep 3131') ]] || die "container processes left running"
  wait_no_container_processes
  assert_no_mounts
  run_cabin system check
  is "$output" "no problems found" "system check after rm"
}

@test "SIGKILL at random points of build, rmi, volume create and rm: the store is sound or repaired; what is left can be removed" {
  local i ctx=$BATS_TEST_TMPDIR/ctx
  mkdir -p "$ctx"
  for i in $(seq "${CABIN_TEST_BUILD_KILL_ROUNDS:-4}"); do
    printf 'FROM %s\nRUN echo %s >/f\nCOPY Containerfile /\n' "$PROBE_IMAGE" "$i" >"$ctx/Containerfile"
    kill_at_random 1500 build -q -t "b$i" "$ctx"
    run_cabin build -q -t "b$i" "$ctx"
    kill_at_random 200 rmi "b$i"
    kill_at_random 100 volume create "v$i"
    kill_at_random 100 volume rm "v$i"
  done
  run_cabin '?' system check
  printf '# after the kills: %s\n' "${lines[@]}" >&3
  if [[ $status != 0 ]]; then
    run_cabin system check --repair --force
    is "${lines[-1]}" "[0-9]+ problems found, all repaired" "what the kills left, repaired"
  fi
  run_cabin system check
  is "$output" "no problems found"
  # A build killed in a RUN step leaves its working container (ps -a shows
  # it; Podman hides buildah's as --external): it can be removed.
  run_cabin rm -af
  run_cabin ps -a -q
  is "$output" "" "containers left"
  local names=()
  for i in $(seq "${CABIN_TEST_BUILD_KILL_ROUNDS:-4}"); do names+=("b$i"); done
  run_cabin rmi -f -i "${names[@]}"
  run_cabin volume prune -f
  run_cabin build -q -t rebuilt "$ctx"
  run_cabin run --rm --network none rebuilt cat /f
  is "$output" "${CABIN_TEST_BUILD_KILL_ROUNDS:-4}"
  wait_no_container_processes
  assert_no_mounts
}
