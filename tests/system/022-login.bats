#!/usr/bin/env bats
# cabin login and logout against the test registry with basic auth (TLS):
# auth.json written as Podman writes it, used by pull and push, never a
# password on the screen or in the logs; bad input stores nothing.

load helpers

setup() {
  basic_setup
  require_registry
  AUTHJSON=$XDG_RUNTIME_DIR/containers/auth.json
  USER_=$CABIN_TEST_AUTH_USER
  PASS_=$CABIN_TEST_AUTH_PASSWORD
}

@test "login -u -p: auth.json as Podman's; pull and push use it; --get-login; logout" {
  run_cabin login --cert-dir "$CABIN_TEST_CERT_DIR" -u "$USER_" -p "$PASS_" "$REGISTRY_AUTH"
  is "$output" "Login Succeeded!"
  is "$(stat -c %a "$AUTHJSON")" "600" "the file is the user's alone"
  is "$(jq -r --arg k "$REGISTRY_AUTH" '.auths[$k].auth' "$AUTHJSON" | base64 -d)" "$USER_:$PASS_" "the entry"
  run_cabin login --get-login "$REGISTRY_AUTH"
  is "$output" "$USER_" "--get-login"

  run_cabin pull -q --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_AUTH/busybox"
  is "$output" "$IMG_BUSYBOX_ID" "pull uses the login"
  local repo
  repo=$(scratch_repo)
  run_cabin push -q --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_AUTH/busybox" "$REGISTRY_AUTH/$repo:in"
  is "$stderr" "" "and push"

  run_cabin login --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_AUTH"
  is "$output" "Authenticating with existing credentials for $REGISTRY_AUTH
Existing credentials are valid. Already logged in to $REGISTRY_AUTH" "logged in already"

  run_cabin logout "$REGISTRY_AUTH"
  is "$output" "Removed login credentials for $REGISTRY_AUTH"
  is_exact "$(jq -c '.auths' "$AUTHJSON")" "{}" "the entry is gone"
  run_cabin rmi -a
  run_cabin 125 pull -q --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_AUTH/busybox"
  run_cabin 125 logout "$REGISTRY_AUTH"
  expect_error "not logged into $REGISTRY_AUTH"
  run_cabin 125 login --get-login "$REGISTRY_AUTH"
  expect_error "not logged into $REGISTRY_AUTH"
}

@test "login --password-stdin --authfile; logout --all; the password is never shown" {
  printf '%s\n' "$PASS_" >"$BATS_TEST_TMPDIR/pw"
  run_cabin --stdin "$BATS_TEST_TMPDIR/pw" --log-level debug login --cert-dir "$CABIN_TEST_CERT_DIR" \
    --authfile "$BATS_TEST_TMPDIR/a/auth.json" -u "$USER_" --password-stdin "https://$REGISTRY_AUTH/"
  is "$output" "Login Succeeded!"
  assert_not_contains "$output$stderr_raw" "$PASS_" "the password is not printed, even at debug level"
  is "$(jq -r '.auths | keys[]' "$BATS_TEST_TMPDIR/a/auth.json")" "$REGISTRY_AUTH" "the key without scheme or slash"
  [[ ! -e $AUTHJSON ]] || die "the default file is untouched"
  run_cabin pull -q --cert-dir "$CABIN_TEST_CERT_DIR" --authfile "$BATS_TEST_TMPDIR/a/auth.json" "$REGISTRY_AUTH/busybox"
  is "$output" "$IMG_BUSYBOX_ID"
  run_cabin logout --authfile "$BATS_TEST_TMPDIR/a/auth.json" --all
  is "$output" "Removed login credentials for all registries"
  is_exact "$(jq -c '.auths' "$BATS_TEST_TMPDIR/a/auth.json")" "{}"
}

@test "logout: credentials from docker login are left to docker" {
  mkdir -p "$HOME/.docker"
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REGISTRY_AUTH" "$(printf '%s:%s' "$USER_" "$PASS_" | base64 -w0)" >"$HOME/.docker/config.json"
  run_cabin 125 logout "$REGISTRY_AUTH"
  expect_error "not logged into $REGISTRY_AUTH with cabin. Existing credentials were established via docker login. Please use docker logout instead"
  run_cabin login --get-login "$REGISTRY_AUTH"
  is "$output" "$USER_" "--get-login reads Docker's file too"
}

@test "login: wrong password, bad flags: one-line errors, nothing stored" {
  run_cabin 125 login --cert-dir "$CABIN_TEST_CERT_DIR" -u "$USER_" -p wrong-secret "$REGISTRY_AUTH"
  expect_error "logging into \"$REGISTRY_AUTH\": invalid username/password"
  assert_not_contains "$output$stderr_raw" "wrong-secret" "the password is not echoed"
  [[ ! -e $AUTHJSON ]] || die "nothing stored"
  run_cabin 125 login -u "$USER_" -p x --password-stdin "$REGISTRY_AUTH"
  expect_error "can't specify both --password-stdin and --password"
  run_cabin 125 login --password-stdin "$REGISTRY_AUTH"
  expect_error "must provide --username with --password-stdin"
  run_cabin 125 login -u "$USER_" "$REGISTRY_AUTH"
  expect_error "getting username and password: reading password: EOF"
  run_cabin 125 login --cert-dir "$CABIN_TEST_CERT_DIR" -u "$USER_" -p "$PASS_" 127.0.0.1:1
  expect_error "logging into \"127.0.0.1:1\": .*connection refused.*"
  run_cabin 125 logout
  [[ ! -e $AUTHJSON ]] || die "still nothing stored"
}

@test "search: left out, and both --help and the command say so" {
  run_cabin --help
  assert_contains "$output" "search" "listed"
  [[ $output =~ search[[:space:]]+Search\ a\ registry\ for\ images\ \(not\ supported ]] || die "--help says search is not supported"
  run_cabin 125 search busybox
  expect_error 'search is not supported: cabin does not search registries; list a repository.s tags with `skopeo list-tags docker://REGISTRY/REPOSITORY`'
}
