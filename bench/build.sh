#!/usr/bin/env bash
# `build` of a seed-style Containerfile, cabin vs Podman (rootless, runc,
# native overlay) as the same user, each in a store of its own:
#   FROM a local base image (busybox-static, imported from a tarball: no
#   registry, no network), COPY a manifest (requirements.txt), a RUN step that
#   "installs" what it lists (200 small files and 4 MB), COPY the source
#   directory (31 files), CMD.
# Three builds, all with --pull=never --network none and the default --layers:
#   - uncached: --no-cache (target <= 0.5x Podman)
#   - the rebuild after editing one source file (the steps before COPY src/
#     come from the cache; the source is changed once a round, before both)
#   - the fully cached rebuild, nothing changed (target <= 0.2x)
# BENCH_RUNS rounds (default 5); tools interleaved, the order rotating from
# round to round; medians.
source "$(dirname "$0")/lib.sh"
bench_setup
bench_stores build
BASE=localhost/bench/build-base:latest
APP=localhost/bench/build-app:latest
ctx=$work/u/ctx

# ---------------------------------------------------------------- inputs
# The base image: the static busybox and the applets the build uses.
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in sh mkdir seq echo cat ls wc head dd true; do ln -sf busybox "$work/rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$work/rootfs/etc/passwd"
printf 'root:x:0:\n' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -czf "$work/base.tar.gz" .
chmod 0644 "$work/base.tar.gz"

mkdir -p "$ctx/src"
cat >"$ctx/Containerfile" <<EOF
FROM $BASE
COPY requirements.txt /app/
RUN mkdir -p /deps && while read -r pkg; do mkdir -p "/deps/\$pkg"; \\
      for i in \$(seq 1 20); do echo "\$pkg \$i" >"/deps/\$pkg/\$i"; done; \\
    done </app/requirements.txt && dd if=/dev/urandom of=/deps/blob bs=65536 count=64 2>/dev/null
COPY src/ /app/src/
CMD ["sh", "/app/src/main.sh"]
EOF
for pkg in alpha beta gamma delta epsilon zeta eta theta iota kappa; do echo "$pkg==1.0"; done >"$ctx/requirements.txt"
# shellcheck disable=SC2016
echo 'echo "deps $(ls /deps | wc -l) src $(ls /app/src | wc -l) rev $(cat /app/src/rev)"' >"$ctx/src/main.sh"
echo 0 >"$ctx/src/rev"
for i in $(seq 29); do head -c 3000 /dev/urandom | base64 >"$ctx/src/mod$i.txt"; done
chown -R "$BENCH_USER" "$ctx"

build_cmd() {  # TOOL [OPTION...]
  local tool=$1
  shift
  echo "$tool build --pull=never --network none $* -t $APP $ctx"
}

quietly "$c import -q $work/base.tar.gz $BASE"
quietly "$p import -q $work/base.tar.gz $BASE"
# One untimed build each: Podman starts its pause process and database, every
# tool's files get into the page cache. Podman's falls back to vfs if native
# overlay does not work here.
driver=overlay
quietly "$(build_cmd "$c")"
if ! as_user bash -c "$(build_cmd "$p")" >/dev/null 2>&1; then
  echo "bench: podman build failed with --storage-driver overlay; falling back to vfs" >&2
  driver=vfs
  p="podman --runtime runc --root $work/u/pv/root --runroot $work/u/pv/run --storage-driver vfs"
  quietly "$p import -q $work/base.tar.gz $BASE"
  quietly "$(build_cmd "$p")"
fi

# ---------------------------------------------------------------- samples
declare -A t
# sample KEY [BUILD-OPTIONS…]: RUNS rounds of a build by both tools (the order
# rotating), into t[KEY_c] and t[KEY_p]; $before runs first in each round.
sample() {
  local key=$1 i k tool order=(c p)
  shift
  for i in $(seq "$RUNS"); do
    [[ -z ${before:-} ]] || quietly "${before//@/$i}"
    for k in 0 1; do
      tool=${order[(i + k) % 2]}
      t[${key}_$tool]+=" $(user_seconds "$(build_cmd "${!tool}" "$@")")"
    done
  done
}
sample uncached --no-cache
# An edit (new content, not just a new mtime) to one source file per round,
# then both tools rebuild.
before="echo @ >$ctx/src/rev" sample touch
sample cached

# ---------------------------------------------------------------- checks
# Both images run and show the last edit; a cached build takes every step
# after FROM from the cache.
want="deps 11 src 31 rev $RUNS"
for tool in c p; do
  got=$(as_user bash -c "${!tool} run --rm --network none $APP" 2>/dev/null) || true
  [[ $got == "$want" ]] || { echo "bench: $tool's image printed '$got', not '$want'" >&2; exit 1; }
  hits=$(as_user bash -c "$(build_cmd "${!tool}") 2>&1" | grep -c 'Using cache' || true)
  [[ $hits -ge 4 ]] || { echo "bench: $tool's cached build took $hits steps from the cache, not 4" >&2; exit 1; }
done

[[ -z ${BENCH_VERBOSE:-} ]] || for k in "${!t[@]}"; do echo "$k:${t[$k]}"; done
echo "build, seed-style Containerfile (local base, COPY manifest, RUN install: 200 files + 4 MB, COPY src: 31 files, CMD),"
echo "cabin vs podman $(podman --version | awk '{print $3}') (runc, $driver), --network none, medians of $RUNS rounds, rootless as $BENCH_USER"
row() { ratio_row 38 "$@"; }
printf '  %-38s %9s %9s\n' "" "cabin" "podman"
row "uncached (--no-cache)" uncached "target <= 0.5"
row "rebuild after editing one source file" touch "partly cached"
row "fully cached rebuild" cached "target <= 0.2"
echo "  both images run and print: $want"
