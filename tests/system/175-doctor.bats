#!/usr/bin/env bats
# cabin system doctor: each check's line, its fix, and the exit code (0 when
# containers can run here, 1 when a check that blocks them failed). The
# unprivileged runs see this host as it is; the root runs make the obstacles
# for real (a closed /dev/net/tun in a mount namespace of their own, user
# namespaces forbidden in a user namespace of their own) and run doctor as
# the user without ranges.

load helpers

# The fixes, as cabin prints them (rootless/fixes.cpp).
FIX_TUN="sudo chmod 0666 /dev/net/tun (to keep it: a udev rule, echo 'KERNEL==\"tun\", MODE=\"0666\"' | sudo tee /etc/udev/rules.d/99-cabin-tun.rules), or run containers with --network none or --network host"
FIX_CGROUP_V2="boot with cgroup v2 (kernel command line systemd.unified_cgroup_hierarchy=1), then delegate it to users; or run without resource limits"
FIX_DELEGATE="delegate cgroup controllers to user sessions, as Podman documents: sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload, then log in again"
FIX_USERNS="sudo sysctl -w user.max_user_namespaces=15000 (to keep it: echo 'user.max_user_namespaces = 15000' | sudo tee /etc/sysctl.d/99-cabin.conf)"
FIX_PORTS="sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80 (to keep it: echo 'net.ipv4.ip_unprivileged_port_start = 80' | sudo tee /etc/sysctl.d/99-cabin.conf)"
FIX_RUNTIME_DIR="log in through a session that sets it (pam_systemd: /run/user/UID), or export XDG_RUNTIME_DIR naming a directory you own with mode 0700"
SINGLE_ID_LIMITS="without ranges cabin maps only your own id (as root in containers): every file of an image is owned by you, and users other than root (USER, --user, chown to another id) do not exist in containers"

# find_check NAME: sets $check to the line of check NAME in $output (the human
# form) without its status and name, $check_status to its status, and $fix
# to the fix line under it ("" when none).
find_check() {
  local name=$1 i re
  re="^(ok|note|warn|fail|n/a) +$(re_escape "$name")  +(.*)$"
  check= check_status= fix=
  for i in "${!lines[@]}"; do
    if [[ ${lines[i]} =~ $re ]]; then
      check_status=${BASH_REMATCH[1]} check=${BASH_REMATCH[2]}
      if [[ ${lines[i + 1]:-} == "      fix: "* ]]; then fix=${lines[i + 1]#      fix: }; fi
      return 0
    fi
  done
  die "no line for the check '$name' in the output"
}

cgroup_mode() {
  if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then echo v2
  elif [[ $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]]; then echo hybrid
  else echo v1; fi
}

# The cgroup line for a rootless user on this host.
expect_rootless_cgroups() {
  find_check cgroups
  case $(cgroup_mode) in
    v1 | hybrid)
      is "$check_status" warn "cgroups: status"
      is "$check" "cgroup v1( \(hybrid\))?: resource limits \(--memory, --cpus, --pids-limit\) cannot be applied rootless, since cgroup v1 cannot be delegated to a user safely" "cgroups"
      is_exact "$fix" "$FIX_CGROUP_V2" "cgroups: fix"
      ;;
    v2)
      if [[ $check_status == warn ]]; then
        is "$check" "cgroup v2, not delegated to you \(.* is not writable\): resource limits \(--memory, --cpus, --pids-limit\) cannot be applied" "cgroups"
        is_exact "$fix" "$FIX_DELEGATE" "cgroups: fix"
      else
        is "$check" "cgroup v2, delegated to you .*"
      fi
      ;;
  esac
}

# The usermod line: a range of 65536 that no entry of /etc/subuid or
# /etc/subgid overlaps, for USER.
expect_usermod_fix() {
  local user=$1 from to
  [[ $fix =~ ^sudo\ usermod\ --add-subuids\ ([0-9]+)-([0-9]+)\ --add-subgids\ ([0-9]+)-([0-9]+)\ ${user}$ ]] ||
    die "not a usermod line for $user: '$fix'"
  from=${BASH_REMATCH[1]} to=${BASH_REMATCH[2]}
  is "${BASH_REMATCH[3]}-${BASH_REMATCH[4]}" "$from-$to" "the same range for gids"
  is "$((to - from + 1))" 65536 "range size"
  ((from >= 100000)) || die "range below 100000: $from"
  local file start count
  for file in /etc/subuid /etc/subgid; do
    while IFS=: read -r _ start count; do
      [[ $start =~ ^[0-9]+$ && $count =~ ^[0-9]+$ ]] || continue
      ((to < start || from >= start + count)) || die "$from-$to overlaps $start:$count in $file"
    done <"$file"
  done
}

@test "doctor: this host as it is, for this user" {
  skip_if_root
  run_cabin system doctor
  find_check "user namespaces"
  is "$check_status" ok
  if have_subuid; then
    is "$check" "created one as cabin does: 65537 uids and 65537 gids mapped \(user.max_user_namespaces is [0-9]+\)"
  else
    is "$check" "created one as cabin does: 1 uids and 1 gids mapped \(user.max_user_namespaces is [0-9]+\)"
  fi
  find_check "subordinate ids"
  if have_subuid; then
    is "$check_status" ok
    is "$check" "$(id -un) has 65536 subordinate uids and 65536 gids \(first: [0-9]+:65536\)"
    is "$fix" "" "no fix when ok"
    find_check "newuidmap/newgidmap"
    is "$check_status $check" "ok /usr/bin/newuidmap and /usr/bin/newgidmap can map ids"
  else
    is "$check_status" warn
    is_exact "$check" "no ranges for $(id -un) in /etc/subuid and /etc/subgid: cabin still works with a single-id map, but $SINGLE_ID_LIMITS"
    expect_usermod_fix "$(id -un)"
  fi
  find_check "/dev/net/tun"
  is "$check_status $check" "ok opens read-write: containers get user-mode networking"
  find_check "/dev/fuse"
  is "$check_status $check" "ok fuse-overlayfs is installed and /dev/fuse opens read-write"
  expect_rootless_cgroups
  find_check "XDG_RUNTIME_DIR"
  is "$check_status $check" "ok $XDG_RUNTIME_DIR, yours, mode 0700"
  find_check "systemd linger"
  if [[ -d /run/systemd/system ]]; then
    is "$check_status" "(ok|warn)"
  else
    is "$check_status $check" "n/a systemd is not PID 1: nothing stops detached containers when you log out"
    is "$fix" "" "no fix for n/a"
  fi
  find_check "privileged ports"
  local start
  start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
  if [[ $start == 0 ]]; then
    is "$check_status" ok
  else
    is "$check_status $check" "note net.ipv4.ip_unprivileged_port_start is $start: host ports below $start cannot be published rootless \(-p 80:80 fails; -p 8080:80 works\)"
    is_exact "$fix" "$FIX_PORTS" "ports: fix"
  fi
  find_check "ping"
  is "$check_status" "(ok|note)"
  is "${lines[-1]}" "cabin can run containers here \([0-9]+ warnings?, [0-9]+ notes?\)" "verdict"
  is "$stderr" "" "nothing on stderr"
}

@test "doctor: the storage driver is probed as the first container will, and nothing is recorded" {
  skip_if_root
  run_cabin system doctor
  find_check "storage driver"
  is "$check_status $check" "ok overlay, what the first container will choose: native overlay in the user namespace"
  find_check "storage filesystem"
  is "$check_status $check" "ok $GRAPHROOT is on [a-z0-9]+"

  [[ ! -e $GRAPHROOT ]] || die "doctor left the store's directory it made for the probe"

  # A store that exists but has no driver yet: probed, nothing recorded or left.
  mkdir -p "$GRAPHROOT"
  run_cabin system doctor
  find_check "storage driver"
  is "$check_status $check" "ok overlay, what the first container will choose: native overlay in the user namespace"
  [[ ! -e $GRAPHROOT/driver.json ]] || die "doctor recorded a driver"
  is "$(ls -A "$GRAPHROOT/tmp" 2>/dev/null)" "" "the probe left nothing in tmp/"

  # A store that fell back: doctor (and info) say which driver and why.
  printf '{"driver":"vfs","why":"native overlay: overlay: mount: Invalid argument; fuse-overlayfs: fuse-overlayfs is not installed (fix: x)"}\n' >"$GRAPHROOT/driver.json"
  run_cabin system doctor
  find_check "storage driver"
  is "$check_status" warn
  is_exact "$check" "vfs, chosen when this store was first used: native overlay: overlay: mount: Invalid argument; fuse-overlayfs: fuse-overlayfs is not installed (fix: x) (vfs copies every layer into each container)"
  is_exact "$fix" "native overlay needs Linux 6.8 or later and a local filesystem with user extended attributes (ext4, xfs, btrfs, tmpfs)"
  run_cabin info --format '{{index .Store.GraphStatus "Driver Reason"}}'
  is_exact "$output" "native overlay: overlay: mount: Invalid argument; fuse-overlayfs: fuse-overlayfs is not installed (fix: x)"

  run_cabin --storage-driver fuse-overlayfs system doctor
  find_check "storage driver"
  is "$check_status $check" "ok fuse-overlayfs, requested \(--storage-driver or storage.conf\) \(layers are shared; a little slower than native overlay\)"
}

@test "doctor: XDG_RUNTIME_DIR unset, or open to others" {
  skip_if_root
  unset XDG_RUNTIME_DIR
  run_cabin system doctor
  find_check "XDG_RUNTIME_DIR"
  is "$check_status $check" "warn not set: cabin uses /tmp/cabin-run-$(id -u) instead"
  is_exact "$fix" "$FIX_RUNTIME_DIR"
  export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/open
  mkdir -m 0755 "$XDG_RUNTIME_DIR"
  run_cabin system doctor
  find_check "XDG_RUNTIME_DIR"
  is "$check_status $check" "warn $XDG_RUNTIME_DIR has mode 0755, not 0700: others may reach cabin's sockets and state there"
  is_exact "$fix" "chmod 0700 $XDG_RUNTIME_DIR"
}

@test "doctor --format: JSON and Go templates" {
  run_cabin system doctor --format json
  is "$(jq -r '.CanRunContainers' <<<"$output")" true
  is "$(jq -r '.Checks[] | select(.ID == "tun") | .Status + " " + .Name' <<<"$output")" "ok /dev/net/tun"
  is "$(jq -r '[.Checks[].ID] | join(" ")' <<<"$output")" \
    "userns apparmor subids idmap-tools tun fuse cgroups storage-driver storage-fs runtime-dir linger ports ping"
  is "$(jq -r '.Checks[] | select(.Status == "ok") | .Fix' <<<"$output" | sort -u)" "" "no fix for what is ok"
  run_cabin system doctor --format '{{range .Checks}}{{if eq .ID "tun"}}{{.Status}}{{end}}{{end}} {{.CanRunContainers}}'
  is "$output" "ok true"
}

@test "doctor as root: the rootless checks do not apply" {
  skip_if_rootless
  run_cabin system doctor
  find_check "user namespaces"
  is "$check_status $check" "n/a running as root: no user namespace is needed"
  find_check "subordinate ids"
  is "$check_status" "n/a"
  find_check "storage driver"
  is "$check_status" "(ok|warn)"
  is "${lines[-1]}" "cabin can run containers here \(.*\)"
}

# As root: a directory for the user without ranges, and a script to run as
# them. Sets $d, $solo, $solo_uid, $solo_gid.
solo_dir() {
  solo=${CABIN_TEST_SOLO_USER:-cabinsolo}
  id "$solo" >/dev/null 2>&1 || cabin_skip "no user $solo: run tests/system/setup-host.sh"
  solo_uid=$(id -u "$solo") solo_gid=$(id -g "$solo")
  d=$(mktemp -d /tmp/cabin-doctor.XXXXXX)
  mkdir -p "$d/home" "$d/dev"
  mkdir -m 0700 "$d/run"
  chown "$solo:" "$d" "$d/home" "$d/run"
  chmod 0755 "$d"
  echo "$d" >"$BATS_TEST_TMPDIR/solo-dir"
}

# The command line that runs cabin as $solo with a fresh home.
as_solo() {
  echo "setpriv --reuid=$solo_uid --regid=$solo_gid --clear-groups env -i HOME=$d/home USER=$solo PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin XDG_RUNTIME_DIR=$d/run LANG=C.UTF-8 $CABIN"
}

solo_teardown() {
  [[ -r $BATS_TEST_TMPDIR/solo-dir ]] && rm -rf "$(<"$BATS_TEST_TMPDIR/solo-dir")"
  basic_teardown
}

@test "doctor: closed /dev/net/tun, no subordinate ids, cgroup v1: each says so with its fix, and exit 1" {
  skip_if_rootless "needs root to close /dev/net/tun in a mount namespace of its own"
  teardown() { solo_teardown; }
  solo_dir
  have_subuid_for() { grep -qE "^($solo|$solo_uid):" /etc/subuid; }
  ! have_subuid_for || cabin_skip "$solo has /etc/subuid ranges on this host"
  # A root-owned 0600 tun device (on a tmpfs of our own: no nodev) over
  # /dev/net/tun, seen only in this mount namespace; then doctor as $solo.
  cat >"$d/inner.sh" <<EOF
set -e
mount -t tmpfs -o mode=0755 tmpfs "$d/dev"
mknod -m 0600 "$d/dev/tun" c 10 200
mount --bind "$d/dev/tun" /dev/net/tun
$(as_solo) system doctor >"$d/out" 2>"$d/err" || echo \$? >"$d/rc"
EOF
  unshare --mount --propagation private sh "$d/inner.sh" || die "inner script failed"
  output=$(<"$d/out")
  mapfile -t lines <"$d/out"
  is "$(cat "$d/rc" 2>/dev/null || echo 0)" 1 "exit code"
  is "$(<"$d/err")" "" "nothing on stderr"
  [[ -c /dev/net/tun && $(stat -c %a /dev/net/tun) == 666 ]] || die "the host's /dev/net/tun changed"

  find_check "/dev/net/tun"
  is "$check_status" fail
  is_exact "$check" "cannot open /dev/net/tun: Permission denied: containers' default network (user-mode networking) needs it, so only --network none and --network host work"
  is_exact "$fix" "$FIX_TUN"

  find_check "subordinate ids"
  is "$check_status" warn
  is_exact "$check" "no ranges for $solo in /etc/subuid and /etc/subgid: cabin still works with a single-id map, but $SINGLE_ID_LIMITS"
  expect_usermod_fix "$solo"
  find_check "newuidmap/newgidmap"
  is "$check_status" "(ok|note)" "the tools do not matter without ranges"

  find_check "user namespaces"
  is "$check_status $check" "ok created one as cabin does: 1 uids and 1 gids mapped \(user.max_user_namespaces is [0-9]+\)"

  # What cgroups this host has is not ours to change: check the line for it.
  expect_rootless_cgroups

  is "${lines[-1]}" "cabin cannot run containers here: /dev/net/tun failed \([0-9]+ warnings?, [0-9]+ notes?\)" "verdict"
}

@test "doctor: user namespaces forbidden (user.max_user_namespaces=0): fail, the fix, exit 1; cabin's own error names the same fix" {
  skip_if_rootless "needs root to map the user into a user namespace of its own"
  teardown() { solo_teardown; }
  solo_dir
  # A user namespace mapping the host's ids 0-65535 to themselves, where
  # user.max_user_namespaces is 0 (the knob is per user namespace), and
  # doctor as $solo in it: the kernel refuses $solo's user namespace for real.
  cat >"$d/inner.sh" <<EOF
set -e
echo 0 >/proc/sys/user/max_user_namespaces
$(as_solo) system doctor >"$d/out" 2>"$d/err" || echo \$? >"$d/rc"
$(as_solo) unshare true >"$d/unshare-out" 2>"$d/unshare-err" || echo \$? >"$d/unshare-rc"
EOF
  # The script starts once mapped: a program exec'd as an unmapped uid has no
  # capabilities in the namespace.
  unshare --user --setgroups allow sh -c "while [ ! -e '$d/mapped' ]; do sleep 0.05; done; exec sh '$d/inner.sh'" &
  local pid=$! tries=0
  # Map it once it has its user namespace.
  until [[ $(readlink "/proc/$pid/ns/user") != "$(readlink /proc/self/ns/user)" ]]; do
    ((++tries < 200)) || die "the inner script never entered a user namespace"
    sleep 0.05
  done
  echo "0 0 65536" >"/proc/$pid/uid_map"
  echo "0 0 65536" >"/proc/$pid/gid_map"
  touch "$d/mapped"
  wait "$pid" || die "inner script failed"
  output=$(<"$d/out")
  mapfile -t lines <"$d/out"
  is "$(cat "$d/rc" 2>/dev/null || echo 0)" 1 "exit code"
  find_check "user namespaces"
  is "$check_status $check" "fail disabled: user.max_user_namespaces is 0"
  is_exact "$fix" "$FIX_USERNS"
  find_check "storage driver"
  is "$check_status" warn "the driver cannot be probed without a user namespace"
  is "${lines[-1]}" "cabin cannot run containers here: user namespaces failed \(.*\)" "verdict"

  is "$(<"$d/unshare-rc")" 125 "cabin unshare: exit code"
  is_exact "$(<"$d/unshare-err")" "Error: cannot create a user namespace: user namespaces are disabled (user.max_user_namespaces is 0): $FIX_USERNS" "cabin unshare: the same fix"
}
