#!/usr/bin/env bats
# What cabin says when it is called wrong: exit 125 and Podman's wording.

load helpers

@test "no command: usage and exit 125" {
  run_cabin 125
  is "$stderr" ".*" "something is printed"
  [[ -n "$output$stderr" ]] || die "nothing printed"
}

@test "unknown command suggests the nearest" {
  run_cabin 125 imagess
  is "${stderr_lines[0]}" 'Error: unrecognized command `cabin imagess`' "first line"
  assert_contains "$stderr" "Did you mean this?" "suggestion header"
  is "$stderr" ".*"$'\n\t'"images("$'\n'".*)?" "suggests images"
  is "${stderr_lines[-1]}" "Try 'cabin --help' for more information" "last line"
  is "$output" "" "nothing on stdout"

  run_cabin 125 pulll
  is "$stderr" ".*"$'\n\t'"pull"$'\n'".*" "suggests pull"

  run_cabin 125 xyzzy
  is "${stderr_lines[0]}" 'Error: unrecognized command `cabin xyzzy`'
  assert_not_contains "$stderr" "Did you mean" "nothing near xyzzy"
}

@test "unknown subcommand of a group" {
  run_cabin 125 image lss
  is "${stderr_lines[0]}" 'Error: unrecognized command `cabin image lss`'
  is "$stderr" ".*"$'\n\t'"ls"$'\n'".*" "suggests ls"
  is "${stderr_lines[-1]}" "Try 'cabin image --help' for more information"
}

@test "group without a subcommand" {
  run_cabin 125 image
  is "$stderr" ".*Error: missing command 'cabin image COMMAND'.*"
}

@test "unknown flag: one line and a hint" {
  run_cabin 125 images --badflag
  is "$stderr" "Error: unknown flag: --badflag"$'\n'"See 'cabin images --help'"
  is "$output" "" "nothing on stdout"

  run_cabin 125 --badflag images
  is "${stderr_lines[0]}" "Error: unknown flag: --badflag"

  run_cabin 125 version --format=json --bogus=1
  is "${stderr_lines[0]}" "Error: unknown flag: --bogus"
}

@test "too many and too few arguments" {
  run_cabin 125 tag onlyone
  expect_error ".*(at least two arguments|requires at least 2 arg).*"
  run_cabin 125 pull
  expect_error ".*(requires at least 1 arg|requires exactly 1 arg|image name|argument).*"
  run_cabin 125 rmi
  expect_error "image name or ID must be specified"
}

@test "bad global option values" {
  run_cabin 125 --log-level=chatty version
  expect_error '.*invalid log level "chatty".*'
}

@test "--help works everywhere and exits 0" {
  local cmd
  for cmd in "" version info images pull "image inspect" tag untag rmi "image prune" history import unshare; do
    # shellcheck disable=SC2086
    run_cabin $cmd --help
    is "$output" ".*Usage:.*" "cabin $cmd --help shows usage"
  done
}
