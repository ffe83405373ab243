#!/usr/bin/env bats
# cabin image prune

load helpers

setup() {
  basic_setup
  require_registry
}

@test "image prune: removes dangling images only" {
  pull_image
  pull_image "$REGISTRY/multilayer"
  run_cabin untag "$REGISTRY/multilayer"
  run_cabin image prune -f
  is "$output" "$IMG_MULTILAYER_ID" "prints the removed IDs"
  run_cabin images -a --format '{{.Repository}}:{{.Tag}}'
  is "$output" "$IMAGE" "the tagged image stays"
  store_find -path '*/etc/motd'
  is "$output" "" "the pruned image's layers are gone"
}

@test "image prune: nothing to prune" {
  pull_image
  run_cabin image prune -f
  is "$output" "" "nothing removed"
  run_cabin images -q
  is "$output" "${IMG_BUSYBOX_ID:0:12}"
}

@test "image prune -a: removes every image no container uses" {
  pull_image
  pull_image "$REGISTRY/multilayer"
  run_cabin image prune -a -f
  is "$(sort <<<"$output")" "$(printf '%s\n' "$IMG_BUSYBOX_ID" "$IMG_MULTILAYER_ID" | sort)" "both IDs"
  run_cabin images -a -q
  is "$output" "" "store is empty"
}

@test "image prune --filter label" {
  pull_image
  pull_image "$REGISTRY/multilayer"
  run_cabin image prune -a -f --filter label=cabin.test.image=multilayer
  is "$output" "$IMG_MULTILAYER_ID"
  run_cabin images -q
  is "$output" "${IMG_BUSYBOX_ID:0:12}"
}

@test "image prune: asks without -f" {
  pull_image
  run_cabin untag "$IMAGE"
  local answer=$BATS_TEST_TMPDIR/answer
  echo n >"$answer"
  run_cabin --stdin "$answer" image prune
  assert_contains "$output$stderr" "WARNING! This command removes all dangling images." "the question"
  run_cabin images -a -q
  is "$output" "${IMG_BUSYBOX_ID:0:12}" "answered no: kept"
  echo y >"$answer"
  run_cabin --stdin "$answer" image prune
  assert_contains "$output" "$IMG_BUSYBOX_ID" "answered yes: removed"
  run_cabin images -a -q
  is "$output" "" "store is empty"
}

@test "image prune: bad filter" {
  run_cabin 125 image prune -f --filter bogus=1
  expect_error '.*bogus.*'
}
