#!/usr/bin/env bats
# cabin attach and start -a/-i: the monitor's attach socket — output,
# stdin (-i keeps a pipe open), ptys with their window size, detach keys,
# signal proxying, exit codes; bad input.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

# container_status NAME: its State.Status.
container_status() { cabin_out inspect --format '{{.State.Status}}' "$1"; }

@test "attach: the output of a running container until it ends; attach's own exit code is 0" {
  run_cabin run -d --name a "$PROBE_IMAGE" sh -c 'echo ready; sleep 1; echo out; echo err >&2; exit 4'
  run_cabin attach a
  assert_contains "$output" "out" "stdout"
  assert_not_contains "$output" "err" "stderr is kept apart"
  is "$stderr" "err" "stderr"
  is "$(cabin_out inspect --format '{{.State.ExitCode}}' a)" "4" "the container's exit code"
  # A stopped container cannot be attached to.
  run_cabin 125 attach a
  expect_error "you can only attach to running containers"
}

@test "attach: stdin of a -i container; its end closes the container's stdin; --no-stdin" {
  run_cabin run -di --name cat "$PROBE_IMAGE" cat
  sleep 0.3
  is "$(container_status cat)" "running" "run -di keeps stdin open"
  printf 'hello\n' >"$BATS_TEST_TMPDIR/in"
  run_cabin --stdin "$BATS_TEST_TMPDIR/in" attach cat
  is "$output" "hello" "the input came back"
  is "$(container_status cat)" "exited" "the end of input ended cat"

  # Without -i the container's stdin is /dev/null: read sees its end.
  run_cabin run -d --name noi "$PROBE_IMAGE" sh -c 'read x; echo "got <$x> $?"'
  run_cabin wait noi
  run_cabin logs noi
  is "$output" "got <> 1" "stdin without -i"

  # --no-stdin: the input stays ours; the container ends when stopped.
  run_cabin run -di --name keep "$PROBE_IMAGE" sh -c 'trap "exit 9" TERM; while read x; do echo "got $x"; done'
  start_cabin "$BATS_TEST_TMPDIR/att" attach --no-stdin keep
  sleep 0.5
  run_cabin stop keep
  wait_cabin
  is "$status" 0 "attach ends with the container"
  is "$(cabin_out inspect --format '{{.State.ExitCode}}' keep)" "9"
}

@test "start -a/-i: output from the first line, stdin, the exit code; a running container is attached" {
  run_cabin create --name c "$PROBE_IMAGE" sh -c 'echo first; echo e >&2; exit 3'
  run_cabin 3 start -a c
  is "$output" "first" "the first line is not lost"
  is "$stderr" "e" "stderr"
  is "$(container_status c)" "exited"

  run_cabin create -i --name ci "$PROBE_IMAGE" sh -c 'read x; echo "got $x"; exit 7'
  printf 'line\n' >"$BATS_TEST_TMPDIR/in"
  run_cabin 7 --stdin "$BATS_TEST_TMPDIR/in" start -ai ci
  is "$output" "got line"

  # start -a of a running container attaches to it, as Podman does.
  run_cabin run -d --name r "$PROBE_IMAGE" sh -c 'sleep 1; echo late; exit 6'
  run_cabin 6 start -a r
  is "$output" "late"

  # A --rm container is gone afterwards; its exit code still comes back.
  run_cabin create --rm --name gone "$PROBE_IMAGE" sh -c 'echo bye; exit 2'
  run_cabin 2 start -a gone
  is "$output" "bye"
  for _ in $(seq 50); do
    "$CABIN" container exists gone || break
    sleep 0.1
  done
  run_cabin 1 container exists gone
}

@test "start -a: signals are proxied to the container (--sig-proxy)" {
  run_cabin create --name sig "$PROBE_IMAGE" sh -c 'trap "echo usr1" USR1; trap "exit 9" TERM; echo ready; while :; do sleep 0.1; done'
  start_cabin "$BATS_TEST_TMPDIR/out" start -a sig
  wait_for_line "$BATS_TEST_TMPDIR/out" '^ready$'
  kill -USR1 "$CABIN_PID"
  wait_for_line "$BATS_TEST_TMPDIR/out" '^usr1$'
  kill -TERM "$CABIN_PID"
  wait_cabin
  is "$status" 9 "the container's exit code"
  is "$(container_status sig)" "exited"
}

@test "attach through a pty: keys, window size, detach keys, attach again" {
  require_tool script
  run_cabin run -dit --name t "$PROBE_IMAGE" sh
  pty_start "$(cabin_cmd attach t)"
  pty_send 'echo $((6 * 7))\n'
  pty_wait '^42'
  pty_send '\020\021'
  pty_finish
  is "$pty_rc" 0 "detaching is a success"
  is "$(container_status t)" "running" "the container runs on after ctrl-p,ctrl-q"

  pty_start "stty rows 33 cols 101; $(cabin_cmd attach --detach-keys ctrl-a t)"
  pty_send 'stty size\n'
  pty_wait '^33 101'
  pty_send '\001'
  pty_finish
  is "$pty_rc" 0
  is "$(container_status t)" "running" "detached with ctrl-a"

  # A partial detach sequence is typed through: ctrl-p then b.
  pty_start "$(cabin_cmd attach t)"
  pty_send 'echo go; od -c\n'
  pty_wait '^go'
  pty_send 'a\020b\n\004'
  pty_wait 'a 020 +b'
  pty_send 'exit 5\n'
  pty_finish
  is "$pty_rc" 0 "attach ends with the container"
  is "$(cabin_out inspect --format '{{.State.ExitCode}}' t)" "5"

  # start -ai of a -it container, detached and still running.
  run_cabin create -it --name t2 "$PROBE_IMAGE" sh
  pty_start "stty rows 40 cols 90; $(cabin_cmd start -ai t2)"
  pty_send 'stty size\n'
  pty_wait '^40 90'
  pty_send '\020\021'
  pty_finish
  is "$pty_rc" 0
  is "$(container_status t2)" "running"
}

@test "run -it at a terminal: the detach keys leave the container running; --rm leaves nothing" {
  require_tool script
  pty_start "$(cabin_cmd run -it --name rt "$PROBE_IMAGE" sh)"
  pty_send 'echo $((6 * 7))\n'
  pty_wait '^42'
  pty_send '\020\021'
  pty_finish
  is "$pty_rc" 0 "detaching is a success"
  is "$(container_status rt)" "running" "the container runs on under its monitor"
  pty_start "$(cabin_cmd attach rt)"
  pty_send 'exit 4\n'
  pty_finish
  is "$(cabin_out inspect --format '{{.State.ExitCode}}' rt)" "4"

  pty_start "$(cabin_cmd run --rm -it "$PROBE_IMAGE" sh -c 'exit 3')"
  pty_finish
  is "$pty_rc" 3 "the container's exit code"
  run_cabin ps -aq --filter status=exited
  is "$output" "$(cabin_out ps -aq --filter name=rt)" "the --rm container is gone when run returns"
}

@test "exec -it: the detach keys leave the process running" {
  require_tool script
  run_cabin run -d --name box "$PROBE_IMAGE" sh -c 'while :; do sleep 0.1; done'
  pty_start "$(cabin_cmd exec -it box sh -c 'echo in; sleep 1; echo done >/tmp/after')"
  pty_wait '^in'
  pty_send '\020\021'
  pty_finish
  is "$pty_rc" 0 "detaching is a success"
  for _ in $(seq 50); do
    "$CABIN" exec box test -e /tmp/after && break
    sleep 0.1
  done
  run_cabin exec box cat /tmp/after
  is "$output" "done" "the detached process was not hung up"
}

@test "attach: bad input changes nothing" {
  run_cabin run -d --name a "$PROBE_IMAGE" sh -c 'while :; do sleep 0.1; done'
  local id=$output
  run_cabin create --name c "$PROBE_IMAGE" true
  run_cabin 125 attach --detach-keys bogus a
  expect_error "attaching to container $id: invalid detach keys: Unknown character: 'bogus'"
  run_cabin 125 attach --detach-keys ctrl-1 a
  expect_error "attaching to container $id: invalid detach keys: Unknown character: 'ctrl-1'"
  run_cabin 125 run --rm --detach-keys ctrl-1 "$PROBE_IMAGE" true
  expect_error "invalid detach keys: Unknown character: 'ctrl-1'"
  run_cabin 125 exec --detach-keys ctrl- a true
  expect_error "invalid detach keys: Unknown character: 'ctrl-'"
  run_cabin 125 start -a --detach-keys x,yy c
  expect_error "invalid detach keys: Unknown character: 'yy'"
  run_cabin 125 attach c
  expect_error "you can only attach to running containers"
  run_cabin 125 attach nosuch
  expect_error 'no container with name or ID "nosuch" found: no such container'
  run_cabin 125 attach a a
  expect_error '`cabin attach` accepts at most one argument'
  run_cabin 125 attach
  expect_error "attach requires the name or id of one running container or the latest flag"
  is "$(container_status a)" "running" "the container is untouched"
  is "$(container_status c)" "created" "the created container was not started"
  run_cabin ps -a --format '{{.Names}}'
  is "$(sort <<<"$output" | tr '\n' ' ')" "a c " "no container came or went"
}
