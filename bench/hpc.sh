#!/usr/bin/env bash
# Single-file images (docs/hpc.md): how fast a container starts from the
# store's unpacked layers versus from a squashfs file written by
# `cabin image export --squashfs` (mounted with squashfuse, an overlay on
# top), with the ~200 MB, five-layer bench image. cabin only: Podman has no
# equivalent. Two cases, each timed as the bench user, medians of BENCH_RUNS:
#   warm   the image is in the store / the file is in the page cache:
#            run --rm --network none IMAGE true
#            run --rm --network none --rootfs FILE true
#   fresh  a node that has never run the image (an empty store each round):
#            pull + run                    vs   run --rootfs FILE
# Also prints the export's time and the file's size next to the unpacked
# layers'. With other registries on 127.0.0.1:5000, run it in a network
# namespace of its own:  unshare --net bash -c 'ip link set lo up && bench/hpc.sh'

source "$(dirname "$0")/lib.sh"
bench_setup
"$TOP/tests/system/make-bench-image.sh" >/dev/null
# shellcheck disable=SC1091
source "$STATE/bench.env"
LARGE=$CABIN_BENCH_IMAGE
work=$(mktemp -d "${BENCH_STORE:-/var/tmp}/cabin-bench-hpc.XXXXXX")
chmod 0755 "$work"
mkdir -p "$work/u" && chown "$BENCH_USER" "$work/u"
cabin_in() { local s=$1; shift; echo "$CABIN --root $s/root --runroot $s/run $*"; }
cleanup() { as_user "$CABIN" --root "$work/u/s/root" --runroot "$work/u/s/run" unshare rm -rf "$work/u" >/dev/null 2>&1 || true; rm -rf "$work" || true; }
trap cleanup EXIT

s=$work/u/s file=$work/u/image.sqsh
quietly "$(cabin_in "$s" pull -q --tls-verify=false "$LARGE")"
t_export=$(user_seconds "$(cabin_in "$s" image export --squashfs "$LARGE" "$file")")
warm_store=$(cabin_in "$s" run --rm --network none "$LARGE" true)
warm_file=$(cabin_in "$s" run --rm --network none --rootfs "$file" true)
quietly "$warm_store"
quietly "$warm_file"
ws=() wf=() fs=() ff=()
for i in $(seq "$RUNS"); do
  if ((i % 2)); then
    ws+=("$(user_seconds "$warm_store")") wf+=("$(user_seconds "$warm_file")")
  else
    wf+=("$(user_seconds "$warm_file")") ws+=("$(user_seconds "$warm_store")")
  fi
  f=$work/u/f$i
  fs+=("$(user_seconds "$(cabin_in "$f/a" pull -q --tls-verify=false "$LARGE") && $(cabin_in "$f/a" run --rm --network none "$LARGE" true)")")
  ff+=("$(user_seconds "$(cabin_in "$f/b" run --rm --network none --rootfs "$file" true)")")
  as_user "$CABIN" --root "$f/a/root" --runroot "$f/a/run" unshare rm -rf "$f" >/dev/null 2>&1 || true
done
[[ -z ${BENCH_VERBOSE:-} ]] || echo "warm store: ${ws[*]}; warm file: ${wf[*]}; fresh store: ${fs[*]}; fresh file: ${ff[*]}"
layers=$(as_user "$CABIN" --root "$s/root" --runroot "$s/run" unshare du -sm "$s/root/layers" | cut -f1)
echo "container start from the store vs from a squashfs file, $LARGE (5 layers, ~200 MB), median of $RUNS, rootless as $BENCH_USER"
printf '  %-44s %8ss\n' \
  "warm:  run IMAGE true (layers in the store)" "$(fmt_s "$(median "${ws[@]}")")" \
  "warm:  run --rootfs FILE true" "$(fmt_s "$(median "${wf[@]}")")" \
  "fresh: pull + run IMAGE true (empty store)" "$(fmt_s "$(median "${fs[@]}")")" \
  "fresh: run --rootfs FILE true (empty store)" "$(fmt_s "$(median "${ff[@]}")")"
echo "  image export --squashfs: $(fmt_s "$t_export")s; file $(($(stat -c %s "$file") / 1048576)) MB, unpacked layers ${layers} MB"
