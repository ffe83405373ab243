#!/usr/bin/env bats
# Healthchecks without systemd or a daemon: the container's waiter (its
# monitor, or the foreground run) checks on a timer; healthcheck run; the
# status in inspect, ps and events; wait --condition healthy; the
# --health-on-failure actions.
#
# Expected outputs are Podman 4.3.1's (rootless, --runtime runc) for the same
# commands on these machines, where Podman needs systemd for the timer.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

# run_d NAME [FLAGS…] -- SCRIPT: a detached probe container running sh -c SCRIPT.
run_d() {
  local name=$1 flags=()
  shift
  while [[ $1 != -- ]]; do flags+=("$1"); shift; done
  run_cabin run -d --name "$name" "${flags[@]}" "$PROBE_IMAGE" sh -c "$2"
}

health() { cabin_out inspect --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' "$1"; }

# wait_for NAME GO-TEMPLATE REGEX: waits up to 30 s until inspect prints a match.
wait_for() {
  local i got
  for ((i = 0; i < 150; i++)); do
    got=$("$CABIN" inspect --format "$2" "$1" 2>&1)
    [[ $got =~ ^$3$ ]] && return 0
    sleep 0.2
  done
  die "$1: '$2' is '$got', never '$3'"
}

@test "healthcheck: a check that fails, then passes: starting, unhealthy, healthy in inspect, ps, events and wait" {
  run_d hc --health-cmd 'test -e /tmp/ready' --health-interval 1s --health-retries 2 -- 'sleep 1000'
  local id=$output
  is "$(health hc)" "starting 0"
  run_cabin ps --format '{{.Names}} {{.Status}}'
  is "$output" "hc Up .* ago \(starting\)"
  run_cabin inspect --format '{{json .Config.Healthcheck}} {{.Config.HealthcheckOnFailureAction}}' hc
  is_exact "$output" '{"Interval":1000000000,"Retries":2,"Test":["CMD-SHELL","test -e /tmp/ready"],"Timeout":30000000000} none'

  # Podman: the check's own result, "unhealthy" and exit 1, though two
  # failures in a row are needed before the status says so.
  run_cabin 1 healthcheck run hc
  is "$output" "unhealthy"
  run_cabin wait --condition unhealthy hc
  is "$output" "-1"
  run_cabin ps --format '{{.Names}} {{.Status}}' --filter health=unhealthy
  is "$output" "hc Up .* ago \(unhealthy\)"
  run_cabin ps --filter health=healthy -q
  is "$output" ""

  run_cabin exec hc touch /tmp/ready
  run_cabin wait --condition healthy hc
  run_cabin ps --format '{{.Names}} {{.Status}}'
  is "$output" "hc Up .* ago \(healthy\)"
  run_cabin healthcheck run hc
  is "$output" ""
  run_cabin inspect --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}} {{len .State.Health.Log}}' hc
  [[ $output =~ ^healthy\ 0\ [2-5]$ ]] || die "State.Health after success: $output"
  run_cabin inspect --format '{{range .State.Health.Log}}{{.ExitCode}} {{end}}' hc
  [[ $output =~ 1\ .*0\ $ ]] || die "the log's results: $output"
  run_cabin inspect --format '{{(index .State.Health.Log 0).Start}}' hc
  is "$output" "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]+Z"

  # Events for the changes of status, with the status as Podman's field.
  run_cabin events --stream=false --filter container=hc --filter event=health_status --format '{{.Status}} {{.HealthStatus}} {{.ID}}'
  is "$output" "health_status unhealthy $id
health_status healthy $id"

  # A stopped container keeps its last status; ps shows none for it.
  run_cabin stop -t 0 hc
  is "$(health hc)" "healthy 0"
  run_cabin ps -a --format '{{.Names}} {{.Status}}'
  is "$output" "hc Exited \(137\) .* ago"
}

@test "healthcheck: output, exit codes and the timeout; checks run under a foreground run too" {
  run_d out --health-cmd 'echo out; echo err >&2; exit 3' --health-interval disable -- 'sleep 1000'
  run_cabin 1 healthcheck run out
  run_cabin inspect --format '{{json .State.Health.Log}}' out
  is "$(jq -r '.[0].ExitCode, .[0].Output' <<<"$output")" "3
out
err"
  is "$(health out)" "starting 1"

  # The timeout kills the check (and nothing of it is left), as a failure
  # with exit code -1.
  run_d slow --health-cmd 'sleep 20' --health-timeout 1s --health-interval disable -- 'sleep 1000'
  local t0=$SECONDS
  run_cabin 125 healthcheck run slow
  expect_error "healthcheck command exceeded timeout of 1s"
  ((SECONDS - t0 < 10)) || die "the check was not cut short"
  is "$(cabin_out inspect --format '{{(index .State.Health.Log 0).ExitCode}}' slow)" "-1"
  run_cabin top slow args
  is "$output" "COMMAND
sleep 1000 *"

  # --health-interval disable: no check unless asked.
  sleep 1.5
  is "$(cabin_out inspect --format '{{len .State.Health.Log}}' out)" "1"

  run_cabin run --name fg --health-cmd 'echo checked >>/tmp/log' --health-interval 1s "$PROBE_IMAGE" \
    sh -c 'sleep 3.5; cat /tmp/log'
  [[ $output =~ ^checked$'\n'checked ]] || die "no checks during a foreground run: '$output'"
  is "$(cabin_out inspect --format '{{.State.Health.Status}}' fg)" "healthy"
}

@test "healthcheck: the image's HEALTHCHECK; --no-healthcheck and --health-cmd none; the start period" {
  CTX=$BATS_TEST_TMPDIR/ctx
  mkdir -p "$CTX"
  printf 'FROM %s\nHEALTHCHECK --interval=1s --retries=1 CMD test -e /tmp/up\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin build -q -t hcimg "$CTX"
  run_cabin run -d --name img localhost/hcimg sh -c 'touch /tmp/up; sleep 1000'
  run_cabin wait --condition healthy img
  # Flags change the image's check; --no-healthcheck and "none" remove it.
  run_cabin create --name img2 --health-retries 7 localhost/hcimg
  is "$(cabin_out inspect --format '{{.Config.Healthcheck.Retries}} {{index .Config.Healthcheck.Test 1}}' img2)" "7 test -e /tmp/up"
  for off in --no-healthcheck "--health-cmd=none"; do
    run_cabin run -d --name off "$off" localhost/hcimg sleep 1000
    run_cabin inspect --format '{{.State.Health.Status}}|{{.Config.HealthcheckOnFailureAction}}' off
    is "$output" "\|none"
    run_cabin 125 healthcheck run off
    expect_error "container [0-9a-f]{64} has no defined healthcheck"
    run_cabin rm -f -t 0 off
  done

  # Failures in the start period do not count until the first success.
  run_d early --health-cmd false --health-interval 1s --health-retries 1 --health-start-period 60s -- 'sleep 1000'
  sleep 2.5
  run_cabin inspect --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}} {{len .State.Health.Log}}' early
  [[ $output =~ ^starting\ 0\ [1-5]$ ]] || die "start period: $output"
}

@test "healthcheck: --health-on-failure kill, stop and restart" {
  run_d k --health-cmd false --health-interval 1s --health-retries 1 --health-on-failure kill -- 'sleep 1000'
  run_d s --health-cmd false --health-interval 1s --health-retries 1 --health-on-failure stop --stop-timeout 1 \
    --restart always -- 'sleep 1000'
  run_d r --health-cmd 'test ! -e /tmp/bad' --health-interval 1s --health-retries 1 --health-on-failure restart \
    -- 'trap "exit 0" TERM; sleep 1 && touch /tmp/bad; while :; do sleep 0.1; done'
  wait_for k '{{.State.Status}} {{.State.ExitCode}}' 'exited 137'
  # stop: the stop signal, SIGKILL after the stop timeout; no restart after it.
  wait_for s '{{.State.Status}} {{.State.ExitCode}}' 'exited 137'
  sleep 1
  is "$(cabin_out inspect --format '{{.State.Status}} {{.RestartCount}}' s)" "exited 0"
  # restart: a new run (a fresh /tmp, so healthy again), whatever the policy.
  wait_for r '{{.RestartCount}}' '[1-9]'
  wait_for r '{{.State.Status}}' 'running'
  run_cabin events --stream=false --filter container=r --format '{{.Status}}'
  assert_contains "$output" "restart"
}

@test "healthcheck: bad input is a one-line error and changes nothing" {
  run_cabin ps -aq
  local before=$output
  local bad
  for bad in "--health-interval=abc|invalid healthcheck-interval: time: invalid duration \"abc\"" \
    "--health-timeout=500ms|healthcheck-timeout must be at least 1 second" \
    "--health-retries=0|healthcheck-retries must be greater than 0" \
    "--health-start-period=-1s|healthcheck-start-period must be 0 seconds or greater" \
    "--health-on-failure=bogus|invalid on-failure action \"bogus\" for health check: supported actions are none,kill,restart,stop" \
    "--no-healthcheck|cannot specify both --no-healthcheck and --health-cmd"; do
    run_cabin 125 create --health-cmd true "${bad%%|*}" "$PROBE_IMAGE"
    expect_error "$(re_escape "${bad#*|}")"
    run_cabin 125 run --rm --health-cmd true "${bad%%|*}" "$PROBE_IMAGE" true
    expect_error "$(re_escape "${bad#*|}")"
  done
  run_cabin ps -aq
  is "$output" "$before" "no container was made"

  run_cabin 125 healthcheck run nosuch
  expect_error 'unable to look up nosuch to perform a health check: no container with name or ID "nosuch" found: no such container'
  run_cabin create --name plain "$PROBE_IMAGE"
  run_cabin 125 healthcheck run plain
  expect_error "container [0-9a-f]{64} has no defined healthcheck"
  run_cabin 125 wait --condition healthy plain
  expect_error "cannot use condition \"healthy\" because container [0-9a-f]{64} does not have a healthcheck"
  run_cabin create --name idle --health-cmd true "$PROBE_IMAGE"
  run_cabin 125 healthcheck run idle
  expect_error "container [0-9a-f]{64} is not running"
  run_cabin 125 ps --filter health=bogus
  expect_error "bogus is not a valid health status"
  run_cabin 125 healthcheck run
  expect_error "accepts 1 arg\(s\), received 0"
}
