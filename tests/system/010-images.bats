#!/usr/bin/env bats
# cabin images / cabin image ls

load helpers

HEADER='REPOSITORY +TAG +IMAGE ID +CREATED +SIZE'

# Two images: busybox (created 2024-01-01) and multilayer (2024-02-01).
pull_two() {
  pull_image "$REGISTRY/busybox:latest"
  pull_image "$REGISTRY/multilayer:latest"
}

@test "images: empty store prints the header only" {
  run_cabin images
  is "$output" "$HEADER" "header only"
  run_cabin images -q
  is "$output" "" "-q prints nothing"
  run_cabin images --format json
  is "$output" "\[\]" "json: an empty array"
}

@test "images: table, aliases and -q" {
  pull_two
  run_cabin images
  is "${lines[0]}" "$HEADER" "header"
  is "${#lines[@]}" 3 "header and two images"
  # Newest first, as Podman sorts by default.
  is "${lines[1]}" "$REGISTRY/multilayer +latest +${IMG_MULTILAYER_ID:0:12} +[0-9]+ years? ago +[0-9.]+ [kM]B" "row 1"
  is "${lines[2]}" "$REGISTRY/busybox +latest +${IMG_BUSYBOX_ID:0:12} +[0-9]+ years? ago +[0-9.]+ [kM]B" "row 2"
  local table=$output
  run_cabin image ls
  is_exact "$output" "$table" "image ls"
  run_cabin image list
  is_exact "$output" "$table" "image list"

  run_cabin images -q
  is "$output" "${IMG_MULTILAYER_ID:0:12}"$'\n'"${IMG_BUSYBOX_ID:0:12}" "-q"
  run_cabin images -q --no-trunc
  is "$output" "sha256:$IMG_MULTILAYER_ID"$'\n'"sha256:$IMG_BUSYBOX_ID" "-q --no-trunc"
  run_cabin images --quiet --no-trunc "$REGISTRY/busybox"
  is "$output" "sha256:$IMG_BUSYBOX_ID" "-q with a reference"
}

@test "images: one image under several names" {
  pull_image "$REGISTRY/busybox:latest"
  pull_image "$REGISTRY/busybox:v2s2"
  run_cabin images --format '{{.Repository}}:{{.Tag}} {{.ID}}' --sort tag
  is "$output" "$REGISTRY/busybox:latest ${IMG_BUSYBOX_ID:0:12}"$'\n'"$REGISTRY/busybox:v2s2 ${IMG_BUSYBOX_ID:0:12}"
  run_cabin images -q
  is "$output" "${IMG_BUSYBOX_ID:0:12}" "-q lists an image once"
}

@test "images --no-trunc and --digests" {
  pull_image
  run_cabin images --no-trunc
  is "${lines[1]}" "$REGISTRY/busybox +latest +sha256:$IMG_BUSYBOX_ID +.*" "--no-trunc shows the full ID"
  run_cabin images --digests
  is "${lines[0]}" "REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE" "--digests header"
  is "${lines[1]}" "$REGISTRY/busybox +latest +$IMG_BUSYBOX_DIGEST +${IMG_BUSYBOX_ID:0:12} +.*" "--digests row"
}

@test "images --format: fields" {
  pull_image
  run_cabin images --format '{{.Repository}}|{{.Tag}}|{{.ID}}|{{.Digest}}|{{.CreatedAt}}|{{.Size}}'
  is "$output" "$REGISTRY/busybox|latest|${IMG_BUSYBOX_ID:0:12}|$IMG_BUSYBOX_DIGEST|2024-01-01 00:00:00 \+0000 UTC|2.1[0-9] MB"
  run_cabin images --format '{{.CreatedSince}}'
  is "$output" "[0-9]+ years? ago" "CreatedSince"
  run_cabin images --format '{{.Created}}'
  is "$output" "[0-9]+ years? ago" "Created, as Podman 4 prints it"
  run_cabin images --format '{{.Labels}}'
  is "$output" "map\[cabin.test.image:busybox org.opencontainers.image.title:busybox\]" "Labels"
  run_cabin images --format '{{index .Labels "cabin.test.image"}}'
  is "$output" "busybox" "index"
  run_cabin images --format '{{.Names}}'
  is "$output" "\[$REGISTRY/busybox:latest\]" "Names"
  run_cabin images --format '{{.ID}} {{.Id}}'
  is "$output" "${IMG_BUSYBOX_ID:0:12} ${IMG_BUSYBOX_ID}" "ID is short, Id is full"
}

@test "images --format table" {
  pull_two
  run_cabin images --format 'table {{.Repository}} {{.Tag}}'
  is "${lines[0]}" "REPOSITORY +TAG" "header of a table template"
  is "${lines[1]}" "$REGISTRY/multilayer +latest"
  is "${lines[2]}" "$REGISTRY/busybox +latest"
  run_cabin images --format 'table {{.ID}}\t{{.Size}}'
  is "${lines[0]}" "IMAGE ID +SIZE"
  run_cabin images --noheading
  is "${#lines[@]}" 2 "--noheading"
  is "${lines[0]}" "$REGISTRY/multilayer .*"
}

@test "images --format json: Podman's shape" {
  require_tool jq
  pull_two
  run_cabin images --format json
  jq -e . <<<"$output" >/dev/null || die "not JSON"
  is "$(jq length <<<"$output")" 2 "two images"
  local bb
  bb=$(jq -c --arg id "$IMG_BUSYBOX_ID" '.[] | select(.Id == $id)' <<<"$output")
  [[ -n $bb ]] || die "busybox not in the JSON"
  is "$(jq -r '[keys[]] | join(",")' <<<"$bb")" \
    ".*Containers.*Created.*CreatedAt.*Digest.*History.*Id.*Labels.*Names.*ParentId.*RepoDigests.*RepoTags.*SharedSize.*Size.*VirtualSize.*" \
    "keys"
  is "$(jq -r .Digest <<<"$bb")" "$IMG_BUSYBOX_DIGEST" "Digest"
  is "$(jq -r .Created <<<"$bb")" 1704067200 "Created is seconds since the epoch"
  is "$(jq -r .CreatedAt <<<"$bb")" "2024-01-01T00:00:00Z" "CreatedAt is RFC 3339"
  is "$(jq -r '.Names | join(",")' <<<"$bb")" "$REGISTRY/busybox:latest" "Names"
  is "$(jq -r '.RepoDigests | join(",")' <<<"$bb")" "$REGISTRY/busybox@$IMG_BUSYBOX_DIGEST" "RepoDigests"
  is "$(jq -r '.Labels["cabin.test.image"]' <<<"$bb")" busybox "Labels"
  is "$(jq -r '.Size | type' <<<"$bb")" number "Size"
  is "$(jq -r '.Containers' <<<"$bb")" 0 "Containers"
  is "$(jq -r '.ParentId' <<<"$bb")" "" "ParentId"
}

@test "images --filter reference, label, before, since" {
  pull_two
  run_cabin images --filter reference=busybox --format '{{.Repository}}'
  is "$output" "$REGISTRY/busybox" "reference=busybox"
  run_cabin images --filter "reference=$REGISTRY/multi*" --format '{{.Repository}}'
  is "$output" "$REGISTRY/multilayer" "reference with a wildcard"
  run_cabin images --filter reference=nothing-like-this --format '{{.Repository}}'
  is "$output" "" "reference that matches nothing"
  run_cabin images --format '{{.Repository}}' "$REGISTRY/busybox"
  is "$output" "$REGISTRY/busybox" "a reference argument filters"

  run_cabin images --filter label=cabin.test.image=multilayer --format '{{.Repository}}'
  is "$output" "$REGISTRY/multilayer" "label=KEY=VALUE"
  run_cabin images --filter label=cabin.test.layers --format '{{.Repository}}'
  is "$output" "$REGISTRY/multilayer" "label=KEY"
  run_cabin images --filter label=org.opencontainers.image.title=busybox --format '{{.Repository}}'
  is "$output" "$REGISTRY/busybox" "label on busybox"

  run_cabin images --filter before="$REGISTRY/multilayer" --format '{{.Repository}}'
  is "$output" "$REGISTRY/busybox" "before=multilayer"
  run_cabin images --filter since="$REGISTRY/busybox" --format '{{.Repository}}'
  is "$output" "$REGISTRY/multilayer" "since=busybox"
  run_cabin images --filter since="$REGISTRY/multilayer" --format '{{.Repository}}'
  is "$output" "" "since=newest"

  # Several filters of different kinds must all match.
  run_cabin images --filter reference=busybox --filter label=cabin.test.layers --format '{{.Repository}}'
  is "$output" "" "reference AND label"
}

@test "images --filter dangling" {
  pull_image
  run_cabin import -q "$CABIN_TEST_ROOTFS_TAR"
  local id=$output
  run_cabin images --filter dangling=true --format '{{.Repository}}:{{.Tag}}'
  is "$output" "<none>:<none>" "dangling=true"
  run_cabin images --filter dangling=true -q --no-trunc
  is "$output" "$id" "dangling=true -q"
  run_cabin images --filter dangling=false --format '{{.Repository}}:{{.Tag}}'
  is "$output" "$REGISTRY/busybox:latest" "dangling=false"
  run_cabin images
  is "$output" ".*<none> +<none> +${id:7:12} .*" "untagged image in the table"
}

@test "images --sort" {
  pull_two
  run_cabin images --sort repository --format '{{.Repository}}'
  is "$output" "$REGISTRY/busybox"$'\n'"$REGISTRY/multilayer" "repository"
  run_cabin images --sort created --format '{{.Repository}}'
  is "$output" "$REGISTRY/multilayer"$'\n'"$REGISTRY/busybox" "created: newest first"
  run_cabin images --sort size --format '{{.Repository}}'
  is "$output" "$REGISTRY/busybox"$'\n'"$REGISTRY/multilayer" "size: smallest first"
  run_cabin images --sort id --format '{{.ID}}'
  is "$output" "$(printf '%s\n' "${IMG_BUSYBOX_ID:0:12}" "${IMG_MULTILAYER_ID:0:12}" | sort)" "id"
  run_cabin 125 images --sort bogus
  expect_error '"bogus" is not a valid field for sorting. Choose from: .*'
}

@test "images -a" {
  pull_two
  run_cabin images -a --format '{{.Repository}}'
  is "$output" "$REGISTRY/multilayer"$'\n'"$REGISTRY/busybox" "-a lists both"
}

@test "images: bad filters and references" {
  run_cabin 125 images --filter bogus=1
  expect_error 'unsupported image filter "bogus"'
  run_cabin 125 images --filter dangling=maybe
  expect_error '.*dangling.*maybe.*'
  run_cabin 125 images --filter before=nosuch
  expect_error '.*nosuch.*image not known'
  run_cabin images nosuch
  is "$output" "$HEADER" "an unknown reference lists nothing"
}
