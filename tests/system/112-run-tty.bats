#!/usr/bin/env bats
# cabin run: terminals (-t, -i, a pty driven with script(1): window size,
# SIGWINCH, Ctrl-C, an interactive shell) and signals sent to cabin.
#
# The container's probe (wait-signal) exits 100+N when it gets signal N, so
# an exit code of 115 means "SIGTERM reached the container's process and it
# exited on its own", unlike 143 (something died of SIGTERM).

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

# ------------------------------------------------------------ terminals

@test "run -it: a terminal of the same size, controlling, in the foreground" {
  pty_start "stty rows 33 cols 101; $(cabin_cmd run --rm -it --network none "$PROBE_IMAGE" /bin/probe tty)"
  pty_finish
  is "$pty_rc" 0 "exit code"
  assert_contains "$pty_output" "stdin=1 stdout=1 stderr=1 size=33x101 name=/dev/pts/0 ctty=1 foreground=1" "probe tty"
}

@test "run -t without a terminal on cabin's side" {
  run_cabin run --rm -t --network none "$PROBE_IMAGE" /bin/probe tty
  is "${output%$'\r'}" "stdin=1 stdout=1 stderr=1 size=[0-9]+x[0-9]+ name=/dev/pts/0 ctty=1 foreground=1"
  run_cabin run --rm -t --network none "$PROBE_IMAGE" sh -c 'echo out; echo err >&2'
  is "$(tr -d '\r' <<<"$output")" "out"$'\n'"err" "stdout and stderr both go to the terminal"
  run_cabin 5 run --rm -t --network none "$PROBE_IMAGE" /bin/probe exit 5
}

@test "run without -t: no controlling terminal, even when cabin has one" {
  # Without a controlling terminal of cabin's (a new session), a container
  # cannot push input into the user's shell (TIOCSTI).
  pty_start "$(cabin_cmd run --rm --network none "$PROBE_IMAGE" /bin/probe tty)"
  pty_finish
  is "$pty_rc" 0
  is "$(grep '^stdin=' <<<"$pty_output")" "stdin=. stdout=. stderr=. size=.* name=.* ctty=0 foreground=0"
  pty_start "$(cabin_cmd run --rm --network none "$PROBE_IMAGE" /bin/probe pid)"
  pty_finish
  assert_contains "$pty_output" "pid=1 ppid=0 pgid=1 sid=1" "the container's process leads a session of its own"
}

@test "run -it: an interactive shell session" {
  pty_start "$(cabin_cmd run --rm -it --network none "$PROBE_IMAGE" sh)"
  pty_wait '# '
  pty_send 'tty; echo $((6 * 7)); stty size; exit 3\n'
  pty_finish
  is "$pty_rc" 3 "the shell's exit code"
  assert_contains "$pty_output" $'\n'"/dev/pts/0"$'\n' "tty"
  assert_contains "$pty_output" $'\n'"42"$'\n' "arithmetic"
  assert_contains "$pty_output" $'\n'"24 80"$'\n' "stty size"
}

@test "run -it: Ctrl-C reaches the container" {
  pty_start "$(cabin_cmd run --rm -it --network none "$PROBE_IMAGE" /bin/probe wait-signal 30)"
  pty_wait '^ready$'
  pty_send '\003'
  pty_finish
  assert_contains "$pty_output" "signal SIGINT" "the container's process got SIGINT from its terminal"
  is "$pty_rc" 102 "exit code: the probe's, 100+SIGINT"
}

@test "run -it: window size changes reach the container" {
  pty_start "$(cabin_cmd run --rm -it --network none "$PROBE_IMAGE" /bin/probe winch 30)"
  pty_wait '^ready$'
  is "$(tr -d '\r' <"$PTY_DIR/out")" "size=24x80"$'\n'"ready" "the initial size, set before the command starts"
  # One dimension only: stty sets rows and cols with separate ioctls, and
  # the probe reports the size at the first SIGWINCH.
  pty_resize 40 80
  pty_wait '^winch size=40x80$'
  pty_finish
  is "$pty_rc" 0
}

@test "run -i without -t: input through a pipe, no terminal" {
  pty_start "printf 'piped\n' | $(cabin_cmd run --rm -i --network none "$PROBE_IMAGE" sh -c 'cat; /bin/probe tty')"
  pty_finish
  is "$pty_rc" 0
  assert_contains "$pty_output" "piped" "stdin"
  assert_contains "$pty_output" "stdin=0" "stdin is no terminal"
  assert_contains "$pty_output" "ctty=0" "and there is no controlling terminal"
}

# ------------------------------------------------------------ signals

# signal_reaches SIGNAL [RUN-OPTIONS…]: starts the probe waiting for a
# signal, sends SIGNAL to cabin, expects the probe to report it.
signal_reaches() {
  local sig=$1
  shift
  local out=$BATS_TEST_TMPDIR/$sig.out
  start_cabin "$out" run --rm --network none "$@" "$PROBE_IMAGE" /bin/probe wait-signal 30
  wait_for_line "$out" '^ready$'
  kill -"$sig" "$CABIN_PID"
  wait_cabin
  is "$(tr -d '\r' <"$out")" "ready"$'\n'"signal SIG$sig" "SIG$sig reached the container ($*)"
  is "$status" $((100 + $(kill -l "$sig"))) "exit code: the container's (SIG$sig)"
}

@test "signals sent to cabin reach the container's PID 1" {
  # INT and QUIT: bash starts background commands with them ignored; cabin
  # forwards them all the same, as Podman does.
  local sig
  for sig in TERM INT HUP USR1 USR2 QUIT; do
    signal_reaches "$sig"
  done
}

@test "signals: --sig-proxy=true, and with --init" {
  signal_reaches TERM --sig-proxy=true
  signal_reaches TERM --init
  signal_reaches HUP --init
}

@test "signals: --sig-proxy=false keeps them from the container" {
  local out=$BATS_TEST_TMPDIR/out
  start_cabin "$out" run --rm --network none --sig-proxy=false "$PROBE_IMAGE" /bin/probe wait-signal 5
  wait_for_line "$out" '^ready$'
  kill -TERM "$CABIN_PID"
  wait_cabin 20
  [[ $status != 115 ]] || die "the container's process got the signal"
  assert_not_contains "$(<"$out")" "signal SIGTERM" "the container's output"
  wait_no_container_processes 15
}

@test "signals: a container started in the background gets default dispositions" {
  local out=$BATS_TEST_TMPDIR/out
  # (bash ignores SIGINT and SIGQUIT for background commands: cabin does not
  # pass that on.)
  start_cabin "$out" run --rm --network none "$PROBE_IMAGE" /bin/probe status SigIgn SigBlk
  wait_cabin
  is "$status" 0
  is "$(<"$out")" "0000000000000000"$'\n'"0000000000000000" "SigIgn and SigBlk"
}

@test "signals: SIGKILL to cabin takes the container with it" {
  # design: confirm with run — cabin is the container's only supervisor; a
  # container outliving it would run unsupervised (Podman's conmon keeps it).
  local out=$BATS_TEST_TMPDIR/out
  start_cabin "$out" run --rm --network none "$PROBE_IMAGE" /bin/probe wait-signal 30
  wait_for_line "$out" '^ready$'
  kill -KILL "$CABIN_PID"
  wait_cabin
  is "$status" 137
  wait_no_container_processes 10
}

@test "signals: the container's process dying of a signal" {
  run_probe 139 -- kill-self SEGV
  is "$stderr" "" "no error of cabin's"
  run_probe 133 -- kill-self TRAP
}
