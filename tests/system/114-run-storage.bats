#!/usr/bin/env bats
# cabin run: the container's root filesystem under each storage driver —
# native overlay (chosen by a probe on first use and remembered), then
# fuse-overlayfs, then vfs (a copy) — and --storage-driver.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

# root_fs_type: the filesystem type of / in the container run with "$@".
root_fs_type() {
  run_cabin "$@" run --rm --network none "$PROBE_IMAGE" \
    sh -c 'awk '\''$5 == "/"'\'' /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1'
}

# writes_and_reads [GLOBAL-FLAGS…]: the image's files are there, a file
# written in one container is not in the next (each container has its own
# upper layer), and a non-root user in the container can use its files.
writes_and_reads() {
  run_cabin "$@" run --rm --network none "$PROBE_IMAGE" sh -c 'cat /srv/hello.txt; echo new >/srv/new; cat /srv/new'
  is "$output" "$(printf '%s\nnew' "$(cabin_out run --rm --network none "$PROBE_IMAGE" cat /srv/hello.txt)")" "read, write"
  run_cabin "$@" run --rm --network none "$PROBE_IMAGE" /bin/probe read /srv/new
  is "$output" "ENOENT" "the next container starts from the image again"
  if ! is_root && have_subuid; then
    run_cabin "$@" run --rm --network none -u 1000:1000 "$PROBE_IMAGE" sh -c 'cat /srv/hello.txt >/dev/null && /bin/probe write /tmp/x'
    is "$output" "ok" "uid 1000 reads the image and writes to /tmp"
  fi
}

@test "storage: native overlay is probed once and remembered" {
  run_cabin info --format '{{.Store.GraphDriverName}}'
  is "$output" overlay "before any container"
  root_fs_type
  is "$output" "overlay" "the root is the kernel's overlay"
  is "$(jq -r .driver "$GRAPHROOT/driver.json")" overlay "the probe's result is kept in graphroot/driver.json"
  run_cabin info --format '{{.Store.GraphDriverName}}'
  is "$output" overlay "info reports it"
  writes_and_reads
}

@test "storage: --storage-driver fuse-overlayfs" {
  [[ -w /dev/fuse ]] || cabin_skip "/dev/fuse is not usable by $(id -un)"
  command -v fuse-overlayfs >/dev/null || cabin_skip "fuse-overlayfs is not installed"
  root_fs_type --storage-driver fuse-overlayfs
  is "$output" "fuse.fuse-overlayfs"
  writes_and_reads --storage-driver fuse-overlayfs
  run_cabin --storage-driver fuse-overlayfs info --format '{{.Store.GraphDriverName}}'
  is "$output" fuse-overlayfs "info follows the flag"
  wait_no_container_processes
}

@test "storage: --storage-driver vfs copies the image" {
  root_fs_type --storage-driver vfs
  # A copy: the root is a directory of the store, not a filesystem of its own.
  [[ $output != overlay && $output != fuse.fuse-overlayfs ]] || die "not a copy: $output"
  writes_and_reads --storage-driver vfs
}

@test "storage: a driver the store has recorded is used without a new probe" {
  mkdir -p "$GRAPHROOT"
  printf '{"driver":"vfs"}\n' >"$GRAPHROOT/driver.json"
  root_fs_type
  [[ $output != overlay ]] || die "the recorded driver was ignored: $output"
  run_cabin info --format '{{.Store.GraphDriverName}}'
  is "$output" vfs
}

@test "storage: bad --storage-driver" {
  store_baseline
  run_cabin 125 --storage-driver bogus run --rm --network none "$PROBE_IMAGE" true
  is "$stderr" 'Error: unknown storage driver "bogus": cabin supports overlay, fuse-overlayfs and vfs'
  is "$output" "" "nothing ran"
  assert_nothing_left "$BASELINE"
}

@test "storage: a store made by vfs refuses overlay (and the other way), and nothing changes" {
  mkdir -p "$GRAPHROOT"
  printf '{"driver":"vfs"}\n' >"$GRAPHROOT/driver.json"
  store_baseline
  run_cabin 125 --storage-driver overlay run --rm --network none "$PROBE_IMAGE" true
  is "$stderr" "Error: database graph driver \"vfs\" does not match our graph driver \"overlay\": database configuration mismatch \($GRAPHROOT was set up with vfs: use that driver, or remove the store to start over with overlay\)"
  assert_nothing_left "$BASELINE"
  is "$(cat "$GRAPHROOT/driver.json")" '\{"driver":"vfs"\}' "the record is kept"
}
