#!/usr/bin/env bats
# cabin build: RUN beyond a command line -- heredocs, and --mount of the
# context, of a stage, of a cache that outlives the build, of a tmpfs and of
# a secret (--secret), none of which ends up in the image.

load helpers

setup() {
  build_setup
  mkdir -p "$CTX/conf"
  echo 'from the context' >"$CTX/conf/settings"
}

teardown() { basic_teardown; }

@test "build: RUN heredocs: a script alone, and input to a command" {
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE
ARG WHO=heredoc
RUN <<SCRIPT
echo "first \$WHO" >/out
echo second >>/out
SCRIPT
RUN cat >/fed <<'DATA'
literal \$WHO
DATA
EOF
  run_cabin build -q -t heredocs "$CTX"
  run_cabin run --rm localhost/heredocs cat /out /fed
  is "$output" "first heredoc"$'\n'"second"$'\n'"literal \\\$WHO"
}

@test "build: RUN --mount of the context, a stage, a cache and a tmpfs; none of them in the layer" {
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE AS tools
RUN echo tool >/tool
FROM $PROBE_IMAGE
RUN --mount=type=bind,source=conf,target=/mnt/conf --mount=from=tools,source=/tool,target=/mnt/tool \
    --mount=type=cache,target=/var/cache/app --mount=type=tmpfs,target=/scratch \
    cat /mnt/conf/settings /mnt/tool >/seen && echo run >>/var/cache/app/runs && wc -l </var/cache/app/runs >/runs \
    && echo temp >/scratch/t && grep -c tmpfs /proc/mounts >/tmpfs
EOF
  run_cabin build -q -t mounts "$CTX"
  run_cabin run --rm localhost/mounts sh -c 'cat /seen /runs; test -e /mnt/conf || test -e /var/cache/app || test -e /scratch/t || echo clean'
  is "$output" "from the context"$'\n'"tool"$'\n'"1"$'\n'"clean"
  echo 'changed' >"$CTX/conf/settings"
  run_cabin build -q -t mounts2 "$CTX"
  run_cabin run --rm localhost/mounts2 cat /seen /runs
  is "$output" "changed"$'\n'"tool"$'\n'"2" "a changed bound source reruns the step; the cache kept the first run's line"
}

@test "build: RUN --mount=type=bind,rw: the step may write; the context stays as it was" {
  printf 'FROM %s\nRUN --mount=type=bind,source=conf,target=/mnt/conf,rw echo written >/mnt/conf/settings && cat /mnt/conf/settings >/seen\n' \
    "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin build -q -t rw "$CTX"
  run_cabin run --rm localhost/rw cat /seen
  is "$output" "written"
  is "$(cat "$CTX/conf/settings")" "from the context" "the context's file"
}

@test "build: RUN --mount=type=secret: there at RUN, in no layer, config or history" {
  echo 's3cr3t-value' >"$BATS_TEST_TMPDIR/token"
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE
RUN --mount=type=secret,id=token wc -c </run/secrets/token >/length
RUN --mount=type=secret,id=token,target=/etc/tok cp /etc/tok /leaked-on-purpose-no
EOF
  sed -i '$d' "$CTX/Containerfile"
  run_cabin build -q -t secret --secret id=token,src="$BATS_TEST_TMPDIR/token" "$CTX"
  run_cabin run --rm localhost/secret sh -c 'cat /length; test -e /run/secrets/token || echo gone'
  is "$output" "13"$'\n'"gone"
  run_cabin image inspect localhost/secret
  assert_not_contains "$output" "s3cr3t"
  run_cabin history --no-trunc localhost/secret
  assert_not_contains "$output" "s3cr3t"
  run_cabin 1 unshare grep -rl -D skip s3cr3t "$GRAPHROOT/layers" "$GRAPHROOT/blobs"
  is "$output" "" "the value is in no layer and no blob"
  TOKEN_VALUE=1234567 run_cabin build -q --no-cache -t secret-env --secret id=token,env=TOKEN_VALUE "$CTX"
  run_cabin run --rm localhost/secret-env cat /length
  is "$output" "7" "env= gives the variable's value"
  run_cabin 125 build --secret id=token,env=NOT_SET_ANYWHERE "$CTX"
  expect_error "--secret token: the environment variable NOT_SET_ANYWHERE is not set"
  run_cabin 125 build --no-cache "$CTX"
  expect_error "$CTX/Containerfile:2: RUN --mount=type=secret,id=token: no secret \"token\" was given \(--secret id=token,src=FILE\)"
  run_cabin 125 build --secret id=token,src="$BATS_TEST_TMPDIR/none" "$CTX"
  expect_error "--secret token: cannot read $BATS_TEST_TMPDIR/none: No such file or directory"
}

@test "build: --volume binds a host directory into every RUN step, and not into the image" {
  mkdir -p "$BATS_TEST_TMPDIR/host"
  echo 'on the host' >"$BATS_TEST_TMPDIR/host/file"
  printf 'FROM %s\nRUN cat /mnt/host/file >/seen\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin build -q -t vol -v "$BATS_TEST_TMPDIR/host:/mnt/host:ro" "$CTX"
  run_cabin run --rm localhost/vol sh -c 'cat /seen; test -e /mnt/host || echo clean'
  is "$output" "on the host"$'\n'"clean"
  run_cabin 125 build -v named:/data "$CTX"
  expect_error "--volume named:/data: a build takes HOST-DIR:CONTAINER-DIR\[:OPTIONS\] only"
}

@test "build: RUN --mount errors name the line" {
  printf 'FROM %s\nRUN --mount=type=ssh true\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: RUN --mount=type=ssh: type \"ssh\" is not supported \(bind, cache, tmpfs, secret\)"
  printf 'FROM %s\nRUN --mount=type=bind,source=nope,target=/x true\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: RUN --mount=type=bind,source=nope,target=/x: \"nope\" is not in the build context $CTX"
  printf 'FROM %s\nRUN --mount=type=cache true\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: RUN --mount=type=cache: it needs a target"
  printf 'FROM %s\nRUN --mount=type=cache,target=/c,uid=abc true\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: RUN --mount=type=cache,target=/c,uid=abc: uid=abc,gid=0: want numeric ids"
  printf 'FROM %s\nRUN --mount=type=cache,target=/c,mode=0999 true\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: RUN --mount=type=cache,target=/c,mode=0999: mode=0999: want an octal mode such as 0755"
}
