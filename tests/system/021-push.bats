#!/usr/bin/env bats
# cabin push: to the test registries over HTTP, TLS and basic auth; the
# round trip through rmi and pull; skopeo as the peer; formats and
# compressions; blobs the registry has are skipped or mounted; bad input.

load helpers

setup() {
  basic_setup
  require_registry
}

ACCEPT="Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"

# reg_manifest REPO REF: the manifest the plain registry serves.
reg_manifest() { curl -fs -H "$ACCEPT" "http://$REGISTRY/v2/$1/manifests/$2"; }

# reg_digest REPO REF: the digest it serves for REF, or nothing.
reg_digest() {
  curl -s -I -H "$ACCEPT" "http://$REGISTRY/v2/$1/manifests/$2" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

@test "push: progress on stderr; push, rmi and pull give the same image ID and digest; --digestfile" {
  run_cabin pull -q "$REGISTRY/multilayer:latest"
  local repo
  repo=$(scratch_repo)
  run_cabin push --tls-verify=false --digestfile "$BATS_TEST_TMPDIR/digest" "$REGISTRY/multilayer:latest" "$REGISTRY/$repo:v1"
  is "$output" "" "nothing on stdout"
  assert_contains "$stderr" "Copying config ${IMG_MULTILAYER_ID:0:12}" "progress names the config"
  assert_contains "$stderr" "Writing manifest to image destination" "and the manifest"
  local digest
  digest=$(<"$BATS_TEST_TMPDIR/digest")
  [[ $digest =~ ^$DIGEST$ ]] || die "digestfile holds $digest"
  is "$(reg_digest "$repo" v1)" "$digest" "the registry serves that digest for the tag"
  reg_manifest "$repo" v1 | jq -r '.mediaType, .layers[0].mediaType' >"$BATS_TEST_TMPDIR/types"
  is_exact "$(cat "$BATS_TEST_TMPDIR/types")" $'application/vnd.oci.image.manifest.v1+json\napplication/vnd.oci.image.layer.v1.tar+gzip' "OCI by default for an OCI image"

  run_cabin rmi -a
  run_cabin pull -q --tls-verify=false "$REGISTRY/$repo:v1"
  is "$output" "$IMG_MULTILAYER_ID" "the same image ID back"
  run_cabin inspect --format '{{.Digest}}' "$REGISTRY/$repo:v1"
  is "$output" "$digest" "and the same digest"
  run_cabin run --rm "$REGISTRY/$repo:v1"
  is "$output" "kept v2" "the pulled image runs"

  # Again: the registry has every blob.
  run_cabin push --tls-verify=false "$REGISTRY/$repo:v1"
  assert_contains "$stderr" "skipped: already exists" "blobs the registry has are skipped"
  run_cabin events --stream=false --filter event=push --format '{{.Status}} {{.Name}}'
  is "${lines[-1]}" "push $REGISTRY/$repo:v1" "an event"
}

@test "push: a built image's layers are rebuilt byte for byte; skopeo reads what cabin pushed and cabin what skopeo pushed" {
  require_tool skopeo
  build_setup
  printf 'FROM %s\nRUN echo built >/built && mkdir -p /d/e && echo x >/d/e/f\n' "$PROBE_IMAGE" >"$CTX/Containerfile"
  run_cabin build -q -t localhost/built "$CTX"
  local id=$output repo
  repo=$(scratch_repo)
  run_cabin push -q --tls-verify=false localhost/built "$REGISTRY/$repo:built"
  is "$stderr" "" "-q: nothing on stderr"
  # Another repository of that registry: the built layer is mounted from
  # where the first push sent it, not compressed again.
  run_cabin push --tls-verify=false localhost/built "$REGISTRY/$repo-again:built"
  assert_contains "$stderr" "skipped: mounted from $repo" "remembered where its blob went"
  # skopeo copies it to a layout; its blobs match their digests there.
  skopeo copy --quiet --src-tls-verify=false "docker://$REGISTRY/$repo:built" "oci:$BATS_TEST_TMPDIR/out:built" >/dev/null
  local cfg
  cfg=$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/out/index.json")
  cfg=$(jq -r '.config.digest' "$BATS_TEST_TMPDIR/out/blobs/sha256/${cfg#sha256:}")
  is "$cfg" "sha256:$id" "skopeo sees the image's config"
  run_cabin rmi -a -f
  run_cabin pull -q --tls-verify=false "$REGISTRY/$repo:built"
  is "$output" "$id" "pulled back: the same ID (the diff IDs held)"
  run_cabin run --rm "$REGISTRY/$repo:built" cat /built
  is "$output" "built"

  # The other way: skopeo pushes, cabin pulls.
  push_layout busybox "$REGISTRY/$repo:from-skopeo"
  run_cabin pull -q --tls-verify=false "$REGISTRY/$repo:from-skopeo"
  is "$output" "$IMG_BUSYBOX_ID" "an image skopeo pushed"
}

@test "push: --format v2s2/docker, --compression-format zstd, cross-repository mounts" {
  run_cabin pull -q "$REGISTRY/busybox:latest"
  local repo
  repo=$(scratch_repo)
  run_cabin push --tls-verify=false --format docker busybox "$REGISTRY/$repo:docker"
  assert_contains "$stderr" "skipped: mounted from busybox" "the layer is mounted from the repository it was pulled from"
  run reg_manifest "$repo" docker
  is_exact "$(jq -r '.mediaType, .config.mediaType, .layers[0].mediaType' <<<"$output")" \
    $'application/vnd.docker.distribution.manifest.v2+json\napplication/vnd.docker.container.image.v1+json\napplication/vnd.docker.image.rootfs.diff.tar.gzip' "Docker schema 2"
  is "$(jq -r '.layers[0].digest' <<<"$output")" "$IMG_BUSYBOX_LAYER_DIGEST" "the pulled blob, not a new one"

  run_cabin push --tls-verify=false --compression-format zstd --compression-level 3 busybox "$REGISTRY/$repo:zstd"
  run reg_manifest "$repo" zstd
  is_exact "$(jq -r '.layers[0].mediaType' <<<"$output")" "application/vnd.oci.image.layer.v1.tar+zstd" "zstd"
  run_cabin rmi -a
  run_cabin pull -q --tls-verify=false "$REGISTRY/$repo:zstd"
  is "$output" "$IMG_BUSYBOX_ID" "a zstd push pulls back to the same image"
}

@test "push: by image ID to a named destination; a tag moved on still leaves image@digest pulling the first bytes" {
  run_cabin pull -q "$REGISTRY/busybox:latest"
  run_cabin pull -q "$REGISTRY/multilayer:latest"
  local repo first
  repo=$(scratch_repo)
  run_cabin push -q --tls-verify=false --digestfile "$BATS_TEST_TMPDIR/d1" busybox "$REGISTRY/$repo:moving"
  first=$(<"$BATS_TEST_TMPDIR/d1")
  run_cabin push -q --tls-verify=false "${IMG_MULTILAYER_ID:0:12}" "$REGISTRY/$repo:moving"
  run_cabin rmi -a
  run_cabin pull -q --tls-verify=false "$REGISTRY/$repo:moving"
  is "$output" "$IMG_MULTILAYER_ID" "the tag names the second image"
  run_cabin pull -q --tls-verify=false "$REGISTRY/$repo@$first"
  is "$output" "$IMG_BUSYBOX_ID" "the digest still the first"
}

@test "push with auth: --creds; wrong credentials are refused and the tag is not written" {
  run_cabin pull -q "$REGISTRY/busybox:latest"
  local repo
  repo=$(scratch_repo)
  run_cabin 125 push -q --cert-dir "$CABIN_TEST_CERT_DIR" --creds "$CABIN_TEST_AUTH_USER:wrong" busybox "$REGISTRY_AUTH/$repo:x"
  expect_error ".*(unauthorized|authentication required|invalid username/password).*"
  run curl -s -o /dev/null -w '%{http_code}' --cacert "$CABIN_TEST_CA" -u "$CABIN_TEST_AUTH_USER:$CABIN_TEST_AUTH_PASSWORD" \
    "https://$REGISTRY_AUTH/v2/$repo/manifests/x"
  is "$output" "404" "no tag"
  run_cabin push -q --cert-dir "$CABIN_TEST_CERT_DIR" --creds "$CABIN_TEST_AUTH_USER:$CABIN_TEST_AUTH_PASSWORD" busybox "$REGISTRY_AUTH/$repo:x"
  run_cabin rmi -a
  run_cabin pull -q --cert-dir "$CABIN_TEST_CERT_DIR" --creds "$CABIN_TEST_AUTH_USER:$CABIN_TEST_AUTH_PASSWORD" "$REGISTRY_AUTH/$repo:x"
  is "$output" "$IMG_BUSYBOX_ID" "pushed with the right ones"
}

@test "push: bad input is a one-line error and changes nothing" {
  run_cabin pull -q "$REGISTRY/busybox:latest"
  local before repo
  repo=$(scratch_repo)
  before=$(image_ids)
  run_cabin 125 push --tls-verify=false nosuch "$REGISTRY/$repo:x"
  expect_error "nosuch: image not known"
  run_cabin 125 push --tls-verify=false busybox "$REGISTRY/$repo@$IMG_BUSYBOX_DIGEST"
  expect_error "cannot push to a digested reference .*: name a tag"
  run_cabin 125 push busybox "oci:$BATS_TEST_TMPDIR/layout"
  expect_error 'transport "oci" is not supported by push: push to a registry, or use `cabin save`'
  run_cabin 125 push --tls-verify=false --sign-by someone@example.com busybox "$REGISTRY/$repo:x"
  expect_error "signing images is not supported: .*"
  run_cabin 125 push --tls-verify=false --compression-format lz4 busybox "$REGISTRY/$repo:x"
  expect_error 'unsupported compression format "lz4": use gzip or zstd'
  run_cabin 125 push --tls-verify=false --format v2s2 --compression-format zstd busybox "$REGISTRY/$repo:x"
  expect_error 'the docker format \(v2s2\) cannot carry zstd layers: push with --format oci'
  run_cabin 125 push --tls-verify=false --compression-level 42 --force-compression busybox "$REGISTRY/$repo:x"
  expect_error 'compression level 42 is not valid for gzip'
  run_cabin 125 push -q --tls-verify=true busybox "$REGISTRY/$repo:x"
  expect_error ".*$REGISTRY.*server gave HTTP response to HTTPS client.*"
  run_cabin 125 push -q --tls-verify=false busybox "127.0.0.1:1/$repo:x"
  expect_error ".*connection refused.*"
  is "$(image_ids)" "$before" "the store is unchanged"
  is "$(reg_digest "$repo" x)" "" "and the registry has no such tag"
}
