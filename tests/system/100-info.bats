#!/usr/bin/env bats
# cabin info

load helpers

@test "info --format: store paths" {
  run_cabin info --format '{{.Store.GraphRoot}}'
  is "$output" "$GRAPHROOT" "GraphRoot"
  run_cabin info --format '{{.Store.RunRoot}}'
  is "$output" "$RUNROOT" "RunRoot"
  run_cabin info --format '{{.Store.GraphDriverName}}'
  is "$output" "(overlay|vfs|fuse-overlayfs)" "GraphDriverName"
}

@test "info: default store paths follow XDG" {
  skip_if_root
  is "$GRAPHROOT" "$XDG_DATA_HOME/cabin"
  run_cabin info --format '{{.Store.GraphRoot}} {{.Store.RunRoot}}'
  is "$output" "$HOME/.local/share/cabin $XDG_RUNTIME_DIR/cabin"
  unset XDG_DATA_HOME
  run_cabin info --format '{{.Store.GraphRoot}}'
  is "$output" "$HOME/.local/share/cabin" "without XDG_DATA_HOME"
  unset XDG_RUNTIME_DIR
  run_cabin info --format '{{.Store.RunRoot}}'
  is "$output" "/tmp/cabin-run-$(id -u)" "without XDG_RUNTIME_DIR"
}

@test "info: --root, --runroot and storage.conf" {
  run_cabin --root "$BATS_TEST_TMPDIR/g" --runroot "$BATS_TEST_TMPDIR/r" info --format '{{.Store.GraphRoot}} {{.Store.RunRoot}}'
  is "$output" "$BATS_TEST_TMPDIR/g $BATS_TEST_TMPDIR/r" "flags"
  printf '[storage]\ngraphroot = "%s"\nrunroot = "%s"\n' "$BATS_TEST_TMPDIR/cg" "$BATS_TEST_TMPDIR/cr" \
    >"$BATS_TEST_TMPDIR/storage.conf"
  CONTAINERS_STORAGE_CONF=$BATS_TEST_TMPDIR/storage.conf run_cabin info --format '{{.Store.GraphRoot}} {{.Store.RunRoot}}'
  is "$output" "$BATS_TEST_TMPDIR/cg $BATS_TEST_TMPDIR/cr" "CONTAINERS_STORAGE_CONF"
  CONTAINERS_STORAGE_CONF=$BATS_TEST_TMPDIR/storage.conf run_cabin --root "$BATS_TEST_TMPDIR/g" info --format '{{.Store.GraphRoot}}'
  is "$output" "$BATS_TEST_TMPDIR/g" "the flag wins over storage.conf"
}

@test "info: the store's storage driver" {
  # A storage.conf without a driver (root's test config names one).
  local g=$BATS_TEST_TMPDIR/g
  printf '[storage]\ngraphroot = "%s"\nrunroot = "%s"\n' "$g" "$BATS_TEST_TMPDIR/r" >"$BATS_TEST_TMPDIR/storage.conf"
  export CONTAINERS_STORAGE_CONF=$BATS_TEST_TMPDIR/storage.conf
  run_cabin info --format '{{.Store.GraphDriverName}}'
  is "$output" overlay "a new store: overlay until the first container probes"
  [[ ! -e $g/driver.json ]] || die "info probed the store"
  run_cabin --storage-driver vfs info --format '{{.Store.GraphDriverName}}'
  is "$output" vfs "--storage-driver"
  printf '{"driver":"fuse-overlayfs"}\n' >"$g/driver.json"
  run_cabin info --format '{{.Store.GraphDriverName}}'
  is "$output" fuse-overlayfs "the driver remembered in graphroot/driver.json"
  run_cabin 125 --storage-driver bogus info
  is "$stderr" 'Error: unknown storage driver "bogus": cabin supports overlay, fuse-overlayfs and vfs'
}

@test "info --format: host" {
  run_cabin info --format '{{.Host.Arch}} {{.Host.OS}}'
  is "$output" "(amd64|arm64|ppc64le|s390x|riscv64) linux"
  run_cabin info --format '{{.Host.Security.Rootless}}'
  if is_root; then is "$output" false; else is "$output" true; fi
  run_cabin info --format '{{.Version.Version}}'
  local v=$output
  run_cabin version --format '{{.Client.Version}}'
  is "$output" "$v" "Version agrees with cabin version"
}

@test "info: id mappings" {
  require_tool jq
  skip_if_root
  run_cabin info --format '{{json .Host.IDMappings}}'
  jq -e . <<<"$output" >/dev/null || die "not JSON"
  # "container_id host_id size": plain words, since is() matches a regex.
  local triple='"\(.container_id) \(.host_id) \(.size)"'
  is "$(jq -r ".uidmap[0] | $triple" <<<"$output")" "0 $(id -u) 1" "uidmap[0]"
  is "$(jq -r ".gidmap[0] | $triple" <<<"$output")" "0 $(id -g) 1" "gidmap[0]"
  if have_subuid; then
    local u
    u=$(subid_range /etc/subuid)
    is "$(jq -r ".uidmap[1] | $triple" <<<"$output")" "1 ${u%:*} ${u#*:}" "uidmap[1]"
  else
    is "$(jq -r '.uidmap | length' <<<"$output")" 1 "single-id: one entry"
  fi
}

@test "info: image count" {
  require_registry
  run_cabin info --format '{{.Store.ImageStore.Number}}'
  is "$output" 0 "empty store"
  pull_image
  run_cabin info --format '{{.Store.ImageStore.Number}}'
  is "$output" 1 "one image"
}

@test "info --format json and the default output" {
  require_tool jq
  run_cabin info --format json
  jq -e . <<<"$output" >/dev/null || die "not JSON"
  is "$(jq -r '[keys[]] | join(",")' <<<"$output")" "(.*,)?host,(.*,)?registries,store,version" "top-level keys"
  is "$(jq -r .store.graphRoot <<<"$output")" "$GRAPHROOT" "store.graphRoot"
  is "$(jq -r .store.runRoot <<<"$output")" "$RUNROOT" "store.runRoot"
  is "$(jq -r '.registries.search | join(",")' <<<"$output")" "$REGISTRY" "registries.search"
  is "$(jq -r '.host.arch' <<<"$output")" "amd64|arm64|ppc64le|s390x|riscv64" "host.arch"
  is "$(jq -r '.host.security.rootless' <<<"$output")" "true|false" "host.security.rootless"

  run_cabin info
  is "${lines[0]}" "host:" "YAML, host first"
  assert_contains "$output" $'\n'"store:"$'\n' "store section"
  assert_contains "$output" "  graphRoot: $GRAPHROOT" "graphRoot"
  assert_contains "$output" $'\n'"version:"$'\n' "version section"
}

@test "info: bad template" {
  run_cabin 125 info --format '{{.Bogus}}'
  is "${#stderr_lines[@]}" 1 "one line"
  is "$stderr" "Error: .*Bogus.*"
}
