#!/usr/bin/env bats
# A registry that breaks mid-blob: lib/cutproxy.py, a proxy on 127.0.0.1 in
# front of the test registry, cuts blob downloads short (the connection
# reset), stops them for good at one byte, answers a resumed request with
# the whole blob, or with wrong bytes. A pull resumes what it can (Range),
# starts again where the registry makes it, and otherwise fails with one
# line; the store never holds a layer that does not match its digest
# (`system check` rebuilds every layer's tar and compares), and a second
# pull succeeds.

load helpers

setup() {
  basic_setup
  require_userns
  require_registry
  require_tool python3
  PROXY_DIR=$BATS_TEST_TMPDIR/proxy
  mkdir -p "$PROXY_DIR"
  python3 "$CABIN_TEST_DIR/lib/cutproxy.py" "$PROXY_DIR" "$REGISTRY" </dev/null >"$PROXY_DIR/out" 2>&1 3>&- &
  PROXY_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s $PROXY_DIR/port ]] && break
    sleep 0.1
  done
  [[ -s $PROXY_DIR/port ]] || die "the proxy did not start: $(<"$PROXY_DIR/out")"
  PROXY=127.0.0.1:$(<"$PROXY_DIR/port")
  write_registries_conf "$(printf '[[registry]]\nlocation = "%s"\ninsecure = true' "$PROXY")"
  # The probe image's first layer is busybox's (1 MB), its second the probe's (55 kB).
  LAYER_BLOB=$IMG_BUSYBOX_LAYER_DIGEST
}

teardown() {
  [[ -z ${PROXY_PID:-} ]] || kill "$PROXY_PID" 2>/dev/null || true
  basic_teardown
}

proxy_mode() { echo "$1" >"$PROXY_DIR/mode"; }
# proxy_log REGEX: the proxy's log lines for the probe's layer that match.
proxy_log() { grep -F "/blobs/$LAYER_BLOB " "$PROXY_DIR/log" | grep -E -- "$1" || true; }

# assert_pulled: the probe came whole (its ID; its layers' content against
# their diff IDs in system check), the store is sound, and the image runs.
assert_pulled() {
  run_cabin images -q --no-trunc
  is "$output" "sha256:$IMG_PROBE_ID" "the image"
  run_cabin system check
  is "$output" "no problems found" "system check (every layer's tar rebuilt and hashed)"
  run_cabin run --rm --network none "$PROXY/probe:latest" probe exit 0
}

@test "a registry that resets every blob download after 300 kB: the pull resumes each with Range" {
  proxy_mode cut:300000
  run_cabin pull -q "$PROXY/probe:latest"
  is "$output" "$IMG_PROBE_ID"
  local cuts resumed
  cuts=$(proxy_log ' cut$' | wc -l) resumed=$(proxy_log 'range=bytes=[1-9][0-9]*- status=206' | wc -l)
  printf '# the layer took %s requests: %s cut short, %s resumed\n' "$(proxy_log . | wc -l)" "$cuts" "$resumed" >&3
  ((cuts >= 3)) || die "the layer was cut $cuts times"
  ((resumed >= 3)) || die "$resumed resumed requests"
  is "$(proxy_log 'range=- ' | wc -l)" 1 "the layer was requested from its start once"
  assert_pulled
}

@test "a registry that ignores Range after a reset: the pull starts the blob again and stores it whole" {
  proxy_mode norange-cut-once:300000
  run_cabin pull -q "$PROXY/probe:latest"
  is "$output" "$IMG_PROBE_ID"
  is "$(proxy_log 'range=bytes=[1-9][0-9]*- status=200 sent=[0-9]+$' | wc -l)" 1 "the resumed request answered with the whole blob"
  assert_pulled
}

# failed_pull_stores_nothing_bad MODE ERROR-REGEX: with the proxy in MODE,
# the pull fails with that one line; it leaves no image, no staging and no
# trace of the broken layer (a layer that came whole may stay, for the next
# pull), and a sound store; then, the registry whole again, a second pull
# succeeds.
failed_pull_stores_nothing_bad() {
  proxy_mode "$1"
  run_cabin 125 pull -q "$PROXY/probe:latest"
  expect_error "pull $PROXY/probe:latest: copying blob $LAYER_BLOB: $2"
  run_cabin images -a -q
  is "$output" "" "images after the failed pull"
  is "$("$CABIN" unshare find "$GRAPHROOT/tmp" -mindepth 1)" "" "staging left"
  [[ ! -e $GRAPHROOT/layers/${IMG_BUSYBOX_LAYER_DIFFID#sha256:} ]] || die "the broken layer is in the store"
  run_cabin system check
  is "$output" "no problems found"
  proxy_mode pass
  run_cabin pull -q "$PROXY/probe:latest"
  assert_pulled
}

@test "a registry whose downloads stop for good mid-blob: one line once the attempts are used up; no broken layer is stored" {
  failed_pull_stores_nothing_bad stuck:300000 \
    "reading blob $PROXY/probe@$LAYER_BLOB: Get \"http://$PROXY/v2/probe/blobs/$LAYER_BLOB\": connection reset by peer \(gave up after 4 attempts\)"
  is "$(proxy_log 'range=bytes=300000- status=206 sent=0 cut' | wc -l)" 4 "four attempts from byte 300000 (progress before renews them)"
}

@test "a registry that resumes a blob with wrong bytes: the layer is refused with one line (no SIGPIPE) and not stored" {
  # The bytes do not decompress; cabin names the cause: they are not the blob.
  failed_pull_stores_nothing_bad corrupt-resume:65536 "the blob's digest is sha256:[0-9a-f]{64}, not $LAYER_BLOB as the manifest says"
  is "$(proxy_log 'range=bytes=[1-9][0-9]*- status=206' | wc -l)" 1 "resumed once, with the wrong bytes"
}
