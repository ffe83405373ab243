#!/usr/bin/env bats
# The store as a whole: system df, system prune (named volumes are kept
# unless --volumes), image prune sparing images in use, system reset.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

teardown() { basic_teardown; }

@test "system df: images, containers and volumes with sizes and what is reclaimable" {
  run_cabin run --name c1 -v data:/data "$PROBE_IMAGE" sh -c 'head -c 100000 /dev/zero >/data/z; head -c 50000 /dev/zero >/z'
  run_cabin volume create unused
  run_cabin system df
  is "${lines[0]}" "TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE" "header"
  run_cabin system df --format '{{.Type}}|{{.Total}}|{{.Active}}|{{.Reclaimable}}'
  is "${lines[0]}" "Images\|1\|1\|0B \(0%\)" "the probe image is in use"
  is "${lines[1]}" "Containers\|1\|0\|[0-9.]+kB \(100%\)" "an exited container's layer is reclaimable"
  is "${lines[2]}" "Local Volumes\|2\|1\|0B \(0%\)" "the used volume is not; the empty one takes nothing"
  run_cabin system df --format '{{.Size}}'
  [[ ${lines[2]} =~ ^100(\.[0-9]+)?kB$ ]] || die "volumes hold 100 kB: ${lines[2]}"
  run_cabin system df -v
  assert_contains "$output" "Images space usage:"
  assert_contains "$output" "Local Volumes space usage:"
  [[ $output =~ data\ +1\ +100(\.[0-9]+)?kB ]] || die "the data volume, one link, its size: $output"
  [[ $output =~ unused\ +0\ +0B ]] || die "the unused volume: $output"
}

@test "system prune: stopped containers, unused networks and dangling images; volumes only with --volumes" {
  run_cabin network create pnet
  run_cabin run --name stopped -v keep:/k "$PROBE_IMAGE" sh -c 'echo precious >/k/f'
  run_cabin run -d --name running "$PROBE_IMAGE" sleep 60
  run_cabin system prune -f
  is "${lines[0]}" "Deleted Containers"
  is "${lines[1]}" "[0-9a-f]{64}"
  is "${lines[2]}" "Deleted Networks"
  is "${lines[3]}" "pnet"
  is "${lines[4]}" "Total reclaimed space: .*"
  run_cabin ps -a --format '{{.Names}}'
  is "$output" "running" "the running container stays"
  run_cabin volume ls -q
  is "$output" "keep" "a named volume survives system prune without --volumes"
  run_cabin run --rm -v keep:/k "$PROBE_IMAGE" cat /k/f
  is "$output" "precious"

  # -a: images nothing uses; the running container's stays.
  run_cabin system prune -f -a --volumes
  is "${lines[0]}" "Deleted Volumes"
  is "${lines[1]}" "keep"
  run_cabin images -q
  is "$output" "${IMG_PROBE_ID:0:12}" "the image in use stays"
  run_cabin image prune -a -f
  is "$output" "" "image prune -a spares it too"
  run_cabin rm -f -t 0 running
  run_cabin image prune -a -f
  is "$output" "$IMG_PROBE_ID" "unused now"
  run_cabin 125 system prune -f --filter dangling=true
  expect_error 'invalid filter "dangling=true": system prune takes label=KEY\[=VALUE\], label!=KEY\[=VALUE\] and until=TIME'
  run_cabin 125 system prune -f --filter until=yesterday
  expect_error 'invalid until filter value "yesterday": want a duration \(10m, 2h\), RFC 3339 time or unix seconds'
  run_cabin 125 system prune -f --filter until=99999999999999999999
  expect_error 'invalid until filter value "99999999999999999999": want a duration \(10m, 2h\), RFC 3339 time or unix seconds'
}

@test "system prune: stopped pods go first, with their containers (filters do not spare them, as in Podman); a running pod stays" {
  run_cabin pod create --infra=false --name gone --label keep=yes
  run_cabin run --pod gone --name member "$PROBE_IMAGE" true
  run_cabin run -d --pod new:alive --name alive-member "$PROBE_IMAGE" sleep 60
  local gone_id
  gone_id=$(cabin_out pod inspect --format '{{.ID}}' gone)
  run_cabin system prune -f --filter label=nothing-has-this
  is "${lines[0]}" "Deleted Pods"
  is "${lines[1]}" "$gone_id"
  is "${lines[2]}" "Total reclaimed space: .*" "the filter kept every container, network and image"
  run_cabin pod ps --format '{{.Name}}'
  is "$output" "alive" "the running pod stays"
  run_cabin 1 container exists member
  run_cabin system prune -f
  assert_not_contains "$output" "Deleted Pods" "nothing more to prune among pods"
  run_cabin pod rm -f -t 0 alive
}

@test "system prune --filter: label, label! and until choose among containers, networks and volumes" {
  run_cabin create --name old --label tier=web "$PROBE_IMAGE" true
  run_cabin create --name other --label tier=db "$PROBE_IMAGE" true
  run_cabin network create --label tier=web webnet
  run_cabin volume create --label tier=db dbvol
  run_cabin system prune -f --volumes --filter label!=tier=web
  is "$(printf '%s\n' "${lines[@]}" | grep -vE '^[0-9a-f]{64}$' | tr '\n' ' ')" "Deleted Containers Deleted Volumes dbvol Total reclaimed space: .* "
  run_cabin ps -a --format '{{.Names}}'
  is "$output" "old" "label!= spared the web container"
  # until counts whole seconds: two of them make "old" older than 1s for sure.
  sleep 2.1
  run_cabin create --name new --label tier=web "$PROBE_IMAGE" true
  run_cabin system prune -f --filter until=1s --filter label=tier
  run_cabin ps -a --format '{{.Names}}'
  is "$output" "new" "until=1s removed only what was created more than a second ago"
  run_cabin network ls --format '{{.Name}}' --filter name=webnet
  is "$output" "" "the older network went too"
}

@test "system reset: every container (running ones stopped), image, volume and network goes" {
  run_cabin network create rnet
  run_cabin run -d --name r1 -v rvol:/v "$PROBE_IMAGE" probe wait-signal 60
  run_cabin system reset -f
  run_cabin ps -aq
  is "$output" "" "containers"
  run_cabin images -q
  is "$output" "" "images"
  run_cabin volume ls -q
  is "$output" "" "volumes"
  run_cabin network ls -q
  is "$output" "podman" "networks: the default one only"
  wait_no_container_processes
  # The store works again from scratch.
  pull_probe
  run_cabin run --rm "$PROBE_IMAGE" true
}

@test "system check: finds a corrupted blob, the image and container it damages, and leftovers; --repair fixes what it can" {
  run_cabin system check
  is "$output" "no problems found" "a sound store"
  run_cabin create --name c1 "$PROBE_IMAGE" true
  local blob=$GRAPHROOT/blobs/sha256/$IMG_PROBE_ID orphan=$GRAPHROOT/containers/$(printf 'a%.0s' {1..64})
  echo corrupted >>"$blob"
  mkdir -p "$orphan" "$GRAPHROOT/volumes/ghost/_data" "$GRAPHROOT/tmp/stage-killed"
  run_cabin 1 system check
  assert_contains "$output" "blob sha256:$IMG_PROBE_ID: content does not match its digest"
  assert_contains "$output" "image ${IMG_PROBE_ID:0:12} ($PROBE_IMAGE): its configuration is missing or damaged; repair removes it (pull it again)"
  assert_contains "$output" "): its image ${IMG_PROBE_ID:0:12} is missing or damaged; remove the container"
  assert_contains "$output" "container directory $orphan: no container record"
  assert_contains "$output" "volume directory $GRAPHROOT/volumes/ghost: no volume record (volume.json)"
  assert_contains "$output" "staging directory $GRAPHROOT/tmp/stage-killed: left by a command that was killed"
  is "${lines[-1]}" "6 problems found, 6 left \(--repair fixes what it can\)"

  run_cabin 1 system check --repair
  is "${lines[-1]}" "6 problems found, 1 left" "all but the container"
  [[ ! -e $blob && ! -e $orphan && ! -e $GRAPHROOT/volumes/ghost ]] || die "repaired: blob, orphan directories"
  run_cabin images -q
  is "$output" "" "the damaged image is gone"
  run_cabin rm c1
  run_cabin system check
  is "$output" "no problems found"
  pull_probe
  run_cabin run --rm "$PROBE_IMAGE" probe exit 0
}

@test "system check: a file changed in a layer since it was unpacked is found against the diff ID; --quick skips that" {
  local diff_id layer file
  diff_id=$(cabin_out image inspect --format '{{index .RootFS.Layers 0}}' "$PROBE_IMAGE")
  layer=$GRAPHROOT/layers/${diff_id#sha256:}
  [[ -f $layer/tar-split.gz ]] || die "no record of the layer's tar in $layer"
  file=$(cabin_out unshare find "$layer/diff" -type f -size +1k | sort | head -1)
  [[ -n $file ]] || die "no file to change in $layer/diff"
  run_cabin unshare sh -c "printf X | dd of='$file' bs=1 seek=100 conv=notrunc 2>/dev/null"

  run_cabin system check --quick
  is "$output" "no problems found" "--quick reads no layer content"
  run_cabin 1 system check
  is "${lines[0]}" "layer ${diff_id#sha256:}: a file's content changed since it was unpacked \(its tar rebuilt from the files does not match the diff ID\)"
  is "${lines[1]}" "image ${IMG_PROBE_ID:0:12} \($PROBE_IMAGE\): its layer $diff_id is missing or damaged; repair removes it \(pull it again\)"

  run_cabin unshare rm "$file"
  run_cabin 1 system check
  is "${lines[0]}" "layer ${diff_id#sha256:}: ${file#$layer/diff/} is missing"
  run_cabin 0 system check --repair
  is "${lines[-1]}" "2 problems found, all repaired"
  [[ ! -e $layer ]] || die "the damaged layer is still there"
  pull_probe
  run_cabin system check
  is "$output" "no problems found" "pulled again"
}
