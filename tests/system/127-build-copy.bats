#!/usr/bin/env bats
# cabin build: what COPY and ADD read and how they write it -- COPY --from a
# stage or an image, globs, --chmod, --chown by name, ADD's archives
# (unpacked) and URLs (a loopback server), and the errors for sources that
# are not there.

load helpers

setup() { build_setup; }

teardown() {
  [[ -z ${HOST_SERVER:-} ]] || kill "$HOST_SERVER" 2>/dev/null || true
  basic_teardown
}

@test "build: COPY --from a stage takes only what it names; the result holds no build-stage files" {
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE AS builder
RUN mkdir -p /out /scratch && echo built >/out/app && echo junk >/scratch/junk
FROM $PROBE_IMAGE
COPY --from=builder /out/app /usr/local/bin/
COPY --from=0 /out /copied-dir
EOF
  run_cabin build -q -t multi "$CTX"
  run_cabin run --rm localhost/multi sh -c 'cat /usr/local/bin/app /copied-dir/app'
  is "$output" "built"$'\n'"built"
  run_cabin run --rm localhost/multi sh -c 'test -e /scratch || test -e /out || echo clean'
  is "$output" "clean" "no file of the builder stage"
  local base
  base=$(cabin_out image inspect --format '{{len .RootFS.Layers}}' "$PROBE_IMAGE")
  run_cabin image inspect --format '{{len .RootFS.Layers}}' localhost/multi
  is "$output" "$((base + 2))" "the base's layers and the two COPYs"
}

@test "build: COPY --from an image; globs; --chmod; --chown by name" {
  local chown_line=
  [[ -n $SINGLE_ID ]] || chown_line='COPY --chown=tester:extra a.txt /owned'
  printf 'a\n' >"$CTX/a.txt"
  printf 'b\n' >"$CTX/b.txt"
  printf 'c\n' >"$CTX/c.md"
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE
COPY --from=$PROBE_IMAGE /etc/group /from-image/
COPY *.txt /globbed/
COPY --chmod=0751 c.md /modes/
$chown_line
EOF
  run_cabin build -q -t copies "$CTX"
  run_cabin run --rm localhost/copies sh -c 'grep -c tester /from-image/group; ls /globbed | tr "\n" " "; stat -c %a /modes/c.md'
  is "$output" "2"$'\n'"a.txt b.txt 751"
  if [[ -z $SINGLE_ID ]]; then
    run_cabin run --rm localhost/copies stat -c %u:%g /owned
    is "$output" "1000:2000" "tester:extra from the image's passwd and group"
  fi
}

@test "build: COPY heredocs become files, variables expanded unless the name is quoted" {
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE
ARG NAME=world
COPY <<GREETING /etc/greeting
hello \$NAME
GREETING
COPY <<'RAW' <<CONF /etc/app/
kept \$NAME
RAW
name=\$NAME
CONF
EOF
  run_cabin build -q -t heredoc-files "$CTX"
  run_cabin run --rm localhost/heredoc-files sh -c 'cat /etc/greeting /etc/app/RAW /etc/app/CONF'
  is "$output" "hello world"$'\n'"kept \\\$NAME"$'\n'"name=world"
}

@test "build: ADD unpacks a local archive and fetches a URL" {
  mkdir -p "$BATS_TEST_TMPDIR/tree/pkg"
  echo inside >"$BATS_TEST_TMPDIR/tree/pkg/file"
  tar -C "$BATS_TEST_TMPDIR/tree" -czf "$CTX/pkg.tar.gz" pkg
  echo 'not an archive' >"$CTX/plain.tar"
  local port
  port=$(free_port)
  host_httpd "$port"
  echo 'served' >"$BATS_TEST_TMPDIR/www/remote.txt"
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE
ADD pkg.tar.gz /opt/
ADD plain.tar /raw/
ADD http://127.0.0.1:$port/remote.txt /downloads/
EOF
  run_cabin build -t adds "$CTX"
  assert_contains "$output" "Fetching http://127.0.0.1:$port/remote.txt"
  run_cabin run --rm localhost/adds sh -c 'cat /opt/pkg/file /raw/plain.tar /downloads/remote.txt; stat -c %a /downloads/remote.txt'
  is "$output" "inside"$'\n'"not an archive"$'\n'"served"$'\n'"600"
}

@test "build: COPY and ADD errors: no match, a missing stage file, a bad flag, an unreachable URL" {
  local before
  before=$(image_ids)
  printf 'FROM %s\nCOPY *.nothing /\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: COPY: no file in the build context $CTX matches \"\\*.nothing\""
  printf 'FROM %s AS a\nFROM %s\nCOPY --from=a /nope /\n' "$PROBE_IMAGE" "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:3: COPY: \"/nope\" is not in stage a"
  printf 'FROM %s\nCOPY --chmod=rwx a /\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: --chmod=rwx: want an octal mode such as 0755"
  printf 'FROM %s\nCOPY --chown=nobody-here a /\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: --chown=nobody-here: unable to find user nobody-here: no matching entries in passwd file"
  local port
  port=$(free_port)
  printf 'FROM %s\nADD http://127.0.0.1:%s/x.txt /\n' "$PROBE_IMAGE" "$port" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "fetch http://127.0.0.1:$port/x.txt: .*"
  is "$(image_ids)" "$before" "no image was made"
  run_cabin ps -a -q
  is "$output" "" "no container was left"
}
