#!/usr/bin/env bats
# cabin run: bind mounts (-v, --mount type=bind), tmpfs (--tmpfs, --mount
# type=tmpfs), --read-only, and who owns what: uid 0 inside is you outside,
# --userns=keep-id makes you yourself inside, --uidmap/--gidmap.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
  DATA=$BATS_TEST_TMPDIR/data
  mkdir -p "$DATA"
  echo 'from the host' >"$DATA/host.txt"
}

# ------------------------------------------------------------ bind mounts

@test "-v: host files are root's inside; files written there are yours outside" {
  run_cabin run --rm --network none -v "$DATA:/data" "$PROBE_IMAGE" \
    sh -c 'cat /data/host.txt; /bin/probe stat /data/host.txt; echo written >/data/new.txt; mkdir /data/sub'
  is "${lines[0]}" "from the host" "reads the host's file"
  is "${lines[1]}" "uid=0 gid=0 mode=0644 type=file" "your file is root's inside"
  is "$(<"$DATA/new.txt")" "written"
  is "$(stat -c %u:%g "$DATA/new.txt")" "$(id -u):$(id -g)" "a file written inside is yours"
  is "$(stat -c %u:%g "$DATA/sub")" "$(id -u):$(id -g)" "so is a directory"
}

@test "-v: :ro, :rw, :z, --volume" {
  run_probe -v "$DATA:/data:ro" -- write /data/x
  is "$output" "EROFS" ":ro"
  run_probe -v "$DATA:/data:rw" -- write /data/x
  is "$output" "ok" ":rw"
  run_probe --volume "$DATA:/data:z" -- read /data/host.txt
  is "$output" "ok 14" ":z is accepted (no SELinux relabelling here)"
  run_probe -v "$DATA:/data:ro,Z" -- write /data/y
  is "$output" "EROFS" "several options"
  [[ ! -e $DATA/y ]] || die "written through a read-only mount"
}

@test "-v: a single file, over a file of the image, and nested mounts" {
  echo 'host motd' >"$BATS_TEST_TMPDIR/motd"
  mkdir -p "$BATS_TEST_TMPDIR/inner"
  echo inner >"$BATS_TEST_TMPDIR/inner/file"
  run_cabin run --rm --network none -v "$BATS_TEST_TMPDIR/motd:/srv/hello.txt:ro" -v "$DATA:/data" \
    -v "$BATS_TEST_TMPDIR/inner:/data/inner" "$PROBE_IMAGE" \
    sh -c 'cat /srv/hello.txt; cat /data/host.txt; cat /data/inner/file'
  is "$output" "host motd"$'\n'"from the host"$'\n'"inner"
  [[ -d $DATA/inner ]] || die "the mount point of the nested mount is made in the outer one"
}

@test "--mount type=bind" {
  run_probe --mount "type=bind,source=$DATA,target=/data" -- read /data/host.txt
  is "$output" "ok 14" "source=, target="
  run_probe --mount "type=bind,src=$DATA,dst=/data,ro" -- write /data/x
  is "$output" "EROFS" "src=, dst=, ro"
  run_probe --mount "type=bind,src=$DATA,destination=/data,readonly" -- write /data/x
  is "$output" "EROFS" "destination=, readonly"
  run_probe --mount "type=bind,src=$DATA,dst=/data,ro=true" -- write /data/x
  is "$output" "EROFS" "ro=true"
  run_probe --mount "type=bind,src=$DATA,dst=/data,ro=false" -- write /data/x
  is "$output" "ok" "ro=false"
}

@test "bind mounts: bad sources and destinations" {
  store_baseline
  run_cabin 125 run --rm --network none -v /nonexistent/src:/data "$PROBE_IMAGE" true
  # text: confirm with run (Podman: statfs /nonexistent/src: no such file or directory)
  expect_error ".*/nonexistent/src.*(no such file or directory|No such file or directory)"
  run_cabin 125 run --rm --network none --mount type=bind,src=/nonexistent/src,dst=/data "$PROBE_IMAGE" true
  expect_error ".*/nonexistent/src.*(no such file or directory|No such file or directory)"
  run_cabin 125 run --rm --network none -v "$DATA:relative" "$PROBE_IMAGE" true
  expect_error "invalid container path \"relative\", must be an absolute path"
  run_cabin 125 run --rm --network none -v "$DATA:/data:bogus" "$PROBE_IMAGE" true
  # text: confirm with run (Podman: invalid option type "bogus")
  expect_error ".*bogus.*"
  run_cabin 125 run --rm --network none --mount "type=bind,src=$DATA" "$PROBE_IMAGE" true
  expect_error ".*(destination|target|dst).*"
  assert_nothing_left "$BASELINE"
}

@test "bind mounts: destinations resolve inside the container's root" {
  # A root filesystem whose /escape points at a host directory: the mount
  # must land in the container's own /…/hostside, never on the host.
  local rootfs=$BATS_TEST_TMPDIR/rootfs hostside=$BATS_TEST_TMPDIR/hostside
  mkdir -p "$rootfs" "$hostside"
  tar -xf "$CABIN_TEST_PROBE_ROOTFS_TAR" -C "$rootfs" --no-same-owner 2>/dev/null
  ln -s "$hostside" "$rootfs/escape"
  ln -s ../../../../../../../../../.."$hostside" "$rootfs/escape-relative"
  run_cabin run --rm --network none -v "$DATA:/escape/mnt" -v "$DATA:/escape-relative/mnt2" \
    --rootfs "$rootfs" sh -c 'cat /escape/mnt/host.txt; cat /escape-relative/mnt2/host.txt'
  is "$output" "from the host"$'\n'"from the host" "mounted where the symlinks lead inside the container"
  is "$(ls -A "$hostside")" "" "nothing was mounted or created on the host's side"
  [[ -d $rootfs$hostside/mnt ]] || die "the mount point was not made inside the root filesystem"
}

# ------------------------------------------------------------ ownership

@test "--userns=keep-id: your uid and name inside, your files" {
  skip_if_root
  local uid gid name
  uid=$(id -u) gid=$(id -g) name=$(id -un)
  run_probe --userns=keep-id -- ids
  is "$output" "uid=$uid gid=$gid euid=$uid egid=$gid groups=.*"
  run_cabin run --rm --network none --userns=keep-id "$PROBE_IMAGE" sh -c 'whoami; grep "^[^:]*:[^:]*:'"$uid"':" /etc/passwd'
  if [[ $uid == 1000 ]]; then
    is "${lines[0]}" "tester" "uid 1000 is the image's tester"
  else
    is "${lines[0]}" "$name" "your name"
    is "${lines[1]}" "$name:[^:]*:$uid:$gid:.*" "your /etc/passwd entry"
  fi
  run_cabin run --rm --network none --userns=keep-id -v "$DATA:/data" "$PROBE_IMAGE" \
    sh -c '/bin/probe stat /data/host.txt; echo written >/data/new.txt'
  is "$output" "uid=$uid gid=$gid mode=0644 type=file" "your file is yours inside"
  is "$(stat -c %u:%g "$DATA/new.txt")" "$uid:$gid" "a file written inside is yours"
}

@test "--userns=keep-id: the image's files keep their owners" {
  skip_if_root
  run_probe --userns=keep-id -- stat /home/tester
  if [[ -n $SINGLE_ID ]]; then
    is "$output" "uid=$(id -u) gid=$(id -g) mode=0755 type=dir" "single-id: every file is yours"
  else
    is "$output" "uid=1000 gid=1000 mode=0755 type=dir"
  fi
  run_probe --userns=keep-id -- stat /srv/hello.txt
  if [[ -n $SINGLE_ID ]]; then
    is "$output" "uid=$(id -u) gid=$(id -g) mode=0644 type=file"
  else
    is "$output" "uid=0 gid=0 mode=0644 type=file"
  fi
  # A second run is the same (and, per the benchmark, as fast as a normal one).
  run_probe --userns=keep-id -- stat /srv/hello.txt
  run_probe -- stat /srv/hello.txt
  is "$output" "uid=0 gid=0 mode=0644 type=file" "without keep-id, as before"
}

@test "--uidmap and --gidmap" {
  skip_if_root
  skip_if_no_subuid
  chmod 0777 "$DATA"
  local u g
  u=$(subid_range /etc/subuid) g=$(subid_range /etc/subgid)
  # Container ids 0… are your intermediate ids 1…, that is your first
  # subordinate ids (as Podman maps them rootless).
  run_cabin run --rm --network none --uidmap 0:1:65536 --gidmap 0:1:65536 -v "$DATA:/data" "$PROBE_IMAGE" \
    sh -c 'touch /data/by-root; /bin/probe ids'
  is "$output" "uid=0 gid=0 euid=0 egid=0 groups=.*"
  is "$(stat -c %u:%g "$DATA/by-root")" "${u%:*}:${g%:*}" "root inside is your first subordinate id"
  # The image's files keep their owners under the new mapping.
  run_probe -- stat /srv/hello.txt
  local plain=$output
  run_probe --uidmap 0:1:65536 -- stat /srv/hello.txt
  is "$output" "$plain" "the image's files look the same"
  run_probe --uidmap 0:1:65536 -- stat /etc/hosts
  is "$output" "uid=0 gid=0 mode=0644 type=file" "the generated /etc files are the container root's"
  # One of the two serves for both; several ranges; you yourself mapped in.
  run_cabin run --rm --network none --uidmap 0:1:1000 "$PROBE_IMAGE" cat /proc/self/uid_map /proc/self/gid_map
  is "$(echo $output)" "0 1 1000 0 1 1000" "--uidmap alone maps gids the same"
  run_cabin run --rm --network none --gidmap 0:1:10 --gidmap 10:0:1 --user 10:10 -v "$DATA:/data" "$PROBE_IMAGE" \
    sh -c 'cat /proc/self/gid_map; touch /data/by-ten'
  is "$(echo $output)" "0 1 10 10 0 1" "--gidmap alone, two ranges"
  is "$(stat -c %u:%g "$DATA/by-ten")" "$(id -u):$(id -g)" "container 10 is you"
}

@test "--uidmap and --gidmap: one id" {
  skip_if_root
  # Your own id (intermediate 0) exists with or without subordinate ranges.
  run_cabin run --rm --network none --uidmap 0:0:1 -v "$DATA:/data" "$PROBE_IMAGE" sh -c 'touch /data/mine; /bin/probe ids'
  is "$output" "uid=0 gid=0 euid=0 egid=0 groups=.*"
  is "$(stat -c %u:%g "$DATA/mine")" "$(id -u):$(id -g)" "container 0 is you"
}

@test "--uidmap and --gidmap: bad values" {
  store_baseline
  local ids=65537
  have_subuid || ids=1
  run_cabin 125 run --rm --network none --uidmap bogus "$PROBE_IMAGE" true
  is "$stderr" 'Error: initializing ID mappings: UID setting is malformed expected \["uint32:uint32:uint32"\]: \["bogus"\]'
  run_cabin 125 run --rm --network none --uidmap 0:0:1 --gidmap 0:1 "$PROBE_IMAGE" true
  expect_error 'initializing ID mappings: GID setting is malformed .*\["0:1"\]'
  run_cabin 125 run --rm --network none --uidmap 0:0:1 --userns=keep-id "$PROBE_IMAGE" true
  expect_error "--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive"
  run_cabin 125 run --rm --network none --uidmap 0:0:1 --uidmap 1:0:1 "$PROBE_IMAGE" true
  expect_error "the specified UID mapping 1:0:1 conflicts with other mappings"
  run_cabin 125 run --rm --network none --uidmap "0:0:$((ids + 1))" "$PROBE_IMAGE" true
  expect_error "UID mapping \"0:0:$((ids + 1))\": ids 0-$ids of your user namespace do not exist, it has $ids .*"
  run_cabin 125 run --rm --network none --uidmap 0:0:1 --user 5 "$PROBE_IMAGE" true
  expect_error "user id 5 is not mapped by --uidmap"
  assert_nothing_left "$BASELINE"
}

# ------------------------------------------------------------ tmpfs and --read-only

@test "--tmpfs and --mount type=tmpfs" {
  run_cabin run --rm --network none --tmpfs /scratch "$PROBE_IMAGE" \
    sh -c '/bin/probe write /scratch/f; grep " /scratch " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1'
  is "$output" "ok"$'\n'"tmpfs"
  run_cabin run --rm --network none --tmpfs /scratch:size=1m,mode=0700 "$PROBE_IMAGE" \
    sh -c '/bin/probe stat /scratch; awk '\''$5 == "/scratch" { print $NF }'\'' /proc/self/mountinfo'
  is "${lines[0]}" "uid=0 gid=0 mode=0700 type=dir" "mode"
  assert_contains "${lines[1]}" "size=1024k" "size"
  run_cabin run --rm --network none --mount type=tmpfs,destination=/s,tmpfs-size=1m,tmpfs-mode=0700 "$PROBE_IMAGE" \
    sh -c '/bin/probe stat /s; awk '\''$5 == "/s" { print $NF }'\'' /proc/self/mountinfo'
  is "${lines[0]}" "uid=0 gid=0 mode=0700 type=dir" "tmpfs-mode"
  assert_contains "${lines[1]}" "size=1024k" "tmpfs-size"
  # Podman copies what the image has at the destination into the tmpfs
  # (tmpcopyup, the default); notmpcopyup leaves it empty.
  run_probe --tmpfs /srv -- read /srv/hello.txt
  is "$output" "ok 27" "tmpcopyup by default"
  run_probe --mount type=tmpfs,dst=/srv -- read /srv/hello.txt
  is "$output" "ok 27" "--mount type=tmpfs: tmpcopyup by default"
  run_probe -- stat /srv/hello.txt
  local image_stat=$output
  run_probe --tmpfs /srv -- stat /srv/hello.txt
  is "$output" "$image_stat" "tmpcopyup keeps owner and mode"
  run_cabin run --rm --network none --tmpfs /srv:ro "$PROBE_IMAGE" sh -c 'cat /srv/hello.txt >/dev/null && /bin/probe write /srv/new'
  is "$output" "EROFS" "a read-only tmpfs is filled, then read-only"
  run_probe --tmpfs /srv:notmpcopyup -- read /srv
  is "$output" "dir 0" "notmpcopyup"
  run_probe --mount type=tmpfs,dst=/srv,notmpcopyup -- read /srv
  is "$output" "dir 0" "--mount type=tmpfs,notmpcopyup"
}

@test "--read-only" {
  run_cabin run --rm --network none --read-only "$PROBE_IMAGE" \
    sh -c 'for p in /x /srv/x /etc/x /tmp/x /var/tmp/x /run/x /dev/shm/x; do echo "$p $(/bin/probe write $p)"; done'
  is "$output" "/x EROFS"$'\n'"/srv/x EROFS"$'\n'"/etc/x EROFS"$'\n'"/tmp/x ok"$'\n'"/var/tmp/x ok"$'\n'"/run/x ok"$'\n'"/dev/shm/x ok" \
    "the root is read-only; /tmp, /var/tmp, /run and /dev/shm are tmpfs"
  run_probe --read-only --read-only-tmpfs=false -- write /tmp/x
  is "$output" "EROFS" "--read-only-tmpfs=false"
  run_probe --read-only -v "$DATA:/data" -- write /data/x
  is "$output" "ok" "a rw bind mount stays writable"
  run_probe --read-only --tmpfs /scratch -- write /scratch/x
  is "$output" "ok" "so does a tmpfs"
  run_cabin run --rm --network none --read-only "$PROBE_IMAGE" /bin/probe cwd
  is "$output" "/srv" "the WorkingDir"
}
