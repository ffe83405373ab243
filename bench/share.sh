#!/usr/bin/env bash
# Sharing images, cabin vs Podman (rootless, runc, native overlay) as the
# same user, with the ~200 MB five-layer bench image (make-bench-image.sh):
#   - push to an empty repository of the TLS test registry (another registry
#     than the one it was pulled from, so every layer is compressed and sent)
#   - save to a docker-archive file
#   - load of that archive into an empty store
# BENCH_RUNS rounds (default 5), the order alternating; medians.
# Target (issue 8): cabin <= 0.5x Podman's time for each.
source "$(dirname "$0")/lib.sh"
bench_setup
"$TOP/tests/system/make-bench-image.sh" >/dev/null
# shellcheck disable=SC1091
source "$STATE/bench.env"
IMG=$CABIN_TEST_REGISTRY/bench/large:latest
DEST=$CABIN_TEST_REGISTRY_TLS
bench_stores share
quietly "$c pull -q --tls-verify=false $IMG"
quietly "$p pull -q --tls-verify=false $IMG"

# Stores for load, one per run and tool.
store() { echo "--root $work/u/$1/root --runroot $work/u/$1/run"; }
cl() { echo "$CABIN $(store "$1")"; }
pl() { echo "podman --runtime runc $(store "$1") --storage-driver overlay"; }

# Podman remembers where it pushed blobs (its blob info cache) and mounts
# them from there: each of its pushes starts without that memory, so both
# tools compress and send every layer.
forget() { as_user rm -f "/home/$BENCH_USER/.local/share/containers/cache/blob-info-cache-v1.boltdb"; }

declare -A t
for i in $(seq "$RUNS"); do
  tools=(c p)
  ((i % 2)) || tools=(p c)
  for k in "${tools[@]}"; do
    tool=$c
    [[ $k == p ]] && tool=$p
    forget
    t[push_$k]+=" $(user_seconds "$tool push -q --tls-verify=false $IMG $DEST/bench/share-$$-$i-$k:latest")"
    t[save_$k]+=" $(user_seconds "$tool save -q -o $work/u/$k-$i.tar $IMG")"
    if [[ $k == c ]]; then loader=$(cl "cl$i"); else loader=$(pl "pl$i"); fi
    t[load_$k]+=" $(user_seconds "$loader load -q -i $work/u/$k-$i.tar")"
    rm -f "$work/u/$k-$i.tar"
  done
  echo "round $i done" >&2
done

echo "sharing ${CABIN_BENCH_IMAGE:-bench/large} (5 layers, ~200 MB), median of $RUNS, rootless as $BENCH_USER; podman $(podman --version | awk '{print $3}')"
ratio_row 26 "push (new repository)" push "target <= 0.5"
ratio_row 26 "save (docker-archive)" save "target <= 0.5"
ratio_row 26 "load (into an empty store)" load "target <= 0.5"
[[ -z ${BENCH_VERBOSE:-} ]] || for k in push save load; do echo "  $k cabin:${t[${k}_c]} podman:${t[${k}_p]}"; done
