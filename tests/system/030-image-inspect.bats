#!/usr/bin/env bats
# cabin image inspect

load helpers

setup() {
  basic_setup
  require_registry
}

@test "image inspect: Podman's JSON shape" {
  require_tool jq
  pull_image
  run_cabin image inspect "$IMAGE"
  jq -e . <<<"$output" >/dev/null || die "not JSON"
  is "$(jq -r 'type' <<<"$output")" array "an array"
  is "$(jq -r 'length' <<<"$output")" 1 "one element"
  local i
  i=$(jq -c '.[0]' <<<"$output")
  is "$(jq -r .Id <<<"$i")" "$IMG_BUSYBOX_ID" "Id"
  is "$(jq -r .Digest <<<"$i")" "$IMG_BUSYBOX_DIGEST" "Digest"
  is "$(jq -r '.RepoTags | join(",")' <<<"$i")" "$REGISTRY/busybox:latest" "RepoTags"
  is "$(jq -r '.RepoDigests | join(",")' <<<"$i")" "$REGISTRY/busybox@$IMG_BUSYBOX_DIGEST" "RepoDigests"
  is "$(jq -r .Created <<<"$i")" "2024-01-01T00:00:00Z" "Created"
  is "$(jq -r .Architecture <<<"$i")" amd64 "Architecture"
  is "$(jq -r .Os <<<"$i")" linux "Os"
  is "$(jq -r '.Size | type' <<<"$i")" number "Size"
  [[ $(jq -r .Size <<<"$i") -gt 1900000 ]] || die "Size is the unpacked size: $(jq -r .Size <<<"$i")"
  is "$(jq -r .VirtualSize <<<"$i")" "$(jq -r .Size <<<"$i")" "VirtualSize = Size"
  is "$(jq -r '.Labels["cabin.test.image"]' <<<"$i")" busybox "Labels"
  is_exact "$(jq -c .Config.Cmd <<<"$i")" '["sh"]' "Config.Cmd"
  is_exact "$(jq -c .Config.Env <<<"$i")" '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]' "Config.Env"
  is "$(jq -r .Config.WorkingDir <<<"$i")" / "Config.WorkingDir"
  is "$(jq -r '.Config.Labels["org.opencontainers.image.title"]' <<<"$i")" busybox "Config.Labels"
  is "$(jq -r .RootFS.Type <<<"$i")" layers "RootFS.Type"
  is "$(jq -c .RootFS.Layers <<<"$i")" "\[\"$IMG_BUSYBOX_LAYER_DIFFID\"\]" "RootFS.Layers"
  is "$(jq -r '.History | length' <<<"$i")" 2 "History"
  is "$(jq -r '.History[1].empty_layer' <<<"$i")" true "History[1].empty_layer"
  is "$(jq -r '.History[0].created_by' <<<"$i")" "/bin/sh -c #\(nop\) ADD file:busybox-static in / " "History[0].created_by"
  is_exact "$(jq -r .ManifestType <<<"$i")" "application/vnd.oci.image.manifest.v1+json" "ManifestType"
  is "$(jq -r '.NamesHistory | join(",")' <<<"$i")" "$REGISTRY/busybox:latest" "NamesHistory"
  is "$(jq -r '[keys[]] | join(",")' <<<"$i")" \
    "Annotations,Architecture,Author,Comment,Config,Created,Digest,GraphDriver,History,Id,Labels,ManifestType,NamesHistory,Os,Parent,RepoDigests,RepoTags,RootFS,Size,User,Version,VirtualSize" \
    "the keys Podman 4.3 prints"
}

@test "image inspect: Docker schema 2 image" {
  require_tool jq
  pull_image "$REGISTRY/busybox:v2s2"
  run_cabin image inspect --format '{{.ManifestType}} {{.Digest}}' "$REGISTRY/busybox:v2s2"
  is "$output" "application/vnd.docker.distribution.manifest.v2\+json $IMG_BUSYBOX_V2S2_DIGEST"
}

@test "image inspect: multilayer Config and History" {
  require_tool jq
  pull_image "$REGISTRY/multilayer"
  run_cabin image inspect "$REGISTRY/multilayer"
  local i
  i=$(jq -c '.[0]' <<<"$output")
  is "$(jq -r .Id <<<"$i")" "$IMG_MULTILAYER_ID" "Id"
  is "$(jq -r '.RootFS.Layers | length' <<<"$i")" 4 "four layers"
  is "$(jq -r '.History | length' <<<"$i")" 5 "five history entries"
  is "$(jq -r .Author <<<"$i")" "cabin tests" "Author"
  is "$(jq -r .User <<<"$i")" "0:0" "User"
  is "$(jq -r .Config.User <<<"$i")" "0:0" "Config.User"
  is_exact "$(jq -c .Config.Entrypoint <<<"$i")" '["/bin/sh","-c"]' "Entrypoint"
  is_exact "$(jq -c .Config.Cmd <<<"$i")" '["cat /data/kept.txt"]' "Cmd"
  is "$(jq -r .Config.WorkingDir <<<"$i")" /data "WorkingDir"
  is_exact "$(jq -c .Config.ExposedPorts <<<"$i")" '{"8080/tcp":{}}' "ExposedPorts"
  is_exact "$(jq -c .Config.Volumes <<<"$i")" '{"/var/cache":{}}' "Volumes"
  is "$(jq -r .Config.StopSignal <<<"$i")" SIGTERM "StopSignal"
  is "$(jq -c .Config.Env <<<"$i")" '\["PATH=.*","CABIN_TEST=multilayer"\]' "Env"
  is "$(jq -r '.History[1].comment' <<<"$i")" "links, owners, modes" "History comment"
  is "$(jq -r '.History[4].author' <<<"$i")" "cabin tests" "History author"
}

@test "image inspect --format" {
  pull_image
  run_cabin image inspect --format '{{.Id}}' "$IMAGE"
  is "$output" "$IMG_BUSYBOX_ID"
  run_cabin image inspect --format '{{.ID}}' "$IMAGE"
  is "$output" "$IMG_BUSYBOX_ID" ".ID is an alias of .Id"
  run_cabin image inspect --format '{{.RepoTags}}' "$IMAGE"
  is "$output" "\[$REGISTRY/busybox:latest\]"
  run_cabin image inspect --format '{{.Created}}' "$IMAGE"
  is "$output" "2024-01-01 00:00:00 \+0000 UTC" "Created as Go prints a time"
  run_cabin image inspect --format '{{.Config.Cmd}}' "$IMAGE"
  is "$output" "\[sh\]"
  run_cabin image inspect --format '{{.Labels}}' "$IMAGE"
  is "$output" "map\[cabin.test.image:busybox org.opencontainers.image.title:busybox\]"
  run_cabin image inspect --format '{{index .Labels "cabin.test.image"}}' "$IMAGE"
  is "$output" busybox
  run_cabin image inspect --format '{{json .Config.Env}}' "$IMAGE"
  is "$output" '\["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\]'
  run_cabin image inspect --format '{{.RootFS.Type}} {{len .RootFS.Layers}} {{len .History}}' "$IMAGE"
  is "$output" "layers 1 2"
  run_cabin image inspect --format '{{.Architecture}}/{{.Os}} {{.Size}}' "$IMAGE"
  is "$output" "amd64/linux [0-9]+"
  run_cabin image inspect --format '{{range .RepoDigests}}{{.}}{{end}}' "$IMAGE"
  is "$output" "$REGISTRY/busybox@$IMG_BUSYBOX_DIGEST"
  run_cabin image inspect --format json "$IMAGE"
  is "${lines[0]}" "\[" "--format json is the default output"
}

@test "image inspect: by short ID, full ID, sha256:ID, name and short name" {
  pull_image
  local ref
  for ref in "${IMG_BUSYBOX_ID:0:12}" "$IMG_BUSYBOX_ID" "sha256:$IMG_BUSYBOX_ID" "$IMAGE" \
      "$REGISTRY/busybox" busybox busybox:latest "$REGISTRY/busybox@$IMG_BUSYBOX_DIGEST"; do
    run_cabin image inspect --format '{{.Id}}' "$ref"
    is "$output" "$IMG_BUSYBOX_ID" "inspect $ref"
  done
}

@test "image inspect: several images" {
  pull_image
  pull_image "$REGISTRY/multilayer"
  run_cabin image inspect --format '{{.Id}}' "$IMAGE" "$REGISTRY/multilayer"
  is "$output" "$IMG_BUSYBOX_ID"$'\n'"$IMG_MULTILAYER_ID"
}

@test "image inspect: unknown image" {
  run_cabin 125 image inspect nosuch
  is "$stderr" "Error: (inspecting object: )?nosuch: image not known" "error"
  pull_image
  run_cabin 125 image inspect --format '{{.Id}}' "$IMAGE" nosuch
  is "$stderr" "Error: (inspecting object: )?nosuch: image not known" "error"
}

@test "image inspect: bad template" {
  pull_image
  run_cabin 125 image inspect --format '{{.NoSuchField}}' "$IMAGE"
  is "${#stderr_lines[@]}" 1 "one line"
  is "$stderr" "Error: .*NoSuchField.*"
}
