#!/usr/bin/env bats
# cabin rmi / cabin image rm

load helpers

setup() {
  basic_setup
  require_registry
}

@test "rmi: by name" {
  pull_image
  run_cabin rmi "$IMAGE"
  is "$output" "Untagged: $IMAGE"$'\n'"Deleted: $IMG_BUSYBOX_ID"
  run_cabin images -a -q
  is "$output" "" "store is empty"
}

@test "rmi: a second name only untags" {
  pull_image
  run_cabin tag "$IMAGE" two
  run_cabin rmi two
  is "$output" "Untagged: localhost/two:latest"
  run_cabin images -q --no-trunc
  is "$output" "sha256:$IMG_BUSYBOX_ID" "the image stays"
  run_cabin image rm "$IMAGE"
  is "$output" "Untagged: $IMAGE"$'\n'"Deleted: $IMG_BUSYBOX_ID" "image rm"
}

@test "rmi: by ID with several names needs -f" {
  pull_image
  run_cabin tag "$IMAGE" two
  run_cabin 125 rmi "${IMG_BUSYBOX_ID:0:12}"
  expect_error "unable to delete image \"$IMG_BUSYBOX_ID\" by ID with more than one tag \(\[$IMAGE localhost/two:latest\]\): please force removal"
  run_cabin rmi -f "${IMG_BUSYBOX_ID:0:12}"
  is "$output" "Untagged: $IMAGE"$'\n'"Untagged: localhost/two:latest"$'\n'"Deleted: $IMG_BUSYBOX_ID"
}

@test "rmi: by full ID and sha256:ID" {
  pull_image
  run_cabin rmi "$IMG_BUSYBOX_ID"
  is "${lines[-1]}" "Deleted: $IMG_BUSYBOX_ID"
  pull_image
  run_cabin rmi "sha256:$IMG_BUSYBOX_ID"
  is "${lines[-1]}" "Deleted: $IMG_BUSYBOX_ID"
}

@test "rmi: unknown image exits 1" {
  run_cabin 1 rmi nosuch
  is "$stderr" "Error: nosuch: image not known"
  pull_image
  run_cabin 1 rmi nosuch "$IMAGE"
  is "$stderr" "Error: nosuch: image not known"
  run_cabin images -q
  is "$output" "" "the known image was removed all the same"
}

@test "rmi -f: unknown image is not an error" {
  run_cabin rmi -f nosuch
  is "$output" ""
}

@test "rmi -a" {
  pull_image
  pull_image "$REGISTRY/multilayer"
  run_cabin rmi -a
  assert_contains "$output" "Deleted: $IMG_BUSYBOX_ID"
  assert_contains "$output" "Deleted: $IMG_MULTILAYER_ID"
  run_cabin images -a -q
  is "$output" "" "store is empty"
  run_cabin rmi -a
  is "$output" "" "rmi -a on an empty store"
  store_find -path '*/bin/busybox'
  is "$output" "" "layers are gone too"
}

@test "rmi: shared layers stay while an image uses them" {
  pull_image
  pull_image "$REGISTRY/multilayer"
  run_cabin rmi "$REGISTRY/multilayer"
  store_find -path '*/bin/busybox' -type f
  is "${#lines[@]}" 1 "busybox's layer stays"
  store_find -path '*/etc/motd' -type f
  is "$output" "" "multilayer's own layers are gone"
}

@test "rmi: an image a container uses needs -f, which removes the container" {
  pull_image
  run_cabin create --name user1 "$IMAGE" true
  local ctr=$output
  run_cabin 2 rmi "$IMAGE"
  is "$stderr" "Error: image used by $ctr: image is in use by a container: consider listing external containers and force-removing image"
  run_cabin images -q --no-trunc
  is "$output" "sha256:$IMG_BUSYBOX_ID" "the image stays"
  run_cabin rmi -f "$IMAGE"
  is "$output" "Untagged: $IMAGE"$'\n'"Deleted: $IMG_BUSYBOX_ID"
  run_cabin ps -a -q
  is "$output" "" "the container went first"
}

@test "rmi: argument errors" {
  run_cabin 125 rmi
  expect_error "image name or ID must be specified"
  run_cabin 125 rmi -a busybox
  expect_error "when using the --all switch, you may not pass any images names or IDs"
}
