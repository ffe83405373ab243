# Shared by the benchmarks: run as root; commands run as the unprivileged
# test user, cabin and Podman side by side in one run, medians and ratios.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
CABIN=${CABIN:-$TOP/build/cabin}
STATE=${CABIN_TEST_STATE:-/var/tmp/cabin-tests}
RUNS=${BENCH_RUNS:-5}
BENCH_USER=${BENCH_USER:-cabintest}

[[ $(id -u) == 0 ]] || { echo "bench: run as root (it runs the tools as $BENCH_USER)" >&2; exit 2; }

# Makes sure the users, registries and test images exist.
bench_setup() {
  "$TOP/tests/system/setup-host.sh" >/dev/null
  "$TOP/tests/system/make-images.sh" >/dev/null
  # shellcheck disable=SC1091
  source "$STATE/env"
  # shellcheck disable=SC1091
  source "$STATE/images.env"
  chmod 0755 "$(dirname "$CABIN")" "$TOP" 2>/dev/null || true
}

# as_user CMD...: runs CMD as the bench user with a clean environment.
as_user() {
  runuser -u "$BENCH_USER" -- env -i HOME="/home/$BENCH_USER" PATH=/usr/local/bin:/usr/bin:/bin \
    XDG_RUNTIME_DIR= LANG=C.UTF-8 "$@"
}

# user_seconds CMDLINE: wall time in seconds of the shell command line
# CMDLINE run as the bench user (output discarded). The clock runs inside
# the user's shell, so runuser and bash themselves (tens of milliseconds
# here, as much as the floor) are not counted. Dirty pages of an earlier run
# are written back first (sync), so that no command pays for another's
# writeback.
user_seconds() {
  sync
  # shellcheck disable=SC2016
  as_user bash -c 't0=$EPOCHREALTIME; eval "$1" >/dev/null 2>&1 || exit 1; t1=$EPOCHREALTIME
    echo "$t1 - $t0" | bc -l' bench "$1" ||
    { echo "bench: failed: $1" >&2; as_user bash -c "$1" >&2 || true; exit 1; }
}

# quietly CMDLINE: runs it as the bench user, output discarded; when it
# fails, runs it again to show why and exits.
quietly() { as_user bash -c "$1" >/dev/null 2>&1 || { echo "bench: failed: $1" >&2; as_user bash -c "$1" >&2; exit 1; }; }

# bench_stores NAME: $work, a directory with a store of its own for cabin
# ($c) and for Podman ($p, runc, native overlay), removed with their
# containers when the bench exits.
bench_stores() {
  work=$(mktemp -d "${BENCH_STORE:-/var/tmp}/cabin-bench-$1.XXXXXX")
  chmod 0755 "$work"
  mkdir -p "$work/u" && chown "$BENCH_USER" "$work/u"
  c="$CABIN --root $work/u/c/root --runroot $work/u/c/run"
  p="podman --runtime runc --root $work/u/p/root --runroot $work/u/p/run --storage-driver overlay"
  trap bench_cleanup EXIT
}
bench_cleanup() {
  as_user bash -c "$c rm -af -t 0; $p rm -af -t 0" >/dev/null 2>&1 || true
  as_user podman unshare rm -rf "$work/u" >/dev/null 2>&1 || true
  rm -rf "$work" || true
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { echo "scale=3; $1 / $2" | bc -l | sed 's/^\./0./'; }
fmt_s() { printf '%.3f' "$1"; }
# ratio_row WIDTH LABEL KEY NOTE: one line of a cabin-vs-Podman table from the
# samples in the caller's associative array t (t[KEY_c], t[KEY_p]: space-
# separated seconds): both medians and their ratio.
ratio_row() {
  local c p
  # shellcheck disable=SC2086  # (lists of samples)
  c=$(median ${t[$3_c]}) p=$(median ${t[$3_p]})
  printf "  %-$1s %8ss %8ss   cabin/podman = %s   (%s)\n" "$2" "$(fmt_s "$c")" "$(fmt_s "$p")" "$(ratio "$c" "$p")" "$4"
}
