#!/usr/bin/env bats
# cabin save and load: Docker archives, OCI archives and directories, the
# "dir" layout; compressed archives; Podman as the peer both ways; bad input
# changes nothing.

load helpers

setup() {
  basic_setup
  require_registry
}

teardown() {
  [[ -z ${PODMAN_RUN:-} ]] || rm -rf "$PODMAN_RUN"
  [[ ! -d $BATS_TEST_TMPDIR/podman ]] || podman unshare rm -rf "$BATS_TEST_TMPDIR/podman" 2>/dev/null || true
  basic_teardown
}

# podman_peer ARGS…: Podman (rootless, vfs) with a store of the test's own
# (its runroot short, as Podman wants it).
podman_peer() {
  require_tool podman
  [[ -n ${PODMAN_RUN:-} ]] || PODMAN_RUN=$(mktemp -d /tmp/pm.XXXXXX)
  podman --root "$BATS_TEST_TMPDIR/podman/root" --runroot "$PODMAN_RUN" --storage-driver vfs \
    --events-backend file --cgroup-manager cgroupfs "$@"
}

@test "save and load: a Docker archive (file, stdout, stdin, gzip and zstd); the same image back" {
  run_cabin pull -q "$REGISTRY/multilayer:latest"
  run_cabin save -o "$BATS_TEST_TMPDIR/a.tar" "$REGISTRY/multilayer:latest"
  is "$output" "" "nothing on stdout"
  local m
  m=$(tar -xOf "$BATS_TEST_TMPDIR/a.tar" manifest.json)
  is "$(jq -r '.[0].Config, .[0].RepoTags[0], (.[0].Layers | length)' <<<"$m" | tr '\n' ' ')" \
    "$IMG_MULTILAYER_ID.json $REGISTRY/multilayer:latest 4 " "manifest.json names the config, the tag and 4 layers"
  "$CABIN" save "$REGISTRY/multilayer:latest" >"$BATS_TEST_TMPDIR/b.tar"
  tar -tf "$BATS_TEST_TMPDIR/b.tar" | grep -qx manifest.json || die "save to stdout writes the archive"

  run_cabin rmi -a
  run_cabin load -i "$BATS_TEST_TMPDIR/a.tar"
  is "$output" "Loaded image: $REGISTRY/multilayer:latest"
  assert_contains "$stderr" "Copying blob" "progress on stderr"
  run_cabin images --format '{{.ID}} {{.Repository}}:{{.Tag}}'
  is "$output" "${IMG_MULTILAYER_ID:0:12} $REGISTRY/multilayer:latest" "the same image"
  run_cabin run --rm "$REGISTRY/multilayer:latest"
  is "$output" "kept v2" "and it runs"
  run_cabin system check
  run_cabin rmi -a

  gzip -c "$BATS_TEST_TMPDIR/a.tar" >"$BATS_TEST_TMPDIR/a.tar.gz"
  run_cabin --stdin "$BATS_TEST_TMPDIR/a.tar.gz" load -q
  is "$output" "Loaded image: $REGISTRY/multilayer:latest" "gzip, from stdin"
  is "$stderr" "" "-q"
  run_cabin rmi -a
  zstd -q -c "$BATS_TEST_TMPDIR/a.tar" >"$BATS_TEST_TMPDIR/a.tar.zst"
  run_cabin load -q -i "$BATS_TEST_TMPDIR/a.tar.zst"
  is "$output" "Loaded image: $REGISTRY/multilayer:latest" "zstd"
}

@test "save: -m puts several images in one archive; without it more names are more tags; an ID names nothing" {
  run_cabin pull -q "$REGISTRY/busybox:latest"
  run_cabin pull -q "$REGISTRY/multilayer:latest"
  run_cabin save -m -o "$BATS_TEST_TMPDIR/two.tar" busybox multilayer
  is "$(tar -xOf "$BATS_TEST_TMPDIR/two.tar" manifest.json | jq -r '.[].RepoTags[0]' | tr '\n' ' ')" \
    "$REGISTRY/busybox:latest $REGISTRY/multilayer:latest " "two images"
  run_cabin save -o "$BATS_TEST_TMPDIR/tags.tar" busybox localhost/extra:1
  is "$(tar -xOf "$BATS_TEST_TMPDIR/tags.tar" manifest.json | jq -r '.[0].RepoTags | join(" ")')" \
    "$REGISTRY/busybox:latest localhost/extra:1" "one image, two tags"
  run_cabin save -o "$BATS_TEST_TMPDIR/id.tar" "$IMG_BUSYBOX_ID"
  run_cabin rmi -a
  run_cabin load -i "$BATS_TEST_TMPDIR/two.tar"
  is "$output" "Loaded image: $REGISTRY/busybox:latest
Loaded image: $REGISTRY/multilayer:latest"
  run_cabin load -i "$BATS_TEST_TMPDIR/tags.tar"
  is "$output" "Loaded image: $REGISTRY/busybox:latest
Loaded image: localhost/extra:1"
  run_cabin rmi -a
  run_cabin load -i "$BATS_TEST_TMPDIR/id.tar"
  is "$output" "Loaded image: sha256:$IMG_BUSYBOX_ID" "an image without a name"
}

@test "save --format oci-archive, oci-dir, docker-dir; load of an OCI archive" {
  run_cabin pull -q "$REGISTRY/busybox:latest"
  run_cabin save --format oci-archive -o "$BATS_TEST_TMPDIR/o.tar" busybox
  mkdir "$BATS_TEST_TMPDIR/o" && tar -xf "$BATS_TEST_TMPDIR/o.tar" -C "$BATS_TEST_TMPDIR/o"
  is "$(jq -r .imageLayoutVersion "$BATS_TEST_TMPDIR/o/oci-layout")" "1.0.0" "oci-layout"
  is "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$BATS_TEST_TMPDIR/o/index.json")" \
    "$REGISTRY/busybox:latest" "the name in index.json"
  local md
  md=$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/o/index.json")
  is "$(jq -r .config.digest "$BATS_TEST_TMPDIR/o/blobs/sha256/${md#sha256:}")" "sha256:$IMG_BUSYBOX_ID" "the config"
  # Every blob is what its name says.
  local f
  for f in "$BATS_TEST_TMPDIR"/o/blobs/sha256/*; do
    is "$(sha256sum "$f" | cut -d' ' -f1)" "$(basename "$f")" "blob $(basename "$f")"
  done
  skopeo inspect --raw "oci:$BATS_TEST_TMPDIR/o" >/dev/null || die "skopeo reads the layout"

  run_cabin save --format oci-dir -o "$BATS_TEST_TMPDIR/od" busybox
  [[ -f $BATS_TEST_TMPDIR/od/index.json && -f $BATS_TEST_TMPDIR/od/oci-layout ]] || die "oci-dir is a layout"
  run_cabin save --format docker-dir -o "$BATS_TEST_TMPDIR/dd" busybox
  is "$(cat "$BATS_TEST_TMPDIR/dd/version")" "Directory Transport Version: 1.1" "the dir transport's version file"
  is_exact "$(jq -r .mediaType "$BATS_TEST_TMPDIR/dd/manifest.json")" "application/vnd.docker.distribution.manifest.v2+json" "a Docker manifest"
  [[ -f $BATS_TEST_TMPDIR/dd/$IMG_BUSYBOX_ID ]] || die "the config by its hex digest"

  run_cabin rmi -a
  run_cabin load -i "$BATS_TEST_TMPDIR/o.tar"
  is "$output" "Loaded image: $REGISTRY/busybox:latest"
  run_cabin images --format '{{.ID}}'
  is "$output" "${IMG_BUSYBOX_ID:0:12}"
}

@test "save and load with Podman: each loads the other's docker-archive and oci-archive" {
  skip_if_no_subuid "Podman needs subordinate ids here"
  podman_peer pull -q --tls-verify=false "$REGISTRY/multilayer:latest" >/dev/null
  podman_peer save -o "$BATS_TEST_TMPDIR/p-docker.tar" "$REGISTRY/multilayer:latest" >/dev/null
  podman_peer save --format oci-archive -o "$BATS_TEST_TMPDIR/p-oci.tar" "$REGISTRY/multilayer:latest" >/dev/null
  run_cabin load -i "$BATS_TEST_TMPDIR/p-docker.tar"
  is "$output" "Loaded image: $REGISTRY/multilayer:latest" "Podman's docker-archive"
  run_cabin images --format '{{.ID}}'
  is "$output" "${IMG_MULTILAYER_ID:0:12}"
  run_cabin rmi -a
  run_cabin load -i "$BATS_TEST_TMPDIR/p-oci.tar"
  is "$output" "Loaded image: $REGISTRY/multilayer:latest" "Podman's oci-archive (gzip layers)"
  run_cabin run --rm "$REGISTRY/multilayer:latest"
  is "$output" "kept v2"

  run_cabin save -o "$BATS_TEST_TMPDIR/c-docker.tar" "$REGISTRY/multilayer:latest"
  run_cabin save --format oci-archive -o "$BATS_TEST_TMPDIR/c-oci.tar" "$REGISTRY/multilayer:latest"
  podman_peer rmi -a >/dev/null
  run podman_peer load -q -i "$BATS_TEST_TMPDIR/c-docker.tar"
  is "$output" "Loaded image: $REGISTRY/multilayer:latest" "Podman loads cabin's docker-archive"
  is "$(podman_peer images --format '{{.ID}}')" "${IMG_MULTILAYER_ID:0:12}" "the same image"
  podman_peer rmi -a >/dev/null
  run podman_peer load -q -i "$BATS_TEST_TMPDIR/c-oci.tar"
  is "$output" "Loaded image: $REGISTRY/multilayer:latest" "and its oci-archive"
  is "$(podman_peer images --format '{{.ID}}')" "${IMG_MULTILAYER_ID:0:12}"
}

@test "save and load: bad input is a one-line error and changes nothing" {
  run_cabin pull -q "$REGISTRY/busybox:latest"
  run_cabin save -o "$BATS_TEST_TMPDIR/good.tar" busybox
  local before
  before=$(image_ids)
  run_cabin 125 save -o "$BATS_TEST_TMPDIR/x.tar" nosuch
  expect_error "nosuch: image not known"
  [[ ! -e $BATS_TEST_TMPDIR/x.tar && ! -e $BATS_TEST_TMPDIR/x.tar.cabin-tmp ]] || die "no partial archive"
  run_cabin 125 save -m --format oci-archive -o "$BATS_TEST_TMPDIR/x.tar" busybox
  expect_error "--multi-image-archive can only be used with the docker-archive format"
  run_cabin 125 save --format oci-dir busybox
  expect_error "--output is needed for the oci-dir format: the directory to write"
  mkdir "$BATS_TEST_TMPDIR/full" && touch "$BATS_TEST_TMPDIR/full/x"
  run_cabin 125 save --format oci-dir -o "$BATS_TEST_TMPDIR/full" busybox
  expect_error "$BATS_TEST_TMPDIR/full is not empty: save into a new directory"
  run_cabin 125 save --format tarball -o "$BATS_TEST_TMPDIR/x.tar" busybox
  [[ $stderr =~ --format ]] || die "the bad format is named"

  run_cabin rmi -a
  before=$(image_ids)
  head -c 100000 "$BATS_TEST_TMPDIR/good.tar" >"$BATS_TEST_TMPDIR/cut.tar"
  run_cabin 125 load -i "$BATS_TEST_TMPDIR/cut.tar"
  expect_error "loading $BATS_TEST_TMPDIR/cut.tar: .*"
  echo "not an archive" >"$BATS_TEST_TMPDIR/text"
  run_cabin 125 load -i "$BATS_TEST_TMPDIR/text"
  expect_error "loading $BATS_TEST_TMPDIR/text: .*"
  tar -cf "$BATS_TEST_TMPDIR/empty.tar" -C "$BATS_TEST_TMPDIR" text
  run_cabin 125 load -i "$BATS_TEST_TMPDIR/empty.tar"
  expect_error "loading $BATS_TEST_TMPDIR/empty.tar: payload does not match any of the supported image formats \(oci-archive, docker-archive\)"
  run_cabin 125 load -i "$BATS_TEST_TMPDIR/nosuch.tar"
  expect_error "open $BATS_TEST_TMPDIR/nosuch.tar: No such file or directory"
  is "$(image_ids)" "$before" "nothing loaded"
  is "$(find "$GRAPHROOT/tmp" -mindepth 1 -maxdepth 1 | wc -l)" "0" "no scratch left in the store"
}
