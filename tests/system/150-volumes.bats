#!/usr/bin/env bats
# Volumes: the volume commands, named and anonymous volumes in run (-v,
# --mount, image VOLUMEs, --volumes-from), copy-up and owners on first use,
# :U, keep-id binds, rm -v; bad input.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

teardown() { basic_teardown; }

# An image like a database's: VOLUMEs /home/tester (which the probe image
# has, owned by 1000, with a file in it) and /srv, from the probe's root.
volume_image() {
  run_cabin import -q -c 'VOLUME ["/home/tester", "/srv"]' "$CABIN_TEST_PROBE_ROOTFS_TAR" volimg:1
}

@test "volume create, ls, inspect, exists, rm, prune: shaped like Podman's" {
  run_cabin volume create v1
  is "$output" "v1"
  run_cabin volume create --label team=db --opt type=tmpfs --opt device=tmpfs --opt o=size=2m t1
  run_cabin volume create
  [[ $output =~ ^[0-9a-f]{64}$ ]] || die "a generated name: $output"
  local gen=$output
  run_cabin volume ls
  is "${lines[0]}" "DRIVER      VOLUME NAME" "header"
  assert_contains "$output" "local       v1"
  run_cabin volume ls -q --filter label=team=db
  is "$output" "t1" "label filter"
  run_cabin volume ls --format '{{.Name}} {{.Driver}} {{.Scope}}' --filter name=v1
  is "$output" "v1 local local"
  run_cabin volume ls --format json --filter name=t1
  is "$(jq -r '.[0].Options.type + " " + .[0].Labels.team' <<<"$output")" "tmpfs db" "json"

  run_cabin volume inspect v1
  is "$(jq -r '.[0] | keys_unsorted | join(",")' <<<"$output")" \
    "Name,Driver,Mountpoint,CreatedAt,Labels,Scope,Options,MountCount,NeedsCopyUp,NeedsChown" "inspect's fields, in Podman's order"
  is "$(jq -r '.[0].Mountpoint' <<<"$output")" "$GRAPHROOT/volumes/v1/_data" "Mountpoint"
  run_cabin volume inspect --format '{{.Name}} {{.NeedsCopyUp}}' v1
  is "$output" "v1 true"
  run_cabin 125 volume inspect v1 nosuch
  expect_error "inspecting object: no such volume nosuch"

  run_cabin volume exists v1
  run_cabin 1 volume exists nosuch

  run_cabin volume rm "$gen"
  is "$output" "$gen"
  run_cabin 1 volume rm nosuch
  is "$stderr" 'Error: no volume with name "nosuch" found: no such volume'
  run_cabin volume prune -f
  is "$(sort <<<"$output")" $'t1\nv1' "prune removes the unused ones"
  run_cabin volume ls -q
  is "$output" "" "none left"
}

@test "volume create: bad names, drivers and options are one-line errors and create nothing" {
  store_baseline
  local -A bad=(
    ['bad/name']='running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument'
    ['--opt foo=bar x']="invalid mount option foo for driver 'local': invalid argument"
    ['--driver nope x']='volume x uses volume plugin nope but it could not be retrieved: no volume plugin with name nope available: required plugin missing'
    ['--opt type=bind --opt device=/nonexistent x']="invalid volume option device for driver 'local': stat /nonexistent: No such file or directory"
    ['--opt type=ext4 --opt device=/dev/vda x']='volume type "ext4" needs root to mount: a rootless volume is a directory, type=tmpfs, or type=bind (or type=none with o=bind) with device=DIRECTORY'
    ['--opt o=size=1m x']='volume options size and inodes not supported. Filesystem does not support Project Quota'
    ['--opt type=tmpfs --opt o=bogus x']='invalid tmpfs volume option "bogus"'
    ['--opt o=uid=99999999999999999999 x']='invalid volume option "uid=99999999999999999999": uid must be a number from 0 to 4294967295'
    ['--opt o=gid=4294967296 x']='invalid volume option "gid=4294967296": gid must be a number from 0 to 4294967295'
  )
  local k
  for k in "${!bad[@]}"; do
    # shellcheck disable=SC2086
    run_cabin 125 volume create $k
    expect_error "$(re_escape "${bad[$k]}")" "$k"
  done
  run_cabin volume create dup
  run_cabin 125 volume create dup
  expect_error "volume with name dup already exists: volume already exists"
  run_cabin volume rm dup
  assert_nothing_left "$BASELINE"
}

@test "run -v NAME: a non-root user writes to a fresh volume (keep-id, with or without subordinate ids)" {
  run_cabin run --rm --userns keep-id -v fresh:/newdir "$PROBE_IMAGE" sh -c 'probe ids; probe write /newdir/f; probe stat /newdir'
  is "${lines[0]}" "uid=$(id -u) gid=$(id -g) .*" "the user's own ids"
  is "${lines[1]}" "ok" "writes to the fresh volume"
  is "${lines[2]}" "uid=$(id -u) gid=$(id -g) mode=0755 type=dir" "whose top is the container user's (no such directory in the image)"
  is "$(stat -c %u "$GRAPHROOT/volumes/fresh/_data/f")" "$(id -u)" "and the user's outside"
}

@test "run -v NAME: a fresh volume is filled from the image with its owners; the data outlives the container" {
  skip_if_no_subuid "the image's user 1000 needs subordinate ids"
  # The image's /home/tester (owned by 1000) on a fresh volume: the non-root
  # user of the image writes to it.
  run_cabin run --name c1 --user tester -v data:/home/tester "$PROBE_IMAGE" sh -c \
    'probe stat /home/tester; probe stat /home/tester/file; echo kept >/home/tester/new && echo wrote'
  is "${lines[0]}" "uid=1000 gid=1000 mode=0755 type=dir" "the volume's top has the image directory's owner and mode"
  is "${lines[1]}" "uid=1000 gid=1000 mode=0644 type=file" "copy-up keeps owners"
  is "${lines[2]}" "wrote" "a non-root user writes to a fresh volume"
  run_cabin volume inspect --format '{{.NeedsCopyUp}} {{.NeedsChown}}' data
  is "$output" "false false" "set up once"
  run_cabin rm c1
  run_cabin volume exists data
  run_cabin run --rm -v data:/home/tester "$PROBE_IMAGE" cat /home/tester/new
  is "$output" "kept" "the next container reads it after rm"
  # Not filled again, even where the image has other content.
  run_cabin run --rm -v data:/srv "$PROBE_IMAGE" ls /srv
  is "$(sort <<<"$output")" $'file\nnew' "a used volume keeps its content"
  # --mount type=volume, nocopy.
  run_cabin run --rm --mount type=volume,src=empty,dst=/srv,volume-nocopy "$PROBE_IMAGE" ls -A /srv
  is "$output" "" "volume-nocopy: not filled"
  run_cabin run --rm --mount type=volume,source=data,target=/d,ro "$PROBE_IMAGE" probe write /d/x
  is "$output" "EROFS" "ro"
}

@test "run: anonymous volumes (-v /path, image VOLUME) go with rm -v and --rm; named ones stay" {
  volume_image
  run_cabin run --name c1 -v named:/n -v /anon volimg:1 sh -c \
    'probe stat /home/tester/file; ls /srv; grep -E " /(anon|n|srv|home/tester) " /proc/mounts | cut -d" " -f4 | cut -d, -f1-3 | sort -u'
  if have_subuid || is_root; then
    is "${lines[0]}" "uid=1000 gid=1000 mode=0644 type=file" "the image VOLUME was filled from the image, owners kept"
  else
    is "${lines[0]}" "uid=0 gid=0 mode=0644 type=file" "the image VOLUME was filled from the image (one id: all root's)"
  fi
  is "${lines[1]}" "hello.txt" "/srv too"
  is "${lines[2]}" "rw,nosuid,nodev" "volumes are nosuid,nodev"
  run_cabin inspect --format '{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}' c1
  is "$output" "volume:/n volume:/anon volume:/home/tester volume:/srv " "inspect's Mounts"
  run_cabin volume ls -q
  is "$(wc -l <<<"$output")" "4" "one named, three anonymous"
  run_cabin 2 volume rm named
  is "$stderr" "Error: volume named is being used by the following container\(s\): [0-9a-f]{64}: volume is being used"
  run_cabin rm -v c1
  run_cabin volume ls -q
  is "$output" "named" "rm -v removes the anonymous volumes only"

  run_cabin run --rm -v /anon2 "$PROBE_IMAGE" true
  run_cabin volume ls -q
  is "$output" "named" "--rm removes them too"
  run_cabin run --name c2 -v named:/n "$PROBE_IMAGE" true
  run_cabin volume rm -f named
  is "$output" "named" "rm -f"
  run_cabin ps -aq
  is "$output" "" "with the containers that used it"
}

@test "run --volumes-from: the other container's volumes and binds, :ro" {
  mkdir -p "$BATS_TEST_TMPDIR/host"
  echo from-host >"$BATS_TEST_TMPDIR/host/f"
  run_cabin create --name src -v shared:/data -v "$BATS_TEST_TMPDIR/host:/host" -v /anon "$PROBE_IMAGE" true
  run_cabin run --rm --volumes-from src "$PROBE_IMAGE" sh -c 'echo hi >/data/x; cat /host/f; ls -d /anon'
  is "$output" $'from-host\n/anon'
  run_cabin run --rm --volumes-from src:ro "$PROBE_IMAGE" sh -c 'cat /data/x; probe write /data/y'
  is "$output" $'hi\nEROFS' ":ro"
  run_cabin 125 run --rm --volumes-from nosuch "$PROBE_IMAGE" true
  expect_error 'no container with name or ID "nosuch" found: no such container'
  run_cabin rm -v src
  run_cabin volume ls -q
  is "$output" "shared" "src's anonymous volume went with it"
}

@test "volume export/import round trip; tmpfs volumes are fresh per container" {
  local owner=0
  if is_root || have_subuid; then owner=1000; fi
  run_cabin run --rm -v e1:/e "$PROBE_IMAGE" sh -c "mkdir /e/d && echo hello >/e/d/f && chown $owner:$owner /e/d/f"
  run_cabin volume export e1 -o "$BATS_TEST_TMPDIR/e1.tar"
  run tar tf "$BATS_TEST_TMPDIR/e1.tar"
  is "$(sort <<<"$output" | sed 's|^\./||' | grep -v '^$')" $'d/\nd/f' "the volume's content"
  run_cabin volume create e2
  run_cabin volume import e2 "$BATS_TEST_TMPDIR/e1.tar"
  run_cabin run --rm -v e2:/e "$PROBE_IMAGE" sh -c 'cat /e/d/f; probe stat /e/d/f'
  is "${lines[0]}" "hello"
  is "${lines[1]}" "uid=$owner gid=$owner mode=0644 type=file" "owners kept"
  run_cabin 125 volume import nosuch "$BATS_TEST_TMPDIR/e1.tar"
  expect_error "no such volume nosuch"

  run_cabin volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=1m tv
  run_cabin run --rm -v tv:/t "$PROBE_IMAGE" sh -c 'echo x >/t/x; grep " /t " /proc/mounts | cut -d" " -f1,3'
  is "$output" "tmpfs tmpfs"
  run_cabin run --rm -v tv:/t "$PROBE_IMAGE" ls -A /t
  is "$output" "" "a new tmpfs each time"
}

@test "run -v DIR:...:U gives the content to the container's user; keep-id binds are writable inside and out" {
  skip_if_no_subuid "the container's user 1000 needs a subordinate id"
  skip_if_root "root's ids are the host's"
  mkdir -p "$BATS_TEST_TMPDIR/u/sub"
  touch "$BATS_TEST_TMPDIR/u/sub/f"
  run_cabin run --rm --user tester -v "$BATS_TEST_TMPDIR/u:/u:U" "$PROBE_IMAGE" sh -c 'probe stat /u/sub/f; probe write /u/sub/g'
  is "$output" $'uid=1000 gid=1000 mode=0644 type=file\nok' ":U: owned by the user inside"
  local sub
  sub=$(subid_range /etc/subuid)
  is "$(stat -c %u "$BATS_TEST_TMPDIR/u/sub/f")" "$((${sub%:*} + 999))" "and by its subordinate id outside"
  "$CABIN" unshare chown -R 0:0 "$BATS_TEST_TMPDIR/u"

  mkdir -p "$BATS_TEST_TMPDIR/k"
  run_cabin run --rm --userns keep-id -v "$BATS_TEST_TMPDIR/k:/k" "$PROBE_IMAGE" sh -c "probe write /k/in; probe stat /k"
  is "$output" "ok"$'\n'"uid=$(id -u) gid=$(id -g) mode=0755 type=dir" "keep-id: the user's directory is the user's inside"
  is "$(stat -c %u "$BATS_TEST_TMPDIR/k/in")" "$(id -u)" "what it writes is the user's outside"
}

@test "run -v / --mount: bad volume values are one-line errors and create nothing" {
  store_baseline
  local -A bad=(
    ['-v bad$name:/x']='invalid volume name "bad$name": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*'
    ['-v vol:relative']='invalid container path "relative", must be an absolute path'
    ['-v vol:/x:bogus']='invalid option type "bogus"'
    ['-v a:b:c:d']='invalid volume specification "a:b:c:d"'
    ['--mount type=volume,src=v']='invalid mount "type=volume,src=v": must set a destination'
    ['--volumes-from nosuch']='no container with name or ID "nosuch" found: no such container'
  )
  local k
  for k in "${!bad[@]}"; do
    # shellcheck disable=SC2086
    run_cabin 125 run --rm $k "$PROBE_IMAGE" true
    expect_error "$(re_escape "${bad[$k]}")" "$k"
  done
  assert_nothing_left "$BASELINE"
}

@test "inspect finds volumes and networks after containers and images; ps --filter volume" {
  run_cabin volume create --label k=v data
  run_cabin network create --internal backnet
  run_cabin inspect --format '{{.Name}} {{.Driver}} {{.Labels}}' data
  is "$output" "data local map\[k:v\]"
  run_cabin inspect --format '{{.Name}} {{.Internal}}' backnet
  is "$output" "backnet true"
  run_cabin inspect --type volume --format '{{.Mountpoint}}' data
  is "$output" "$GRAPHROOT/volumes/data/_data"
  run_cabin 125 inspect --type network data
  expect_error 'no such object: "data"'
  run_cabin 125 inspect --type bogus data
  expect_error 'invalid type "bogus" must be one of "container", "image", "volume", "network", "pod", or "all"'

  run_cabin create --name user1 -v data:/srv/data "$PROBE_IMAGE" true
  run_cabin create --name user2 -v /anon "$PROBE_IMAGE" true
  run_cabin create --name none "$PROBE_IMAGE" true
  run_cabin ps -a --filter volume=data --format '{{.Names}}'
  is "$output" "user1" "by the volume's name"
  run_cabin ps -a --filter volume=/anon --format '{{.Names}}'
  is "$output" "user2" "by where it is mounted"
  run_cabin ps -a --filter volume=/srv/data --filter volume=/anon --format '{{.Names}}'
  is "$(sort <<<"$output" | tr '\n' ' ')" "user1 user2 " "values of one key: any"
}
