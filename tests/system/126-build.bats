#!/usr/bin/env bats
# cabin build: the first part of it (FROM, RUN, COPY, metadata
# instructions, ARG/--build-arg, .dockerignore, stages a target needs, the
# cache by parent and instruction); the errors that name file:line or the step.

load helpers

setup() {
  build_setup
  mkdir -p "$CTX/src" "$CTX/ignored"
  echo 'requirements' >"$CTX/manifest.txt"
  echo 'v1' >"$CTX/src/app.txt"
  echo 'secret' >"$CTX/ignored/key"
  printf 'ignored\n*.tmp\n' >"$CTX/.dockerignore"
  echo 'junk' >"$CTX/junk.tmp"
  # With one id only, uid 1000 does not exist in containers.
  RUNAS=tester
  [[ -z $SINGLE_ID ]] || RUNAS=root
  cat >"$CTX/Containerfile" <<EOF
ARG BASE=$PROBE_IMAGE
FROM \$BASE
ARG GREETING=hello
ENV APP=/app
WORKDIR \$APP
COPY manifest.txt ./
RUN echo "\$GREETING from RUN" >/app/greeting && cat manifest.txt >/app/installed
COPY . /ctx/
COPY src/ ./src/
LABEL stage=final version="1 0"
EXPOSE 8080
USER $RUNAS
CMD ["cat", "/app/greeting", "/app/src/app.txt"]
EOF
}

teardown() { basic_teardown; }

@test "build: instructions, build args, .dockerignore; the image runs as built" {
  run_cabin build -t app:1 --build-arg GREETING=hi "$CTX"
  is "${lines[0]}" "STEP 1/12: FROM \\\$BASE"
  assert_contains "$output" "STEP 6/12: RUN echo"
  assert_contains "$output" "COMMIT localhost/app:1"
  is "${lines[-2]}" "Successfully tagged localhost/app:1"
  is "${lines[-1]}" "[0-9a-f]{64}"
  run_cabin run --rm localhost/app:1
  is "$output" "hi from RUN"$'\n'"v1"
  run_cabin run --rm localhost/app:1 sh -c 'id -un; pwd; echo $APP; ls -A /ctx | sort | tr "\n" " "'
  is "$output" "$RUNAS"$'\n'"/app"$'\n'"/app"$'\n'".dockerignore Containerfile manifest.txt src "
  run_cabin image inspect --format '{{.Config.Labels.stage}}|{{index .Config.Labels "version"}}|{{range $p, $v := .Config.ExposedPorts}}{{$p}}{{end}}|{{.Config.User}}' localhost/app:1
  is "$output" "final\|1 0\|8080/tcp\|$RUNAS"
  run_cabin history --no-trunc --format '{{.CreatedBy}}' localhost/app:1
  is "${lines[0]}" '/bin/sh -c #\(nop\) CMD \["cat", "/app/greeting", "/app/src/app.txt"\]'
}

@test "build: the steps' images are intermediate: hidden, kept by prune, removed with the image" {
  run_cabin build -q -t app:1 "$CTX"
  local app=$output
  run_cabin images --format '{{.Repository}}:{{.Tag}}'
  is "$output" "localhost/app:1"$'\n'"$PROBE_IMAGE" "images hides the steps' images"
  run_cabin images -a -q
  is "${#lines[@]}" 11 "images -a shows the probe, nine steps and app:1"
  run_cabin images -a -q --filter intermediate=true
  is "${#lines[@]}" 9
  run_cabin image inspect --format '{{.Parent}}' localhost/app:1
  is "$output" "[0-9a-f]{64}"
  run_cabin image prune -f
  is "$output" "" "no image is dangling"
  run_cabin rmi localhost/app:1
  is "${lines[0]}" "Untagged: localhost/app:1"
  is "${lines[1]}" "Deleted: $app"
  is "${#lines[@]}" 11 "the steps' images went with it"
  run_cabin images -a --format '{{.Repository}}:{{.Tag}}'
  is "$output" "$PROBE_IMAGE" "the base stays"
  [[ -n $(ls "$GRAPHROOT/build-cache") ]] || die "the build left no cache entries"
  run_cabin system prune -f
  is "$(ls "$GRAPHROOT/build-cache")" "" "system prune removes the entries whose image has gone"
}

@test "build: the cache reuses every step; a changed source invalidates its COPY and what follows" {
  run_cabin build -q -t app:1 "$CTX"
  local first=$output
  run_cabin build -t app:1 "$CTX"
  is "$(grep -c '^--> Using cache' <<<"$output")" 10 "every step after FROM and ARG from the cache"
  is "${lines[-1]}" "$first" "the same image"
  touch "$CTX/src/app.txt" "$CTX/manifest.txt"
  run_cabin build -t app:1 "$CTX"
  is "$(grep -c '^--> Using cache' <<<"$output")" 10 "a new mtime alone changes no checksum"
  echo 'v2' >"$CTX/src/app.txt"
  run_cabin build -t app:2 "$CTX"
  assert_contains "$output" "STEP 6/12: RUN echo"
  is "$(grep -c '^--> Using cache' <<<"$output")" 4 "up to the first COPY of what changed"
  run_cabin run --rm localhost/app:2
  is "${lines[-1]}" "v2"
  run_cabin build -q --no-cache -t app:3 "$CTX"
  [[ $output != "$first" ]] || die "--no-cache gave the cached image"
}

@test "build: stages a target does not need are skipped; --target" {
  cat >"$CTX/Containerfile" <<EOF
FROM $PROBE_IMAGE AS base
RUN echo base >/base
FROM base AS never
RUN echo never-built; exit 1
FROM base
RUN cat /base
EOF
  run_cabin build -t multi "$CTX"
  assert_not_contains "$output" "never-built"
  is "${lines[0]}" "\[1/2\] STEP 1/4: FROM $PROBE_IMAGE AS base"
  run_cabin 125 build --target never "$CTX"
  assert_contains "$output" "never-built"
  expect_error 'building at STEP "RUN echo never-built; exit 1": while running runtime: exit status 1'
  run_cabin 125 build --target nope "$CTX"
  expect_error 'target stage "nope" could not be found'
}

@test "build: errors name the file and line, the step, the missing source" {
  local before
  before=$(image_ids)
  printf 'FROM %s\nFROBNICATE x\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: unknown instruction: FROBNICATE"
  printf 'FROM %s\nCOPY missing.txt /\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "$CTX/Containerfile:2: COPY: \"missing.txt\" is not in the build context $CTX"
  printf 'FROM %s\nCOPY ignored/key /\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error ".*COPY: \"ignored/key\" is not in the build context $CTX"
  run_cabin 125 build -f "$CTX/nope" "$CTX"
  expect_error "the Containerfile \"$CTX/nope\" does not exist"
  rm "$CTX/Containerfile"
  run_cabin 125 build "$CTX"
  expect_error "no Containerfile or Dockerfile specified or found in context directory, $CTX"
  is "$(image_ids)" "$before" "no image was made"
}
