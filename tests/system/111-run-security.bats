#!/usr/bin/env bats
# cabin run: capabilities, seccomp, no_new_privs, masked and read-only paths,
# and what of the host a container can see. Podman 4.3.1's defaults
# (containers.conf, containers-common's seccomp.json) are the reference.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

# caps_of [RUN-OPTIONS…]: runs probe caps; sets $output and the probe's fields.
caps_of() {
  run_probe "$@" -- caps
}

# expect_caps EFFECTIVE [BOUNDING [AMBIENT]]: the sets in $output (probe caps).
# Permitted is the effective set; inheritable is the ambient set (the kernel
# keeps ambient capabilities only while they are also inheritable).
expect_caps() {
  is "$(probe_field CapEff)" "$1" "CapEff"
  is "$(probe_field CapPrm)" "$1" "CapPrm"
  is "$(probe_field CapBnd)" "${2:-$1}" "CapBnd"
  is "$(probe_field CapAmb)" "${3:-0000000000000000}" "CapAmb"
  is "$(probe_field CapInh)" "${3:-0000000000000000}" "CapInh"
}

# fstype MOUNT-POINT: the filesystem type of that mount in $output (a
# mountinfo): the field after the "-" that ends the optional fields.
fstype() {
  awk -v p="$1" '$5 == p { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 1); break } }' <<<"$output"
}

# ------------------------------------------------------------ capabilities

@test "caps: Podman's default set" {
  is "$DEFAULT_CAPS" "00000000800405fb" "the helpers' table"
  caps_of
  expect_caps "$DEFAULT_CAPS"
  is "$(probe_field NoNewPrivs)" 0 "no_new_privs only when asked"
  is "$(probe_field Seccomp)" 2 "a seccomp filter"
}

@test "caps: --cap-add and --cap-drop" {
  caps_of --cap-add NET_ADMIN
  expect_caps "$(caps_hex "${DEFAULT_CAP_NAMES[@]}" NET_ADMIN)"
  caps_of --cap-add net_admin,CAP_SYS_PTRACE
  # Lower case, the CAP_ prefix, comma-separated lists.
  expect_caps "$(caps_hex "${DEFAULT_CAP_NAMES[@]}" NET_ADMIN SYS_PTRACE)"
  caps_of --cap-add NET_ADMIN --cap-add SYS_PTRACE
  expect_caps "$(caps_hex "${DEFAULT_CAP_NAMES[@]}" NET_ADMIN SYS_PTRACE)"
  caps_of --cap-drop CHOWN
  expect_caps "$(caps_hex DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT)"
  caps_of --cap-drop all
  expect_caps 0000000000000000
  caps_of --cap-drop ALL --cap-add CHOWN
  expect_caps "$(caps_hex CHOWN)"
  caps_of --cap-add all
  expect_caps "$(all_caps_hex)"
}

@test "caps: a non-root user gets only what --cap-add names, as ambient" {
  skip_if_no_subuid "uid 1000 needs /etc/subuid ranges"
  caps_of -u 1000
  expect_caps 0000000000000000 "$DEFAULT_CAPS"
  # Podman 4: capabilities added with --cap-add are raised for a non-root
  # user too (permitted, effective, ambient).
  caps_of -u 1000 --cap-add NET_ADMIN
  expect_caps "$(caps_hex NET_ADMIN)" "$(caps_hex "${DEFAULT_CAP_NAMES[@]}" NET_ADMIN)" "$(caps_hex NET_ADMIN)"
  caps_of -u tester --cap-drop all
  expect_caps 0000000000000000 0000000000000000
}

@test "caps: what they allow" {
  run_probe -- syscall bind-80
  is "$output" "ok" "NET_BIND_SERVICE"
  run_probe --cap-drop NET_BIND_SERVICE -- syscall bind-80
  is "$output" "EACCES" "without NET_BIND_SERVICE"
  run_probe -- syscall chroot
  is "$output" "ok" "SYS_CHROOT"
  run_probe --cap-drop SYS_CHROOT -- syscall chroot
  is "$output" "EPERM" "without SYS_CHROOT"
  run_probe -- syscall socket-raw
  is "$output" "EPERM" "no NET_RAW by default"
  run_probe --cap-add NET_RAW -- syscall socket-raw
  is "$output" "ok" "--cap-add NET_RAW"
  run_probe -- syscall mount
  is "$output" "EPERM" "no SYS_ADMIN by default"
  run_probe --cap-add SYS_ADMIN -- syscall mount
  is "$output" "ok" "--cap-add SYS_ADMIN: tmpfs in the container's mount namespace"
  run_probe -- syscall unshare-mount
  is "$output" "EPERM"
  run_probe --cap-add SYS_ADMIN -- syscall unshare-mount
  is "$output" "ok"
  run_probe -- syscall mknod-char
  is "$output" "EPERM" "no device nodes in a user namespace"
  run_probe -- syscall mknod-fifo
  is "$output" "ok"
}

@test "caps: chown within the mapped ids" {
  run_probe -- syscall chown
  if [[ -n $SINGLE_ID ]]; then
    is "$output" "EINVAL" "single-id: uid 1 does not exist"
  else
    is "$output" "ok" "uid 1 is mapped"
  fi
  run_probe --cap-drop CHOWN -- syscall chown
  if [[ -n $SINGLE_ID ]]; then
    is "$output" "EINVAL" "single-id: the id is checked first"
  else
    is "$output" "EPERM" "without CHOWN"
  fi
}

@test "caps: --privileged" {
  caps_of --privileged
  expect_caps "$(all_caps_hex)"
  is "$(probe_field Seccomp)" 0 "no seccomp filter"
  run_probe --privileged -- syscall socket-raw
  is "$output" "ok"
  run_probe --privileged -- syscall reboot
  is "$output" "EINVAL" "SYS_BOOT in a pid namespace: no reboot, but allowed to ask"
  run_probe --privileged -- stat /proc/keys
  [[ $output != *type=char* ]] || die "/proc/keys is still masked: $output"
  run_cabin run --rm --network none --privileged "$PROBE_IMAGE" sh -c "awk '\$5 == \"/sys\" { print \$6 }' /proc/self/mountinfo"
  is "$output" "rw,.*" "/sys is writable"
}

@test "caps: --userns=keep-id runs as you, without capabilities" {
  caps_of --userns=keep-id
  expect_caps 0000000000000000 "$DEFAULT_CAPS"
}

# ------------------------------------------------------------ seccomp

@test "seccomp: the default profile" {
  run_probe -- status Seccomp
  is "$output" 2 "filter mode"
  # Outside the profile: the default action (ENOSYS) …
  run_probe -- syscall add_key
  is "$output" "ENOSYS" "add_key"
  # … and the explicitly refused ones (EPERM).
  local s
  for s in vmsplice userfaultfd move_pages sysfs kexec_load; do
    run_probe -- syscall "$s"
    is "$output" "EPERM" "$s"
  done
  # Allowed by the profile, refused by the kernel for want of a capability.
  run_probe -- syscall sethostname
  is "$output" "EPERM" "sethostname without SYS_ADMIN"
  # Allowed: a nested user namespace (which also shows the root was
  # pivot_root'ed, not chroot'ed), keyctl, personality, ptrace of a child.
  for s in unshare-user personality ptrace; do
    run_probe -- syscall "$s"
    is "$output" "ok" "$s"
  done
  run_probe -- syscall keyctl
  is "$output" "ENOKEY" "keyctl is allowed"
}

@test "seccomp: rules that depend on capabilities" {
  run_probe --cap-add SYS_ADMIN -- syscall sethostname
  is "$output" "ok" "sethostname with SYS_ADMIN"
  run_probe --cap-add SYS_ADMIN -- syscall bpf
  is "$output" "EINVAL" "bpf reaches the kernel with SYS_ADMIN"
  run_probe -- syscall bpf
  is "$output" "EPERM" "bpf without SYS_ADMIN"
  run_probe --cap-add SYS_ADMIN -- syscall vmsplice
  is "$output" "EPERM" "vmsplice stays refused"
}

@test "seccomp: --security-opt seccomp=unconfined" {
  run_probe --security-opt seccomp=unconfined -- status Seccomp
  is "$output" 0
  run_probe --security-opt seccomp=unconfined -- syscall vmsplice
  is "$output" "EBADF" "the kernel answers"
  run_probe --security-opt seccomp=unconfined -- syscall userfaultfd
  is "$output" "ok"
  run_probe --security-opt seccomp=unconfined -- syscall add_key
  [[ $output != ENOSYS ]] || die "add_key still ENOSYS"
  caps_of --security-opt seccomp=unconfined
  expect_caps "$DEFAULT_CAPS"
}

@test "seccomp: --security-opt seccomp=PROFILE.json" {
  local prof=$BATS_TEST_TMPDIR/profile.json
  printf '%s\n' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["vmsplice","mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}' >"$prof"
  run_probe --security-opt "seccomp=$prof" -- syscall vmsplice
  is "$output" "EACCES" "the profile's errno"
  run_probe --security-opt "seccomp=$prof" -- syscall userfaultfd
  is "$output" "ok" "its default action"
  run_probe --security-opt "seccomp=$prof" -- status Seccomp
  is "$output" 2
  run_cabin 1 run --rm --network none --security-opt "seccomp=$prof" "$PROBE_IMAGE" mkdir /newdir
  printf '%s\n' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["vmsplice"],"action":"SCMP_ACT_ERRNO"}]}' >"$prof"
  run_probe --security-opt "seccomp=$prof" -- syscall vmsplice
  is "$output" "EPERM" "ERRNO without errnoRet is EPERM"
  printf '%s\n' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["no_such_syscall_xyz"],"action":"SCMP_ACT_ERRNO"}]}' >"$prof"
  run_probe --security-opt "seccomp=$prof" -- syscall vmsplice
  is "$output" "EBADF" "unknown syscall names are skipped"
}

@test "seccomp: bad profiles" {
  store_baseline
  run_cabin 125 run --rm --network none --security-opt seccomp=/nonexistent.json "$PROBE_IMAGE" true
  # text: confirm with run (Podman: opening seccomp profile failed: open /nonexistent.json: no such file or directory)
  expect_error ".*seccomp profile.*/nonexistent.json.*(no such file or directory|No such file or directory)"
  printf '{bad json\n' >"$BATS_TEST_TMPDIR/bad.json"
  run_cabin 125 run --rm --network none --security-opt "seccomp=$BATS_TEST_TMPDIR/bad.json" "$PROBE_IMAGE" true
  # text: confirm with run (Podman: loading seccomp profile (FILE) failed: decoding seccomp profile failed: …)
  expect_error ".*seccomp profile.*"
  # Podman passes this one on to runc and exits 126 ("string SCMP_ACT_BOGUS
  # is not a valid action for seccomp"); cabin checks the profile before it
  # creates anything.
  printf '{"defaultAction":"SCMP_ACT_BOGUS"}\n' >"$BATS_TEST_TMPDIR/bad.json"
  run_cabin 125 run --rm --network none --security-opt "seccomp=$BATS_TEST_TMPDIR/bad.json" "$PROBE_IMAGE" true
  expect_error ".*seccomp profile.*SCMP_ACT_BOGUS.*"
  assert_nothing_left "$BASELINE"
}

# ------------------------------------------------------------ no_new_privs

@test "security-opt no-new-privileges" {
  run_probe -- status NoNewPrivs
  is "$output" 0 "off by default"
  run_probe --security-opt no-new-privileges -- status NoNewPrivs
  is "$output" 1 "no-new-privileges"
  run_probe --security-opt no-new-privileges=true -- status NoNewPrivs
  is "$output" 1 "no-new-privileges=true"
  run_probe --security-opt no-new-privileges=false -- status NoNewPrivs
  is "$output" 0 "no-new-privileges=false"
}

# ------------------------------------------------------------ masked and read-only paths

# Podman's masked paths (containers/common pkg/config): a file is covered
# with /dev/null, a directory with an empty read-only tmpfs.
MASKED_FILES=(/proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats /proc/sched_debug)
MASKED_DIRS=(/proc/acpi /proc/scsi /sys/firmware /sys/fs/selinux /sys/dev/block)
READONLY_PATHS=(/proc/asound /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger)

@test "masked paths are empty" {
  local p script=
  for p in "${MASKED_FILES[@]}" "${MASKED_DIRS[@]}"; do script+="echo $p \$(/bin/probe read $p);"; done
  run_cabin run --rm --network none "$PROBE_IMAGE" sh -c "$script"
  local line path result
  for line in "${lines[@]}"; do
    path=${line%% *} result=${line#* }
    if [[ -e $path ]]; then
      # On the host it exists: in the container it is there, and empty.
      [[ $result == "ok 0" || $result == "dir 0" ]] || die "$path is not masked: $result"
    else
      [[ $result == ENOENT || $result == "ok 0" || $result == "dir 0" ]] || die "$path: $result"
    fi
  done
  run_probe -- stat /proc/keys
  [[ ! -e /proc/keys ]] || is "$output" "uid=[0-9]+ gid=[0-9]+ mode=0666 type=char" "/proc/keys is /dev/null"
  run_probe -- write /sys/firmware/x
  [[ ! -e /sys/firmware ]] || is "$output" "EROFS" "the empty tmpfs on /sys/firmware is read-only"
}

@test "read-only paths and /sys" {
  run_cabin run --rm --network none "$PROBE_IMAGE" cat /proc/self/mountinfo
  local info=$output p opts
  for p in "${READONLY_PATHS[@]}" /sys; do
    [[ -e $p ]] || continue
    opts=$(awk -v p="$p" '$5 == p { o = $6 } END { print o }' <<<"$info")
    [[ $opts == ro || $opts == ro,* ]] || die "$p is not mounted read-only (options '$opts')"
  done
  run_probe -- write /proc/sys/kernel/domainname x
  is "$output" "EROFS" "/proc/sys"
  run_probe -- write /sys/kernel/probe-test
  is "$output" "EROFS" "/sys"
  if [[ -e /proc/sysrq-trigger ]]; then
    run_probe -- write /proc/sysrq-trigger h
    is "$output" "EROFS" "/proc/sysrq-trigger"
  fi
}

# ------------------------------------------------------------ what of the host is visible

@test "isolation: only the container's own mounts" {
  run_cabin run --rm --network none "$PROBE_IMAGE" cat /proc/self/mountinfo
  local mp
  # Mount points (field 5) are the container's: its root, /proc, /dev, /sys
  # and what is under them, and the files cabin generates.
  for mp in $(awk '{ print $5 }' <<<"$output"); do
    case $mp in
      / | /proc | /proc/* | /dev | /dev/* | /sys | /sys/*) ;;
      /etc/hosts | /etc/hostname | /etc/resolv.conf | /run/.containerenv) ;;
      *) die "unexpected mount point in the container: $mp" ;;
    esac
  done
  # None of the host's mount points (but the standard ones) is there.
  local host_only
  host_only=$(awk '$5 !~ "^/(proc|dev|sys)(/|$)" && $5 != "/" { print $5 }' /proc/self/mountinfo | sort -u)
  for mp in $host_only; do
    case $mp in /etc/hosts | /etc/hostname | /etc/resolv.conf | /run/.containerenv) continue ;; esac
    awk -v p="$mp" '$5 == p { found = 1 } END { exit !found }' <<<"$output" &&
      die "the host's mount point $mp is in the container"
  done
  return 0
}

@test "isolation: host paths outside the mounts are unreachable" {
  local marker=$BATS_TEST_TMPDIR/host-marker
  echo host >"$marker"
  run_probe -- stat "$marker"
  is "$output" "ENOENT" "a host path"
  run_probe -- stat "/../../../..$marker"
  is "$output" "ENOENT" "through .."
  run_probe -- stat "/proc/1/root$marker"
  is "$output" "ENOENT" "through /proc/1/root"
  run_probe -- stat "$HOME"
  is "$output" "ENOENT" "your home directory"
  run_cabin run --rm --network none "$PROBE_IMAGE" ls /home
  is "$output" "tester" "the image's /home"
  run_probe -- read /proc/1/environ
  assert_not_contains "$output" "EACCES" "PID 1 is the container's own"
  run_cabin run --rm --network none "$PROBE_IMAGE" sh -c 'cat /proc/1/environ | tr "\0" "\n"'
  assert_not_contains "$output" "BATS_TEST_TMPDIR" "no host environment"
  assert_not_contains "$output" "$HOME" "no host environment"
}

@test "isolation: /dev has only the standard devices" {
  run_cabin run --rm --network none "$PROBE_IMAGE" sh -c 'find /dev -maxdepth 1 -type c | sort'
  is "$output" "/dev/full"$'\n'"/dev/null"$'\n'"/dev/random"$'\n'"/dev/tty"$'\n'"/dev/urandom"$'\n'"/dev/zero" \
    "character devices in /dev"
  run_cabin run --rm --network none "$PROBE_IMAGE" cat /proc/self/mountinfo
  is "$(fstype /dev/pts)" "devpts" "/dev/pts"
  assert_contains "$(awk '$5 == "/dev/pts" { print $NF }' <<<"$output")" "ptmxmode=666" "/dev/pts is a new instance"
  is "$(fstype /dev/shm)" "tmpfs" "/dev/shm"
  is "$(fstype /dev/mqueue)" "mqueue" "/dev/mqueue"
  is "$(fstype /proc)" "proc" "/proc"
  run_probe -- write /dev/null
  is "$output" "ok" "/dev/null is writable"
  run_probe -- write /dev/shm/probe
  is "$output" "ok" "/dev/shm is writable"
}
