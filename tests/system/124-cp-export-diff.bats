#!/usr/bin/env bats
# cabin cp (both ways; running and stopped containers; symlinks resolved in
# the container's root; tar streams), export and diff; bad input.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
  HOSTDIR=$BATS_TEST_TMPDIR/host
  mkdir -p "$HOSTDIR/d/sub"
  echo hi >"$HOSTDIR/f"
  echo in >"$HOSTDIR/d/sub/in"
  ln -s /etc/passwd "$HOSTDIR/d/link"
}

# cp_round NAME: the copies both ways that every container state supports.
cp_round() {
  local c=$1
  run_cabin cp "$HOSTDIR/f" "$c:/tmp/"
  run_cabin cp "$HOSTDIR/f" "$c:/tmp/renamed"
  run_cabin cp "$HOSTDIR/d" "$c:/tmp/"
  run_cabin cp "$HOSTDIR/d/." "$c:/srv"
  run_cabin cp "$c:/tmp/f" "$HOSTDIR/back"
  is "$(cat "$HOSTDIR/back")" "hi" "a file, in and out"
  is "$(stat -c %u "$HOSTDIR/back")" "$(id -u)" "copied out: yours"
  run_cabin cp "$c:/tmp/renamed" "$HOSTDIR/renamed"
  is "$(cat "$HOSTDIR/renamed")" "hi" "a file under another name"
  run_cabin cp "$c:/tmp/d" "$HOSTDIR/d2"
  is "$(cat "$HOSTDIR/d2/sub/in")" "in" "a directory, in and out"
  is "$(readlink "$HOSTDIR/d2/link")" "/etc/passwd" "symlinks are copied as links"
  run_cabin cp "$c:/srv/sub/in" "$HOSTDIR/"
  is "$(cat "$HOSTDIR/in")" "in" "dir/. copies what the directory holds"
  # Into an existing directory: under the source's name.
  run_cabin cp "$c:/tmp/d" "$HOSTDIR/d2"
  is "$(cat "$HOSTDIR/d2/d/sub/in")" "in"
  # A symlink in the container's path is resolved in the container's root.
  run_cabin cp "$c:/tmp/etclink/passwd" "$HOSTDIR/passwd"
  is "$(head -1 "$HOSTDIR/passwd")" "root:x:0:0:root:/root:/bin/sh" "the container's /etc/passwd"
  # A tar on stdout.
  "$CABIN" cp "$c:/tmp/d" - | tar -t | sort >"$HOSTDIR/list"
  is "$(tr '\n' ' ' <"$HOSTDIR/list")" "d/ d/link d/sub/ d/sub/in " "cp - writes a tar"
  # A tar from stdin, unpacked into the directory.
  echo tarred >"$BATS_TEST_TMPDIR/fromtar"
  tar -C "$BATS_TEST_TMPDIR" -cf "$BATS_TEST_TMPDIR/in.tar" fromtar
  run_cabin --stdin "$BATS_TEST_TMPDIR/in.tar" cp - "$c:/srv"
}

@test "cp: a stopped container, both ways" {
  run_cabin create --name s "$PROBE_IMAGE" sh -c 'cat /tmp/d/sub/in /srv/sub/in /srv/fromtar /tmp/etclink/passwd | head -4'
  ln -s /etc "$HOSTDIR/etclink"
  run_cabin cp "$HOSTDIR/etclink" s:/tmp/
  cp_round s
  run_cabin start -a s
  is "$output" "in"$'\n'"in"$'\n'"tarred"$'\n'"root:x:0:0:root:/root:/bin/sh" "the copies are in the container's root"
}

@test "cp: a running container, both ways; owners as Podman's --archive" {
  run_cabin run -d --name r "$PROBE_IMAGE" sh -c 'ln -s /etc /tmp/etclink; while :; do sleep 0.1; done'
  ID=$output
  for _ in $(seq 50); do
    "$CABIN" exec r test -L /tmp/etclink && break
    sleep 0.1
  done
  cp_round r
  run_cabin exec r cat /srv/fromtar /tmp/d/sub/in
  is "$output" "tarred"$'\n'"in" "the copies are in the running container"
  run_cabin exec r stat -c '%u:%g %a' /tmp/f /tmp/d
  is "$output" "0:0 644"$'\n'"0:0 755" "owned by the container's user (root), modes kept"
}

@test "cp: into a container whose user is not root (subordinate ids)" {
  skip_if_no_subuid
  run_cabin run -d --name u --user 1000:1000 "$PROBE_IMAGE" sh -c 'while :; do sleep 0.1; done'
  run_cabin cp "$HOSTDIR/f" u:/tmp/
  run_cabin exec u stat -c '%u:%g' /tmp/f
  is "$output" "1000:1000" "--archive: the container's user owns it"
  run_cabin cp --archive=false "$HOSTDIR/f" u:/tmp/g
  run_cabin exec u stat -c '%u:%g' /tmp/g
  is "$output" "0:0" "--archive=false: root (your own id) owns it"
}

@test "cp: a symlink in the container never leads to the host" {
  mkdir "$BATS_TEST_TMPDIR/outside"
  run_cabin run -d --name r "$PROBE_IMAGE" sh -c "ln -s $BATS_TEST_TMPDIR/outside /tmp/evil; ln -s ../../../../../.. /tmp/up; while :; do sleep 0.1; done"
  for _ in $(seq 50); do
    "$CABIN" exec r test -L /tmp/up && break
    sleep 0.1
  done
  run_cabin 125 cp "$HOSTDIR/f" r:/tmp/evil/
  expect_error "\"/tmp/evil/\" could not be found on container r: no such file or directory"
  run_cabin cp "$HOSTDIR/f" r:/tmp/up/tmp/landed
  run_cabin exec r cat /tmp/landed
  is "$output" "hi" "../.. stops at the container's root"
  is "$(ls -A "$BATS_TEST_TMPDIR/outside")" "" "nothing written on the host"
}

@test "cp: bad input changes nothing" {
  run_cabin run -d --name r "$PROBE_IMAGE" sh -c 'while :; do sleep 0.1; done'
  local before
  before=$(cd "$HOSTDIR" && find . | sort)
  run_cabin 125 cp r:/nonexistent "$HOSTDIR"
  expect_error '"/nonexistent" could not be found on container r: no such file or directory'
  run_cabin 125 cp "$HOSTDIR/nonexist" r:/tmp
  expect_error "\"$HOSTDIR/nonexist\" could not be found on the host: no such file or directory"
  run_cabin 125 cp "$HOSTDIR/f" r:/nonexistent/dir/
  expect_error '"/nonexistent/dir/" could not be found on container r: no such file or directory'
  run_cabin 125 cp "$HOSTDIR/f" r:/etc/passwd/x
  expect_error '"/etc/passwd/x" could not be found on container r: not a directory'
  run_cabin 125 cp r:/etc/passwd "$HOSTDIR/nodir/"
  expect_error "\"$HOSTDIR/nodir/\" could not be found on the host: no such file or directory"
  run_cabin 125 cp "$HOSTDIR/d" r:/etc/passwd
  expect_error "cannot overwrite non-directory \"/etc/passwd\" with directory \"$HOSTDIR/d\""
  run_cabin 125 cp "$HOSTDIR/f" nosuch:/x
  expect_error 'container "nosuch" does not exist'
  run_cabin 125 cp r:/etc/passwd r:/tmp
  expect_error "copying between containers is not supported"
  run_cabin 125 cp "$HOSTDIR/f" "$HOSTDIR/g"
  expect_error "invalid arguments $HOSTDIR/f, $HOSTDIR/g you must use just one container"
  run_cabin 125 cp "$HOSTDIR/f"
  expect_error "accepts 2 arg\(s\), received 1"
  is "$(cd "$HOSTDIR" && find . | sort)" "$before" "the host directory is unchanged"
  run_cabin exec r cat /etc/passwd
  assert_not_contains "$output" "hi" "the container's file is unchanged"
}

@test "export: the container's filesystem as a tar; mounts inside left out" {
  run_cabin run --name x "$PROBE_IMAGE" sh -c 'echo mine >/made; rm /etc/group'
  run_cabin export -o "$BATS_TEST_TMPDIR/x.tar" x
  tar -tf "$BATS_TEST_TMPDIR/x.tar" >"$BATS_TEST_TMPDIR/list"
  grep -qx 'bin/probe' "$BATS_TEST_TMPDIR/list" || die "no bin/probe in the export"
  grep -qx 'made' "$BATS_TEST_TMPDIR/list" || die "the container's own file is missing"
  ! grep -qx 'etc/group' "$BATS_TEST_TMPDIR/list" || die "a deleted file was exported"
  is "$(tar -xOf "$BATS_TEST_TMPDIR/x.tar" made)" "mine"

  run_cabin run -d --name r "$PROBE_IMAGE" sh -c 'while :; do sleep 0.1; done'
  "$CABIN" export r >"$BATS_TEST_TMPDIR/r.tar"
  tar -tf "$BATS_TEST_TMPDIR/r.tar" >"$BATS_TEST_TMPDIR/rlist"
  grep -qx 'proc/' "$BATS_TEST_TMPDIR/rlist" || die "no proc/ directory"
  ! grep -q '^proc/.' "$BATS_TEST_TMPDIR/rlist" || die "the container's /proc was exported"

  run_cabin 125 export nosuch
  expect_error 'no container with name or ID "nosuch" found: no such container'
  run_cabin 125 export
  expect_error "accepts 1 arg\(s\), received 0"
}

@test "diff: added, changed and deleted paths; --format json" {
  run_cabin run --name d "$PROBE_IMAGE" sh -c 'echo x >/etc/new; rm /etc/group; mkdir /tmp/dd'
  run_cabin diff d
  is "$output" "C /etc"$'\n'"D /etc/group"$'\n'"A /etc/new"$'\n'"C /tmp"$'\n'"A /tmp/dd"
  run_cabin diff --format json d
  is_exact "$(jq -c . <<<"$output")" '{"changed":["/etc","/tmp"],"added":["/etc/new","/tmp/dd"],"deleted":["/etc/group"]}'
  run_cabin create --name fresh "$PROBE_IMAGE" true
  run_cabin diff fresh
  is "$output" "" "a container that never ran changed nothing"
  run_cabin 125 diff --format yaml d
  expect_error 'invalid format "yaml": only json is supported'
  run_cabin 125 diff nosuch
  expect_error 'no container with name or ID "nosuch" found: no such container'
}

@test "ps --size: what the container wrote, and with its image (virtual)" {
  run_cabin run --name big "$PROBE_IMAGE" sh -c 'head -c 100000 /dev/zero >/big'
  run_cabin create --name none "$PROBE_IMAGE" true
  run_cabin ps -a --size --format '{{.Names}} {{.Size}}'
  assert_contains "$output" "big 100kB (virtual " "the container's layer"
  assert_contains "$output" "none 0B (virtual " "nothing written yet"
  run_cabin ps -a --size
  is "${lines[0]}" "CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES +SIZE" "a SIZE column"
}
