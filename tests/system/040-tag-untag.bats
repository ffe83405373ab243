#!/usr/bin/env bats
# cabin tag, cabin untag

load helpers

setup() {
  basic_setup
  require_registry
}

names() {
  run_cabin images --format '{{.Repository}}:{{.Tag}}' --sort repository
  printf '%s' "$output"
}

@test "tag: short and qualified names" {
  pull_image
  run_cabin tag "$IMAGE" mytag
  is "$output" "" "tag prints nothing"
  run_cabin tag "$IMAGE" localhost/other:v1 example.com/ns/x:2
  run_cabin images --format '{{.Repository}}:{{.Tag}} {{.ID}}' --sort repository
  is "$output" "$REGISTRY/busybox:latest ${IMG_BUSYBOX_ID:0:12}
example.com/ns/x:2 ${IMG_BUSYBOX_ID:0:12}
localhost/mytag:latest ${IMG_BUSYBOX_ID:0:12}
localhost/other:v1 ${IMG_BUSYBOX_ID:0:12}" "all names on one image"
  run_cabin image inspect --format '{{len .RepoTags}}' mytag
  is "$output" 4 "RepoTags"
}

@test "tag: by ID, and image tag" {
  pull_image
  run_cabin tag "${IMG_BUSYBOX_ID:0:12}" byid:1
  run_cabin image tag "$IMG_BUSYBOX_ID" byid:2
  # As Podman: a reference selects images, and each shows all its names.
  run_cabin images --format '{{.Repository}}:{{.Tag}}' localhost/byid
  is "$(sort <<<"$output")" "$REGISTRY/busybox:latest"$'\n'"localhost/byid:1"$'\n'"localhost/byid:2"
}

@test "tag: moving a name to another image" {
  pull_image
  pull_image "$REGISTRY/multilayer"
  run_cabin tag "$IMAGE" moving:latest
  run_cabin tag "$REGISTRY/multilayer" moving:latest
  run_cabin image inspect --format '{{.Id}}' moving
  is "$output" "$IMG_MULTILAYER_ID" "the name moved"
  run_cabin image inspect --format '{{.RepoTags}}' "$IMAGE"
  is "$output" "\[$REGISTRY/busybox:latest\]" "busybox lost it"
}

@test "tag: errors" {
  pull_image
  run_cabin 125 tag nosuch foo
  expect_error "nosuch: image not known"
  run_cabin 125 tag "$IMAGE" 'Bad:Name'
  expect_error '.*(repository name must be lowercase|invalid reference format).*'
  run_cabin 125 tag "$IMAGE" "foo@$IMG_BUSYBOX_DIGEST"
  expect_error '.*digest.*'
  run_cabin 125 tag "$IMAGE"
  expect_error '.*(at least two arguments|requires at least 2 arg).*'
  is "$(names)" "$REGISTRY/busybox:latest" "names unchanged"
}

@test "untag: one name, several, all" {
  pull_image
  run_cabin tag "$IMAGE" a b c
  run_cabin untag "$IMAGE" a
  is "$output" "" "untag prints nothing"
  is "$(names)" "$REGISTRY/busybox:latest
localhost/b:latest
localhost/c:latest"
  run_cabin image untag "$IMAGE" localhost/b:latest c
  is "$(names)" "$REGISTRY/busybox:latest"
  run_cabin tag "$IMAGE" d
  run_cabin untag "$IMAGE"
  run_cabin images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  is "$output" "<none>:<none> ${IMG_BUSYBOX_ID:0:12}" "no names left, the image stays"
  run_cabin images --filter dangling=true -q
  is "$output" "${IMG_BUSYBOX_ID:0:12}" "now dangling"
  run_cabin untag "$IMG_BUSYBOX_ID"
  is "$output" "" "untag of an untagged image is fine"
}

@test "untag: errors" {
  pull_image
  run_cabin 125 untag "$IMAGE" notthere
  expect_error "localhost/notthere:latest: tag not known"
  run_cabin 125 untag nosuch
  expect_error "nosuch: image not known"
  run_cabin 125 untag
  expect_error ".*(at least one argument|requires at least 1 arg).*"
  is "$(names)" "$REGISTRY/busybox:latest" "names unchanged"
}

@test "tag then untag by the new name's image" {
  pull_image
  run_cabin tag "$IMAGE" "$REGISTRY/copy:v9"
  run_cabin untag "$REGISTRY/copy:v9" "$REGISTRY/copy:v9"
  is "$(names)" "$REGISTRY/busybox:latest"
}
