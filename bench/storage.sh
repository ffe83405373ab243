#!/usr/bin/env bash
# Storage housekeeping, cabin vs Podman (rootless, native overlay, as the same
# user), each in a store of its own:
#   - disk used by 50 containers created from the same ~200 MB image, beyond
#     the image (du of the store before and after; overlay: near zero)
#   - `system df` and `volume ls` with 100 volumes (wall time, medians)
# BENCH_RUNS rounds of the timings (default 5).
source "$(dirname "$0")/lib.sh"
bench_setup
"$TOP/tests/system/make-bench-image.sh" >/dev/null
REG=$CABIN_TEST_REGISTRY
IMG=$REG/bench/large:latest
bench_stores storage
# Bytes under a store, as its own user namespace sees it (files of subordinate ids too).
store_bytes() { as_user podman unshare du -sb "$1" | cut -f1; }

quietly "$c pull -q --tls-verify=false $IMG"
quietly "$p pull -q --tls-verify=false $IMG"
declare -A before after
for t in c p; do before[$t]=$(store_bytes "$work/u/$t/root"); done
quietly "for i in \$(seq 50); do $c create --name k\$i $IMG true; done"
quietly "for i in \$(seq 50); do $p create --name k\$i $IMG true; done"
for t in c p; do after[$t]=$(store_bytes "$work/u/$t/root"); done
quietly "$c rm -a; $p rm -a"

quietly "for i in \$(seq 100); do $c volume create v\$i; done"
quietly "for i in \$(seq 100); do $p volume create v\$i; done"
cdf=() pdf=() cls=() pls=()
for _ in $(seq "$RUNS"); do
  cdf+=("$(user_seconds "$c system df")")
  pdf+=("$(user_seconds "$p system df")")
  cls+=("$(user_seconds "$c volume ls")")
  pls+=("$(user_seconds "$p volume ls")")
done

kb() { echo $(( ($1 + 512) / 1024 )); }
cd_=$(( after[c] - before[c] )) pd=$(( after[p] - before[p] ))
printf 'storage (medians of %s; lower is better)\n' "$RUNS"
printf '%-42s %12s %12s %12s\n' "" cabin podman cabin/podman
printf '%-42s %12s %12s %12s\n' "disk for 50 containers beyond the image, KB" "$(kb "$cd_")" "$(kb "$pd")" "$(ratio "$(kb "$cd_")" "$(kb "$pd")")"
printf '%-42s %12s %12s\n' "image in the store, KB" "$(kb "${before[c]}")" "$(kb "${before[p]}")"
for k in df ls; do
  if [[ $k == df ]]; then cv=$(median "${cdf[@]}") pv=$(median "${pdf[@]}") label="system df, 100 volumes, s"
  else cv=$(median "${cls[@]}") pv=$(median "${pls[@]}") label="volume ls, 100 volumes, s"; fi
  printf '%-42s %12s %12s %12s\n' "$label" "$(fmt_s "$cv")" "$(fmt_s "$pv")" "$(ratio "$cv" "$pv")"
done
