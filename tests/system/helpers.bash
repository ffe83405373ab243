# -*- bash -*-
# Helpers for cabin's system tests, in the manner of Podman's
# test/system/helpers.bash. Every .bats file loads this first.
#
# Environment:
#   CABIN                   the binary under test (default: the repo's build/cabin)
#   CABIN_TEST_STATE        setup-host.sh's state dir (default /var/tmp/cabin-tests)
#   CABIN_TESTS_MUST_RUN=1  a missing prerequisite fails the test instead of skipping it (CI)
#   CABIN_TIMEOUT           seconds one cabin command may take (default 120)

CABIN_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CABIN=${CABIN:-$(cd "$CABIN_TEST_DIR/../.." 2>/dev/null && pwd)/build/cabin}
CABIN_TIMEOUT=${CABIN_TIMEOUT:-120}
CABIN_TEST_STATE=${CABIN_TEST_STATE:-/var/tmp/cabin-tests}

# What the host setup wrote: registries (env) and images (images.env).
CABIN_TEST_HAVE_REGISTRY=
if [[ -r $CABIN_TEST_STATE/env && -r $CABIN_TEST_STATE/images.env ]]; then
  # shellcheck disable=SC1091
  source "$CABIN_TEST_STATE/env"
  # shellcheck disable=SC1091
  source "$CABIN_TEST_STATE/images.env"
  CABIN_TEST_HAVE_REGISTRY=1
fi
REGISTRY=${CABIN_TEST_REGISTRY:-127.0.0.1:5000}
REGISTRY_TLS=${CABIN_TEST_REGISTRY_TLS:-127.0.0.1:5001}
REGISTRY_AUTH=${CABIN_TEST_REGISTRY_AUTH:-127.0.0.1:5002}
IMAGE=$REGISTRY/busybox:latest

# Warnings cabin may print in any test: the single-id fallback's one-time
# notice when this user has no subordinate ids.
CABIN_SINGLE_ID_WARNING='using a single-id mapping'

# ---------------------------------------------------------------- setup
# A fresh HOME, XDG dirs and so a fresh store for every test: tests are
# independent of each other and of the user's own files.
basic_setup() {
  local base=${BATS_TEST_TMPDIR:?bats 1.4 or later needed}
  export HOME=$base/home
  export XDG_CONFIG_HOME=$HOME/.config
  export XDG_DATA_HOME=$HOME/.local/share
  export XDG_CACHE_HOME=$HOME/.cache
  export XDG_RUNTIME_DIR=$base/run
  mkdir -p "$XDG_CONFIG_HOME/containers" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
  mkdir -m 0700 -p "$XDG_RUNTIME_DIR"
  unset CONTAINERS_CONF CONTAINERS_STORAGE_CONF CONTAINERS_REGISTRIES_CONF REGISTRY_AUTH_FILE \
    DOCKER_CONFIG CONTAINER_HOST CONTAINER_CONNECTION
  GRAPHROOT=$XDG_DATA_HOME/cabin
  RUNROOT=$XDG_RUNTIME_DIR/cabin
  if is_root; then
    # Root's defaults are /var/lib/cabin and /run/cabin: keep tests off them.
    GRAPHROOT=$base/root/graph
    RUNROOT=$base/root/run
    printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' "$GRAPHROOT" "$RUNROOT" \
      >"$base/storage.conf"
    export CONTAINERS_STORAGE_CONF=$base/storage.conf
  fi
  write_registries_conf
  CABIN_ALLOWED_WARNINGS=
  # Rootless without /etc/subuid ranges: cabin's single-id fallback.
  SINGLE_ID=
  if ! is_root && ! have_subuid; then SINGLE_ID=1; fi
}

# write_registries_conf [EXTRA-TOML]: short names resolve on the plain test
# registry, which is insecure (plain HTTP).
write_registries_conf() {
  local conf=$XDG_CONFIG_HOME/containers/registries.conf
  cat >"$conf" <<EOF
unqualified-search-registries = ["$REGISTRY"]
short-name-mode = "permissive"

[[registry]]
location = "$REGISTRY"
insecure = true
EOF
  [[ -z ${1:-} ]] || printf '\n%s\n' "$1" >>"$conf"
  # Root reads no per-user file: point it there explicitly.
  if is_root; then export CONTAINERS_REGISTRIES_CONF=$conf; fi
}

# Removes the test's store. Files owned by subordinate ids can only be removed
# from inside a user namespace with the same mapping.
basic_teardown() {
  local base=${BATS_TEST_TMPDIR:-}
  [[ -n $base && -d $base ]] || return 0
  rm -rf "$base" 2>/dev/null && return 0
  if ! is_root && have_subuid; then
    "$CABIN" unshare rm -rf "$base" 2>/dev/null && return 0
    unshare_as_store rm -rf "$base" 2>/dev/null && return 0
  fi
  chmod -R u+rwX "$base" 2>/dev/null
  rm -rf "$base" 2>/dev/null || true
  # What is left is owned by subordinate ids; run.sh removes it as root.
}

# unshare_as_store CMD…: runs CMD in a user namespace mapped as cabin maps
# it (0 → you, 1… → your /etc/subuid range), with util-linux's unshare.
unshare_as_store() {
  local u g
  u=$(subid_range /etc/subuid) g=$(subid_range /etc/subgid)
  [[ -n $u && -n $g ]] || return 1
  unshare --map-user=0 --map-group=0 --map-users="${u%:*},1,${u#*:}" \
    --map-groups="${g%:*},1,${g#*:}" "$@"
}

setup() { basic_setup; }
teardown() { basic_teardown; }

# ---------------------------------------------------------------- environment
is_root() { [[ $(id -u) == 0 ]]; }
is_rootless() { ! is_root; }

# subid_range FILE: START:COUNT of this user's first range, or nothing.
subid_range() {
  local user uid
  user=$(id -un) uid=$(id -u)
  awk -F: -v u="$user" -v n="$uid" '($1 == u || $1 == n) && $3 > 0 { print $2 ":" $3; exit }' "$1" 2>/dev/null
}
have_subuid() { [[ -n $(subid_range /etc/subuid) && -n $(subid_range /etc/subgid) ]]; }

# A skip that means "this test is for another kind of user": always a skip.
skip_if_root() { is_root && skip "${1:-not for root}"; return 0; }
skip_if_rootless() { is_rootless && skip "${1:-root only}"; return 0; }
skip_if_no_subuid() { is_root || have_subuid || skip "${1:-needs /etc/subuid and /etc/subgid ranges for $(id -un)}"; return 0; }
skip_if_subuid() { (is_root || have_subuid) && skip "${1:-for users without /etc/subuid ranges}"; return 0; }

# A skip that means "this machine lacks something the test needs": a failure
# when CABIN_TESTS_MUST_RUN=1 (CI), so that nothing is silently not run there.
cabin_skip() {
  if [[ ${CABIN_TESTS_MUST_RUN:-} == 1 ]]; then
    die "would skip, but CABIN_TESTS_MUST_RUN=1: $*"
  fi
  skip "$*"
}
require_registry() {
  [[ -n $CABIN_TEST_HAVE_REGISTRY ]] ||
    cabin_skip "no test registries: run tests/system/setup-host.sh and make-images.sh as root"
}
require_tool() {
  local t
  for t; do command -v "$t" >/dev/null || cabin_skip "$t is not installed"; done
}
require_userns() {
  unshare --user --map-root-user true 2>/dev/null ||
    cabin_skip "unprivileged user namespaces are not available"
}

# ---------------------------------------------------------------- running cabin
# run_cabin [EXPECTED-RC] [--stdin FILE] ARGS…
#   Runs $CABIN ARGS; $output is its stdout, $stderr its stderr, $lines and
#   $stderr_lines the same as arrays, $status the exit code. Fails unless the
#   exit code is EXPECTED-RC (default 0; '?' accepts any), and on any WARN line
#   on stderr not matched by $CABIN_ALLOWED_WARNINGS (an ERE).
#   With the single-id fallback ($SINGLE_ID), cabin's one-time notice about it
#   is taken out of $stderr and $stderr_lines; $stderr_raw has everything.
run_cabin() {
  local expected=0 stdin=/dev/null
  case ${1:-} in
    '?') expected=; shift ;;
    [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) expected=$1; shift ;;
  esac
  if [[ ${1:-} == --stdin ]]; then stdin=$2; shift 2; fi
  local out=$BATS_TEST_TMPDIR/.cabin-out err=$BATS_TEST_TMPDIR/.cabin-err
  echo "# $(date +%T) \$ cabin $*" >&2
  status=0
  timeout --foreground --kill-after=10 "$CABIN_TIMEOUT" "$CABIN" "$@" <"$stdin" >"$out" 2>"$err" || status=$?
  output=$(<"$out")
  stderr_raw=$(<"$err")
  mapfile -t lines <"$out"
  if [[ -n ${SINGLE_ID:-} ]]; then
    mapfile -t stderr_lines < <(grep -v -E "^WARN\[[0-9]+\] .*$CABIN_SINGLE_ID_WARNING" "$err")
    stderr=$(grep -v -E "^WARN\[[0-9]+\] .*$CABIN_SINGLE_ID_WARNING" "$err" || true)
  else
    mapfile -t stderr_lines <"$err"
    stderr=$stderr_raw
  fi
  [[ -z $output ]] || printf '%s\n' "$output" | sed 's/^/#   /' >&2
  [[ -z $stderr_raw ]] || printf '%s\n' "$stderr_raw" | sed 's/^/#   (stderr) /' >&2
  [[ $status != 124 ]] || die "cabin $* timed out after ${CABIN_TIMEOUT}s"
  if [[ -n $expected && $status != "$expected" ]]; then
    die "exit code is $status; expected $expected"
  fi
  check_warnings
}

# Fails on WARN lines that the test did not allow.
check_warnings() {
  local line allowed=${CABIN_ALLOWED_WARNINGS:-}
  for line in "${stderr_lines[@]}"; do
    [[ $line =~ ^WARN\[|level=warn ]] || continue
    [[ -n $allowed && $line =~ $allowed ]] && continue
    die "unexpected warning: $line"
  done
}

# cabin ARGS…: runs cabin and returns its stdout (for $(...)); fails the test
# on a non-zero exit.
cabin_out() {
  run_cabin "$@"
  printf '%s' "$output"
}

# ---------------------------------------------------------------- checks
die() {
  echo "#/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv" >&2
  echo "#| FAIL: $*" >&2
  echo "#\\^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^" >&2
  false
}

# is ACTUAL EXPECTED [DESCRIPTION]: ACTUAL matches EXPECTED, an extended
# regular expression anchored at both ends, over the whole (multi-line) text.
is() {
  local actual=$1 expect=$2 what=${3:-value}
  # Multi-line text: let "." match newlines by comparing with newlines as a marker.
  local a=${actual//$'\n'/$'\x01'} e=${expect//$'\n'/$'\x01'}
  if [[ $a =~ ^${e}$ ]]; then return 0; fi
  {
    echo "#/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
    echo "#|     FAIL: $what"
    echo "#| expected: '$expect'"
    printf '#|   actual: %s\n' "'${actual//$'\n'/$'\n'#|           }'"
    echo "#\\^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
  } >&2
  false
}

# is_exact ACTUAL EXPECTED [DESCRIPTION]: literal equality.
is_exact() {
  [[ $1 == "$2" ]] && return 0
  {
    echo "#|     FAIL: ${3:-value}"
    echo "#| expected: '$2'"
    echo "#|   actual: '$1'"
  } >&2
  false
}

# assert_contains HAYSTACK NEEDLE [DESCRIPTION]: literal substring.
assert_contains() {
  [[ $1 == *"$2"* ]] && return 0
  {
    echo "#|     FAIL: ${3:-text} should contain '$2'"
    echo "#|   actual: '$1'"
  } >&2
  false
}
assert_not_contains() {
  [[ $1 != *"$2"* ]] && return 0
  {
    echo "#|     FAIL: ${3:-text} should not contain '$2'"
    echo "#|   actual: '$1'"
  } >&2
  false
}

# expect_error REGEX [DESCRIPTION]: the last command failed with exit 125 and
# printed exactly one line on stderr, "Error: …", matching REGEX (anchored).
expect_error() {
  is "$status" 125 "exit code"
  local errs=()
  local l
  for l in "${stderr_lines[@]}"; do
    [[ $l =~ ^(WARN|INFO|DEBU)\[ ]] || errs+=("$l")
  done
  is "${#errs[@]}" 1 "number of non-log lines on stderr (${errs[*]})"
  is "${errs[0]}" "Error: $1" "${2:-error message}"
}

# ---------------------------------------------------------------- images
# pull_image [REF]: pulls REF (default the plain registry's busybox) quietly.
pull_image() {
  require_registry
  run_cabin pull -q "${1:-$IMAGE}"
}

# image_ids: the full IDs of all images, sorted.
image_ids() {
  run_cabin images -a -q --no-trunc
  printf '%s\n' "$output" | sort
}

# store_find FIND-ARGS…: find(1) over the store, run inside cabin's user
# namespace so that files of any owner are visible with their in-image ids.
store_find() {
  run_cabin unshare find "$GRAPHROOT" "$@"
}

# The unique repository name for things this test pushes to the plain registry.
scratch_repo() {
  echo "scratch/$(id -un)-${BATS_SUITE_TEST_NUMBER:-0}-$$-$RANDOM"
}

# push_layout TAG DEST [SKOPEO-OPTIONS…]: copies an image of the test layouts
# (busybox, multilayer, …) to DEST (host/repo:tag).
push_layout() {
  require_tool skopeo
  local tag=$1 dest=$2
  shift 2
  skopeo copy --quiet --dest-tls-verify=false "$@" "oci:$CABIN_TEST_LAYOUT:$tag" "docker://$dest" >/dev/null
}

# Podman's shapes, for checks.
SHORT_ID='[0-9a-f]{12}'
FULL_ID='[0-9a-f]{64}'
DIGEST='sha256:[0-9a-f]{64}'
