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
  # Detached containers outlive the commands that started them; pods' infra
  # containers go with their pods.
  [[ ! -e ${GRAPHROOT:-/nonexistent}/pods/pods.json ]] ||
    timeout 30 "$CABIN" pod rm -af -t 0 >/dev/null 2>&1 || true
  [[ ! -e ${GRAPHROOT:-/nonexistent}/containers/containers.json ]] ||
    timeout 30 "$CABIN" rm -af -t 0 >/dev/null 2>&1 || true
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

# re_escape TEXT: TEXT as an extended regular expression that matches it literally.
re_escape() { sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$1"; }

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

# ---------------------------------------------------------------- run
# The probe images (make-images.sh; tests/system/probe/probe.c is /bin/probe):
# busybox + the probe, users root, tester (1000:1000, also in extra 2000) and
# nobody; Env PATH, PROBE_IMAGE=probe, PROBE_OVERRIDE=from-image.
PROBE_IMAGE=$REGISTRY/probe:latest                 # CMD probe args from-cmd, WorkingDir /srv
PROBE_ENTRYPOINT_IMAGE=$REGISTRY/probe:entrypoint  # ENTRYPOINT ["/bin/probe","args"], CMD ["default"]
PROBE_USER_IMAGE=$REGISTRY/probe:user              # USER tester, CMD probe ids, WorkingDir /home/tester
PROBE_WORKDIR_IMAGE=$REGISTRY/probe:workdir        # WorkingDir /work/created (not in the image)
PROBE_STOPSIGNAL_IMAGE=$REGISTRY/probe:stopsignal  # STOPSIGNAL SIGUSR1
PROBE_NOCMD_IMAGE=$REGISTRY/probe:nocmd            # neither ENTRYPOINT nor CMD

# pull_probe [TAG…]: pulls probe images (default: latest) quietly.
pull_probe() {
  require_registry
  [[ -n ${IMG_PROBE_ID:-} ]] || die "no probe image in images.env: rerun make-images.sh"
  local t
  for t in "${@:-latest}"; do run_cabin pull -q "$REGISTRY/probe:$t"; done
}

# run_probe [RC] [RUN-OPTIONS…] -- [PROBE-ARGS…]: cabin run --rm --network none
# RUN-OPTIONS… $PROBE_IMAGE /bin/probe PROBE-ARGS…, checked as run_cabin does.
run_probe() {
  local rc=0
  case ${1:-} in '?' | [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) rc=$1; shift ;; esac
  local opts=()
  while [[ $# -gt 0 && $1 != -- ]]; do opts+=("$1"); shift; done
  [[ ${1:-} == -- ]] || die "run_probe: no -- before the probe's arguments"
  shift
  run_cabin "$rc" run --rm --network none "${opts[@]}" "$PROBE_IMAGE" /bin/probe "$@"
}

# Capabilities, as /proc/PID/status prints sets: 16 hex digits.
declare -gA CAP_NUMBERS=(
  [CHOWN]=0 [DAC_OVERRIDE]=1 [DAC_READ_SEARCH]=2 [FOWNER]=3 [FSETID]=4 [KILL]=5 [SETGID]=6
  [SETUID]=7 [SETPCAP]=8 [LINUX_IMMUTABLE]=9 [NET_BIND_SERVICE]=10 [NET_BROADCAST]=11
  [NET_ADMIN]=12 [NET_RAW]=13 [IPC_LOCK]=14 [IPC_OWNER]=15 [SYS_MODULE]=16 [SYS_RAWIO]=17
  [SYS_CHROOT]=18 [SYS_PTRACE]=19 [SYS_PACCT]=20 [SYS_ADMIN]=21 [SYS_BOOT]=22 [SYS_NICE]=23
  [SYS_RESOURCE]=24 [SYS_TIME]=25 [SYS_TTY_CONFIG]=26 [MKNOD]=27 [LEASE]=28 [AUDIT_WRITE]=29
  [AUDIT_CONTROL]=30 [SETFCAP]=31 [MAC_OVERRIDE]=32 [MAC_ADMIN]=33 [SYSLOG]=34 [WAKE_ALARM]=35
  [BLOCK_SUSPEND]=36 [AUDIT_READ]=37 [PERFMON]=38 [BPF]=39 [CHECKPOINT_RESTORE]=40
)
# Podman's default set (containers.conf default_capabilities).
DEFAULT_CAP_NAMES=(CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT)

# caps_hex NAME…: the set of these capabilities (names without CAP_).
caps_hex() {
  local mask=0 n
  for n; do mask=$((mask | (1 << CAP_NUMBERS[$n]))); done
  printf '%016x' "$mask"
}
DEFAULT_CAPS=$(caps_hex "${DEFAULT_CAP_NAMES[@]}") # 00000000800405fb

# all_caps_hex: every capability this kernel knows.
all_caps_hex() {
  local last
  last=$(</proc/sys/kernel/cap_last_cap)
  printf '%016x' $(((1 << (last + 1)) - 1))
}

# probe_field NAME: the value of "NAME=value" in $output (probe caps, …).
probe_field() {
  local l
  for l in "${lines[@]}"; do
    l=${l%$'\r'}
    [[ $l == "$1="* ]] && { printf '%s' "${l#*=}"; return 0; }
  done
  die "no $1= in the probe's output"
}

# ---------------------------------------------------------------- run: nothing left behind
# Where cabin keeps container records. # layout: confirm with run
CONTAINERS_JSON_REL=containers/containers.json

# container_ids: the ids of the container records in the store.
container_ids() {
  local f=$GRAPHROOT/$CONTAINERS_JSON_REL
  [[ -s $f ]] || return 0
  jq -r '.containers[]?.id' "$f"
}

# store_state: every path in the store (graphroot and runroot, listed from
# inside cabin's user namespace so that no directory is unreadable), except
# lock files, which may appear on first use.
store_state() {
  "$CABIN" unshare find "$GRAPHROOT" "$RUNROOT" -mindepth 1 ! -name '*.lock' ! -name lock \
    -printf '%y %p\n' 2>/dev/null | sort
}

# container_processes: this test's containers (and cabin commands) still
# running: processes of this user in a user namespace other than ours whose
# mounts or environment name the test's directory (the store is in there),
# so that other users of the same account do not count.
container_processes() {
  local me p ns dir=${BATS_TEST_TMPDIR:?}
  me=$(readlink /proc/self/ns/user)
  for p in /proc/[0-9]*; do
    [[ -O $p ]] || continue
    ns=$(readlink "$p/ns/user" 2>/dev/null) || continue
    [[ $ns == "$me" ]] && continue
    grep -qF -- "$dir" "$p/mountinfo" 2>/dev/null || tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qF -- "$dir" ||
      continue
    echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
  done
}

# wait_no_container_processes [SECONDS]: waits (default 10 s) until
# container_processes is empty; fails otherwise.
wait_no_container_processes() {
  local left i
  for ((i = 0; i < ${1:-10} * 10; i++)); do
    left=$(container_processes)
    [[ -z $left ]] && return 0
    sleep 0.1
  done
  die "processes left running: $left"
}

# assert_nothing_left BEFORE: the store is as store_state printed BEFORE, no
# container record, process or mount is left (after a failed or --rm run).
assert_nothing_left() {
  local before=$1 after
  after=$(store_state)
  if [[ $after != "$before" ]]; then
    diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed 's/^/#   /' >&2
    die "the store changed (< before, > after)"
  fi
  is "$(container_ids)" "" "container records"
  is "$(container_processes)" "" "container processes still running"
  assert_no_mounts
}

# assert_no_mounts: nothing of the store is mounted, on the host or in
# cabin's user namespace.
assert_no_mounts() {
  local m
  m=$(grep -F -e "$GRAPHROOT" -e "$RUNROOT" /proc/self/mountinfo || true)
  is "$m" "" "mounts of the store on the host"
  m=$("$CABIN" unshare cat /proc/self/mountinfo 2>/dev/null | grep -F -e "$GRAPHROOT" -e "$RUNROOT" || true)
  is "$m" "" "mounts of the store in cabin's namespace"
}

# ---------------------------------------------------------------- run: background and terminals
# start_cabin OUT ARGS…: starts cabin ARGS in the background (stdin
# /dev/null, stdout and stderr to OUT); CABIN_PID is its pid. fd 3 is closed
# so that bats does not wait for it.
start_cabin() {
  local out=$1
  shift
  echo "# $(date +%T) \$ cabin $* &" >&2
  "$CABIN" "$@" </dev/null >"$out" 2>&1 3>&- &
  CABIN_PID=$!
}

# kill_at_random MAX-MS ARGS…: starts cabin ARGS and kills it with SIGKILL
# after a random delay of up to MAX-MS milliseconds (it may have ended).
kill_at_random() {
  local max=$1
  shift
  start_cabin "$BATS_TEST_TMPDIR/killed.out" "$@"
  local ms=$((RANDOM % max))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  kill -KILL "$CABIN_PID" 2>/dev/null || true
  wait "$CABIN_PID" 2>/dev/null || true
  echo "# killed cabin $* after ${ms} ms" >&2
}

# wait_for_line FILE REGEX [SECONDS]: waits (default 20 s) until a line of
# FILE (carriage returns removed) matches the ERE.
wait_for_line() {
  local i
  for ((i = 0; i < ${3:-20} * 10; i++)); do
    tr -d '\r' 2>/dev/null <"$1" | grep -qE -- "$2" && return 0
    sleep 0.1
  done
  sed 's/^/#   /' "$1" >&2
  die "no line matching '$2' in $1 after ${3:-20}s"
}

# wait_logs NAME REGEX: waits until the container's log has a matching line.
wait_logs() {
  local i
  for ((i = 0; i < 100; i++)); do
    "$CABIN" logs "$1" 2>&1 | grep -qE -- "$2" && return 0
    sleep 0.1
  done
  die "no '$2' in the logs of $1"
}

# wait_cabin [SECONDS]: waits (default 20 s) for the background cabin;
# $status is its exit code (killed with SIGKILL and a failure when it hangs).
wait_cabin() {
  local i
  for ((i = 0; i < ${1:-20} * 10; i++)); do
    kill -0 "$CABIN_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$CABIN_PID" 2>/dev/null; then
    kill -KILL "$CABIN_PID" 2>/dev/null
    wait "$CABIN_PID" 2>/dev/null
    die "cabin (pid $CABIN_PID) still running after ${1:-20}s"
  fi
  status=0
  wait "$CABIN_PID" || status=$?
}

# A terminal for `run -t`, with script(1) (util-linux): the command runs on a
# new pty of 24x80 whose input comes from a fifo (pty_send) and whose output
# goes to a file (pty_wait, pty_finish).
# pty_start COMMAND-LINE: starts it (a shell command line: quote with printf %q).
pty_start() {
  require_tool script stty
  PTY_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/pty.XXXXXX")
  mkfifo "$PTY_DIR/in"
  exec {PTY_FD}<>"$PTY_DIR/in"
  echo "# $(date +%T) \$ [pty] $*" >&2
  # The exit code on a line of its own (a prompt may have left the cursor mid-line).
  script -qefc "tty >$PTY_DIR/tty; stty rows 24 cols 80; $*; rc=\$?; echo; echo \"[rc=\$rc]\"" /dev/null \
    <&"$PTY_FD" >"$PTY_DIR/out" 2>&1 3>&- &
  PTY_PID=$!
  wait_for_line "$PTY_DIR/tty" '^/dev/' 10
}

# cabin_cmd ARGS…: a shell-quoted cabin command line for pty_start.
cabin_cmd() { printf '%q ' "$CABIN" "$@"; }

# pty_send TEXT: types TEXT (printf %b escapes: '\003' is Ctrl-C).
pty_send() { printf '%b' "$1" >&"$PTY_FD"; }

# pty_wait REGEX [SECONDS]: waits until the output has a line matching REGEX.
pty_wait() { wait_for_line "$PTY_DIR/out" "$1" "${2:-20}"; }

# pty_resize ROWS COLS: resizes the terminal (its foreground process gets SIGWINCH).
pty_resize() {
  stty -F "$(<"$PTY_DIR/tty")" rows "$1" cols "$2" && return 0
  sed 's/^/#   [pty] /' "$PTY_DIR/out" >&2
  die "cannot resize the terminal: has the command ended already?"
}

# pty_finish [SECONDS]: waits for the command to end; $pty_output is what it
# printed (carriage returns removed), $pty_rc its exit code.
pty_finish() {
  local i
  for ((i = 0; i < ${1:-20} * 10; i++)); do
    kill -0 "$PTY_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$PTY_PID" 2>/dev/null; then
    local c
    for c in $(ps -o pid= --ppid "$PTY_PID"); do kill -KILL "$c" 2>/dev/null; done
    kill -KILL "$PTY_PID" 2>/dev/null
  fi
  wait "$PTY_PID" 2>/dev/null || true
  exec {PTY_FD}>&-
  pty_output=$(tr -d '\r' <"$PTY_DIR/out")
  printf '%s\n' "$pty_output" | sed 's/^/#   [pty] /' >&2
  pty_rc=$(sed -n 's/^\[rc=\([0-9]*\)\]$/\1/p' <<<"$pty_output" | tail -1)
  [[ -n $pty_rc ]] || die "the command under the pty did not finish"
}

# store_baseline: one successful `run --rm` (which creates whatever the
# store's first container and volume need), then BASELINE=$(store_state):
# what a failed run must leave exactly as it is (assert_nothing_left "$BASELINE").
store_baseline() {
  run_cabin run --rm --network none -v /baseline "$PROBE_IMAGE" /bin/probe exit 0
  BASELINE=$(store_state)
}

# ---------------------------------------------------------------- host servers
# free_port: a TCP and UDP port nothing listens on.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    [[ -z $(ss -Htuan "sport = :$p") ]] && { echo "$p"; return; }
  done
}

# host_httpd PORT: busybox httpd on 127.0.0.1:PORT serving $BATS_TEST_TMPDIR/www
# (an index.html saying "from the host" added); its pid in HOST_SERVER, for
# teardown to kill.
host_httpd() {
  mkdir -p "$BATS_TEST_TMPDIR/www"
  echo "from the host" >"$BATS_TEST_TMPDIR/www/index.html"
  busybox httpd -f -p "127.0.0.1:$1" -h "$BATS_TEST_TMPDIR/www" 3>&- &
  HOST_SERVER=$!
  local i
  for ((i = 0; i < 50; i++)); do curl -fs "http://127.0.0.1:$1/" >/dev/null && return; sleep 0.1; done
  die "host httpd on $1 did not start"
}

# ---------------------------------------------------------------- builds
# build_setup: what a build test needs -- user namespaces, the probe image,
# and an empty context directory in CTX.
build_setup() {
  basic_setup
  require_userns
  pull_probe
  CTX=$BATS_TEST_TMPDIR/ctx
  mkdir -p "$CTX"
}
