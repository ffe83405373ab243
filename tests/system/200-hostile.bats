#!/usr/bin/env bats
# Hostile inputs and container escapes (issue 12): tar streams with entries
# that aim outside, containers whose paths are symlinks to host paths, a
# container that goes after cabin's own binary or descriptors, the default
# seccomp profile's refusals, build contexts with symlinks out, and a
# registry that lies (tests/system/lib/hostile_registry.py, on loopback).
# Layers themselves: tests/unit/test_extract.cpp [hostile] and 020-pull.bats.

load helpers

setup() {
  basic_setup
  require_userns
  HOSTDIR=$BATS_TEST_TMPDIR/host
  mkdir -p "$HOSTDIR/dir"
  echo 'host secret' >"$HOSTDIR/secret"
  echo 'keep' >"$HOSTDIR/dir/keep"
  HOST_BEFORE=$(host_state)
  HOSTILE_PID=
}

teardown() {
  [[ -z ${HOSTILE_PID:-} ]] || kill "$HOSTILE_PID" 2>/dev/null || true
  basic_teardown
}

# wait_ready NAME: waits until the container has made /tmp/ready.
wait_ready() {
  local i
  for ((i = 0; i < 50; i++)); do
    "$CABIN" exec "$1" test -e /tmp/ready && return
    sleep 0.1
  done
  die "container $1 did not get ready"
}

# host_state: every path under $HOSTDIR with its type, size and content hash.
host_state() {
  (cd "$HOSTDIR" && find . -printf '%p %y %s\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# host_unchanged: nothing under $HOSTDIR was added, removed or changed.
host_unchanged() {
  is "$(host_state)" "$HOST_BEFORE" "the host directory is unchanged"
}

# hostile_tar FILE: a tar whose entries aim at $HOSTDIR in every way a tar can:
# ../ names, an absolute name, a symlink to the host directory and a file
# through it, a hardlink to a host file, a device node, a fifo.
hostile_tar() {
  /usr/bin/python3 - "$1" "$HOSTDIR" <<'EOF'
import io, sys, tarfile
out, host = sys.argv[1], sys.argv[2]
def add(t, name, data=b"pwned\n", **kw):
    i = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(i, k, v)
    if i.type == tarfile.REGTYPE:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "ok", b"fine\n")
    add(t, "../../../../../../../../.." + host + "/dotdot")
    add(t, host + "/absolute")
    add(t, "evil", type=tarfile.SYMTYPE, linkname=host)
    add(t, "evil/through-symlink")
    add(t, "up", type=tarfile.SYMTYPE, linkname="../../../../../../../../..")
    add(t, "up" + host + "/through-up")
    add(t, "hard", type=tarfile.LNKTYPE, linkname=host + "/secret")
EOF
}

# ------------------------------------------------------------ tar streams

@test "tar streams: cp -, import and ADD refuse entries that aim outside, and write nothing there" {
  pull_probe
  hostile_tar "$BATS_TEST_TMPDIR/hostile.tar"
  local dotdot
  dotdot=$(re_escape "../../../../../../../../..$HOSTDIR/dotdot")
  run_cabin run -d --name c "$PROBE_IMAGE" sleep 600
  run_cabin 125 --stdin "$BATS_TEST_TMPDIR/hostile.tar" cp - c:/tmp
  expect_error "layer entry \"$dotdot\": path escapes the layer root"
  host_unchanged
  run_cabin exec c sh -c 'cd /tmp && find . | sort | tr "\n" " "'
  is "$output" ". ./ok " "only the entry before the bad one is in the container"
  local before
  before=$(image_ids)
  run_cabin 125 import -q "$BATS_TEST_TMPDIR/hostile.tar" hostile-import
  expect_error "import $(re_escape "$BATS_TEST_TMPDIR/hostile.tar"): layer entry \"$dotdot\": path escapes the layer root"
  host_unchanged
  # ADD re-roots the archive under its destination (../ stops there); the
  # symlink to the host directory then leads nowhere inside the image.
  mkdir -p "$BATS_TEST_TMPDIR/ctx"
  cp "$BATS_TEST_TMPDIR/hostile.tar" "$BATS_TEST_TMPDIR/ctx/"
  printf 'FROM %s\nADD hostile.tar /added/\n' "$PROBE_IMAGE" >"$BATS_TEST_TMPDIR/ctx/Containerfile"
  run_cabin 125 build -q -t hostile-add "$BATS_TEST_TMPDIR/ctx"
  expect_error "layer entry \"added/evil/through-symlink\": open parent directory \"added/evil\": No such file or directory"
  host_unchanged
  is "$(image_ids)" "$before" "no image was made"
}

# ------------------------------------------------------------ cp

@test "cp: out of a container, symlinks to host paths are copied as links and resolved in the container" {
  pull_probe
  run_cabin run -d --name c "$PROBE_IMAGE" sh -c \
    "ln -s $HOSTDIR/secret /tmp/secret; ln -s $HOSTDIR/dir /tmp/dir; ln -s ../../../../../../.. /tmp/up; touch /tmp/ready; sleep 600"
  wait_ready c
  mkdir "$BATS_TEST_TMPDIR/out"
  run_cabin cp c:/tmp/secret "$BATS_TEST_TMPDIR/out/secret"
  is "$(readlink "$BATS_TEST_TMPDIR/out/secret")" "$HOSTDIR/secret" "the link itself, not the host file"
  run_cabin 125 cp c:/tmp/dir/keep "$BATS_TEST_TMPDIR/out/"
  expect_error "\"/tmp/dir/keep\" could not be found on container c: no such file or directory"
  run_cabin 125 cp c:/tmp/dir/. "$BATS_TEST_TMPDIR/out/"
  expect_error "\"/tmp/dir/.\" is not a directory"
  run_cabin cp "c:/tmp/up/etc/passwd" "$BATS_TEST_TMPDIR/out/passwd"
  is "$(head -1 "$BATS_TEST_TMPDIR/out/passwd")" "root:x:0:0:root:/root:/bin/sh" "the container's /etc/passwd"
  is "$(ls -A "$BATS_TEST_TMPDIR/out" | tr '\n' ' ')" "passwd secret " "nothing else copied out"
  host_unchanged
}

@test "cp: into a container, a destination that is a symlink to a host path is resolved in the container" {
  pull_probe
  run_cabin run -d --name c "$PROBE_IMAGE" sh -c \
    "ln -s $HOSTDIR/secret /tmp/victim; ln -s $HOSTDIR/dir /tmp/dir; touch /tmp/ready; sleep 600"
  wait_ready c
  echo overwritten >"$BATS_TEST_TMPDIR/new"
  # A file onto a link that leads nowhere inside: the link is replaced.
  run_cabin cp "$BATS_TEST_TMPDIR/new" c:/tmp/victim
  host_unchanged
  run_cabin exec c sh -c 'test -L /tmp/victim || cat /tmp/victim'
  is "$output" "overwritten" "the container's /tmp/victim is now the file"
  run_cabin 125 cp "$BATS_TEST_TMPDIR/new" c:/tmp/dir/keep
  expect_error '"/tmp/dir/keep" could not be found on container c: no such file or directory'
  run_cabin 125 cp "$BATS_TEST_TMPDIR/new" c:/tmp/dir/
  expect_error '"/tmp/dir/" could not be found on container c: no such file or directory'
  host_unchanged
}

# ------------------------------------------------------------ mounts

@test "mounts: bind, tmpfs and volume destinations that are symlinks in the image resolve inside the root" {
  pull_probe
  mkdir -p "$BATS_TEST_TMPDIR/data"
  echo 'from the host' >"$BATS_TEST_TMPDIR/data/f"
  # An image whose /escape and /escape-up point at the host directory.
  run_cabin run --name maker "$PROBE_IMAGE" sh -c \
    "ln -s $HOSTDIR /escape && ln -s ../../../../../../../..$HOSTDIR /escape-up"
  run_cabin commit -q maker hostile-links
  run_cabin run --rm --network none -v "$BATS_TEST_TMPDIR/data:/escape/bind" \
    --mount "type=bind,src=$BATS_TEST_TMPDIR/data,dst=/escape-up/bind2" \
    --tmpfs /escape/tmp --mount type=tmpfs,dst=/escape-up/tmp2 -v vol:/escape/vol \
    localhost/hostile-links sh -c 'cat /escape/bind/f /escape-up/bind2/f; echo x >/escape/tmp/x; echo y >/escape/vol/y; ls /escape | tr "\n" " "'
  is "${lines[0]}" "from the host" "the bind mount is where the link leads inside"
  is "${lines[1]}" "from the host"
  is "${lines[2]}" "bind bind2 tmp tmp2 vol " "mount points made inside the container"
  host_unchanged
}

# ------------------------------------------------------------ cabin's own binary

@test "/proc/self/exe: a container can neither run nor rewrite cabin's binary" {
  pull_probe
  # Two copies of cabin that this user owns and could write, as a binary in
  # ~/bin or a build tree is: one starts the container (its monitor runs it
  # all along), the other runs exec, as after an upgrade.
  local bin1=$BATS_TEST_TMPDIR/bin1 bin2=$BATS_TEST_TMPDIR/bin2
  mkdir -p "$bin1" "$bin2"
  cp "$CABIN" "$(dirname "$CABIN")"/cabin-*.so "$bin1/"
  cp "$CABIN" "$(dirname "$CABIN")"/cabin-*.so "$bin2/"
  local sum ino
  sum=$(sha256sum <"$bin2/cabin")
  ino=$(stat -c %i "$bin2/cabin")
  # The command as /proc/self/exe, or a script it interprets: at execve the
  # kernel would open it in the process that is still cabin's (the runc
  # CVE-2019-5736 way in). From inside the container's root the link is not
  # followed to cabin's binary: execve fails with ENOENT (Linux 6.18).
  run_cabin run --name maker "$PROBE_IMAGE" sh -c \
    'printf "#!/proc/self/exe\n" >/evil; chmod 755 /evil; ln -s /proc/self/exe /evil-link'
  run_cabin commit -q maker evil
  local cmd
  for cmd in /evil /evil-link /proc/self/exe; do
    CABIN=$bin1/cabin run_cabin 127 run --rm --network none localhost/evil "$cmd" version
    is "$stderr" "Error: exec \"$cmd\": no such file or directory"
  done
  CABIN=$bin1/cabin run_cabin run -d --name c localhost/evil sh -c 'touch /tmp/ready; sleep 600'
  CABIN=$bin1/cabin wait_ready c
  CABIN=$bin2/cabin run_cabin 127 exec c /evil
  is "$stderr" "Error: exec \"/evil\": no such file or directory"
  # Its own /proc/self/exe is the image's binary, and busy.
  CABIN=$bin2/cabin run_cabin exec c sh -c 'echo pwned >/proc/self/exe; echo rc=$?'
  is "$output" "rc=1" "writing to its own exe fails"
  # A watcher looks, as fast as it can, for a process whose exe is the second
  # copy (cabin exec's child before it execs), keeps it open, and once no
  # process runs that copy any more, writes through it.
  CABIN=$bin2/cabin run_cabin exec -d c sh -c "
    while :; do
      for p in /proc/[0-9]*; do
        [ \"\$(stat -L -c %i \$p/exe 2>/dev/null)\" = $ino ] && command exec 3<\$p/exe && { echo caught >/tmp/caught; break 2; }
      done
    done
    for i in \$(seq 100); do
      echo pwned 2>/dev/null >>/proc/self/fd/3 && { echo wrote >>/tmp/caught; break; }
      sleep 0.1
    done
    echo done >>/tmp/caught"
  local i
  for i in $(seq 50); do "$bin2/cabin" exec c true; done
  sleep 1
  CABIN=$bin1/cabin run_cabin exec c sh -c 'cat /tmp/caught 2>/dev/null; true'
  is "$output" "" "no process of the container ever saw cabin's binary"
  is "$(sha256sum <"$bin2/cabin")" "$sum" "cabin's binary is unchanged"
}

# ------------------------------------------------------------ descriptors

@test "descriptors: no fd of cabin reaches a container's processes" {
  pull_probe
  run_probe -- fds
  is "$output" "0 1 2" "run"
  run_cabin run -d --name c "$PROBE_IMAGE" sh -c 'touch /tmp/ready; sleep 600'
  wait_ready c
  run_cabin exec c /bin/probe fds
  is "$output" "0 1 2" "exec"
  run_cabin exec -t c /bin/probe fds
  is "${output%$'\r'}" "0 1 2" "exec -t"
  # PID 1 of a detached container: only its stdio, none of the monitor's.
  run_cabin exec c sh -c 'ls /proc/1/fd | sort -n | tr "\n" " "'
  is "$output" "0 1 2 " "run -d: PID 1"
  run_cabin exec c sh -c 'for f in /proc/1/fd/*; do readlink $f; done'
  for l in "${lines[@]}"; do
    [[ $l == /dev/null || $l == pipe:* || $l == /dev/pts/* ]] || die "PID 1 holds $l"
  done
  run_cabin create --name d "$PROBE_IMAGE" /bin/probe fds
  run_cabin start -a d
  is "$output" "0 1 2" "start -a"
}

# ------------------------------------------------------------ seccomp and namespaces

@test "seccomp: umount, and nested namespaces cannot unmask what the default profile hides" {
  pull_probe
  # The profile lets mount and umount2 through (as containers-common's does,
  # for nested containers); the kernel refuses them without SYS_ADMIN.
  run_cabin run --rm --network none "$PROBE_IMAGE" sh -c 'umount /proc/sys 2>&1; umount /etc/hosts 2>&1; true'
  is "$output" "umount: can't unmount /proc/sys: Operation not permitted
umount: can't unmount /etc/hosts: Operation not permitted"
  # A nested user namespace gives a process every capability there, but the
  # mounts it inherited are locked: masked and read-only paths hold.
  run_cabin run --rm --network none "$PROBE_IMAGE" unshare -Urm sh -c '{
      umount /proc/sys; mount -o remount,rw /proc/sys; echo x >/proc/sys/kernel/domainname
      for p in /proc/acpi /proc/scsi /sys/firmware /proc/keys /proc/timer_list /proc/sched_debug; do
        [ -e $p ] && umount $p
      done; } 2>&1; true'
  is "${lines[0]}" "umount: can't unmount /proc/sys: Invalid argument" "a read-only path is locked"
  is "${lines[1]}" "mount: permission denied \(are you root\?\)" "and cannot be made writable"
  is "${lines[2]}" "sh: can't create /proc/sys/kernel/domainname: Read-only file system"
  local l
  for l in "${lines[@]:3}"; do
    is "$l" "umount: can't unmount /[a-z/_]+: Invalid argument" "masked paths are locked"
  done
  [[ ${#lines[@]} -gt 4 ]] || die "no masked path was tried"
}

@test "the monitor is out of the container's reach" {
  pull_probe
  run_cabin run -d --name c "$PROBE_IMAGE" sh -c 'touch /tmp/ready; sleep 600'
  wait_ready c
  run_cabin exec c sh -c 'for p in /proc/[0-9]*; do cat $p/comm; done | sort -u | tr "\n" " "'
  assert_not_contains "$output" "cabin" "no cabin process in the container's /proc"
}

# ------------------------------------------------------------ build

@test "build: context symlinks that point outside are not followed; sources outside the context are refused" {
  build_setup
  ln -s "$HOSTDIR/secret" "$CTX/secret-link"
  ln -s "$HOSTDIR/dir" "$CTX/dir-link"
  ln -s ../../../../../../../..$HOSTDIR/secret "$CTX/up-link"
  printf 'FROM %s\nCOPY . /ctx/\nRUN ls -l /ctx/ >/listing\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin build -q -t ctx-links "$CTX"
  run_cabin run --rm localhost/ctx-links sh -c 'cat /ctx/secret-link /ctx/up-link 2>&1; ls /ctx/dir-link/ 2>&1; true'
  assert_not_contains "$output" "host secret" "no host file came in through a link"
  assert_not_contains "$output" "keep" "no host directory came in through a link"
  printf 'FROM %s\nCOPY secret-link /x\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin build -q -t copy-link "$CTX"
  run_cabin run --rm localhost/copy-link sh -c 'readlink /x; cat /x 2>&1; true'
  is "$output" "$(re_escape "$HOSTDIR/secret")
cat: can't open '/x': No such file or directory" "COPY of a link copies the link, which leads nowhere inside"
  local before
  before=$(image_ids)
  printf 'FROM %s\nCOPY ../host/secret /x\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$(re_escape "$CTX/Containerfile"):2: COPY: \"../host/secret\" is not in the build context $(re_escape "$CTX")"
  printf 'FROM %s\nADD %s /x\n' "$PROBE_IMAGE" "$HOSTDIR/secret" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$(re_escape "$CTX/Containerfile"):2: ADD: \"$(re_escape "$HOSTDIR/secret")\" is not in the build context $(re_escape "$CTX")"
  is "$(image_ids)" "$before" "no image was made"
  # No layer anywhere in the store holds the host's secret.
  run_cabin 1 unshare grep -rl 'host secret' "$GRAPHROOT"
  is "$output" "" "the secret is in no layer"
  host_unchanged
}

# ------------------------------------------------------------ a hostile registry

# start_hostile_registry: tests/system/lib/hostile_registry.py on two free
# loopback ports (HOSTILE and OTHER_HOST, "another host"), logging to HOSTILE_LOG.
start_hostile_registry() {
  require_tool /usr/bin/python3
  local port other
  port=$(free_port)
  other=$(free_port)
  while [[ $other == "$port" ]]; do other=$(free_port); done
  HOSTILE_LOG=$BATS_TEST_TMPDIR/hostile-log
  mkdir -p "$HOSTILE_LOG"
  /usr/bin/python3 "$CABIN_TEST_DIR/lib/hostile_registry.py" "$port" "$other" "$HOSTILE_LOG" \
    </dev/null >"$HOSTILE_LOG/out" 2>&1 3>&- &
  HOSTILE_PID=$!
  HOSTILE=127.0.0.1:$port
  OTHER_HOST=127.0.0.1:$other
  local i
  for ((i = 0; i < 100; i++)); do
    curl -fs -u u:p "http://$HOSTILE/v2/" >/dev/null && return
    sleep 0.1
  done
  die "the hostile registry did not start: $(cat "$HOSTILE_LOG/out")"
}

# hostile_pull ERROR-REGEX REPO[@DIGEST]: the pull fails with exit 125 and
# that one line, and the store holds no image, layer or staging directory.
hostile_pull() {
  run_cabin 125 pull -q --tls-verify=false --creds u:p "$HOSTILE/$2"
  expect_error "pull $(re_escape "$HOSTILE/$2")(:latest)?: $1"
  run_cabin images -a -q
  is "$output" "" "no image"
  run_cabin unshare find "$GRAPHROOT/layers" "$GRAPHROOT/tmp" -mindepth 1 -maxdepth 1
  is "$output" "" "no layer, nothing staged"
}

LAYER_RE='sha256:[0-9a-f]{64}'

@test "hostile registry: an endless body, a longer body, an oversized manifest, an endless error" {
  start_hostile_registry
  hostile_pull "copying blob $LAYER_RE: reading blob $(re_escape "$HOSTILE")/endless@$LAYER_RE: blob is larger than the [0-9]+ bytes the manifest says" endless
  hostile_pull "copying blob $LAYER_RE: reading blob $(re_escape "$HOSTILE")/long@$LAYER_RE: blob is larger than the [0-9]+ bytes the manifest says" long
  hostile_pull "reading manifest $(re_escape "$HOSTILE")/big-manifest:latest: manifest is larger than the limit of 4194304 bytes" big-manifest
  hostile_pull "reading manifest $(re_escape "$HOSTILE")/endless-error:latest: HTTP 404 with a body larger than the limit of 1048576 bytes" endless-error
}

@test "hostile registry: a manifest or a blob of another digest" {
  start_hostile_registry
  hostile_pull "copying blob $LAYER_RE: the blob's digest is $LAYER_RE, not $LAYER_RE as the manifest says" wrong-layer
  local d
  d=$(cat "$HOSTILE_LOG/wrong-manifest.digest")
  hostile_pull "reading manifest $(re_escape "$HOSTILE")/wrong-manifest@$d: manifest digest mismatch: the registry sent content with digest $LAYER_RE" "wrong-manifest@$d"
}

@test "hostile registry: redirects to another host get no credentials and no trust; other schemes and loops are refused" {
  start_hostile_registry
  hostile_pull "copying blob $LAYER_RE: the blob's digest is $LAYER_RE, not $LAYER_RE as the manifest says" redirect
  hostile_pull "copying blob $LAYER_RE: reading blob .*: Get \"http://.*\": Unsupported protocol: .*file.*" redirect-file
  hostile_pull "copying blob $LAYER_RE: reading blob .*: Get \"http://.*\": too many redirects" redirect-loop
  # The registry's credentials never went to the other host.
  run grep "^${OTHER_HOST#*:} " "$HOSTILE_LOG/requests.log"
  [[ -n $output ]] || die "the other host was never asked"
  assert_not_contains "$output" " auth" "no Authorization header to the other host"
  # A redirect to storage elsewhere that sends the right bytes is fine (as Podman).
  run_cabin pull -q --tls-verify=false --creds u:p "$HOSTILE/redirect-ok"
  is "$output" "$FULL_ID" "pulled"
}

# ------------------------------------------------------------ arguments

@test "arguments that are not UTF-8 are kept as U+FFFD, as Podman's encoder writes them" {
  pull_probe
  local bad=$'v\xff' kept=$'v\xef\xbf\xbd'
  run_cabin create --name c --label "k=$bad" --env "E=$bad" "$PROBE_IMAGE" sh -c 'echo "$0 $E"' "$bad"
  run_cabin inspect --format '{{index .Config.Labels "k"}}' c
  is_exact "$output" "$kept" "the label"
  run_cabin start -a c
  is_exact "$output" "$kept $kept" "the command and the environment"
  run_cabin ps -a --filter "label=k=$kept" --format '{{.Names}}'
  is "$output" "c" "filtered by the label as stored"
}
