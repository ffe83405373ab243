#!/usr/bin/env bats
# Docker mode: cabin run through a symlink named `docker` takes Docker's
# short names (docker.io only), shows names and fields as Docker does, and
# keeps one store with cabin, which itself stays Podman-compatible.
# docker.io is never reached: the tests either redirect docker.io/library to
# the loopback registry or block docker.io in registries.conf.

load helpers

setup() {
  basic_setup
  require_registry
  mkdir -p "$BATS_TEST_TMPDIR/bin"
  DOCKER=$BATS_TEST_TMPDIR/bin/docker
  ln -s "$CABIN" "$DOCKER"
}

# run_docker [RC] ARGS…: run_cabin through the `docker` symlink.
run_docker() {
  CABIN=$DOCKER run_cabin "$@"
}

# docker.io/library/NAME is served by the test registry's NAME.
redirect_docker_hub() {
  write_registries_conf "[[registry]]
prefix = \"docker.io/library\"
location = \"$REGISTRY\"
insecure = true"
}

# docker.io is blocked: a pull from it fails at once, without traffic.
block_docker_hub() {
  write_registries_conf '[[registry]]
prefix = "docker.io"
location = "docker.io"
blocked = true'
}

DOCKER_IMAGES_HEADER='REPOSITORY +TAG +IMAGE ID +CREATED +SIZE'
DOCKER_PS_HEADER='CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES'

@test "docker mode: a short name pulls from docker.io, not the search registries" {
  redirect_docker_hub
  run_docker pull busybox
  assert_contains "$stderr" "Trying to pull docker.io/library/busybox:latest..." "docker.io's name, not the search registry's"
  is "$(cabin_out images --format '{{.Repository}}:{{.Tag}} {{.ID}}')" "docker.io/library/busybox:latest ${IMG_BUSYBOX_ID:0:12}" \
    "stored under docker.io, as cabin shows it"
  run_docker images
  is "${lines[0]}" "$DOCKER_IMAGES_HEADER" "header"
  is "${lines[1]}" "busybox +latest +${IMG_BUSYBOX_ID:0:12} +[0-9]+ years? ago +[0-9.]+[kM]B" "Docker's short name; size without a blank"
  is "${#lines[@]}" 2 "one image"
  run_cabin images
  is "${lines[1]}" "docker.io/library/busybox +latest +${IMG_BUSYBOX_ID:0:12} +.* [kM]B" "cabin: full name, Podman's size"

  # Neither aliases nor unqualified-search-registries apply (the test's
  # registries.conf searches $REGISTRY, which also has busybox).
  block_docker_hub
  run_docker 125 pull -q multilayer
  expect_error "pull docker.io/library/multilayer:latest: registry docker.io is blocked in .*" "only docker.io is tried"
  run_cabin pull -q multilayer
  is "$output" "$IMG_MULTILAYER_ID" "cabin still searches $REGISTRY"
}

@test "docker mode: a short name finds only docker.io's or a local image" {
  block_docker_hub
  pull_image "$REGISTRY/busybox:latest"
  run_cabin image inspect --format '{{.Id}}' busybox
  is "$output" "$IMG_BUSYBOX_ID" "cabin: busybox matches any registry's"
  run_docker 125 inspect --type image busybox
  expect_error "No such object: busybox" "docker: busybox means docker.io/library/busybox"
  run_docker images -q busybox
  is "$output" "" "images: the reference is matched as Docker names it"
  run_cabin images -q busybox
  is "$output" "${IMG_BUSYBOX_ID:0:12}" "cabin: as Podman"
  run_docker 125 image inspect busybox
  expect_error "No such image: busybox"
  run_cabin 125 image inspect nosuch
  expect_error "nosuch: image not known" "cabin: Podman's words"
  run_docker 125 run -q --rm busybox true
  is "$stderr" "Unable to find image 'busybox:latest' locally"$'\n'"Error: pull docker.io/library/busybox:latest: registry docker.io is blocked in .*" \
    "Docker's line, then the pull from docker.io fails"
  # Qualified names work as always.
  run_docker image inspect --format '{{.Id}} {{.RepoTags}}' "$REGISTRY/busybox"
  is "$output" "sha256:$IMG_BUSYBOX_ID \[$REGISTRY/busybox:latest\]" "Docker's sha256: ID; other registries' names kept"
}

@test "docker mode: tagged short names are found and shown without localhost/" {
  pull_image "$REGISTRY/busybox:latest"
  pull_image "$REGISTRY/multilayer:latest"
  run_docker tag "$REGISTRY/busybox" myapp
  run_cabin images --format '{{.Repository}}:{{.Tag}}' --sort repository
  is "$output" "$REGISTRY/busybox:latest"$'\n'"$REGISTRY/multilayer:latest"$'\n'"localhost/myapp:latest" \
    "one store: cabin sees localhost/myapp"
  run_docker images --format '{{.Repository}}:{{.Tag}}' --sort repository
  is "$output" "$REGISTRY/busybox:latest"$'\n'"$REGISTRY/multilayer:latest"$'\n'"myapp:latest" "docker shows myapp"
  run_docker image inspect --format '{{.Id}} {{.RepoTags}}' myapp
  is "$output" "sha256:$IMG_BUSYBOX_ID \[$REGISTRY/busybox:latest myapp:latest\]" "found by its short name"
  run_cabin image inspect --format '{{.Id}} {{.RepoTags}}' myapp
  is "$output" "$IMG_BUSYBOX_ID \[$REGISTRY/busybox:latest localhost/myapp:latest\]" "cabin: Podman's forms"

  # A docker.io/library name (as Docker itself stores `myapp`) is found by
  # its short name too; localhost/ wins when both exist.
  run_cabin tag "$REGISTRY/multilayer" docker.io/library/other docker.io/library/myapp
  run_docker inspect --type image --format '{{.Id}} {{.RepoTags}}' other
  is "$output" "sha256:$IMG_MULTILAYER_ID \[$REGISTRY/multilayer:latest other:latest myapp:latest\]" "docker.io's short name"
  run_docker inspect --format '{{.Id}}' myapp
  is "$output" "sha256:$IMG_BUSYBOX_ID" "localhost/myapp before docker.io/library/myapp"

  run_docker images --format '{{json .}}' "$REGISTRY/busybox"
  is "${lines[0]}" "\{\"Containers\":\"N/A\",\"CreatedAt\":\"[^\"]+ UTC\",\"CreatedSince\":\"[^\"]+ ago\",\"Digest\":\"sha256:[0-9a-f]{64}\",\"ID\":\"${IMG_BUSYBOX_ID:0:12}\",\"Repository\":\"$REGISTRY/busybox\",\"SharedSize\":\"N/A\",\"Size\":\"[0-9.]+[kM]B\",\"Tag\":\"latest\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"[0-9.]+[kM]B\"\}" \
    "{{json .}}: a line of Docker's fields"
  run_cabin images --format '{{json .}}' "$REGISTRY/busybox"
  is "${lines[0]}" "\[" "cabin: Podman's JSON array"

  run_docker rmi myapp
  is "$output" "Untagged: myapp:latest" "rmi removes the localhost name first"
  run_cabin image inspect --format '{{.RepoTags}}' docker.io/library/myapp
  is "$output" "\[$REGISTRY/multilayer:latest docker.io/library/other:latest docker.io/library/myapp:latest\]" \
    "the docker.io name is left"
  run_docker rmi myapp
  is "$output" "Untagged: myapp:latest" "then docker.io's"
  run_cabin images --format '{{.Repository}}' --sort repository
  is "$output" "$REGISTRY/busybox"$'\n'"$REGISTRY/multilayer"$'\n'"docker.io/library/other" "both gone"
  run_docker 1 rmi myapp
  is "$stderr" "Error: myapp: image not known"
}

@test "docker mode: ps and container inspect show Docker's fields" {
  pull_image "$REGISTRY/busybox:latest"
  run_docker tag "$REGISTRY/busybox" myapp
  run_docker create --name c1 myapp echo say '"hi"' and more
  local id=$output
  run_docker ps -a
  is "${lines[0]}" "$DOCKER_PS_HEADER" "header"
  is "${lines[1]}" "${id:0:12} +myapp +\"echo say ..hi.. an… +.* ago +Created +c1" "quoted, cut command"
  run_docker ps -a --no-trunc --format '{{.Image}},{{.Command}},{{.State}},{{.Names}}'
  is_exact "$output" 'myapp,"echo say \"hi\" and more",created,c1' "Go-quoted command, one-word State"
  run_cabin ps -a --no-trunc --format '{{.Image}},{{.Command}},{{.State}}'
  is_exact "$output" 'myapp,echo say "hi" and more,Created' "cabin: Podman's fields"

  run_docker ps -a --format '{{json .}}'
  is "$output" "\{\"Command\":\"\\\\\"echo say .*\",\"CreatedAt\":\"[^\"]+\",\"ID\":\"${id:0:12}\",\"Image\":\"myapp\",\"Labels\":\"\",\"LocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"c1\",\"Networks\":\"[^\"]*\",\"Ports\":\"\",\"RunningFor\":\"[^\"]+ ago\",\"Size\":\"\",\"State\":\"created\",\"Status\":\"Created\"\}" \
    "{{json .}}: one line, Docker's fields"

  run_docker inspect --format '{{.Name}} {{.Image}} {{.Config.Image}}' c1
  is "$output" "/c1 sha256:$IMG_BUSYBOX_ID myapp" "Docker's Name and Image"
  run_cabin inspect --format '{{.Name}} {{.Image}} {{.Config.Image}}' c1
  is "$output" "c1 $IMG_BUSYBOX_ID myapp" "cabin: Podman's"
  run_docker 125 container inspect nosuch
  expect_error "No such container: nosuch"
  run_docker 125 inspect nosuch
  expect_error "No such object: nosuch"
  run_cabin 125 inspect nosuch
  expect_error 'no such object: "nosuch"'
}

@test "docker mode: run says it pulls, then runs docker.io's image" {
  require_userns
  redirect_docker_hub
  run_docker run --rm busybox echo ran
  is "$output" "ran" "the container ran"
  assert_contains "$stderr" "Unable to find image 'busybox:latest' locally" "Docker's line before the pull"
  run_docker run --rm busybox echo again
  is "$output" "again"
  assert_not_contains "$stderr" "Unable to find image" "a local image is used as it is"
}

@test "docker mode: DOCKER_HOST: a local socket is ignored, a remote daemon refused" {
  pull_image "$REGISTRY/busybox:latest"
  DOCKER_HOST=unix:///var/run/docker.sock run_docker images -q
  is "$output" "${IMG_BUSYBOX_ID:0:12}" "unix socket: this machine's images"
  DOCKER_HOST=tcp://127.0.0.1:2375 run_docker 125 images -q
  expect_error "DOCKER_HOST=tcp://127.0.0.1:2375 names a remote daemon, but cabin has no daemon and only manages this machine's containers: unset DOCKER_HOST to use them"
  is "$output" "" "nothing listed"
  DOCKER_HOST=tcp://127.0.0.1:2375 run_cabin images -q
  is "$output" "${IMG_BUSYBOX_ID:0:12}" "cabin ignores DOCKER_HOST, as Podman"
}

@test "docker mode: login writes Docker's config.json; DOCKER_CONFIG moves it" {
  local user=$CABIN_TEST_AUTH_USER pass=$CABIN_TEST_AUTH_PASSWORD
  run_docker login --cert-dir "$CABIN_TEST_CERT_DIR" -u "$user" -p "$pass" "$REGISTRY_AUTH"
  is "$output" "Login Succeeded!"
  run jq -r --arg r "$REGISTRY_AUTH" '.auths[$r].auth' "$HOME/.docker/config.json"
  is_exact "$output" "$(printf '%s:%s' "$user" "$pass" | base64 -w0)" "~/.docker/config.json"
  [[ ! -e $XDG_RUNTIME_DIR/containers/auth.json ]] || die "cabin's auth.json written too"
  run_cabin login --get-login "$REGISTRY_AUTH"
  is "$output" "$user" "cabin reads Docker's file"
  run_docker logout "$REGISTRY_AUTH"
  is "$output" "Removed login credentials for $REGISTRY_AUTH"
  run jq -c '.auths' "$HOME/.docker/config.json"
  is_exact "$output" "{}" "removed from Docker's file"

  export DOCKER_CONFIG=$BATS_TEST_TMPDIR/dockercfg
  run_docker login --cert-dir "$CABIN_TEST_CERT_DIR" -u "$user" -p "$pass" "$REGISTRY_AUTH"
  run jq -r '.auths | keys[]' "$DOCKER_CONFIG/config.json"
  is_exact "$output" "$REGISTRY_AUTH" "\$DOCKER_CONFIG/config.json"
  run_docker login --get-login "$REGISTRY_AUTH"
  is "$output" "$user"
}

@test "docker mode: version and info answer Docker's template fields" {
  local v
  v=$(cabin_out version --format '{{.Client.Version}}')
  run_docker version --format '{{.Server.Version}}'
  is "$output" "$v" "Server.Version: cabin is the engine"
  run_cabin 125 version --format '{{.Server.Version}}'
  run_docker info --format '{{.ServerVersion}} {{.DockerRootDir}} {{.OSType}}'
  is "$output" "$v $GRAPHROOT linux"
  run_cabin 125 info --format '{{.ServerVersion}}'
}

@test "docker mode: usage and errors name docker" {
  run_docker 125 frobnicate
  is "${stderr_lines[0]}" "Error: unrecognized command \`docker frobnicate\`"
  run_docker 125 images --bogus
  is "$stderr" "Error: unknown flag: --bogus"$'\n'"See 'docker images --help'"
  run_docker --help
  assert_contains "$output" "Usage: docker" "usage"
  run_cabin 125 images --bogus
  is "$stderr" "Error: unknown flag: --bogus"$'\n'"See 'cabin images --help'"
  run_docker 125 run --rm --gpus all "$REGISTRY/busybox" true
  expect_error "--gpus is not supported: give GPUs as CDI devices instead \(--device nvidia.com/gpu=all\)"
  is "$(cabin_out ps -a -q)" "" "no container made"
}
