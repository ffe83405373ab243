#!/usr/bin/env bats
# cabin exec: a further process in a running container — its namespaces,
# its root, its seccomp profile and capabilities; exit codes; -i, -t, -e,
# -u, -w, -d, --privileged; a stopped container.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
  run_cabin run -d --name box -e FROM_RUN=yes "$PROBE_IMAGE" sh -c 'echo box >/tmp/mark; while :; do sleep 0.1; done'
  BOX_ID=$output
  for _ in $(seq 50); do
    "$CABIN" exec box test -e /tmp/mark 2>/dev/null && return 0
    sleep 0.1
  done
}

@test "exec: the container's root, processes, hostname and environment" {
  run_cabin exec box cat /tmp/mark
  is "$output" "box" "the container's own files"
  run_cabin exec box sh -c 'echo $$; hostname; echo $FROM_RUN'
  [[ ${lines[0]} -gt 1 ]] || die "exec's pid ${lines[0]} inside"
  is "${lines[1]}" "${BOX_ID:0:12}" "the container's hostname"
  is "${lines[2]}" "yes" "the container's environment"
  run_cabin exec box sh -c 'cat /proc/1/cmdline | tr "\0" " "'
  is "$output" "sh -c echo box >/tmp/mark; while :; do sleep 0.1; done " "PID 1 is the container's"
  # The same confinement as the container: its capabilities and seccomp.
  run_probe -- caps
  local plain=$output
  run_cabin exec box /bin/probe caps
  is "$output" "$plain" "caps and seccomp as the container's"
  is "$(probe_field Seccomp)" "2" "seccomp filter"
}

@test "exec: exit codes" {
  run_cabin 3 exec box sh -c 'exit 3'
  run_cabin 127 exec box nosuchcommand
  is "$stderr" 'Error: exec "nosuchcommand": executable file not found in \$PATH'
  run_cabin 126 exec box /tmp/mark
  run_cabin 137 exec box sh -c 'kill -9 $$'
}

@test "exec: -e, --env-file, -w, -u" {
  echo "FROM_FILE=file" >"$BATS_TEST_TMPDIR/env"
  run_cabin exec -e ONE=1 --env-file "$BATS_TEST_TMPDIR/env" -w /tmp box sh -c 'echo $ONE $FROM_FILE $FROM_RUN; pwd'
  is "$output" "1 file yes"$'\n'"/tmp"
  run_cabin exec -u 0:0 box id -u
  is "$output" "0"
  if have_subuid || is_root; then
    run_cabin exec -u 1000:1000 box /bin/probe ids
    is "$output" "uid=1000 gid=1000 euid=1000 egid=1000 groups=.*"
  fi
}

@test "exec -i: stdin reaches the command; without it stdin is empty" {
  echo "from stdin" >"$BATS_TEST_TMPDIR/in"
  run_cabin --stdin "$BATS_TEST_TMPDIR/in" exec -i box cat
  is "$output" "from stdin"
  run_cabin --stdin "$BATS_TEST_TMPDIR/in" exec box cat
  is "$output" ""
}

@test "exec -t: a terminal" {
  run_cabin exec -t box sh -c 'test -t 0 && test -t 1 && echo tty; echo $TERM'
  is "$(tr -d '\r' <<<"$output")" "tty"$'\n'"xterm"
}

@test "exec -d: runs on after cabin returns" {
  run_cabin exec -d box sh -c 'sleep 0.3; echo later >/tmp/detached'
  for _ in $(seq 50); do
    "$CABIN" exec box test -e /tmp/detached 2>/dev/null && break
    sleep 0.1
  done
  run_cabin exec box cat /tmp/detached
  is "$output" "later"
}

@test "exec --privileged: every capability" {
  run_cabin exec --privileged box /bin/probe caps
  is "$(probe_field CapEff)" "$(all_caps_hex)" "all caps"
}

@test "exec: bad input" {
  run_cabin stop -t 0 box
  run_cabin 125 exec box true
  expect_error "can only create exec sessions on running containers: container state improper"
  run_cabin 125 exec nosuch true
  expect_error 'no container with name or ID "nosuch" found: no such container'
  run_cabin 125 exec box
  expect_error "requires at least 2 arg\(s\), only received 1"
}
