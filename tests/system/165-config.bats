#!/usr/bin/env bats
# containers.conf (containers.conf(5), containers-config(5)): which files are
# read and in which order, the settings cabin honours as run/create/build
# defaults, flags overriding them, a malformed file's error, `info` listing
# the files; and the environment overrides CONTAINERS_CONF,
# CONTAINERS_CONF_OVERRIDE, CONTAINERS_STORAGE_CONF,
# CONTAINERS_REGISTRIES_CONF and REGISTRY_AUTH_FILE.
# The tests write the user's files and the files the environment names; they
# never touch /etc or /usr/share (the host's own files, when there are any,
# come first and are overridden).

load helpers

setup() {
  basic_setup
  USER_CONF=$XDG_CONFIG_HOME/containers/containers.conf
}

# conf FILE TOML…: writes FILE (making its directory) from the lines given.
conf() {
  local f=$1
  shift
  mkdir -p "$(dirname "$f")"
  printf '%s\n' "$@" >"$f"
}

# show_env NAME…: runs the probe image printing the variables, one a line.
show_env() {
  local script='' n
  for n; do script+="echo $n=\${$n-unset};"; done
  run_cabin run --rm --network none "$PROBE_IMAGE" sh -c "$script"
}

# ------------------------------------------------------------ files and precedence

@test "containers.conf: user file, its drop-ins (sorted), cabin's own file, then CONTAINERS_CONF_OVERRIDE" {
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'env = ["WHO=user", "A=from-user"]'
  conf "$XDG_CONFIG_HOME/containers/containers.conf.d/20-b.conf" '[containers]' 'env = ["WHO=dropin-20", "B=from-dropin"]'
  conf "$XDG_CONFIG_HOME/containers/containers.conf.d/10-a.conf" '[containers]' 'env = ["WHO=dropin-10"]'
  conf "$XDG_CONFIG_HOME/containers/containers.conf.d/30-c.conf.off" '[containers]' 'env = ["WHO=not-a-conf-file"]'
  show_env WHO A B
  is "$output" "WHO=dropin-20.A=unset.B=from-dropin" "the last drop-in's env replaces the whole list"

  conf "$XDG_CONFIG_HOME/cabin/containers.conf" '[containers]' 'env = ["WHO=cabin"]' 'init = true'
  show_env WHO
  is "$output" "WHO=cabin" "cabin's own file comes after the containers ones"

  conf "$BATS_TEST_TMPDIR/override.conf" '[containers]' 'env = ["WHO=override"]'
  CONTAINERS_CONF_OVERRIDE=$BATS_TEST_TMPDIR/override.conf show_env WHO
  is "$output" "WHO=override" "CONTAINERS_CONF_OVERRIDE is read last"

  # Key by key: the override sets env only; init still comes from cabin's
  # file (under an init, SIGKILL from inside kills the command).
  CONTAINERS_CONF_OVERRIDE=$BATS_TEST_TMPDIR/override.conf run_probe 137 -- kill-self KILL
  CONTAINERS_CONF_OVERRIDE=$BATS_TEST_TMPDIR/override.conf run_cabin info --format json
  local want=("$USER_CONF" "$XDG_CONFIG_HOME/containers/containers.conf.d/10-a.conf"
    "$XDG_CONFIG_HOME/containers/containers.conf.d/20-b.conf" "$XDG_CONFIG_HOME/cabin/containers.conf"
    "$BATS_TEST_TMPDIR/override.conf")
  local files
  files=$(jq -r '.host.containersConf.files[]' <<<"$output" | grep -v -E '^/(etc|usr/share)/')
  is "$files" "$(printf '%s\n' "${want[@]}")" "info: the files in the order they were merged"
  # The host's system-wide files come first when it has them.
  if [[ -e /usr/share/containers/containers.conf ]]; then
    is "$(jq -r '.host.containersConf.files[0]' <<<"$output")" /usr/share/containers/containers.conf
  fi
}

@test "containers.conf: CONTAINERS_CONF is the only file read (with CONTAINERS_CONF_OVERRIDE after it)" {
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'env = ["WHO=user", "U=1"]'
  conf "$BATS_TEST_TMPDIR/only.conf" '[containers]' 'env = ["WHO=only"]'
  conf "$BATS_TEST_TMPDIR/override.conf" '[containers]' 'env = ["WHO=override"]'
  CONTAINERS_CONF=$BATS_TEST_TMPDIR/only.conf show_env WHO U
  is "$output" "WHO=only.U=unset" "the user's file is not read"
  CONTAINERS_CONF=$BATS_TEST_TMPDIR/only.conf run_cabin info --format '{{json .Host.ContainersConf.Files}}'
  is "$output" "\[\"$BATS_TEST_TMPDIR/only.conf\"\]"
  CONTAINERS_CONF=$BATS_TEST_TMPDIR/only.conf CONTAINERS_CONF_OVERRIDE=$BATS_TEST_TMPDIR/override.conf show_env WHO
  is "$output" "WHO=override"
  # Named by the environment, a file must exist.
  CONTAINERS_CONF=$BATS_TEST_TMPDIR/none.conf run_cabin 125 run --rm --network none "$PROBE_IMAGE" true
  expect_error "containers.conf $BATS_TEST_TMPDIR/none.conf: No such file or directory"
}

# ------------------------------------------------------------ settings

@test "containers.conf: default_capabilities, and --cap-add/--cap-drop on top" {
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'default_capabilities = ["CHOWN", "KILL", "net_bind_service"]'
  run_probe -- caps
  is "$(probe_field CapEff)" "$(caps_hex CHOWN KILL NET_BIND_SERVICE)" "CapEff from the file"
  is "$(probe_field CapBnd)" "$(caps_hex CHOWN KILL NET_BIND_SERVICE)" "CapBnd from the file"
  run_probe --cap-add SYS_CHROOT --cap-drop KILL -- caps
  is "$(probe_field CapEff)" "$(caps_hex CHOWN NET_BIND_SERVICE SYS_CHROOT)" "flags apply to the file's set"
  run_probe --privileged -- caps
  is "$(probe_field CapEff)" "$(all_caps_hex)" "--privileged: every capability"
}

@test "containers.conf: default_ulimits; --ulimit overrides the same limit; pids_limit is read, not applied" {
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'default_ulimits = ["nofile=100:200", "nproc=1000:2000"]' 'pids_limit = 2048'
  run_probe -- rlimit nofile
  is "$output" "100 200" "nofile from the file"
  run_probe -- rlimit nproc
  is "$output" "1000 2000" "nproc from the file"
  run_probe --ulimit nofile=50:60 -- rlimit nofile
  is "$output" "50 60" "--ulimit wins"
  run_probe --ulimit nofile=50:60 -- rlimit nproc
  is "$output" "1000 2000" "the file's other limits stay"
}

@test "containers.conf: env (NAME alone takes the host's value) below the image's Env, -e and --env-host" {
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'env = ["FROM_CONF=1", "OVERRIDDEN=conf", "CABIN_TEST_HOSTVAR", "CABIN_TEST_UNSET"]'
  CABIN_TEST_HOSTVAR=from-host show_env FROM_CONF OVERRIDDEN CABIN_TEST_HOSTVAR CABIN_TEST_UNSET
  is "$output" "FROM_CONF=1.OVERRIDDEN=conf.CABIN_TEST_HOSTVAR=from-host.CABIN_TEST_UNSET=unset"
  run_cabin run --rm --network none -e OVERRIDDEN=flag "$PROBE_IMAGE" sh -c 'echo $FROM_CONF $OVERRIDDEN'
  is "$output" "1 flag" "-e wins"
  conf "$USER_CONF" '[containers]' 'env = ["PROBE_OVERRIDE=from-conf", "HOST_TOO=conf"]' 'env_host = true'
  HOST_TOO=host show_env PROBE_OVERRIDE HOST_TOO
  is "$output" "PROBE_OVERRIDE=from-image.HOST_TOO=host" "the image's Env, then the host's, beat the file's env"
}

@test "containers.conf: dns_servers, dns_searches, dns_options; --dns overrides one of them" {
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'dns_servers = ["192.0.2.53"]' 'dns_searches = ["conf.example"]' \
    'dns_options = ["ndots:3"]'
  run_cabin run --rm --network none "$PROBE_IMAGE" cat /etc/resolv.conf
  is "$output" "search conf.example.nameserver 192.0.2.53.options ndots:3"
  run_cabin run --rm --network none --dns 198.51.100.7 "$PROBE_IMAGE" cat /etc/resolv.conf
  is "$output" "search conf.example.nameserver 198.51.100.7.options ndots:3" "--dns replaces the servers only"
}

@test "containers.conf: init; --init=false turns it off" {
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'init = true'
  # Under an init the command is not PID 1, so SIGKILL from inside kills it.
  run_probe 137 -- kill-self KILL
  run_probe 1 --init=false -- kill-self KILL
  is "$output" "alive" "PID 1 without an init"
}

@test "containers.conf: umask, tz and shm_size; --umask, --tz and --shm-size override them" {
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'umask = "0027"' 'tz = "Asia/Tokyo"' 'shm_size = "2m"'
  run_cabin run --rm --network none "$PROBE_IMAGE" sh -c "umask; date +%Z; df -k /dev/shm | awk 'NR == 2 {print \$2}'"
  is "$output" $'0027\nJST\n2048' "the file's"
  run_cabin run --rm --network none --umask 0002 --tz UTC --shm-size 1m "$PROBE_IMAGE" \
    sh -c "umask; date +%Z; df -k /dev/shm | awk 'NR == 2 {print \$2}'"
  is "$output" $'0002\nUTC\n1024' "the flags'"
}

@test "containers.conf: userns keep-id; --userns overrides it" {
  skip_if_root
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'userns = "keep-id"'
  run_probe -- ids
  is "$output" "uid=$(id -u) gid=$(id -g) euid=$(id -u) egid=$(id -g) groups=.*" "keep-id from the file"
  run_probe --userns host -- ids
  is "$output" "uid=0 gid=0 euid=0 egid=0 groups=.*" "--userns=host"
  # A Podman mode cabin lacks is said, not fatal.
  conf "$USER_CONF" '[containers]' 'userns = "auto"'
  CABIN_ALLOWED_WARNINGS='userns "auto" is not supported by cabin, ignored'
  run_probe -- ids
  is "${lines[-1]}" "uid=0 gid=0 euid=0 egid=0 groups=.*"
}

@test "containers.conf: annotations and read_only on a created container" {
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'annotations = ["org.example.conf=1", "org.example.both=conf"]' 'read_only = true'
  run_cabin create --name c1 --annotation org.example.both=flag "$PROBE_IMAGE" true
  run_cabin inspect --format '{{json .Config.Annotations}}' c1
  is "$(jq -r '."org.example.conf" + " " + ."org.example.both"' <<<"$output")" "1 flag"
  run_cabin run --rm --network none "$PROBE_IMAGE" sh -c 'touch /x 2>/dev/null && echo writable || echo read-only'
  is "$output" "read-only"
  run_cabin run --rm --network none --read-only=false "$PROBE_IMAGE" sh -c 'touch /x && echo writable'
  is "$output" "writable"
}

@test "containers.conf: [engine] pull_policy for run, create and build; --pull overrides it" {
  require_userns
  require_registry
  conf "$USER_CONF" '[engine]' 'pull_policy = "never"'
  run_cabin 125 run --rm --network none "$IMAGE" true
  expect_error "$IMAGE: image not known"
  run_cabin 125 create "$IMAGE" true
  expect_error "$IMAGE: image not known"
  printf 'FROM %s\nRUN true\n' "$IMAGE" >"$BATS_TEST_TMPDIR/Containerfile"
  run_cabin 125 build -q -f "$BATS_TEST_TMPDIR/Containerfile" "$BATS_TEST_TMPDIR"
  assert_contains "$stderr" "image not known" "build's FROM is not pulled"
  is "$(image_ids)" "" "nothing was pulled"
  run_cabin run --rm --network none -q --pull missing "$IMAGE" true
  is "$(image_ids | wc -l)" 1 "--pull missing pulled it"
}

# ------------------------------------------------------------ errors

@test "containers.conf: a malformed file is a one-line error naming the file and key, and changes nothing" {
  require_userns
  pull_probe
  store_baseline
  conf "$USER_CONF" '[containers]' 'pids_limit = "lots"'
  run_cabin 125 run --rm --network none "$PROBE_IMAGE" true
  expect_error "containers.conf $USER_CONF: \[containers\] pids_limit: expected an integer"
  assert_nothing_left "$BASELINE"
  run_cabin 125 create "$PROBE_IMAGE" true
  expect_error "containers.conf $USER_CONF: \[containers\] pids_limit: expected an integer"
  conf "$USER_CONF" '[containers]' 'default_capabilities = ["CHOWN", "NOT_A_CAP"]'
  run_cabin 125 run --rm --network none "$PROBE_IMAGE" true
  expect_error "containers.conf $USER_CONF: \[containers\] default_capabilities: \"CAP_NOT_A_CAP\": unknown capability"
  conf "$USER_CONF" '[engine]' 'pull_policy = "sometimes"'
  run_cabin 125 run --rm --network none "$PROBE_IMAGE" true
  expect_error "containers.conf $USER_CONF: \[engine\] pull_policy: unsupported pull policy \"sometimes\": .*"
  conf "$USER_CONF" '[containers]' 'umask = "0999"'
  run_cabin 125 run --rm --network none "$PROBE_IMAGE" true
  expect_error "containers.conf $USER_CONF: \[containers\] umask: \"0999\" is not an octal mode such as 0022"
  conf "$USER_CONF" '[containers]' 'shm_size = "lots"'
  run_cabin 125 run --rm --network none "$PROBE_IMAGE" true
  expect_error "containers.conf $USER_CONF: \[containers\] shm_size: invalid size: 'lots'"
  conf "$USER_CONF" '[containers]' 'init = '
  run_cabin 125 run --rm --network none "$PROBE_IMAGE" true
  expect_error "containers.conf $USER_CONF: .*line 2.*"
  assert_nothing_left "$BASELINE"
  # info reports it instead of failing.
  run_cabin info --format '{{.Host.ContainersConf.Error}}'
  assert_contains "$output" "containers.conf $USER_CONF: "
}

@test "containers.conf: a Podman file with keys cabin has no use for is no error" {
  require_userns
  pull_probe
  conf "$USER_CONF" '[containers]' 'label = true' 'netns = "slirp4netns"' 'env = ["X=1", {append=true}]' \
    'default_sysctls = ["net.ipv4.ping_group_range=0 0"]' 'log_driver = "journald"' 'log_size_max = -1' \
    '[engine]' 'cgroup_manager = "cgroupfs"' 'events_logger = "file"' 'runtime = "crun"' \
    '[engine.runtimes]' 'crun = ["/usr/bin/crun"]' \
    '[network]' 'default_network = "podman"' 'default_subnet = "10.88.0.0/16"' \
    '[secrets]' '[machine]' 'cpus = 2'
  run_cabin run --rm --network none "$PROBE_IMAGE" true
  is "$stderr" "" "no warning either"
}

# ------------------------------------------------------------ environment overrides and info

@test "info: CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF and the containers.conf files" {
  conf "$BATS_TEST_TMPDIR/storage.conf" '[storage]' 'driver = "overlay"' "graphroot = \"$BATS_TEST_TMPDIR/g\"" \
    "runroot = \"$BATS_TEST_TMPDIR/r\""
  cp "$XDG_CONFIG_HOME/containers/registries.conf" "$BATS_TEST_TMPDIR/registries.conf"
  conf "$USER_CONF" '[containers]' 'init = true'
  export CONTAINERS_STORAGE_CONF=$BATS_TEST_TMPDIR/storage.conf
  export CONTAINERS_REGISTRIES_CONF=$BATS_TEST_TMPDIR/registries.conf
  run_cabin info --format json
  is "$(jq -r '.store.configFile' <<<"$output")" "$BATS_TEST_TMPDIR/storage.conf" "store.configFile"
  is "$(jq -r '.store.graphRoot' <<<"$output")" "$BATS_TEST_TMPDIR/g" "storage.conf's graphroot"
  is "$(jq -r '.registries.files[0]' <<<"$output")" "$BATS_TEST_TMPDIR/registries.conf" "registries.conf"
  is "$(jq -r '.host.containersConf.files[-1]' <<<"$output")" "$USER_CONF" "containers.conf"
  run_cabin info
  assert_contains "$output" "  containersConf:
    files:" "YAML"
  assert_contains "$output" "    - $USER_CONF" "YAML"
  assert_contains "$output" "  configFile: $BATS_TEST_TMPDIR/storage.conf" "YAML"
  unset CONTAINERS_STORAGE_CONF CONTAINERS_REGISTRIES_CONF
  rm "$USER_CONF"
  run_cabin info --format json
  is "$(jq -r '.host.containersConf.files | map(select(startswith("/etc/") or startswith("/usr/share/") | not)) | length' <<<"$output")" \
    0 "no user file, none listed"
}

@test "REGISTRY_AUTH_FILE: login writes there, pull reads it" {
  require_registry
  [[ -n ${REGISTRY_AUTH:-} ]] || skip "no auth registry"
  printf '%s\n' "$CABIN_TEST_AUTH_PASSWORD" >"$BATS_TEST_TMPDIR/pw"
  export REGISTRY_AUTH_FILE=$BATS_TEST_TMPDIR/a/auth.json
  run_cabin --stdin "$BATS_TEST_TMPDIR/pw" login --cert-dir "$CABIN_TEST_CERT_DIR" -u "$CABIN_TEST_AUTH_USER" \
    --password-stdin "$REGISTRY_AUTH"
  is "$(jq -r '.auths | keys[]' "$REGISTRY_AUTH_FILE")" "$REGISTRY_AUTH" "written to REGISTRY_AUTH_FILE"
  [[ ! -e $XDG_RUNTIME_DIR/containers/auth.json ]] || die "the default file is untouched"
  run_cabin pull -q --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_AUTH/busybox"
  is "$output" "$IMG_BUSYBOX_ID"
  unset REGISTRY_AUTH_FILE
  run_cabin rmi -a
  run_cabin 125 pull -q --cert-dir "$CABIN_TEST_CERT_DIR" "$REGISTRY_AUTH/busybox"
}
