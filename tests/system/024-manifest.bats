#!/usr/bin/env bats
# cabin manifest: multi-arch lists put together from images in the test
# registries, annotated, inspected and pushed (within a registry and to
# another one); images of other architectures pulled as data; bad input.

load helpers

setup() {
  basic_setup
  require_registry
}

# platforms LIST: "os/arch[/variant]" of each entry, space-separated.
platforms() {
  cabin_out manifest inspect "$1" |
    jq -r '.manifests[] | .platform.os + "/" + .platform.architecture + (if .platform.variant then "/" + .platform.variant else "" end)' |
    tr '\n' ' '
}

@test "manifest create/add/annotate/inspect/exists/push/rm: a two-platform list, pushed and pulled per platform" {
  run_cabin manifest create mylist
  [[ $output =~ ^$FULL_ID$ ]] || die "create prints the list's ID: $output"
  local id=$output
  run_cabin manifest exists mylist
  run_cabin manifest add --all --tls-verify=false mylist "$REGISTRY/multiarch:latest"
  is "$output" "$id" "add prints the ID"
  is "$(platforms mylist)" "linux/amd64 linux/arm64/v8 " "both platforms"
  run_cabin manifest annotate --annotation org.example.note=arm --os-features one mylist "$IMG_MULTIARCH_ARM64_DIGEST"
  run_cabin manifest inspect mylist
  is "$(jq -r --arg d "$IMG_MULTIARCH_ARM64_DIGEST" '.manifests[] | select(.digest == $d) | .annotations["org.example.note"] + " " + .platform["os.features"][0]' <<<"$output")" \
    "arm one" "annotated"
  is_exact "$(jq -r .mediaType <<<"$output")" "application/vnd.oci.image.index.v1+json" "an OCI index"

  local repo
  repo=$(scratch_repo)
  run_cabin manifest push -q --tls-verify=false --digestfile "$BATS_TEST_TMPDIR/d" mylist "$REGISTRY/$repo:list"
  local digest
  digest=$(<"$BATS_TEST_TMPDIR/d")
  is "$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REGISTRY/v2/$repo/manifests/list" | sha256sum | cut -d' ' -f1)" \
    "${digest#sha256:}" "the registry serves the list pushed"
  run_cabin pull -q --tls-verify=false --platform linux/arm64 "$REGISTRY/$repo:list"
  is "$output" "$IMG_MULTIARCH_ARM64_ID" "the arm64 image, pulled as data"
  run_cabin pull -q --tls-verify=false --platform linux/amd64 "$REGISTRY/$repo:list"
  is "$output" "$IMG_MULTIARCH_AMD64_ID" "the amd64 one"

  run_cabin manifest rm mylist
  is "$output" "Untagged: localhost/mylist:latest
Deleted: $id"
  run_cabin 1 manifest exists mylist
}

@test "manifest: single images with their config's platform or an override; --format v2s2; a push to another registry copies the blobs" {
  run_cabin manifest create --tls-verify=false two "$REGISTRY/busybox:latest"
  run_cabin manifest add --tls-verify=false --arch arm64 --variant v8 two "$REGISTRY/multiarch@$IMG_MULTIARCH_ARM64_DIGEST"
  is "$(platforms two)" "linux/amd64 linux/arm64/v8 " "busybox's config says amd64; the override for the other"
  local repo
  repo=$(scratch_repo)
  run_cabin manifest push --tls-verify=false --format v2s2 two "$REGISTRY_TLS/$repo:two"
  assert_contains "$stderr" "Writing manifest list to image destination" "progress"
  is_exact "$(curl -sk -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' "https://$REGISTRY_TLS/v2/$repo/manifests/two" | jq -r .mediaType)" \
    "application/vnd.docker.distribution.manifest.list.v2+json" "a Docker manifest list"
  run_cabin pull -q --tls-verify=false "$REGISTRY_TLS/$repo:two"
  is "$output" "$IMG_BUSYBOX_ID" "the host's platform from the other registry"
  run_cabin manifest inspect --tls-verify=false "$REGISTRY/multiarch:latest"
  is "$(jq -r '.manifests | length' <<<"$output")" "2" "inspect of a list in a registry"
}

@test "manifest: bad input is a one-line error and changes nothing" {
  run_cabin manifest create keep
  local before
  before=$(cabin_out manifest inspect keep)
  run_cabin 125 manifest create keep
  expect_error "localhost/keep:latest: a manifest list of that name exists \(ID [0-9a-f]{12}\): use --amend to add to it"
  run_cabin 125 manifest add nosuch "$REGISTRY/busybox"
  expect_error "nosuch: image not known"
  run_cabin 125 manifest add keep containers-storage:busybox
  expect_error 'transport "containers-storage" is not supported by manifest: name an image in a registry \(push it there first\)'
  run_cabin 125 manifest add --tls-verify=false keep "$REGISTRY/nosuch:latest"
  expect_error ".*manifest unknown.*"
  run_cabin 125 manifest annotate --arch arm keep sha256:0000000000000000000000000000000000000000000000000000000000000000
  expect_error "no instance sha256:0+ in manifest list localhost/keep:latest"
  run_cabin 125 manifest push --tls-verify=false keep "$REGISTRY/$(scratch_repo):x"
  expect_error "manifest list localhost/keep:latest is empty: add images first"
  run_cabin 125 manifest annotate --annotation novalue keep --index
  expect_error 'no value given for annotation "novalue"'
  is_exact "$(cabin_out manifest inspect keep)" "$before" "the list is unchanged"
  run_cabin pull -q "$REGISTRY/busybox:latest"
  run_cabin 125 manifest create "$REGISTRY/busybox:latest"
  expect_error "image name \"$REGISTRY/busybox:latest\" is already associated with image \"$IMG_BUSYBOX_ID\""
  run_cabin 125 manifest rm keep nosuch
  expect_error "nosuch: image not known"
  run_cabin manifest exists keep
}
