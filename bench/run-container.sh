#!/usr/bin/env bash
# `run --rm --network none IMAGE true` with a small cached image (the test
# registry's busybox, pulled once before timing): cabin vs Podman (rootless,
# runc, as the same user) vs the floor, a bare user+mount+pid namespace and
# chroot into the same root filesystem:
#   unshare --user --map-root-user --mount --pid --fork chroot ROOTFS true
# Then --userns=keep-id on the ~200 MB, five-layer bench image: a normal run,
# the first keep-id run (Podman makes an id-shifted copy of every layer
# there), and a later keep-id run, each tool in a fresh store per round.
# Targets (issue 3): cabin <= 0.1x Podman and <= 3x the floor; cabin's first
# keep-id run <= 2x its normal run, later ones about the same as a normal run.
# Stores go under BENCH_STORE (default /var/tmp). BENCH_RUNS rounds (default
# 5); tools interleaved, the order rotating from round to round.
source "$(dirname "$0")/lib.sh"
bench_setup
"$TOP/tests/system/make-bench-image.sh" >/dev/null
# shellcheck disable=SC1091
source "$STATE/bench.env"
REG=$CABIN_TEST_REGISTRY
SMALL=$REG/busybox:latest
LARGE=$CABIN_BENCH_IMAGE
work=$(mktemp -d "${BENCH_STORE:-/var/tmp}/cabin-bench-run.XXXXXX")
chmod 0755 "$work"
trap 'as_user podman unshare rm -rf "$work/u" >/dev/null 2>&1; rm -rf "$work" || true' EXIT
mkdir -p "$work/u" && chown "$BENCH_USER" "$work/u"

cabin_in() { local s=$1; shift; echo "$CABIN --root $s/root --runroot $s/run $*"; }
podman_in() {
  local s=$1
  shift
  echo "podman --runtime runc --root $s/root --runroot $s/run --storage-driver overlay $*"
}

# ---------------------------------------------------------------- small image
c=$work/u/cabin p=$work/u/podman rootfs=$work/u/rootfs
quietly "$(cabin_in "$c" pull -q --tls-verify=false "$SMALL")"
quietly "$(podman_in "$p" pull -q --tls-verify=false "$SMALL")"
quietly "mkdir -p $rootfs && tar -xf $CABIN_TEST_ROOTFS_TAR -C $rootfs --no-same-owner"

run_args="run --rm --network none $SMALL true"
cabin_run=$(cabin_in "$c" "$run_args")
podman_run=$(podman_in "$p" "$run_args")
# (chroot is in /usr/sbin, outside the bench user's PATH)
floor_run="unshare --user --map-root-user --mount --pid --fork $(command -v chroot) $rootfs true"
# One untimed run each: Podman starts its pause process and database on its
# first run, and every tool's files get into the page cache.
for cmd in "$cabin_run" "$podman_run" "$floor_run"; do quietly "$cmd"; done

# Each run is short: three times as many rounds as the large-image part.
small_runs=$((RUNS * 3))
c_t=() p_t=() f_t=()
for i in $(seq "$small_runs"); do
  order=(c p f)
  for k in 0 1 2; do
    case ${order[(i + k) % 3]} in
      c) c_t+=("$(user_seconds "$cabin_run")") ;;
      p) p_t+=("$(user_seconds "$podman_run")") ;;
      f) f_t+=("$(user_seconds "$floor_run")") ;;
    esac
  done
done
[[ -z ${BENCH_VERBOSE:-} ]] || { echo "cabin: ${c_t[*]}"; echo "podman: ${p_t[*]}"; echo "floor: ${f_t[*]}"; }
mc=$(median "${c_t[@]}") mp=$(median "${p_t[@]}") mf=$(median "${f_t[@]}")
echo "run --rm --network none $SMALL true, cached image, median of $small_runs runs, rootless as $BENCH_USER"
printf '  %-34s %8ss\n' "cabin" "$(fmt_s "$mc")" \
  "podman $(podman --version | awk '{print $3}') (runc)" "$(fmt_s "$mp")" \
  "unshare + chroot (floor)" "$(fmt_s "$mf")"
echo "  cabin / podman = $(ratio "$mc" "$mp")   (target <= 0.1)"
echo "  cabin / floor  = $(ratio "$mc" "$mf")   (target <= 3)"

# ---------------------------------------------------------------- keep-id, large image
# Each round: a fresh store per tool with the image pulled (untimed), then a
# normal run, the first keep-id run and a second keep-id run, timed.
cn=() ck1=() ck2=() pn=() pk1=() pk2=()
for i in $(seq "$RUNS"); do
  order=(c p)
  for k in 0 1; do
    tool=${order[(i + k) % 2]}
    s=$work/u/k$tool$i
    if [[ $tool == c ]]; then
      in=cabin_in
    else
      in=podman_in
    fi
    quietly "$($in "$s" pull -q --tls-verify=false "$LARGE")"
    normal=$($in "$s" run --rm --network none "$LARGE" true)
    keepid=$($in "$s" run --rm --network none --userns=keep-id "$LARGE" true)
    t_n=$(user_seconds "$normal")
    t_k1=$(user_seconds "$keepid")
    t_k2=$(user_seconds "$keepid")
    if [[ $tool == c ]]; then
      cn+=("$t_n") ck1+=("$t_k1") ck2+=("$t_k2")
    else
      pn+=("$t_n") pk1+=("$t_k1") pk2+=("$t_k2")
    fi
  done
done
if [[ -n ${BENCH_VERBOSE:-} ]]; then
  echo "cabin normal: ${cn[*]}; first keep-id: ${ck1[*]}; later keep-id: ${ck2[*]}"
  echo "podman normal: ${pn[*]}; first keep-id: ${pk1[*]}; later keep-id: ${pk2[*]}"
fi
mcn=$(median "${cn[@]}") mck1=$(median "${ck1[@]}") mck2=$(median "${ck2[@]}")
mpn=$(median "${pn[@]}") mpk1=$(median "${pk1[@]}") mpk2=$(median "${pk2[@]}")
echo "run --rm --network none [--userns=keep-id] ${LARGE} true (5 layers, ~200 MB), fresh store per round, median of $RUNS"
printf '  %-22s %10s %10s\n' "" "cabin" "podman"
printf '  %-22s %9ss %9ss\n' "normal run" "$(fmt_s "$mcn")" "$(fmt_s "$mpn")" \
  "first keep-id run" "$(fmt_s "$mck1")" "$(fmt_s "$mpk1")" \
  "later keep-id run" "$(fmt_s "$mck2")" "$(fmt_s "$mpk2")"
echo "  cabin first keep-id / normal = $(ratio "$mck1" "$mcn")   (target <= 2; podman: $(ratio "$mpk1" "$mpn"))"
echo "  cabin later keep-id / normal = $(ratio "$mck2" "$mcn")   (target about 1; podman: $(ratio "$mpk2" "$mpn"))"
