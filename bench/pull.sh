#!/usr/bin/env bash
# Pull of a ~200 MB, five-layer image from the local registry into an empty
# store: cabin vs Podman (rootless, as the same user) vs the raw cost (the same
# blobs fetched with curl and unpacked with tar, one after another, then
# synced as cabin syncs the filesystem before its image record). Stores go under
# BENCH_STORE (default /var/tmp, on disk; /dev/shm measures without the disk).
# Targets (issue 2): cabin <= 0.5x Podman, <= 1.5x raw.
source "$(dirname "$0")/lib.sh"
bench_setup
"$TOP/tests/system/make-bench-image.sh" >/dev/null
# shellcheck disable=SC1091
source "$STATE/bench.env"
REG=$CABIN_TEST_REGISTRY
IMG=$REG/bench/large:latest
work=$(mktemp -d "${BENCH_STORE:-/var/tmp}/cabin-bench-pull.XXXXXX")
chmod 0755 "$work"
trap 'as_user podman unshare rm -rf "$work/u" >/dev/null 2>&1; rm -rf "$work" || true' EXIT
mkdir -p "$work/u" && chown "$BENCH_USER" "$work/u"

layers=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REG/v2/bench/large/manifests/latest" | jq -r '.layers[].digest')

raw_cmd() {
  local d=$1 cmd="set -e; mkdir -p $1"
  for l in $layers; do
    cmd+="; mkdir -p $d/$l; curl -sf http://$REG/v2/bench/large/blobs/$l | tar -x -z --no-same-owner -C $d/$l"
  done
  echo "$cmd; sync -f $d"
}
cabin_cmd() { echo "$CABIN --root $1/root --runroot $1/run pull -q --tls-verify=false $IMG"; }
podman_cmd() { echo "podman --root $1/root --runroot $1/run --storage-driver overlay pull -q --tls-verify=false $IMG"; }

# Stores are kept until the end: ext4 (without a journal, as here) makes the
# inode allocator skip inodes deleted in the last 30 seconds, so deleting one
# run's 40k files just before the next timing would bill that next command.
# The order rotates so no tool always goes first.
c=() p=() r=()
for i in $(seq "$RUNS"); do
  order=(c p r)
  for k in $(seq 0 2); do
    case ${order[(i + k) % 3]} in
      c) c+=("$(user_seconds "$(cabin_cmd "$work/u/c$i")")") ;;
      p) p+=("$(user_seconds "$(podman_cmd "$work/u/p$i")")") ;;
      r) r+=("$(user_seconds "$(raw_cmd "$work/u/r$i")")") ;;
    esac
  done
done
[[ -z ${BENCH_VERBOSE:-} ]] || { echo "cabin: ${c[*]}"; echo "podman: ${p[*]}"; echo "raw: ${r[*]}"; }
mc=$(median "${c[@]}") mp=$(median "${p[@]}") mr=$(median "${r[@]}")
size=$(du -sh --apparent-size "$STATE/registry" 2>/dev/null | cut -f1)
echo "pull ${CABIN_BENCH_IMAGE:-bench/large} (5 layers, ~200 MB unpacked) into $(df --output=fstype "$work" | tail -1) under ${BENCH_STORE:-/var/tmp}, median of $RUNS runs, rootless as $BENCH_USER"
printf '  %-22s %8ss\n' "cabin" "$(fmt_s "$mc")" "podman $(podman --version | awk '{print $3}')" "$(fmt_s "$mp")" "curl | tar (raw)" "$(fmt_s "$mr")"
echo "  cabin / podman = $(ratio "$mc" "$mp")   (target <= 0.5)"
echo "  cabin / raw    = $(ratio "$mc" "$mr")   (target <= 1.5)"
