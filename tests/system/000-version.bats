#!/usr/bin/env bats
# cabin version, cabin --version

load helpers

@test "cabin version: Podman's layout" {
  run_cabin version
  is "${lines[0]}" "Client:       cabin" "first line"
  is "${lines[1]}" "Version:      [0-9]+\.[0-9]+\.[0-9]+.*" "Version line"
  is "${lines[2]}" "API Version:  [0-9]+\.[0-9]+\.[0-9]+.*" "API Version line"
  is "$output" ".*"$'\n'"Git Commit:   [0-9a-f]*"$'\n'".*" "Git Commit line"
  is "$output" ".*"$'\n'"Built:        .+"$'\n'".*" "Built line"
  is "${lines[-1]}" "OS/Arch:      linux/(amd64|arm64|ppc64le|s390x|riscv64|386|arm)" "last line"
  is "$stderr" "" "nothing on stderr"
}

@test "cabin --version and -v" {
  run_cabin --version
  is "$output" "cabin version [0-9]+\.[0-9]+\.[0-9]+.*" "--version"
  local v=$output
  run_cabin -v
  is "$output" "$v" "-v is the same as --version"
  run_cabin version --format '{{.Client.Version}}'
  is "cabin version $output" "$v" "version --format agrees with --version"
}

@test "cabin version --format json" {
  require_tool jq
  run_cabin version --format json
  echo "$output" | jq -e . >/dev/null || die "not JSON: $output"
  is "$(jq -r '.Client.Version' <<<"$output")" "[0-9]+\.[0-9]+\.[0-9]+.*" ".Client.Version"
  is "$(jq -r '.Client.APIVersion' <<<"$output")" "[0-9]+\.[0-9]+\.[0-9]+.*" ".Client.APIVersion"
  is "$(jq -r '.Client.OsArch' <<<"$output")" "linux/.+" ".Client.OsArch"
  is "$(jq -r '.Client.Os' <<<"$output")" "linux" ".Client.Os"
  is "$(jq -r '.Client.GitCommit | type' <<<"$output")" "string" ".Client.GitCommit is a string"
  is "$(jq -r '.Client.Built | type' <<<"$output")" "number" ".Client.Built is a number"
  is "$(jq -r '.Client.BuiltTime | type' <<<"$output")" "string" ".Client.BuiltTime is a string"
  # Podman prints {"Client":…} and, with a server, "Server"; cabin has no server.
  is "$(jq -r 'keys | join(",")' <<<"$output")" "Client" "top-level keys"
}

@test "cabin version --format templates" {
  run_cabin version --format '{{.Client.Os}}/{{.Client.OsArch}}'
  is "$output" "linux/linux/.+"
  run_cabin version --format '{{json .Client.Version}}'
  is "$output" '"[0-9]+\.[0-9]+\.[0-9]+.*"' "json function"
  run_cabin version --format '{{.Client.Version}}'
  local v=$output
  run_cabin version
  is "${lines[1]}" "Version:      $v" "template agrees with the table"
}

@test "cabin version: bad template and bad argument" {
  run_cabin 125 version --format '{{.Client.NoSuchField}}'
  is "${#stderr_lines[@]}" 1 "one line of error"
  is "$stderr" "Error: .*NoSuchField.*" "error names the field"
  is "$output" "" "nothing on stdout"

  run_cabin 125 version --format '{{.Client.Version'
  is "$stderr" "Error: .*" "unclosed action"

  run_cabin 125 version extra-arg
  is "$stderr" 'Error: .*' "an argument is refused"
}
