#!/usr/bin/env bats
# Secrets: the secret commands, --secret of run/create (mounted files with
# their owner and mode, environment variables), exec and healthchecks,
# compose's secrets, and that a value is found nowhere but in its own file.

load helpers

setup() {
  basic_setup
}

teardown() { basic_teardown; }

# new_value: a random value no file of the test holds by chance.
new_value() { printf 'v%s%s%s' "$RANDOM" "$$" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"; }

@test "secret create, ls, inspect, exists, rm: shaped like Podman's; the store is 0700/0600" {
  printf 'hunter2' >"$BATS_TEST_TMPDIR/pw"
  run_cabin secret create --label team=db pw "$BATS_TEST_TMPDIR/pw"
  [[ $output =~ ^[0-9a-f]{25}$ ]] || die "an ID of 25 hex digits: $output"
  local id=$output
  printf 'from stdin' >"$BATS_TEST_TMPDIR/in"
  run_cabin --stdin "$BATS_TEST_TMPDIR/in" secret create fromstdin -
  local stdin_id=$output
  TOKEN_FOR_TEST=from-env run_cabin secret create --env fromenv TOKEN_FOR_TEST

  run_cabin secret ls
  is "${lines[0]}" "ID +NAME +DRIVER +CREATED +UPDATED" "header"
  is "${lines[1]}" "[0-9a-f]{25}  fromenv +file +(Less than a second|[0-9]+ seconds?) ago +.* ago" "a row"
  is "${#lines[@]}" 4 "three secrets"
  run_cabin secret ls -q --filter name=pw
  is "$output" "$id" "name filter, quiet"
  run_cabin secret ls --format '{{.Name}} {{.Driver}}' --filter label=team=db
  is "$output" "pw file" "label filter, template"
  run_cabin secret ls --format json --filter id="${stdin_id:0:6}"
  is "$(jq -r '.[0].Spec.Name' <<<"$output")" "fromstdin" "id filter, json"

  run_cabin secret inspect pw
  is "$(jq -r '.[0] | keys_unsorted | join(",")' <<<"$output")" "ID,CreatedAt,UpdatedAt,Spec" "inspect's fields"
  is "$(jq -r '.[0].Spec | keys_unsorted | join(",")' <<<"$output")" "Name,Driver,Labels"
  is "$(jq -r '.[0].Spec.Driver.Name + " " + .[0].Spec.Labels.team' <<<"$output")" "file db"
  assert_not_contains "$output" "hunter2"
  run_cabin secret inspect --format '{{.ID}} {{.Spec.Name}}' "${id:0:8}"
  is "$output" "$id pw" "by ID prefix"
  run_cabin secret inspect --showsecret --format '{{.SecretData}}' pw fromstdin fromenv
  is "$output" $'hunter2\nfrom stdin\nfrom-env' "the values, only with --showsecret"
  run_cabin secret inspect --pretty pw
  is "${lines[1]}" "Name: +pw"

  run_cabin secret exists pw
  run_cabin 1 secret exists nosuch
  run_cabin __complete secret inspect ""
  assert_contains "$output" "pw"$'\t'"file" "completion offers the secrets' names"

  # --replace keeps the ID and the creation time, and changes the value.
  local created
  created=$(cabin_out secret inspect --format '{{.CreatedAt}}' pw)
  printf 'changed' >"$BATS_TEST_TMPDIR/pw"
  run_cabin secret create --replace pw "$BATS_TEST_TMPDIR/pw"
  is "$output" "$id" "the same ID"
  run_cabin secret inspect --showsecret --format '{{.CreatedAt}} {{.SecretData}}' pw
  is "$output" "$created changed"

  # Only the user can read the store, and each value is a 0600 file.
  is "$(stat -c %a "$GRAPHROOT/secrets")" 700 "secrets dir"
  is "$(stat -c %a "$GRAPHROOT/secrets/filedriver")" 700 "values dir"
  is "$(stat -c %a "$GRAPHROOT/secrets/secrets.json")" 600 "records"
  is "$(stat -c %a "$GRAPHROOT/secrets/filedriver/$id")" 600 "a value"
  is "$(cat "$GRAPHROOT/secrets/filedriver/$id")" "changed"
  assert_not_contains "$(cat "$GRAPHROOT/secrets/secrets.json")" "changed" "no value in the records"

  run_cabin secret rm pw
  is "$output" "$id"
  [[ ! -e $GRAPHROOT/secrets/filedriver/$id ]] || die "the value is gone with the secret"
  local rest
  rest=$(cabin_out secret ls -q | sort)
  run_cabin secret rm -a
  is "$(sort <<<"$output")" "$rest" "rm -a"
  run_cabin secret ls -q
  is "$output" "" "none left"
  run_cabin secret rm -i nosuch
}

@test "secret: bad input is one line, exit 125, and changes nothing" {
  printf 'value' >"$BATS_TEST_TMPDIR/v"
  run_cabin secret create one "$BATS_TEST_TMPDIR/v"
  secrets_state() {
    cabin_out secret inspect --format '{{.ID}} {{.Spec.Name}} {{.UpdatedAt}}' one
    ls -A "$GRAPHROOT/secrets/filedriver"
    cat "$GRAPHROOT/secrets/secrets.json"
  }
  local before
  before=$(secrets_state)

  run_cabin 125 secret create one "$BATS_TEST_TMPDIR/v"
  expect_error "one: secret name in use"
  run_cabin 125 secret create 'bad/name' "$BATS_TEST_TMPDIR/v"
  expect_error "only 64 \[a-zA-Z0-9-_.\] characters allowed, and the start and end character must be \[a-zA-Z0-9\]: bad/name: invalid secret name"
  run_cabin 125 secret create two "$BATS_TEST_TMPDIR/none"
  expect_error "open $BATS_TEST_TMPDIR/none: No such file or directory"
  chmod 000 "$BATS_TEST_TMPDIR/v"
  if ! cat "$BATS_TEST_TMPDIR/v" >/dev/null 2>&1; then
    run_cabin 125 secret create two "$BATS_TEST_TMPDIR/v"
    expect_error "open $BATS_TEST_TMPDIR/v: Permission denied"
  fi
  chmod 600 "$BATS_TEST_TMPDIR/v"
  run_cabin 125 secret create --env two NOT_SET_ANYWHERE
  expect_error "cannot create store secret data: environment variable NOT_SET_ANYWHERE is not set"
  run_cabin 125 --stdin /dev/null secret create two -
  expect_error "secret data must be larger than 0 and less than 512000 bytes"
  run_cabin 125 secret create --driver pass two "$BATS_TEST_TMPDIR/v"
  expect_error "two: unknown secret driver \"pass\": cabin supports the file driver only"
  run_cabin 125 secret create two
  expect_error "accepts 2 arg\(s\), received 1"
  run_cabin 125 secret ls --filter bogus=1
  expect_error "invalid filter \"bogus\""
  run_cabin 125 secret inspect nosuch
  expect_error "inspecting secret: no secret with name or id \"nosuch\": no such secret"
  run_cabin 125 secret rm one nosuch
  expect_error "no secret with name or id \"nosuch\": no such secret"
  run_cabin 125 secret rm -a one
  expect_error "when using the --all switch, you may not pass any secret names or IDs"

  is_exact "$(secrets_state)" "$before" "the secrets are as they were"
}

@test "run --secret: bad values and missing secrets create nothing" {
  require_userns
  pull_probe
  printf 'value' >"$BATS_TEST_TMPDIR/v"
  run_cabin secret create one "$BATS_TEST_TMPDIR/v"
  run_cabin create --name warm "$PROBE_IMAGE"  # the store's directories for containers
  local warm=$output
  local before
  before=$(store_state)
  run_cabin 125 create --secret nosuch "$PROBE_IMAGE"
  expect_error "no secret with name or id \"nosuch\": no such secret"
  run_cabin 125 run --rm --secret one,type=file "$PROBE_IMAGE" true
  expect_error "invalid --secret \"one,type=file\": type must be mount or env"
  run_cabin 125 run --rm --secret one,uid=abc "$PROBE_IMAGE" true
  expect_error "invalid --secret \"one,uid=abc\": uid must be a number"
  run_cabin 125 run --rm --secret one,mode=9 "$PROBE_IMAGE" true
  expect_error "invalid --secret \"one,mode=9\": mode must be an octal mode"
  run_cabin 125 run --rm --secret one,type=env,uid=1 "$PROBE_IMAGE" true
  expect_error "invalid --secret \"one,type=env,uid=1\": UID, GID, Mode options cannot be set with secret type env"
  run_cabin 125 run --rm --secret one,color=red "$PROBE_IMAGE" true
  expect_error "invalid --secret \"one,color=red\": unknown option \"color\" \(type, target, uid, gid, mode\)"
  run_cabin 125 run --rm --secret one,target=../x "$PROBE_IMAGE" true
  expect_error "invalid --secret \"one,target=../x\": the target must be a file path without \"..\""
  run_cabin 125 run --rm --secret one --secret one "$PROBE_IMAGE" true
  expect_error "secret one: target /run/secrets/one is already used by another --secret"
  if [[ -n $SINGLE_ID ]]; then
    # One id only: a file owned by anyone but root cannot be made.
    run_cabin 125 run --rm --secret one,uid=1000 "$PROBE_IMAGE" true
    expect_error "secret one: user id 1000 is not mapped in the user namespace: $(id -un) has no subordinate ids, so only uid and gid 0 exist in containers \(fix: .*\)"
  fi
  local after
  after=$(store_state)
  diff <(echo "$before") <(echo "$after") >&2 || true
  is_exact "$after" "$before" "nothing was created"
  run_cabin ps -aq --no-trunc
  is "$output" "$warm" "no container but the first"
}

@test "run --secret: a read-only file at /run/secrets or the target, owned as asked; env type; replaced values" {
  require_userns
  pull_probe
  printf 'file-value' >"$BATS_TEST_TMPDIR/v"
  run_cabin secret create tok "$BATS_TEST_TMPDIR/v"
  run_cabin run --rm --secret tok "$PROBE_IMAGE" sh -c \
    'cat /run/secrets/tok; echo; stat -c "%u:%g %a" /run/secrets/tok; (echo x >/run/secrets/tok) 2>/dev/null || echo read-only'
  is "$output" $'file-value\n0:0 444\nread-only' "defaults: root's, 0444, read-only"
  run_cabin run --rm --secret tok,target=app/key,mode=0400 --secret tok,target=/etc/tok.conf "$PROBE_IMAGE" sh -c \
    'cat /run/secrets/app/key; echo; stat -c "%a" /run/secrets/app/key; cat /etc/tok.conf'
  is "$output" $'file-value\n400\nfile-value' "a relative target under /run/secrets, an absolute one"
  if [[ -z $SINGLE_ID ]]; then
    run_cabin run --rm --user 1000 --secret tok,uid=1000,gid=2000,mode=0440 "$PROBE_IMAGE" sh -c \
      'stat -c "%u:%g %a" /run/secrets/tok; cat /run/secrets/tok'
    is "$output" $'1000:2000 440\nfile-value' "uid, gid, mode; the user can read it"
    run_cabin run --rm --userns keep-id --secret tok,uid=0,mode=0400 "$PROBE_IMAGE" stat -c "%u %a" /run/secrets/tok
    is "$output" "0 400" "keep-id: container root's"
  fi
  run_cabin run --rm --secret tok,type=env --secret tok,type=env,target=API_KEY "$PROBE_IMAGE" sh -c \
    'echo "$tok $API_KEY"; test -e /run/secrets/tok || echo no-file'
  is "$output" $'file-value file-value\nno-file' "env type: the name, or target, as the variable"

  # The value is read at each start: a replaced secret is seen by the next one.
  run_cabin create --name c1 --secret tok "$PROBE_IMAGE" cat /run/secrets/tok
  run_cabin start -a c1
  is "$output" "file-value"
  printf 'second' >"$BATS_TEST_TMPDIR/v"
  run_cabin secret create --replace tok "$BATS_TEST_TMPDIR/v"
  run_cabin start -a c1
  is "$output" "second" "the new value"

  # In use: rm refuses, unless forced; the container then cannot start.
  run_cabin 125 secret rm tok
  expect_error "secret tok is in use by container\(s\) $SHORT_ID: remove them first, or use --force"
  run_cabin secret exists tok
  run_cabin secret rm -f tok
  run_cabin 125 start c1
  assert_contains "$stderr" 'no secret with name or id "tok": no such secret'
}

@test "run --secret: exec and healthchecks get env secrets; commit and export leave /run/secrets out" {
  require_userns
  pull_probe
  printf 'exec-value' >"$BATS_TEST_TMPDIR/v"
  run_cabin secret create es "$BATS_TEST_TMPDIR/v"
  run_cabin run -d --name svc --secret es --secret es,type=env,target=ES \
    --health-cmd 'test "$ES" = exec-value' --health-interval disable "$PROBE_IMAGE" sleep 1000
  run_cabin exec svc sh -c 'echo "$ES"; cat /run/secrets/es'
  is "$output" $'exec-value\nexec-value' "exec: the variable and the file"
  run_cabin healthcheck run svc
  run_cabin inspect --format '{{.State.Health.Status}}' svc
  is "$output" "healthy" "the healthcheck saw the variable"

  run_cabin export -o "$BATS_TEST_TMPDIR/svc.tar" svc
  run tar -tf "$BATS_TEST_TMPDIR/svc.tar"
  assert_not_contains "$output" "run/secrets" "export of a running container"
  run_cabin commit -q svc svcimg
  run_cabin run --rm localhost/svcimg sh -c 'test -e /run/secrets/es || echo none'
  is "$output" "none" "commit"
  run_cabin rm -f -t 0 svc
}

@test "compose: secrets from files and environment, short and long syntax, on the secret store" {
  require_userns
  pull_probe
  mkdir -p "$BATS_TEST_TMPDIR/proj"
  cd "$BATS_TEST_TMPDIR/proj"
  printf 'from-file' >db_password.txt
  cat >compose.yml <<EOF
name: sec
services:
  app:
    image: $PROBE_IMAGE
    command: ["sh", "-c", "cat /run/secrets/db_password; echo; cat /run/secrets/api; echo; stat -c '%a' /run/secrets/api; cat /etc/key"]
    secrets:
      - db_password
      - source: api_key
        target: api
        mode: 0400
      - source: db_password
        target: /etc/key
secrets:
  db_password:
    file: ./db_password.txt
  api_key:
    environment: API_KEY_FOR_TEST
EOF
  API_KEY_FOR_TEST=from-env run_cabin compose up -d
  run_cabin wait sec-app-1
  run_cabin compose logs --no-log-prefix
  is "$output" $'from-file\nfrom-env\n400\nfrom-file'
  run_cabin secret ls --format '{{.Name}}'
  is "$output" $'sec_api_key\nsec_db_password' "stored as PROJECT_KEY"
  run_cabin inspect --format '{{.Config.Env}}' sec-app-1
  assert_not_contains "$output" "from-env"
  run_cabin compose down
  run_cabin secret ls -q
  is "$output" "" "down removes the project's secrets"

  run_cabin 125 compose up -d
  expect_error "secrets.api_key: environment variable API_KEY_FOR_TEST is not set"
  run_cabin ps -aq
  is "$output" "" "nothing created"
  rm db_password.txt
  API_KEY_FOR_TEST=x run_cabin 125 compose up -d
  assert_contains "$stderr" "db_password.txt: No such file or directory"
  cat >compose.yml <<EOF
services:
  app:
    image: $PROBE_IMAGE
    secrets: [ext]
secrets:
  ext:
    external: true
EOF
  run_cabin 125 compose up -d
  expect_error "secret \"ext\" declared as external, but could not be found: no such secret"
}

@test "secrets never leak: only the secret's own file holds the value" {
  require_userns
  pull_probe
  local value
  value=$(new_value)
  printf '%s' "$value" >"$BATS_TEST_TMPDIR/v"
  local all=""  # every output and error of the commands below
  collect() { all+="$output"$'\n'"$stderr"$'\n'; }
  run_cabin --log-level debug secret create leak "$BATS_TEST_TMPDIR/v"; collect
  local id=$output
  rm "$BATS_TEST_TMPDIR/v"
  run_cabin --log-level debug run -d --name lk --secret leak --secret leak,type=env,target=LEAK \
    --health-cmd 'test -n "$LEAK"' --health-interval 1s "$PROBE_IMAGE" sleep 1000; collect
  run_cabin --log-level debug exec lk sh -c 'test "$LEAK" = "$(cat /run/secrets/leak)" && echo same'; collect
  is "$output" "same" "the container has it"
  run_cabin --log-level debug healthcheck run lk; collect
  run_cabin --log-level debug inspect lk; collect
  run_cabin --log-level debug container inspect --format '{{.Config.Env}} {{.Mounts}}' lk; collect
  run_cabin --log-level debug ps -a --no-trunc; collect
  run_cabin --log-level debug ps -a --format json; collect
  run_cabin --log-level debug secret ls --format json; collect
  run_cabin --log-level debug secret inspect leak; collect
  run_cabin --log-level debug logs lk; collect
  run_cabin --log-level debug commit -q lk leakimg; collect
  run_cabin --log-level debug image inspect localhost/leakimg; collect
  run_cabin --log-level debug history --no-trunc localhost/leakimg; collect
  run_cabin --log-level debug export -o "$BATS_TEST_TMPDIR/lk.tar" lk; collect
  run_cabin --log-level debug events --stream=false; collect
  run_cabin 125 --log-level debug run --rm --secret leak,type=env --secret leak,type=env "$PROBE_IMAGE" true; collect
  # A build secret from a variable goes through the store's tmp/ only for its step.
  mkdir -p "$BATS_TEST_TMPDIR/ctx"
  printf 'FROM %s\nRUN --mount=type=secret,id=b test -s /run/secrets/b\n' "$PROBE_IMAGE" >"$BATS_TEST_TMPDIR/ctx/Containerfile"
  BUILD_SECRET=$value run_cabin --log-level debug build -t leakbuild --secret id=b,env=BUILD_SECRET "$BATS_TEST_TMPDIR/ctx"; collect
  run_cabin --log-level debug image inspect localhost/leakbuild; collect
  run_cabin --log-level debug history --no-trunc localhost/leakbuild; collect
  run_cabin --log-level debug rm -f -t 0 lk; collect
  run_cabin --log-level debug run --rm --secret leak "$PROBE_IMAGE" true; collect

  assert_not_contains "$all" "$value" "no output or log line holds the value"
  if tar -xOf "$BATS_TEST_TMPDIR/lk.tar" 2>/dev/null | grep -qF -- "$value"; then die "the export holds the value"; fi
  run_cabin ? unshare grep -rlF -- "$value" "$GRAPHROOT" "$RUNROOT"
  is "$output" "$GRAPHROOT/secrets/filedriver/$id" "the store holds it in the secret's own file only"
}
