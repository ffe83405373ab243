#!/usr/bin/env bash
# Detached containers, cabin vs Podman (rootless, runc) as the same user,
# each in a store of its own, interleaved:
#   - 20 x `run -d --network none IMAGE sleep 1000` back to back (target <= 0.2x)
#   - `ps -a` with 100 containers (target <= 0.1x)
#   - `stop` of a container that exits on SIGTERM (should take no timeout)
#   - resident memory of one monitor vs conmon (+ slirp4netns with Podman's
#     default network; cabin's monitor hosts its network in a later issue)
#   - 16 x `run --rm --network none IMAGE true` started at once (target <= 0.2x)
# BENCH_RUNS rounds (default 3); medians.
source "$(dirname "$0")/lib.sh"
bench_setup
REG=$CABIN_TEST_REGISTRY
IMG=$REG/busybox:latest
RUNS=${BENCH_RUNS:-3}
bench_stores life
quietly "$c pull -q --tls-verify=false $IMG"
quietly "$p pull -q --tls-verify=false $IMG"
quietly "$c run --rm --network none $IMG true; $p run --rm --network none $IMG true"

twenty() { echo "for i in \$(seq 20); do $1 run -d --network none $IMG sleep 1000 || exit 1; done"; }
hundred() { echo "for i in \$(seq 100); do $1 create --network none $IMG true || exit 1; done"; }
sixteen() { echo "for i in \$(seq 16); do $1 run --rm --network none $IMG true & done; wait"; }
stop_one() {
  quietly "$1 run -d --name polite --network none $IMG sh -c 'trap \"exit 0\" TERM; while :; do sleep 0.1; done'"
  sleep 0.5
  user_seconds "$1 stop polite"
  quietly "$1 rm -f polite"
}

declare -A t
for i in $(seq "$RUNS"); do
  for tool in c p; do
    cmd=${!tool}
    t[run_$tool]+=" $(user_seconds "$(twenty "$cmd")")"
    quietly "$cmd rm -af -t 0"
    t[stop_$tool]+=" $(stop_one "$cmd")"
    t[conc_$tool]+=" $(user_seconds "$(sixteen "$cmd")")"
  done
done
for tool in c p; do
  cmd=${!tool}
  quietly "$(hundred "$cmd")"
  for i in $(seq "$RUNS"); do t[ps_$tool]+=" $(user_seconds "$cmd ps -a")"; done
  quietly "$cmd rm -af -t 0"
done

# Memory: one detached container each; cabin's monitor, Podman's conmon and
# (with its default network) slirp4netns.
quietly "$c run -d --name mem --network none $IMG sleep 1000"
quietly "$p run -d --name mem $IMG sleep 1000"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mon=$(as_user bash -c "$c inspect --format '{{.State.ConmonPid}}' mem")
conmon=$(as_user bash -c "$p inspect --format '{{.State.ConmonPid}}' mem")
slirp=$(pgrep -u "$BENCH_USER" -n slirp4netns || true)
rss_c=$(rss "$mon") rss_conmon=$(rss "$conmon") rss_slirp=$([[ -n $slirp ]] && rss "$slirp" || echo 0)

[[ -z ${BENCH_VERBOSE:-} ]] || for k in "${!t[@]}"; do echo "$k:${t[$k]}"; done
echo "detached containers, cabin vs podman $(podman --version | awk '{print $3}') (runc), medians of $RUNS rounds"
row() { ratio_row 40 "$@"; }
printf '  %-40s %9s %9s\n' "" "cabin" "podman"
row "20 x run -d IMAGE sleep 1000" run "target <= 0.2"
row "ps -a, 100 containers" ps "target <= 0.1"
row "stop (exits on SIGTERM)" stop "no timeout"
row "16 x run --rm IMAGE true at once" conc "target <= 0.2"
echo "  resident memory: cabin monitor ${rss_c} kB; podman conmon ${rss_conmon} kB + slirp4netns ${rss_slirp} kB"
