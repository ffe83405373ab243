#!/bin/bash
# Runs cabin's system tests. As root:
#   1. setup-host.sh (users, devices, registries) and make-images.sh;
#   2. copies the binary and the tests where the test users can read them;
#   3. runs the BATS files as cabintest (subuid ranges) and as cabinsolo (no
#      ranges), and the root subset as root, side by side;
#   4. prints a summary; exits non-zero on any failure.
#
# Everything (registries and tests) runs in a network namespace of its own
# with only loopback in it, so that no test can reach anything else, whatever
# cabin resolves a name to; its state dir is then /var/tmp/cabin-tests-netns
# and its registries stop when it ends. --host-net runs in the host's network
# namespace instead, with /var/tmp/cabin-tests, and leaves the registries up
# for running bats by hand.
#
# Usage: tests/system/run.sh [--host-net] [--teardown] [--only USERS] [FILE-OR-NUMBER…]
#   FILE-OR-NUMBER   e.g. 020 or 020-pull.bats: only these files
#   --only USERS     comma-separated subset of cabintest,cabinsolo,root
#   --teardown       with --host-net: stop the registries afterwards (default when CI is set)
# Environment: CABIN (binary, default build/cabin), CABIN_TEST_STATE,
#   CABIN_TESTS_MUST_RUN (CI: 1), CABIN_ROOT_FILES (files for the root run),
#   CABIN_<user> (another binary for that user's run, e.g. CABIN_cabinsolo:
#   ./dev test runs cabinsolo on the sanitized build), ASAN_OPTIONS and
#   UBSAN_OPTIONS (passed on; sanitizer reports are collected and fail the run).
# The braces make bash read the whole script before running it, so that
# editing it while it runs cannot change what a running copy does.
{
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CABIN_BIN=${CABIN:-$REPO/build/cabin}
ROOT_FILES=${CABIN_ROOT_FILES:-000 001 020 030 090 100 175}
teardown=${CI:+1}
only=cabintest,cabinsolo,root
files=()
netns=1
args=("$@")

while [[ $# -gt 0 ]]; do
  case $1 in
    --host-net) netns= ;;
    --teardown) teardown=1 ;;
    --no-teardown) teardown= ;;
    --only) only=$2; shift ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) files+=("$1") ;;
  esac
  shift
done

die() { echo "run.sh: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "run as root (it creates users and starts registries)"

if [[ -n $netns && -z ${CABIN_TEST_IN_NETNS:-} ]]; then
  command -v unshare >/dev/null && command -v ip >/dev/null ||
    die "unshare (util-linux) and ip (iproute2) are needed; or use --host-net"
  export CABIN_TEST_IN_NETNS=1 CABIN_TEST_STATE=${CABIN_TEST_STATE:-/var/tmp/cabin-tests-netns}
  exec unshare --net -- "$0" "${args[@]}"
fi
if [[ -n ${CABIN_TEST_IN_NETNS:-} ]]; then
  ip link set lo up || die "cannot bring up lo in the test network namespace"
  # The registries die with the namespace's purpose: nothing outside can reach them.
  teardown=1
fi
STATE=${CABIN_TEST_STATE:-/var/tmp/cabin-tests}
export CABIN_TEST_STATE=$STATE
[[ -x $CABIN_BIN ]] || die "$CABIN_BIN not found: build first (meson setup build && ninja -C build)"
command -v bats >/dev/null || die "bats not found"

"$HERE/setup-host.sh" || die "setup-host.sh failed"
"$HERE/make-images.sh" || die "make-images.sh failed"
# shellcheck disable=SC1091
source "$STATE/env"
if [[ -n $teardown ]]; then trap '"$HERE/teardown-host.sh"' EXIT; fi

# The test users may not be able to reach the work tree (a clone under /root):
# give them a copy of the binary and of the tests.
RUN=$STATE/run
rm -rf "$RUN"
mkdir -p "$RUN/bin" "$RUN/results" "$RUN/tmp" "$RUN/xdg"
# install_binary SRC DIR: copies cabin and its modules into DIR.
install_binary() {
  local src=$1 dir=$2 try sig
  mkdir -p "$dir"
  # The binary may be being relinked right now: wait until it is whole (executable
  # and unchanged for two seconds) and copy that.
  for try in $(seq 60); do
    sig=$(stat -c '%s %Y %a' "$src" 2>/dev/null)
    sleep 2
    if [[ -x $src && $sig == "$(stat -c '%s %Y %a' "$src" 2>/dev/null)" ]] &&
        cp "$src" "$dir/cabin" && cmp -s "$src" "$dir/cabin"; then
      break
    fi
    [[ $try != 60 ]] || die "$src keeps changing; is a build running?"
  done
  chmod 0755 "$dir/cabin"
  # The modules (registries and archives, networking) are loaded from next to the executable.
  for mod in cabin-remote.so cabin-net.so; do
    cp "$(dirname "$src")/$mod" "$dir/$mod" && chmod 0644 "$dir/$mod"
  done
  "$dir/cabin" version >/dev/null || die "$src does not run"
}
install_binary "$CABIN_BIN" "$RUN/bin"
# A user's own binary (CABIN_cabinsolo=…), in bin-USER.
for user in cabintest cabinsolo root; do
  var=CABIN_$user
  [[ -z ${!var:-} ]] || install_binary "${!var}" "$RUN/bin-$user"
done
# Sanitizers (a sanitized binary): their reports go to files that the
# summary looks at, since a monitor's or a waiter's stderr is nobody's.
san_env=()
for var in ASAN_OPTIONS UBSAN_OPTIONS; do
  [[ -z ${!var:-} ]] || san_env+=("$var=${!var}:log_path=$RUN/results/sanitizer")
done
[[ -z ${ASAN_SYMBOLIZER_PATH:-} ]] || san_env+=("ASAN_SYMBOLIZER_PATH=$ASAN_SYMBOLIZER_PATH")
cp -r "$HERE" "$RUN/tests"
cp -r "$REPO/completions" "$RUN/completions"
chmod -R a+rX "$RUN"
chmod 0755 "$RUN/tmp" "$RUN/xdg"
chmod 0777 "$RUN/results"

# Select the files.
select_files() {
  local want=("$@") f n out=()
  for f in "$RUN"/tests/[0-9][0-9][0-9]-*.bats; do
    if [[ ${#want[@]} == 0 ]]; then out+=("$f"); continue; fi
    for n in "${want[@]}"; do
      n=$(basename "$n")
      [[ $(basename "$f") == "$n" || $(basename "$f") == "$n"-* ]] && { out+=("$f"); break; }
    done
  done
  printf '%s\n' "${out[@]}"
}
mapfile -t all_files < <(select_files "${files[@]}")
[[ ${#all_files[@]} -gt 0 ]] || die "no test files selected"
mapfile -t root_files < <(
  for f in "${all_files[@]}"; do
    for n in $ROOT_FILES; do [[ $(basename "$f") == "$n"-* ]] && echo "$f"; done
  done
)

jobs_opt=()
if command -v parallel >/dev/null && [[ ${CABIN_TEST_JOBS:-1} -gt 1 ]]; then
  jobs_opt=(--jobs "$CABIN_TEST_JOBS")
fi

# run_as USER FILE…: runs bats as USER with a clean environment; TAP output
# goes to results/USER.tap.
run_as() {
  local user=$1
  shift
  [[ $# -gt 0 ]] || return 0
  local home tap=$RUN/results/$user.tap
  home=$(getent passwd "$user" | cut -d: -f6)
  local rundir=$RUN/xdg/$user tmp=$RUN/tmp/$user bin=$RUN/bin/cabin
  [[ ! -x $RUN/bin-$user/cabin ]] || bin=$RUN/bin-$user/cabin
  mkdir -p -m 0700 "$rundir" "$tmp"
  chown "$user:" "$rundir" "$tmp"
  (
    cd "$RUN/tests" || exit 2
    if [[ $user == root ]]; then
      env -i HOME=/root USER=root LOGNAME=root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        TMPDIR="$tmp" XDG_RUNTIME_DIR="$rundir" CABIN="$bin" CABIN_TEST_STATE="$STATE" \
        CABIN_TESTS_MUST_RUN="${CABIN_TESTS_MUST_RUN:-}" LANG=C.UTF-8 "${san_env[@]}" \
        bats --tap --timing "${jobs_opt[@]}" "$@"
    else
      runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
        PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin TMPDIR="$tmp" XDG_RUNTIME_DIR="$rundir" \
        CABIN="$bin" CABIN_TEST_STATE="$STATE" \
        CABIN_TESTS_MUST_RUN="${CABIN_TESTS_MUST_RUN:-}" LANG=C.UTF-8 "${san_env[@]}" \
        bats --tap --timing "${jobs_opt[@]}" "$@"
    fi
  ) >"$tap" 2>&1
  local rc=$?
  echo "$rc" >"$RUN/results/$user.rc"
  echo "$((SECONDS - start))" >"$RUN/results/$user.seconds"
  return "$rc"
}

# All three side by side: each test has a store of its own, and what they
# push to the registry goes to repositories named after the user.
start=$SECONDS
pids=()
users=()
for user in cabintest cabinsolo root; do
  [[ ,$only, == *",$user,"* ]] || continue
  if [[ $user == root ]]; then
    [[ ${#root_files[@]} -gt 0 ]] || continue
    run_as root "${root_files[@]}" &
  else
    run_as "$user" "${all_files[@]}" &
  fi
  pids+=($!)
  users+=("$user")
done
for p in "${pids[@]}"; do wait "$p"; done

# Whatever the tests could not remove (files owned by subordinate ids).
rm -rf "$RUN/tmp" "$RUN/xdg"

# Summary.
total_pass=0 total_fail=0 total_skip=0 rc=0
echo
for user in "${users[@]}"; do
  tap=$RUN/results/$user.tap
  echo "==================== $user ===================="
  cat "$tap"
  pass=$(grep -cE '^ok [0-9]+ ' "$tap" | tr -d ' ')
  skip=$(grep -cE '^ok [0-9]+ .*# skip' "$tap" | tr -d ' ')
  fail=$(grep -cE '^not ok [0-9]+ ' "$tap" | tr -d ' ')
  pass=$((pass - skip))
  urc=$(cat "$RUN/results/$user.rc" 2>/dev/null || echo 1)
  if [[ $urc != 0 && $fail == 0 ]]; then fail=1; echo "bats exited $urc as $user"; fi
  summary+=("$(printf '%-10s %4d passed, %4d failed, %4d skipped in %4s s' "$user" "$pass" "$fail" "$skip" \
    "$(cat "$RUN/results/$user.seconds" 2>/dev/null || echo '?')")")
  total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail)) total_skip=$((total_skip + skip))
  [[ $fail == 0 ]] || rc=1
done
echo
echo "==================== summary ($((SECONDS - start))s) ===================="
printf '%s\n' "${summary[@]}"
for user in "${users[@]}"; do
  grep -E '^not ok ' "$RUN/results/$user.tap" | sed "s/^/$user: /"
done
echo "system: $total_pass passed, $total_fail failed, $total_skip skipped"
# Sanitizer reports (errors, not the runtime's notes) fail the run.
mapfile -t reports < <(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$RUN"/results/sanitizer.* 2>/dev/null)
if [[ ${#reports[@]} -gt 0 ]]; then
  echo "sanitizers: ${#reports[@]} reports:"
  for f in "${reports[@]}"; do echo "---- $f"; head -n 60 "$f"; done
  rc=1
fi
exit "$rc"
exit
}
