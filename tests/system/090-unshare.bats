#!/usr/bin/env bats
# cabin unshare: the user namespace cabin works in

load helpers

# The uid_map line for "CONTAINER HOST SIZE", as the kernel prints it.
map_line() { printf '%10s %10s %10s' "$1" "$2" "$3"; }

@test "unshare: full mapping with /etc/subuid ranges" {
  skip_if_root
  skip_if_no_subuid
  require_userns
  local u g
  u=$(subid_range /etc/subuid) g=$(subid_range /etc/subgid)
  run_cabin unshare cat /proc/self/uid_map
  is "$output" "$(map_line 0 "$(id -u)" 1)"$'\n'"$(map_line 1 "${u%:*}" "${u#*:}")" "uid_map"
  run_cabin unshare cat /proc/self/gid_map
  is "$output" "$(map_line 0 "$(id -g)" 1)"$'\n'"$(map_line 1 "${g%:*}" "${g#*:}")" "gid_map"
  is "$stderr" "" "no warning with ranges"
}

@test "unshare: single-id mapping without ranges, and a one-time warning" {
  skip_if_root
  skip_if_subuid
  require_userns
  run_cabin unshare cat /proc/self/uid_map
  is "$output" "$(map_line 0 "$(id -u)" 1)" "uid_map: one line"
  is "$(wc -l <<<"$stderr_raw")" 1 "one line on stderr"
  is "$stderr_raw" "WARN\[[0-9]+\] .*$CABIN_SINGLE_ID_WARNING.*" "the warning"
  assert_contains "$stderr_raw" "usermod --add-subuids" "the warning names the fix"
  assert_contains "$stderr_raw" "$(id -un)" "the warning names the user"
  run_cabin unshare cat /proc/self/gid_map
  is "$output" "$(map_line 0 "$(id -g)" 1)" "gid_map: one line"
  is "$stderr_raw" "" "no warning the second time"
  run_cabin images
  is "$stderr_raw" "" "nor for other commands"
}

@test "unshare: single-id warning is per store" {
  skip_if_root
  skip_if_subuid
  require_userns
  run_cabin unshare true
  is "$stderr_raw" ".*$CABIN_SINGLE_ID_WARNING.*" "first store"
  run_cabin --root "$BATS_TEST_TMPDIR/other-store" unshare true
  is "$stderr_raw" ".*$CABIN_SINGLE_ID_WARNING.*" "another store warns again"
  run_cabin --root "$BATS_TEST_TMPDIR/other-store" unshare true
  is "$stderr_raw" "" "once"
}

@test "unshare: root inside, files owned by subordinate ids outside" {
  skip_if_root
  require_userns
  run_cabin unshare id -u
  is "$output" 0 "uid 0 inside"
  run_cabin unshare id -g
  is "$output" 0 "gid 0 inside"
  local f=$BATS_TEST_TMPDIR/owned
  if have_subuid; then
    local u
    u=$(subid_range /etc/subuid)
    run_cabin unshare sh -c "touch $f && chown 1:1 $f"
    is "$(stat -c %u "$f")" "${u%:*}" "uid 1 inside is the first subordinate id outside"
    run_cabin unshare rm "$f"
  else
    run_cabin unshare touch "$f"
    is "$(stat -c %u "$f")" "$(id -u)" "uid 0 inside is you outside"
    run_cabin '?' unshare chown 1:1 "$f"
    [[ $status != 0 ]] || die "chown to an unmapped id should fail"
  fi
}

@test "unshare: as root, the host's mapping" {
  skip_if_rootless
  run_cabin unshare cat /proc/self/uid_map
  is "$output" "$(map_line 0 0 4294967295)"
}

@test "unshare: exit codes and errors" {
  require_userns
  run_cabin 0 unshare true
  run_cabin 1 unshare false
  run_cabin 7 unshare sh -c 'exit 7'
  run_cabin 127 unshare /nonexistent/command
  is "$stderr" "Error: .*/nonexistent/command.*(no such file or directory|No such file or directory).*"
  printf 'not executable\n' >"$BATS_TEST_TMPDIR/noexec"
  chmod 0644 "$BATS_TEST_TMPDIR/noexec"
  run_cabin 126 unshare "$BATS_TEST_TMPDIR/noexec"
  is "$stderr" "Error: .*(permission denied|Permission denied).*"
}

@test "unshare: environment and default command" {
  require_userns
  run_cabin unshare sh -c 'echo $CONTAINERS_GRAPHROOT; echo $CONTAINERS_RUNROOT'
  is "${lines[0]}" "$GRAPHROOT" "CONTAINERS_GRAPHROOT"
  is "${lines[1]}" "$RUNROOT" "CONTAINERS_RUNROOT"
  printf 'echo from-shell\n' >"$BATS_TEST_TMPDIR/script"
  SHELL=/bin/sh run_cabin --stdin "$BATS_TEST_TMPDIR/script" unshare
  is "$output" "from-shell" "\$SHELL runs without a command"
}

@test "unshare: options after the command belong to the command" {
  require_userns
  run_cabin unshare ls --version
  is "${lines[0]}" "ls .*" "ls got --version"
  run_cabin unshare sh -c 'echo "$@"' sh -a --help
  is "$output" "-a --help"
}
