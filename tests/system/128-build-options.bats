#!/usr/bin/env bats
# cabin build: the rest of the instructions and flags -- HEALTHCHECK,
# ONBUILD, --timestamp / SOURCE_DATE_EPOCH (reproducible digests), RUN's
# history with its ARGs, the unused --build-arg warning, contexts as a tar
# or on standard input, -f -, --build-arg-file, --annotation, --platform,
# and the `buildx build` and `image build` spellings.

load helpers

setup() {
  build_setup
  echo 'v1' >"$CTX/app.txt"
}

teardown() { basic_teardown; }

@test "build: HEALTHCHECK, its flags and NONE; bad durations name the line" {
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE
HEALTHCHECK --interval=1m30s --timeout=5s --start-period=2s --start-interval=500ms --retries=4 CMD probe ids || exit 1
EOF
  run_cabin build -q -t hc "$CTX"
  run_cabin image inspect --format '{{json .Config.Healthcheck}}' localhost/hc
  is "$output" '\{"Interval":90000000000,"Retries":4,"StartInterval":500000000,"StartPeriod":2000000000,"Test":\["CMD-SHELL","probe ids \|\| exit 1"\],"Timeout":5000000000\}'
  printf 'FROM localhost/hc\nHEALTHCHECK CMD ["probe", "ids"]\n' >"$CTX/Containerfile"
  run_cabin build -q -t hc2 "$CTX"
  run_cabin image inspect --format '{{json .Config.Healthcheck.Test}}' localhost/hc2
  is "$output" '\["CMD","probe","ids"\]'
  printf 'FROM localhost/hc\nHEALTHCHECK NONE\n' >"$CTX/Containerfile"
  run_cabin build -q -t hc3 "$CTX"
  run_cabin image inspect --format '{{json .Config.Healthcheck.Test}}' localhost/hc3
  is "$output" '\["NONE"\]'
  printf 'FROM %s\nHEALTHCHECK --interval=soon CMD true\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: HEALTHCHECK --interval: \"soon\" is not a duration such as 30s"
}

@test "build: ONBUILD triggers run in the child's build, which does not inherit them" {
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE
ONBUILD COPY app.txt /from-trigger.txt
ONBUILD RUN echo triggered >/triggered
EOF
  run_cabin build -q -t parent "$CTX"
  run_cabin image inspect --format '{{json .Config.OnBuild}}' localhost/parent
  is "$output" '\["COPY app.txt /from-trigger.txt","RUN echo triggered >/triggered"\]'
  printf 'FROM localhost/parent\nCMD ["cat", "/from-trigger.txt", "/triggered"]\n' >"$CTX/Containerfile"
  run_cabin build -t child "$CTX"
  assert_contains "$output" "ONBUILD RUN echo triggered >/triggered"
  run_cabin run --rm localhost/child
  is "$output" "v1"$'\n'"triggered"
  run_cabin image inspect --format '{{json .Config}}' localhost/child
  assert_not_contains "$output" "OnBuild" "the child's configuration"
}

@test "build: --timestamp and SOURCE_DATE_EPOCH give the same image twice" {
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE
COPY app.txt /app/
RUN echo built >/app/built
EOF
  run_cabin build -q --no-cache --timestamp 1700000000 -t repro:1 "$CTX"
  local first=$output
  touch "$CTX/app.txt"
  sleep 1
  run_cabin build -q --no-cache --timestamp 1700000000 -t repro:2 "$CTX"
  is "$output" "$first" "the same image ID"
  run_cabin image inspect --format '{{.Digest}} {{.Created}}' localhost/repro:1
  local digest=${output%% *}
  is "$output" "sha256:[0-9a-f]{64} 2023-11-14 22:13:20 \+0000 UTC"
  run_cabin image inspect --format '{{.Digest}}' localhost/repro:2
  is "$output" "$digest" "the same manifest digest"
  run_cabin run --rm localhost/repro:1 stat -c %Y /app/app.txt /app/built
  is "$output" "1700000000"$'\n'"1700000000" "file times in the layers"
  SOURCE_DATE_EPOCH=1700000000 run_cabin build -q --no-cache -t repro:3 "$CTX"
  is "$output" "$first" "SOURCE_DATE_EPOCH does what --timestamp does"
  run_cabin build -q --no-cache -t repro:4 "$CTX"
  [[ $output != "$first" ]] || die "without a timestamp the image is made now"
}

@test "build: --squash makes the build's layers one; --squash-all makes the whole image one layer" {
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE
COPY app.txt /app/
RUN echo made >/app/made && rm /etc/group
RUN echo again >>/app/made
EOF
  local base
  base=$(cabin_out image inspect --format '{{len .RootFS.Layers}}' "$PROBE_IMAGE")
  run_cabin build -q --squash -t squashed "$CTX"
  run_cabin image inspect --format '{{len .RootFS.Layers}}' localhost/squashed
  is "$output" "$((base + 1))" "the base's layers and one"
  run_cabin run --rm localhost/squashed sh -c 'cat /app/app.txt /app/made; test -e /etc/group || echo deleted; test -e /etc/passwd && echo kept'
  is "$output" "v1"$'\n'"made"$'\n'"again"$'\n'"deleted"$'\n'"kept"
  run_cabin history --format '{{.CreatedBy}}' localhost/squashed
  is "${lines[0]}" "/bin/sh -c #\(nop\) --squash of 3 layers"
  run_cabin build -q --squash-all -t flat "$CTX"
  run_cabin image inspect --format '{{len .RootFS.Layers}}' localhost/flat
  is "$output" "1"
  run_cabin run --rm localhost/flat sh -c 'cat /app/made; test -e /etc/group || echo deleted'
  is "$output" "made"$'\n'"again"$'\n'"deleted"
}

@test "build: RUN's history shows its ARGs; an unused --build-arg is warned about" {
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE
ARG FLAVOR=plain
RUN echo \$FLAVOR >/flavor
EOF
  run_cabin build -q -t args --build-arg FLAVOR=mint --build-arg NOBODY=x --build-arg HTTP_PROXY=http://127.0.0.1:9 "$CTX"
  is "${stderr_lines[-1]}" "\[Warning\] one or more build args were not consumed: \[NOBODY\]"
  run_cabin history --no-trunc --format '{{.CreatedBy}}' localhost/args
  is "${lines[0]}" "\|1 FLAVOR=mint /bin/sh -c echo \\\$FLAVOR >/flavor"
  run_cabin run --rm localhost/args cat /flavor
  is "$output" "mint"
}

@test "build: the context as a tar file or on standard input; -f -; --build-arg-file" {
  printf 'FROM %s\nARG WHO\nCOPY app.txt /\nRUN echo "$WHO" >/who\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  tar -C "$CTX" -czf "$BATS_TEST_TMPDIR/ctx.tar.gz" .
  printf '# who builds\nWHO=tarball\n\n' >"$BATS_TEST_TMPDIR/args"
  run_cabin build -q -t fromtar --build-arg-file "$BATS_TEST_TMPDIR/args" "$BATS_TEST_TMPDIR/ctx.tar.gz"
  run_cabin run --rm localhost/fromtar cat /app.txt /who
  is "$output" "v1"$'\n'"tarball"
  run_cabin --stdin "$BATS_TEST_TMPDIR/ctx.tar.gz" build -q -t fromstdin --build-arg WHO=stdin -
  run_cabin run --rm localhost/fromstdin cat /who
  is "$output" "stdin"
  run_cabin --stdin "$CTX/Containerfile" build -q -t filestdin --build-arg WHO=dash -f - "$CTX"
  run_cabin run --rm localhost/filestdin cat /who
  is "$output" "dash"
  printf 'FROM %s\nRUN echo alone >/alone\n' "$PROBE_IMAGE" >"$BATS_TEST_TMPDIR/Dockerfile.only"
  run_cabin --stdin "$BATS_TEST_TMPDIR/Dockerfile.only" build -q -t alone -
  run_cabin run --rm localhost/alone cat /alone
  is "$output" "alone" "a Containerfile alone on standard input: an empty context"
}

@test "build: --annotation, --platform, and the buildx build and image build spellings" {
  printf 'FROM %s\nLABEL a=b\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin buildx build -q -t ann --annotation org.example.note=hello "$CTX"
  local id=$output
  run_cabin image inspect --format '{{.Digest}}' localhost/ann
  local digest=${output#sha256:}
  assert_contains "$(cat "$GRAPHROOT"/blobs/sha256/"$digest")" '"annotations":{"org.example.note":"hello"}'
  run_cabin image build -q -t ann2 "$CTX"
  is "$output" "$id" "image build: the same steps, from the cache"
  local arch
  arch=$(dpkg --print-architecture)
  run_cabin build -q --platform "linux/$arch" -t plat "$CTX"
  run_cabin 125 build --platform linux/s390x "$CTX"
  expect_error "--platform=linux/s390x: cabin builds for this machine's platform, linux/$arch, only \(another needs emulation, which cabin does not do\)"
  printf 'FROM --platform=$BUILDPLATFORM %s\nARG TARGETARCH\nRUN echo $TARGETARCH >/arch\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin build -q -t platargs "$CTX"
  run_cabin run --rm localhost/platargs cat /arch
  is "$output" "$arch"
}

@test "build: the remaining instructions -- ENTRYPOINT, SHELL, STOPSIGNAL, VOLUME, MAINTAINER, old-form ENV, substitutions, the escape directive" {
  echo 'from scratch' >"$CTX/note.txt"
  cat >"$CTX/Containerfile" <<'EOF'
# syntax=docker/dockerfile:1
# escape=`
FROM scratch AS files
COPY --link note.txt /
FROM $BASE_IMAGE
COPY --from=files /note.txt /note.txt
MAINTAINER Jane Builder <jane@example.com>
ARG UNSET
ARG SET=yes
ENV GREETING hello there
ENV DEFAULTED=${UNSET:-fallback} ALTERNATE=${SET:+alt} `
    JOINED=a`
b
SHELL ["/bin/sh", "-e", "-c"]
RUN echo "$GREETING|$DEFAULTED|$ALTERNATE|$JOINED" >/env.txt
RUN ["/bin/sh", "-c", "echo exec-form >/exec.txt && rm /etc/group && rm -rf /srv && mkdir /srv && echo new >/srv/only"]
STOPSIGNAL SIGUSR1
VOLUME ["/data", "/logs"]
ENTRYPOINT ["cat"]
CMD ["/env.txt"]
EOF
  sed -i "s|\$BASE_IMAGE|$PROBE_IMAGE|" "$CTX/Containerfile"
  run_cabin build -q -t rest "$CTX"
  run_cabin run --rm localhost/rest
  is "$output" "hello there\|fallback\|alt\|ab"
  run_cabin run --rm --entrypoint cat localhost/rest /note.txt
  is "$output" "from scratch" "a file of a FROM scratch stage"
  run_cabin run --rm --entrypoint sh localhost/rest -c 'cat /exec.txt; ls -A /srv; test -e /etc/group || echo no-group'
  is "$output" "exec-form"$'\n'"only"$'\n'"no-group" "exec form; a deleted file and a replaced directory (whiteout, opaque)"
  run_cabin image inspect --format '{{.Author}}|{{.Config.StopSignal}}|{{json .Config.Shell}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|{{range $k, $v := .Config.Volumes}}{{$k}} {{end}}' localhost/rest
  is "$output" 'Jane Builder <jane@example.com>\|SIGUSR1\|\["/bin/sh","-e","-c"\]\|\["cat"\]\|\["/env.txt"\]\|/data /logs '
}

@test "build: --pull, --label, --format docker, --iidfile, --layers=false, --network none" {
  printf 'FROM %s\nRUN echo x >/x\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin build -q --pull=always --label built.by=test --format docker --iidfile "$BATS_TEST_TMPDIR/iid" \
    --network none -t opts -t opts:2 "$CTX"
  local id=$output
  run_cabin images --format '{{.Repository}}:{{.Tag}} {{.ID}}' --filter reference='localhost/opts*'
  is "$(sort <<<"$output")" "localhost/opts:2 ${id:0:12}"$'\n'"localhost/opts:latest ${id:0:12}" "two tags"
  is "$(cat "$BATS_TEST_TMPDIR/iid")" "sha256:$id"
  run_cabin image inspect --format '{{index .Config.Labels "built.by"}} {{.ManifestType}}' localhost/opts
  is "$output" "test application/vnd.docker.distribution.manifest.v2\+json"
  run_cabin build --layers=false -t nolayers "$CTX"
  assert_not_contains "$output" "Using cache"
  run_cabin build -t nolayers2 "$CTX"
  assert_contains "$output" "Using cache" "the earlier build's cache"
  run_cabin 125 build -f /dev/null "$CTX"
  expect_error "/dev/null: no FROM instruction: a build needs at least one stage"
  printf 'FROM localhost/not-here:1\n' >"$CTX/Containerfile"
  run_cabin 125 build --pull=never "$CTX"
  expect_error ".*localhost/not-here:1.*"
}

@test "build: bad contexts and flags: one line, nothing made" {
  local before
  before=$(image_ids)
  run_cabin 125 build "$BATS_TEST_TMPDIR/nowhere"
  expect_error "the build context \"$BATS_TEST_TMPDIR/nowhere\" does not exist"
  echo 'plain' >"$BATS_TEST_TMPDIR/plain.txt"
  run_cabin 125 build "$BATS_TEST_TMPDIR/plain.txt"
  expect_error "the build context \"$BATS_TEST_TMPDIR/plain.txt\" is neither a directory nor an archive"
  run_cabin 125 build -f - -
  expect_error "the build context and the Containerfile cannot both come from standard input"
  run_cabin 125 build --build-arg-file "$BATS_TEST_TMPDIR/none" "$CTX"
  expect_error "the --build-arg-file \"$BATS_TEST_TMPDIR/none\" does not exist"
  run_cabin 125 build --annotation novalue "$CTX"
  expect_error "invalid --annotation \"novalue\": want KEY=VALUE"
  SOURCE_DATE_EPOCH=yesterday run_cabin 125 build "$CTX"
  expect_error "SOURCE_DATE_EPOCH=\"yesterday\": want seconds since 1970"
  is "$(image_ids)" "$before" "no image was made"
}
