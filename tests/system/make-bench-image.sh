#!/bin/bash
# Builds a ~200 MB (unpacked), five-layer image for pull/unpack benchmarks
# and pushes it to the plain test registry as 127.0.0.1:5000/bench/large:latest.
# Content is pseudo-random but deterministic (AES-CTR of zeros with a fixed
# key), so digests are stable and a rerun builds and pushes nothing.
#
#   layer 1  busybox (as in make-images.sh's busybox image)   ~2 MB
#   layer 2  20480 small files of 2 KiB, half text, half binary   40 MB
#   layer 3  5 large binary files of 10 MiB                        50 MB
#   layer 4  one 50 MiB text file (compresses ~4:3)                50 MB
#   layer 5  200 directories x 100 files of 2.5 KiB, hardlinks     50 MB
#
# Needs setup-host.sh and make-images.sh to have run. Writes $STATE/bench.env:
# CABIN_BENCH_IMAGE, CABIN_BENCH_DIGEST, CABIN_BENCH_ID.
# The braces make bash read the whole script before running it, so that
# editing it while it runs cannot change what a running copy does.
{
set -eu  # no pipefail: the generators below are cut short by head

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/oci.bash
source "$HERE/lib/oci.bash"
# shellcheck source=lib/registry.bash
source "$HERE/lib/registry.bash"
STATE=${CABIN_TEST_STATE:-/var/tmp/cabin-tests}
[[ -r $STATE/env && -r $STATE/images.env ]] || { echo "make-bench-image: run setup-host.sh and make-images.sh first" >&2; exit 1; }
# shellcheck disable=SC1091
source "$STATE/env"
# shellcheck disable=SC1091
source "$STATE/images.env"

note() { echo "make-bench-image: $*" >&2; }
# One build at a time: concurrent runs would share the same work directories.
exec 9>"$STATE/.bench.lock"
flock 9
KEY=$(cat "${BASH_SOURCE[0]}" "$HERE/lib/oci.bash" "$CABIN_TEST_ROOTFS_TAR" | sha256sum | cut -c1-16)
OUT=$STATE/bench/$KEY
NAME=$CABIN_TEST_REGISTRY/bench/large:latest

# stream SEED BYTES: deterministic pseudo-random bytes.
stream() {
  local key
  key=$(printf '%s' "$1" | sha256sum | cut -c1-32)
  # openssl dies of SIGPIPE when head has enough: not an error.
  { openssl enc -aes-128-ctr -nosalt -K "$key" -iv 00000000000000000000000000000000 </dev/zero 2>/dev/null || true; } |
    head -c "$2"
}

if [[ ! -e $OUT/.done ]]; then
  start=$SECONDS
  rm -rf "$OUT" && mkdir -p "$OUT"
  work=$(mktemp -d "$OUT/.work.XXXXXX")
  L=$OUT/layout
  oci_init "$L"
  layers=()
  cp "$CABIN_TEST_ROOTFS_TAR" "$work/l1.tar"
  layers+=("$(oci_add_layer "$L" "$work/l1.tar" gzip)")

  mkdir -p "$work/l2/small/bin" "$work/l2/small/text"
  stream small-bin $((10 * 1024 * 1024)) | (cd "$work/l2/small/bin" && split -b 2048 -a 4 - f)
  stream small-text $((7680 * 1024)) | base64 -w 76 | head -c $((10 * 1024 * 1024)) |
    (cd "$work/l2/small/text" && split -b 2048 -a 4 - f)
  stream small-bin2 $((20 * 1024 * 1024)) | (cd "$work/l2/small/bin" && split -b 2048 -a 4 - g)
  tar_add "$work/l2.tar" "$work/l2" -- .
  layers+=("$(oci_add_layer "$L" "$work/l2.tar" gzip)")

  mkdir -p "$work/l3/large"
  for i in 1 2 3 4 5; do stream "large-$i" $((10 * 1024 * 1024)) >"$work/l3/large/blob$i.bin"; done
  tar_add "$work/l3.tar" "$work/l3" -- .
  layers+=("$(oci_add_layer "$L" "$work/l3.tar" gzip)")

  mkdir -p "$work/l4/text"
  stream text $((38 * 1024 * 1024)) | base64 -w 76 | head -c $((50 * 1024 * 1024)) >"$work/l4/text/big.txt"
  tar_add "$work/l4.tar" "$work/l4" -- .
  layers+=("$(oci_add_layer "$L" "$work/l4.tar" gzip)")

  mkdir -p "$work/l5/tree"
  for ((d = 0; d < 200; d++)); do
    mkdir "$work/l5/tree/d$d"
    stream "tree-$d" $((100 * 2560)) | (cd "$work/l5/tree/d$d" && split -b 2560 -a 2 - f)
  done
  # Some hardlinks across directories.
  for d in 1 2 3; do ln "$work/l5/tree/d$d/faa" "$work/l5/tree/d0/hardlink$d"; done
  tar_add "$work/l5.tar" "$work/l5" -- .
  layers+=("$(oci_add_layer "$L" "$work/l5.tar" gzip)")

  ids=()
  for l in "${layers[@]}"; do ids+=("${l##* }"); done
  history='[{"created":"2024-01-01T00:00:00Z","created_by":"busybox"},{"created":"2024-04-01T00:00:00Z","created_by":"small files"},{"created":"2024-04-01T00:00:00Z","created_by":"large files"},{"created":"2024-04-01T00:00:00Z","created_by":"text"},{"created":"2024-04-01T00:00:00Z","created_by":"tree"}]'
  cfg=$(oci_config amd64 linux 2024-04-01T00:00:00Z '{"Cmd":["sh"],"Labels":{"cabin.test.image":"bench"}}' \
    "$history" "${ids[@]}")
  read -r md ms cd <<<"$(oci_image "$L" "$cfg" "${layers[@]}")"
  oci_tag "$L" "$md" "$ms" large
  printf 'CABIN_BENCH_DIGEST=%s\nCABIN_BENCH_ID=%s\n' "$md" "${cd#sha256:}" >"$OUT/facts"
  rm -rf "$work"
  touch "$OUT/.done"
  for old in "$STATE"/bench/*/; do [[ ${old%/} == "$OUT" ]] || rm -rf "${old%/}"; done
  note "built $OUT ($((SECONDS - start))s)"
fi
chmod -R a+rX "$OUT"
# shellcheck disable=SC1091
source "$OUT/facts"

if [[ $(reg_manifest_digest "http://$CABIN_TEST_REGISTRY" bench/large latest) != "$CABIN_BENCH_DIGEST" ]]; then
  skopeo copy --quiet --dest-tls-verify=false "oci:$OUT/layout:large" "docker://$NAME" >/dev/null
  note "pushed $NAME"
fi
printf 'CABIN_BENCH_IMAGE=%s\nCABIN_BENCH_DIGEST=%s\nCABIN_BENCH_ID=%s\nCABIN_BENCH_LAYOUT=%s\n' \
  "$NAME" "$CABIN_BENCH_DIGEST" "$CABIN_BENCH_ID" "$OUT/layout" >"$STATE/bench.env"
chmod 0644 "$STATE/bench.env"
note "wrote $STATE/bench.env"
exit
}
