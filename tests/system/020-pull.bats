#!/usr/bin/env bats
# cabin pull: registries over HTTP, TLS and basic auth; names, digests,
# platforms, manifest formats and compressions; every way an image can be bad.

load helpers

setup() {
  basic_setup
  require_registry
}

# bad_pull ERROR-REGEX PULL-ARGS…: the pull fails with exit 125 and one line
# "Error: …" matching ERROR-REGEX, and the store's images are unchanged.
bad_pull() {
  local regex=$1
  shift
  local before after
  before=$(image_ids)
  run_cabin 125 pull -q "$@"
  expect_error "$regex"
  is "$output" "" "nothing on stdout"
  after=$(image_ids)
  is "$after" "$before" "images unchanged after the failed pull"
}

# ------------------------------------------------------------ names

@test "pull: fully qualified name; progress on stderr, the ID on stdout" {
  run_cabin pull "$REGISTRY/busybox:latest"
  is "$output" "$IMG_BUSYBOX_ID" "stdout holds the image ID only"
  assert_contains "$stderr" "$REGISTRY/busybox:latest" "progress names the image"
  run_cabin images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  is "$output" "$REGISTRY/busybox:latest ${IMG_BUSYBOX_ID:0:12}"
}

@test "pull -q prints only the ID" {
  run_cabin pull -q "$REGISTRY/busybox"
  is "$output" "$IMG_BUSYBOX_ID" "stdout"
  is "$stderr" "" "stderr is empty with -q"
  run_cabin pull --quiet "$REGISTRY/busybox:latest"
  is "$output" "$IMG_BUSYBOX_ID" "a second pull prints the ID again"
}

# Short-name tests use "multilayer": distributions' shortnames.conf aliases
# "busybox" to docker.io, and root reads that file.
@test "pull: short name through registries.conf" {
  run_cabin pull -q multilayer
  is "$output" "$IMG_MULTILAYER_ID"
  run_cabin images --format '{{.Repository}}:{{.Tag}}'
  is "$output" "$REGISTRY/multilayer:latest" "stored under the resolved name"
  run_cabin pull -q multilayer:latest
  is "$output" "$IMG_MULTILAYER_ID" "short name with a tag"
}

@test "pull: short name alias" {
  write_registries_conf "[aliases]
\"bb\" = \"$REGISTRY/busybox\""
  run_cabin pull -q bb
  is "$output" "$IMG_BUSYBOX_ID"
  run_cabin images --format '{{.Repository}}'
  is "$output" "$REGISTRY/busybox"
}

@test "pull: short name without unqualified-search registries" {
  printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REGISTRY" \
    >"$XDG_CONFIG_HOME/containers/registries.conf"
  bad_pull ".*multilayer.*(no unqualified-search registries|short-name|short name).*" multilayer
}

@test "pull: CONTAINERS_REGISTRIES_CONF overrides the user's file" {
  local conf=$BATS_TEST_TMPDIR/elsewhere.conf
  printf 'unqualified-search-registries = ["%s"]\n[[registry]]\nlocation = "%s"\ninsecure = true\n' \
    "$REGISTRY" "$REGISTRY" >"$conf"
  # The user's file now points nowhere useful.
  printf 'unqualified-search-registries = ["127.0.0.1:1"]\n' >"$XDG_CONFIG_HOME/containers/registries.conf"
  CONTAINERS_REGISTRIES_CONF=$conf run_cabin pull -q multilayer
  is "$output" "$IMG_MULTILAYER_ID"
}

@test "pull: by digest" {
  run_cabin pull -q "$REGISTRY/busybox@$IMG_BUSYBOX_DIGEST"
  is "$output" "$IMG_BUSYBOX_ID"
  run_cabin images --format '{{.Repository}} {{.Tag}} {{.Digest}}'
  is "$output" "$REGISTRY/busybox <none> $IMG_BUSYBOX_DIGEST" "pulled by digest: no tag"
  run_cabin image inspect --format '{{.RepoDigests}}' "$IMG_BUSYBOX_ID"
  is "$output" "\[$REGISTRY/busybox@$IMG_BUSYBOX_DIGEST\]"
}

@test "pull: tag and digest together" {
  run_cabin pull -q "$REGISTRY/busybox:latest@$IMG_BUSYBOX_DIGEST"
  is "$output" "$IMG_BUSYBOX_ID"
}

# ------------------------------------------------------------ transports

@test "pull over TLS: unknown CA is refused" {
  bad_pull ".*$REGISTRY_TLS.*certificate.*" "$REGISTRY_TLS/busybox"
}

@test "pull over TLS: --cert-dir" {
  run_cabin pull -q --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_TLS/busybox"
  is "$output" "$IMG_BUSYBOX_ID"
}

@test "pull over TLS: --tls-verify=false" {
  run_cabin pull -q --tls-verify=false "$REGISTRY_TLS/busybox"
  is "$output" "$IMG_BUSYBOX_ID"
}

@test "pull over TLS: certs.d in the user's config dir" {
  mkdir -p "$XDG_CONFIG_HOME/containers/certs.d/$REGISTRY_TLS"
  cp "$CABIN_TEST_CA" "$XDG_CONFIG_HOME/containers/certs.d/$REGISTRY_TLS/ca.crt"
  run_cabin pull -q "$REGISTRY_TLS/busybox"
  is "$output" "$IMG_BUSYBOX_ID"
}

@test "pull over TLS: insecure in registries.conf" {
  write_registries_conf "[[registry]]
location = \"$REGISTRY_TLS\"
insecure = true"
  run_cabin pull -q "$REGISTRY_TLS/busybox"
  is "$output" "$IMG_BUSYBOX_ID"
}

@test "pull: --tls-verify=true against the plain HTTP registry fails" {
  bad_pull ".*$REGISTRY.*" --tls-verify=true "$REGISTRY/busybox"
}

@test "pull with auth: anonymous is refused" {
  bad_pull ".*(unauthorized|authentication required).*" --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_AUTH/busybox"
}

@test "pull with auth: wrong password is refused" {
  bad_pull ".*(unauthorized|authentication required|invalid username/password).*" \
    --cert-dir "$CABIN_TEST_CERT_DIR" --creds "$CABIN_TEST_AUTH_USER:wrong" "$REGISTRY_AUTH/busybox"
}

@test "pull with auth: --creds" {
  run_cabin pull -q --cert-dir "$CABIN_TEST_CERT_DIR" \
    --creds "$CABIN_TEST_AUTH_USER:$CABIN_TEST_AUTH_PASSWORD" "$REGISTRY_AUTH/busybox"
  is "$output" "$IMG_BUSYBOX_ID"
}

# write_auth FILE [KEY]: an auth.json with the test user for KEY (default the auth registry).
write_auth() {
  local b64
  b64=$(printf '%s:%s' "$CABIN_TEST_AUTH_USER" "$CABIN_TEST_AUTH_PASSWORD" | base64 -w0)
  mkdir -p "$(dirname "$1")"
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "${2:-$REGISTRY_AUTH}" "$b64" >"$1"
}

@test "pull with auth: --authfile and REGISTRY_AUTH_FILE" {
  write_auth "$BATS_TEST_TMPDIR/auth.json"
  run_cabin pull -q --cert-dir "$CABIN_TEST_CERT_DIR" --authfile "$BATS_TEST_TMPDIR/auth.json" "$REGISTRY_AUTH/busybox"
  is "$output" "$IMG_BUSYBOX_ID" "--authfile"
  run_cabin rmi -a
  REGISTRY_AUTH_FILE=$BATS_TEST_TMPDIR/auth.json run_cabin pull -q --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_AUTH/busybox"
  is "$output" "$IMG_BUSYBOX_ID" "REGISTRY_AUTH_FILE"
}

@test "pull with auth: \$XDG_RUNTIME_DIR/containers/auth.json" {
  write_auth "$XDG_RUNTIME_DIR/containers/auth.json"
  run_cabin pull -q --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_AUTH/busybox"
  is "$output" "$IMG_BUSYBOX_ID"
}

@test "pull with auth: ~/.docker/config.json, repository-scoped key" {
  write_auth "$HOME/.docker/config.json" "$REGISTRY_AUTH/busybox"
  run_cabin pull -q --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_AUTH/busybox"
  is "$output" "$IMG_BUSYBOX_ID"
}

@test "pull with auth: --authfile that does not exist" {
  bad_pull ".*$BATS_TEST_TMPDIR/none.json.*" --authfile "$BATS_TEST_TMPDIR/none.json" "$REGISTRY/busybox"
}

# ------------------------------------------------------------ formats

@test "pull: Docker schema 2, OCI, zstd and uncompressed layers give the same image" {
  local tag
  for tag in v2s2 oci zstd uncompressed; do
    run_cabin pull -q "$REGISTRY/busybox:$tag"
    is "$output" "$IMG_BUSYBOX_ID" "busybox:$tag"
  done
  run_cabin images --format '{{.Tag}}' --sort tag
  is "$output" "oci"$'\n'"uncompressed"$'\n'"v2s2"$'\n'"zstd" "one image, four tags"
  run_cabin image inspect --format '{{.RootFS.Layers}}' "$REGISTRY/busybox:zstd"
  is "$output" "\[$IMG_BUSYBOX_LAYER_DIFFID\]" "RootFS"
}

@test "pull: each compression on its own into a fresh store" {
  local tag
  for tag in v2s2 zstd uncompressed; do
    run_cabin pull -q "$REGISTRY/busybox:$tag"
    is "$output" "$IMG_BUSYBOX_ID" "busybox:$tag"
    store_find -path '*/bin/busybox' -type f -perm -0755
    is "${#lines[@]}" 1 "bin/busybox unpacked from busybox:$tag"
    run_cabin rmi -a
  done
}

@test "pull: multilayer content, seen from inside cabin's user namespace" {
  run_cabin pull -q "$REGISTRY/multilayer"
  is "$output" "$IMG_MULTILAYER_ID"
  run_cabin image inspect --format '{{len .RootFS.Layers}}' "$REGISTRY/multilayer"
  is "$output" 4 "four layers"

  # Files of every layer are there …
  store_find -path '*/data/added.txt' -type f
  is "${#lines[@]}" 1 "added.txt (layer 3)"
  store_find -path '*/etc/motd' -type f
  is "${#lines[@]}" 1 "etc/motd (layer 4)"
  # … whiteouts became overlay's own: a 0/0 character device, an opaque xattr.
  store_find -name '.wh.*'
  is "$output" "" "no .wh. files are left"
  store_find -path '*/data/deleted.txt' -type c -exec stat -c '%t,%T' {} +
  is "$output" "0,0" "whiteout for deleted.txt: a 0/0 character device"
  # Links.
  store_find -path '*/data/abs-link' -printf '%l\n'
  is "$output" "/data/kept.txt" "absolute symlink kept as is"
  store_find -path '*/data/rel-link' -printf '%l\n'
  is "$output" "kept.txt" "relative symlink"
  store_find -path '*/data/link-to-kept' -printf '%n\n'
  is "$output" "2" "hardlink: two names"
  # Modes.
  store_find -path '*/private' -type d -printf '%m\n'
  is "$output" "700" "0700 directory"
  store_find -path '*/usr/local/bin/setuid-prog' -printf '%m\n'
  is "$output" "4755" "setuid bit kept"
  store_find -path '*/usr/local/bin/setgid-prog' -printf '%m\n'
  is "$output" "2755" "setgid bit kept"
  # Owners: as in the image with subordinate ids; all yours without.
  local u1000=1000:1000 nobody=65534:65534
  if ! is_root && ! have_subuid; then u1000=0:0 nobody=0:0; fi
  store_find -path '*/owned/u1000' -printf '%U:%G\n'
  is "$output" "$u1000" "owner of owned/u1000"
  store_find -path '*/owned/nobody' -printf '%U:%G\n'
  is "$output" "$nobody" "owner of owned/nobody"
  store_find -path '*/owned/dir1000' -printf '%U:%G %m\n'
  is "$output" "$u1000 750" "owner and mode of owned/dir1000"
}

@test "pull: opaque directory is marked" {
  require_tool getfattr
  run_cabin pull -q "$REGISTRY/multilayer"
  store_find -path '*/opaque' -type d -exec getfattr --absolute-names -d -m '' {} +
  assert_contains "$output" 'overlay.opaque="y"' "opaque xattr"
}

@test "pull: two images share their common layer" {
  run_cabin pull -q "$REGISTRY/busybox"
  run_cabin pull -q "$REGISTRY/multilayer"
  store_find -path '*/bin/busybox' -type f
  is "${#lines[@]}" 1 "busybox's layer is stored once"
}

# ------------------------------------------------------------ platforms

@test "pull: an index resolves to this machine's platform" {
  [[ $(uname -m) == x86_64 ]] || skip "expects an amd64 host"
  run_cabin pull -q "$REGISTRY/multiarch"
  is "$output" "$IMG_MULTIARCH_AMD64_ID"
  run_cabin image inspect --format '{{.Architecture}} {{.Os}} {{.Digest}}' "$REGISTRY/multiarch"
  is "$output" "amd64 linux $IMG_MULTIARCH_DIGEST" "Digest is the index's"
}

@test "pull --arch and --platform choose from an index" {
  run_cabin pull -q --arch arm64 "$REGISTRY/multiarch"
  is "$output" "$IMG_MULTIARCH_ARM64_ID" "--arch arm64"
  run_cabin image inspect --format '{{.Architecture}}' "$REGISTRY/multiarch"
  is "$output" "arm64"
  run_cabin rmi -a
  run_cabin pull -q --platform linux/arm64 "$REGISTRY/multiarch"
  is "$output" "$IMG_MULTIARCH_ARM64_ID" "--platform linux/arm64"
  run_cabin rmi -a
  run_cabin pull -q --platform linux/arm64/v8 "$REGISTRY/multiarch"
  is "$output" "$IMG_MULTIARCH_ARM64_ID" "--platform linux/arm64/v8"
  run_cabin rmi -a
  run_cabin pull -q --os linux --arch amd64 "$REGISTRY/multiarch"
  is "$output" "$IMG_MULTIARCH_AMD64_ID" "--os linux --arch amd64"
  store_find -path '*/etc/cabin-arch' -type f -exec cat {} +
  is "$output" "amd64" "the amd64 marker"
}

@test "pull: platform not in the index" {
  bad_pull ".*no image found in (image index|manifest list) for architecture s390x.*" --arch s390x "$REGISTRY/multiarch"
  bad_pull ".*(--platform|platform).*" --platform linux/arm64 --arch arm64 "$REGISTRY/multiarch"
}

# ------------------------------------------------------------ policies

@test "pull --policy missing, newer, always, never" {
  require_tool skopeo
  local repo
  repo=$REGISTRY/$(scratch_repo)
  push_layout busybox "$repo:v1"
  run_cabin pull -q "$repo:v1"
  is "$output" "$IMG_BUSYBOX_ID" "first pull"
  # The registry's v1 is now another image.
  push_layout multilayer "$repo:v1"
  run_cabin pull -q --policy missing "$repo:v1"
  is "$output" "$IMG_BUSYBOX_ID" "missing: the local image is kept"
  run_cabin pull -q --policy never "$repo:v1"
  is "$output" "$IMG_BUSYBOX_ID" "never: the local image"
  run_cabin pull -q --policy newer "$repo:v1"
  is "$output" "$IMG_MULTILAYER_ID" "newer: the registry has a different image"
  push_layout busybox "$repo:v1"
  run_cabin pull -q --policy always "$repo:v1"
  is "$output" "$IMG_BUSYBOX_ID" "always"
  run_cabin images --format '{{.Repository}}:{{.Tag}} {{.ID}}' "$repo:v1"
  is "$output" "$repo:v1 ${IMG_BUSYBOX_ID:0:12}" "the name moved back"
}

@test "pull --policy never: image not present" {
  bad_pull ".*$REGISTRY/busybox.*image not known" --policy never "$REGISTRY/busybox"
}

@test "pull --policy never: does not contact the registry" {
  run_cabin pull -q "$REGISTRY/busybox"
  run_cabin tag "$REGISTRY/busybox" 127.0.0.1:1/busybox:latest
  run_cabin pull -q --policy never 127.0.0.1:1/busybox
  is "$output" "$IMG_BUSYBOX_ID"
  run_cabin pull -q --policy missing 127.0.0.1:1/busybox
  is "$output" "$IMG_BUSYBOX_ID"
}

@test "pull --policy: unknown value" {
  bad_pull 'unsupported pull policy "sometimes".*' --policy sometimes "$REGISTRY/busybox"
}

# ------------------------------------------------------------ bad inputs

@test "pull: unknown image and unknown tag" {
  run_cabin pull -q "$REGISTRY/busybox"
  bad_pull ".*$REGISTRY/nonexistent.*manifest unknown.*" "$REGISTRY/nonexistent"
  bad_pull ".*$REGISTRY/busybox:nosuchtag.*manifest unknown.*" "$REGISTRY/busybox:nosuchtag"
  bad_pull ".*manifest unknown.*" "$REGISTRY/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000"
}

@test "pull: invalid references" {
  bad_pull ".*invalid reference format.*" 'BAD NAME'
  bad_pull ".*(invalid reference format|repository name must be lowercase).*" "$REGISTRY/BusyBox"
  bad_pull ".*(invalid reference format|digest).*" "$REGISTRY/busybox@sha256:1234"
}

@test "pull: unreachable registry" {
  CABIN_ALLOWED_WARNINGS='retry|Failed'
  bad_pull ".*127.0.0.1:1.*(connection refused|Could not connect|Couldn't connect).*" "127.0.0.1:1/busybox"
}

@test "pull: blob whose content does not match its digest" {
  run_cabin pull -q "$REGISTRY/busybox"
  bad_pull ".*(digest mismatch|does not match|did not match|digest is sha256:[0-9a-f]+, not sha256:).*" "$REGISTRY/broken/digest"
}

@test "pull: truncated layer" {
  run_cabin pull -q "$REGISTRY/busybox"
  bad_pull ".*(truncated|unexpected EOF|unexpected end|Truncated).*" "$REGISTRY/broken/truncated"
}

@test "pull: layer whose diff_id does not match the config" {
  bad_pull ".*diff_id.*" "$REGISTRY/broken/diffid"
}

@test "pull: malformed config" {
  bad_pull ".*(config|JSON|json|parse).*" "$REGISTRY/broken/config"
}

@test "pull: malformed manifest" {
  bad_pull ".*(manifest|digest).*" "$REGISTRY/broken/manifest"
}

@test "pull: layer media type cabin cannot read" {
  bad_pull ".*application/vnd.cabin.test.layer.v1.tar\+lzma.*" "$REGISTRY/broken/mediatype"
}

@test "pull: manifest names a blob the registry does not have" {
  bad_pull ".*(blob unknown|404|not found|Not Found).*" "$REGISTRY/broken/missing-blob"
}

# ------------------------------------------------------------ hostile layers

# No test may leave anything in these host paths.
escape_paths=(/tmp/cabin-escape-absolute /tmp/cabin-escape-symlink /tmp/cabin-escape-symlink-relative)

check_no_escape() {
  local p
  for p in "${escape_paths[@]}"; do
    [[ ! -e $p ]] || die "$p exists: a layer wrote outside the store"
  done
  local found
  found=$(find "$BATS_TEST_TMPDIR" -maxdepth 8 -name 'cabin-escape-*' -not -path "$GRAPHROOT/*" 2>/dev/null)
  is "$found" "" "nothing escaped into the test dir"
}

@test "pull: hostile layer with ../ entries is refused" {
  run_cabin pull -q "$REGISTRY/busybox"
  bad_pull ".*cabin-escape-dotdot.*" "$REGISTRY/hostile/dotdot"
  check_no_escape
  store_find -name cabin-escape-dotdot
  is "$output" "" "the entry was not written anywhere in the store"
}

@test "pull: hostile layer with a hardlink out of the root is refused" {
  run_cabin pull -q "$REGISTRY/busybox"
  bad_pull ".*(etc/passwd|hardlink).*" "$REGISTRY/hostile/hardlink"
  check_no_escape
}

@test "pull: hostile layer with absolute paths stays inside the root" {
  for p in "${escape_paths[@]}"; do [[ ! -e $p ]] || skip "$p exists already"; done
  run_cabin pull -q "$REGISTRY/hostile/absolute"
  check_no_escape
  store_find -path '*/tmp/cabin-escape-absolute' -type f
  is "${#lines[@]}" 1 "the file is in the layer's /tmp"
}

@test "pull: hostile layer writing through an absolute symlink stays inside the root" {
  for p in "${escape_paths[@]}"; do [[ ! -e $p ]] || skip "$p exists already"; done
  run_cabin pull -q "$REGISTRY/hostile/symlink"
  check_no_escape
  store_find -path '*/tmp/cabin-escape-symlink' -type f
  is "${#lines[@]}" 1 "the file is in the layer's /tmp"
}

@test "pull: hostile layer writing through a ../ symlink stays inside the root" {
  for p in "${escape_paths[@]}"; do [[ ! -e $p ]] || skip "$p exists already"; done
  run_cabin pull -q "$REGISTRY/hostile/symlink-relative"
  check_no_escape
  store_find -path '*/tmp/cabin-escape-symlink-relative' -type f
  is "${#lines[@]}" 1 "the file is in the layer's /tmp"
}

@test "pull: a failed pull leaves no partial layers behind" {
  run_cabin pull -q "$REGISTRY/busybox"
  store_find -mindepth 1 -maxdepth 2
  local before=$output
  run_cabin 125 pull -q "$REGISTRY/broken/truncated"
  run_cabin 125 pull -q "$REGISTRY/hostile/dotdot"
  store_find -mindepth 1 -maxdepth 2
  is "$output" "$before" "the store's top levels are as before"
}
