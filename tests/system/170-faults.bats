#!/usr/bin/env bats
# Faults: a full disk (a store on the 24 MB tmpfs setup-host.sh mounts for
# each test user) during pull, create and run, and cabin killed with SIGKILL
# at random points of pull, run and rm. Each ends with a clear error where
# there is one, and a store that `system check` finds sound (or repairs),
# with no mount or process left behind.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
  SMALL=${CABIN_TEST_SMALLFS:-}/$(id -un)
  mountpoint -q "$SMALL" 2>/dev/null || cabin_skip "no small filesystem at $SMALL: rerun tests/system/setup-host.sh as root"
  # The previous test's store on it (files of subordinate ids: removed in
  # cabin's user namespace).
  run_cabin unshare rm -rf "$SMALL/root" "$SMALL/filler"
  SMALL_RUN=$BATS_TEST_TMPDIR/small-run
  S=(--root "$SMALL/root" --runroot "$SMALL_RUN")
}

teardown() {
  [[ -z ${SMALL:-} || ! -d $SMALL/root ]] || timeout 30 "$CABIN" "${S[@]}" rm -af -t 0 >/dev/null 2>&1 || true
  [[ -z ${SMALL:-} ]] || "$CABIN" unshare rm -rf "$SMALL/root" "$SMALL/filler" 2>/dev/null || true
  basic_teardown
}

small_state() { GRAPHROOT=$SMALL/root RUNROOT=$SMALL_RUN store_state; }
used_kb() { df --output=used "$SMALL" | tail -1 | tr -d ' '; }
full_disk_error() {
  echo "$1: No space left on device \(cabin's store $SMALL/root has [0-9.]+ [kMG]?B free: \`cabin system df\` shows what it holds, \`cabin system prune\` removes what is unused\)"
}
assert_sound() {
  run_cabin "${S[@]}" system check
  is "$output" "no problems found" "system check"
  local m
  m=$(grep -F "$SMALL" /proc/self/mountinfo | grep -vF " $SMALL " || true)
  is "$m" "" "mounts of the store on the host"
  m=$("$CABIN" "${S[@]}" unshare cat /proc/self/mountinfo | grep -F "$SMALL/" || true)
  is "$m" "" "mounts of the store in cabin's namespace"
}

@test "a full disk: a pull that does not fit fails with one line naming the store, and leaves it as it was" {
  run_cabin "${S[@]}" pull -q "$PROBE_IMAGE"
  local before used
  before=$(small_state) used=$(used_kb)
  run_cabin 125 "${S[@]}" pull -q "$REGISTRY/big:latest"
  expect_error "$(full_disk_error '.*')"
  is "$(small_state)" "$(re_escape "$before")" "the store after the failed pull"
  (($(used_kb) <= used + 64)) || die "the failed pull left $(($(used_kb) - used)) KB behind"
  run_cabin "${S[@]}" images --format '{{.Repository}}'
  is "$output" "$REGISTRY/probe"
  assert_sound
  run_cabin "${S[@]}" run --rm --network none "$PROBE_IMAGE" probe exit 0
}

@test "a full disk: create, run and volume create fail with one line and leave nothing half-made" {
  run_cabin "${S[@]}" pull -q "$PROBE_IMAGE"
  run_cabin "${S[@]}" run --rm --network none -v /baseline "$PROBE_IMAGE" probe exit 0
  local before
  before=$(small_state)
  head -c 64M /dev/zero >"$SMALL/filler" 2>/dev/null || true
  (($(df --output=avail "$SMALL" | tail -1) == 0)) || die "the filler did not fill $SMALL"
  run_cabin 125 "${S[@]}" create --name c1 "$PROBE_IMAGE" true
  expect_error "$(full_disk_error "write $SMALL/root/containers/containers.json.tmp-[0-9a-f]+")"
  run_cabin 125 "${S[@]}" run --rm --network none "$PROBE_IMAGE" probe exit 0
  expect_error "$(full_disk_error ".*")"
  run_cabin 125 "${S[@]}" volume create v1
  expect_error "$(full_disk_error ".*")"
  rm "$SMALL/filler"
  is "$(small_state)" "$(re_escape "$before")" "the store after the failures"
  run_cabin "${S[@]}" ps -a -q
  is "$output" "" "no container"
  run_cabin "${S[@]}" volume ls -q
  is "$output" "" "no volume"
  assert_sound
}

@test "a full disk: a container that fills it ends with its own exit code; rm frees the space" {
  run_cabin "${S[@]}" pull -q "$PROBE_IMAGE"
  local used
  used=$(used_kb)
  CABIN_ALLOWED_WARNINGS="the log .* misses output from now on \(until it can be written again\): No space left on device"
  run_cabin 3 "${S[@]}" run --name filler --network none "$PROBE_IMAGE" \
    sh -c 'dd if=/dev/zero of=/fill bs=1M 2>/dev/null; echo after the fill; exit 3'
  is "${lines[-1]}" "after the fill" "the container's output still reaches the terminal"
  (($(df --output=avail "$SMALL" | tail -1) < 512)) || die "the container did not fill $SMALL"
  run_cabin "${S[@]}" ps -a --format '{{.Names}} {{.Status}}'
  is "$output" "filler Exited \(3\) .*" "the exit code is recorded on a full disk"
  run_cabin "${S[@]}" rm filler
  (($(used_kb) <= used + 64)) || die "rm left $(($(used_kb) - used)) KB behind"

  # --rm, and a detached container under its monitor.
  run_cabin 4 "${S[@]}" run --rm --network none "$PROBE_IMAGE" sh -c 'dd if=/dev/zero of=/fill bs=1M 2>/dev/null; exit 4'
  (($(used_kb) <= used + 64)) || die "run --rm left $(($(used_kb) - used)) KB behind"
  run_cabin "${S[@]}" run -d --name bg --network none "$PROBE_IMAGE" \
    sh -c 'dd if=/dev/zero of=/fill bs=1M 2>/dev/null; echo after; exit 5'
  run_cabin "${S[@]}" wait bg
  is "$output" "5" "the monitor records the exit code on a full disk"
  run_cabin "${S[@]}" rm bg
  (($(used_kb) <= used + 64)) || die "rm left $(($(used_kb) - used)) KB behind"
  assert_sound
}

@test "a full disk: a build whose step does not fit fails with one line; no image, container or scratch is left" {
  run_cabin "${S[@]}" pull -q "$PROBE_IMAGE"
  run_cabin "${S[@]}" run --rm --network none "$PROBE_IMAGE" probe exit 0  # the containers' directories exist
  local before ctx=$BATS_TEST_TMPDIR/ctx
  before=$(small_state)
  mkdir -p "$ctx"
  printf 'FROM %s\nRUN dd if=/dev/zero of=/big bs=1M count=14 2>/dev/null\n' "$PROBE_IMAGE" >"$ctx/Containerfile"
  run_cabin 125 "${S[@]}" build -q "$ctx"
  expect_error "$(full_disk_error '.*')"
  head -c 30M /dev/zero >"$ctx/big.bin"
  printf 'FROM %s\nCOPY big.bin /\n' "$PROBE_IMAGE" >"$ctx/Containerfile"
  run_cabin 125 "${S[@]}" build -q "$ctx"
  expect_error "$(full_disk_error '.*')"
  is "$(small_state)" "$(re_escape "$before")" "the store after the failed builds"
  run_cabin "${S[@]}" ps -a -q
  is "$output" "" "no build container is left"
  assert_sound
}

@test "SIGKILL at random points of pull, run and rm: system check finds the store sound or repairs it; nothing is left running" {
  local i
  for i in $(seq 1 ${CABIN_TEST_KILL_ROUNDS:-8}); do
    # pull: into staging, the layer committed, the record written.
    timeout 30 "$CABIN" "${S[@]}" rmi -af >/dev/null 2>&1 || true
    kill_at_random 400 "${S[@]}" pull -q "$PROBE_IMAGE"
    run_cabin "${S[@]}" pull -q "$PROBE_IMAGE"
    # run: create, mount, start, the container running (its process must die with cabin), --rm.
    kill_at_random 600 "${S[@]}" run --rm --network none "$PROBE_IMAGE" sh -c "sleep 313$i"
    kill_at_random 600 "${S[@]}" run --name "c$i" --network none -v "vol$i:/data" "$PROBE_IMAGE" sh -c 'echo x >/data/f; exit 0'
    # rm: of a stopped container and its anonymous volume.
    run_cabin "${S[@]}" create --name "r$i" -v /anon "$PROBE_IMAGE" true
    kill_at_random 150 "${S[@]}" rm -v "r$i"
  done
  # The containers died with the cabin that ran them.
  local left
  for i in $(seq 150); do
    left=$(pgrep -u "$(id -u)" -f 'sleep 313' || true)
    [[ -z $left ]] && break
    sleep 0.1
  done
  is "$left" "" "container processes left running"
  run_cabin '?' "${S[@]}" system check
  printf '# after the kills: %s\n' "${lines[@]}" >&3
  if [[ $status != 0 ]]; then
    run_cabin "${S[@]}" system check --repair --force
    is "${lines[-1]}" "[0-9]+ problems found, all repaired" "what the kills left, repaired"
  fi
  assert_sound
  # Whatever is left works: containers can be removed, the image runs.
  run_cabin "${S[@]}" rm -af -v
  run_cabin "${S[@]}" volume prune -f
  run_cabin "${S[@]}" pull -q "$PROBE_IMAGE"
  run_cabin "${S[@]}" run --rm --network none "$PROBE_IMAGE" probe exit 0
  assert_sound
}
