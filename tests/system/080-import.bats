#!/usr/bin/env bats
# cabin import

load helpers

setup() {
  basic_setup
  require_registry
}

@test "import: a file, no name" {
  run_cabin import "$CABIN_TEST_ROOTFS_TAR"
  is "${lines[-1]}" "sha256:[0-9a-f]{64}" "the last line is the new ID"
  local id=${lines[-1]}
  run_cabin images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  is "$output" "<none>:<none> ${id:7:12}" "untagged"
  run_cabin image inspect --format '{{.RootFS.Layers}} {{.Architecture}} {{.Os}}' "$id"
  is "$output" "\[$IMG_BUSYBOX_LAYER_DIFFID\] amd64 linux" "one layer, the tar as it is"
}

@test "import -q with a name" {
  run_cabin import -q "$CABIN_TEST_ROOTFS_TAR" imported:v1
  is "$output" "sha256:[0-9a-f]{64}" "only the ID"
  is "$stderr" "" "nothing on stderr"
  run_cabin images --format '{{.Repository}}:{{.Tag}}'
  is "$output" "localhost/imported:v1"
  store_find -path '*/bin/busybox' -type f
  is "${#lines[@]}" 1 "the tar was unpacked"
}

@test "import: from stdin" {
  run_cabin --stdin "$CABIN_TEST_ROOTFS_TAR" import -q - imported:stdin
  is "$output" "sha256:[0-9a-f]{64}"
  run_cabin image inspect --format '{{.RootFS.Layers}}' imported:stdin
  is "$output" "\[$IMG_BUSYBOX_LAYER_DIFFID\]"
}

@test "import: compressed tar" {
  gzip -c "$CABIN_TEST_ROOTFS_TAR" >"$BATS_TEST_TMPDIR/rootfs.tar.gz"
  run_cabin import -q "$BATS_TEST_TMPDIR/rootfs.tar.gz" imported:gz
  run_cabin image inspect --format '{{.RootFS.Layers}}' imported:gz
  is "$output" "\[$IMG_BUSYBOX_LAYER_DIFFID\]" "the diff_id is the uncompressed tar's"
}

@test "import --change and --message" {
  require_tool jq
  run_cabin import -q \
    --change 'CMD ["/bin/echo","hi"]' --change 'ENV FOO=bar' --change 'LABEL a=b' \
    --change 'WORKDIR /tmp' --change 'USER 1000' --change 'EXPOSE 80' \
    --change 'ENTRYPOINT ["/bin/sh"]' --change 'VOLUME /data' --change 'STOPSIGNAL SIGINT' \
    --message "my msg" "$CABIN_TEST_ROOTFS_TAR" imported:v2
  run_cabin image inspect imported:v2
  local c
  c=$(jq -c '.[0].Config' <<<"$output")
  is_exact "$(jq -c .Cmd <<<"$c")" '["/bin/echo","hi"]' "CMD"
  is "$(jq -c .Env <<<"$c")" '\[(.*,)?"FOO=bar"(,.*)?\]' "ENV"
  is_exact "$(jq -c .Labels <<<"$c")" '{"a":"b"}' "LABEL"
  is "$(jq -r .WorkingDir <<<"$c")" /tmp "WORKDIR"
  is "$(jq -r .User <<<"$c")" 1000 "USER"
  is_exact "$(jq -c .ExposedPorts <<<"$c")" '{"80/tcp":{}}' "EXPOSE"
  is_exact "$(jq -c .Entrypoint <<<"$c")" '["/bin/sh"]' "ENTRYPOINT"
  is_exact "$(jq -c .Volumes <<<"$c")" '{"/data":{}}' "VOLUME"
  is "$(jq -r .StopSignal <<<"$c")" "SIGINT|2" "STOPSIGNAL (Podman 4.3 stores the number)"
  run_cabin image inspect --format '{{.Comment}}' imported:v2
  is "$output" "my msg" "--message is the comment"
  run_cabin history --format '{{.CreatedBy}}|{{.Comment}}' --no-trunc imported:v2
  is "$output" "/bin/sh -c #\(nop\) ADD file:${IMG_BUSYBOX_LAYER_DIFFID#sha256:} in / \|my msg" "history"
}

@test "import --change with shell-form CMD and several ENV pairs" {
  run_cabin import -q --change 'CMD /bin/sh -c true' --change 'ENV A=1 B=2' "$CABIN_TEST_ROOTFS_TAR" imported:shell
  run_cabin image inspect --format '{{json .Config.Cmd}} {{json .Config.Env}}' imported:shell
  is "$output" '\["/bin/sh","-c","/bin/sh -c true"\] \[(.*,)?"A=1","B=2"(,.*)?\]'
}

@test "import: errors" {
  # -q: without it, progress lines may come before the error.
  run_cabin 125 import -q "$BATS_TEST_TMPDIR/nonexistent.tar"
  expect_error ".*$BATS_TEST_TMPDIR/nonexistent.tar.*(no such file or directory|No such file or directory).*"
  run_cabin 125 import -q --change 'BOGUS x' "$CABIN_TEST_ROOTFS_TAR"
  expect_error '.*invalid change "BOGUS x".*'
  echo notatar >"$BATS_TEST_TMPDIR/notatar"
  run_cabin 125 import -q "$BATS_TEST_TMPDIR/notatar"
  expect_error ".*$BATS_TEST_TMPDIR/notatar.*"
  run_cabin 125 import -q "$CABIN_TEST_ROOTFS_TAR" 'Bad:Name'
  expect_error '.*(repository name must be lowercase|invalid reference format).*'
  run_cabin 125 import
  expect_error 'accepts between 1 and 2 arg\(s\), received 0'
  run_cabin images -a -q
  is "$output" "" "nothing was stored"
}
