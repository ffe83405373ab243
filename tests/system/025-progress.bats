#!/usr/bin/env bats
# Progress output: bars redrawn in place on a terminal (pull, push, load,
# build), one plain line per step otherwise, nothing with -q.

load helpers

setup() {
  basic_setup
  require_registry
}

ESC=$'\e'

# assert_bars WHAT: $pty_output has progress bars for blobs, drawn in place.
assert_bars() {
  [[ $pty_rc == 0 ]] || die "$1 failed under a terminal (exit $pty_rc)"
  assert_contains "$pty_output" "${ESC}[2K" "$1: lines are cleared and redrawn"
  [[ $pty_output =~ Copying\ blob\ [0-9a-f]{12}\ \[[=\>-]{30}\]\ [0-9.]+\ [KMG]?i?B\ /\ [0-9.]+\ [KMG]?i?B ]] ||
    die "$1: no progress bar with sizes"
  [[ $pty_output =~ Copying\ blob\ [0-9a-f]{12}\ (done|skipped|already\ exists) ]] || die "$1: the bars do not end as done"
}

@test "progress: bars on a terminal for pull, push, load and build" {
  require_userns
  pty_start "$(cabin_cmd pull "$REGISTRY/multilayer:latest")"
  pty_finish
  assert_bars pull
  assert_contains "$pty_output" "$IMG_MULTILAYER_ID" "pull prints the ID"

  pty_start "$(cabin_cmd push --tls-verify=false "$REGISTRY/multilayer:latest" "$REGISTRY/$(scratch_repo):v1")"
  pty_finish
  assert_bars push
  assert_contains "$pty_output" "Writing manifest to image destination" "push"

  run_cabin save -o "$BATS_TEST_TMPDIR/ml.tar" "$REGISTRY/multilayer:latest"
  run_cabin rmi -a
  pty_start "$(cabin_cmd load -i "$BATS_TEST_TMPDIR/ml.tar")"
  pty_finish
  assert_bars load
  assert_contains "$pty_output" "Loaded image: $REGISTRY/multilayer:latest" "load"

  mkdir -p "$BATS_TEST_TMPDIR/ctx"
  printf 'FROM %s\nRUN true\n' "$REGISTRY/busybox:latest" >"$BATS_TEST_TMPDIR/ctx/Containerfile"
  pty_start "$(cabin_cmd build -t built "$BATS_TEST_TMPDIR/ctx")"
  pty_finish
  assert_bars "build's pull of its base"
  assert_contains "$pty_output" "STEP 2/2: RUN true" "build's steps"
}

@test "progress: plain lines, no escape sequences, when stderr is not a terminal; -q prints none on a terminal" {
  run_cabin pull "$REGISTRY/multilayer:latest"
  assert_not_contains "$stderr" "$ESC" "no escape sequences"
  is "$(grep -c '^Copying blob [0-9a-f]\{12\} done$' <<<"$stderr")" 4 "a line for each of the four blobs"

  run_cabin rmi -a
  pty_start "$(cabin_cmd pull -q "$REGISTRY/multilayer:latest")"
  pty_finish
  [[ $pty_rc == 0 ]] || die "pull -q failed"
  is "$(grep -v '^\[rc=' <<<"$pty_output" | grep -v '^$')" "$IMG_MULTILAYER_ID" "only the ID with -q"
}
