#!/usr/bin/env bats
# cabin history / cabin image history

load helpers

setup() {
  basic_setup
  require_registry
}

@test "history: table" {
  pull_image
  run_cabin history "$IMAGE"
  is "${lines[0]}" "ID +CREATED +CREATED BY +SIZE +COMMENT" "header"
  is "${#lines[@]}" 3 "header and two entries"
  is "${lines[1]}" "${IMG_BUSYBOX_ID:0:12} +[0-9]+ years? ago +/bin/sh -c #\(nop\)  CMD \[\"sh\"\] +0 B *" "newest first: the empty layer"
  is "${lines[2]}" "<missing> +[0-9]+ years? ago +/bin/sh -c #\(nop\) ADD file:busybox-static \.\.\. +2\.1[0-9] MB *" "the layer, truncated"
  local table=$output
  run_cabin image history "$IMAGE"
  is_exact "$output" "$table" "image history"
}

@test "history --no-trunc" {
  pull_image "$REGISTRY/multilayer"
  run_cabin history --no-trunc "$REGISTRY/multilayer"
  is "${#lines[@]}" 6 "header and five entries"
  is "${lines[1]}" "$IMG_MULTILAYER_ID +[0-9]+ years? ago +/bin/sh -c echo kept v2 > /data/kept.txt +[0-9.]+ kB *" "full ID and command"
  is "${lines[3]}" "<missing> +.*/bin/sh -c rm /data/deleted.txt && rm -rf /opaque && mkdir /opaque && echo new > /opaque/new +.*" "long command in full"
  is "${lines[4]}" "<missing> +.* +links, owners, modes" "comment"
}

@test "history -q" {
  pull_image "$REGISTRY/multilayer"
  run_cabin history -q "$REGISTRY/multilayer"
  is "${#lines[@]}" 5 "one line per entry"
  is "${lines[0]}" "${IMG_MULTILAYER_ID:0:12}" "the image's ID first"
  is "${lines[1]}" "<missing>"
  run_cabin history -q --no-trunc "$REGISTRY/multilayer"
  is "${lines[0]}" "$IMG_MULTILAYER_ID" "full ID"
}

@test "history --format" {
  pull_image "$REGISTRY/multilayer"
  pull_image
  run_cabin history --format '{{.ID}}|{{.CreatedBy}}|{{.Comment}}' "$REGISTRY/multilayer"
  is "${lines[0]}" "${IMG_MULTILAYER_ID:0:12}|/bin/sh -c echo kept v2 > /data/kept.txt|" "first entry"
  is "${lines[1]}" "<missing>|/bin/sh -c #\(nop\)  LABEL cabin.test.image=\.\.\.|" "truncated to 45 characters"
  is "${lines[3]}" "<missing>|/bin/sh -c #\(nop\) ADD dir:files in / |links, owners, modes" "comment"
  run_cabin history --format '{{.Size}}' "$IMAGE"
  is "$output" "0 B"$'\n'"2\.1[0-9] MB" "sizes"
  run_cabin history --format '{{.Created}}' "$IMAGE"
  is "${lines[0]}" "[0-9]+ years? ago" "Created is human"
  run_cabin history --human=false --format '{{.Created}}' "$IMAGE"
  is "${lines[0]}" "2024-01-01T00:00:00Z" "--human=false"
  run_cabin history --format 'table {{.ID}} {{.Size}}' "$IMAGE"
  is "${lines[0]}" "ID +SIZE" "table header"
}

@test "history --format json" {
  require_tool jq
  pull_image
  run_cabin history --format json "$IMAGE"
  jq -e . <<<"$output" >/dev/null || die "not JSON"
  is "$(jq length <<<"$output")" 2 "two entries"
  is "$(jq -r '.[0].id' <<<"$output")" "$IMG_BUSYBOX_ID" "id"
  is "$(jq -r '.[1].id' <<<"$output")" "<missing>" "id of older entries"
  is "$(jq -r '.[0].created' <<<"$output")" "2024-01-01T00:00:00Z" "created"
  is "$(jq -r '.[0].size' <<<"$output")" 0 "size"
  is "$(jq -r '.[1].CreatedBy' <<<"$output")" "/bin/sh -c #\(nop\) ADD file:busybox-static in / " "CreatedBy"
}

@test "history: unknown image" {
  run_cabin 125 history nosuch
  expect_error "nosuch: image not known"
}
