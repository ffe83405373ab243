#!/usr/bin/env bats
# HPC paths (docs/hpc.md): --userns=keep-id as containers.conf's default,
# --env-merge, run --preserve-fds, single-file images (image export
# --squashfs, run --rootfs FILE.squashfs) and an MPI job whose ranks each run
# in their own container (mpirun … cabin run --network host …).

load helpers

# sha FILE: the file's sha256.
sha() { sha256sum "$1" | cut -d' ' -f1; }

# without TOOL: a directory for PATH with every program of the host's but TOOL.
without() {
  local bin=$BATS_TEST_TMPDIR/without-$1 f
  mkdir -p "$bin"
  for f in /usr/local/bin/* /usr/bin/* /usr/sbin/*; do [[ ${f##*/} == "$1" ]] || ln -sf "$f" "$bin/"; done
  echo "$bin"
}

# ------------------------------------------------------------ devices

# hexdev PATH: the device's major:minor as stat prints them (hex).
hexdev() { stat -L -c '%t:%T' "$1"; }

@test "--device: a host device node, renamed, read through a symlink, a directory of them; inspect lists them" {
  require_userns
  pull_image
  ln -s /dev/zero "$BATS_TEST_TMPDIR/zlink"
  run_cabin run --rm --network none --device /dev/fuse --device /dev/zero:/dev/myzero:r \
    --device "$BATS_TEST_TMPDIR/zlink:/dev/z2" --device /dev/net:/dev/net "$IMAGE" \
    sh -c 'stat -c "%n %F %t:%T" /dev/fuse /dev/myzero /dev/z2 /dev/net/tun; head -c 3 /dev/myzero | od -An -tx1; exec 3<>/dev/fuse && echo opened'
  is "${lines[0]}" "/dev/fuse character special file $(hexdev /dev/fuse)"
  is "${lines[1]}" "/dev/myzero character special file $(hexdev /dev/zero)"
  is "${lines[2]}" "/dev/z2 character special file $(hexdev /dev/zero)"
  is "${lines[3]}" "/dev/net/tun character special file $(hexdev /dev/net/tun)"
  is "${lines[4]}" " 00 00 00" "read through the device"
  is "${lines[5]}" "opened" "/dev/fuse opened read-write"
  run_cabin create --name devs --device "$BATS_TEST_TMPDIR/zlink:/dev/myzero:r" "$IMAGE" sh -c 'test -c /dev/myzero && echo there'
  run_cabin inspect --format '{{json .HostConfig.Devices}} {{len .Mounts}}' devs
  # (keys sorted: cabin's templates see inspect's objects as maps)
  is_exact "$output" '[{"CgroupPermissions":"r","PathInContainer":"/dev/myzero","PathOnHost":"/dev/zero"}] 0' \
    "the symlink resolved; devices are not listed as mounts"
  # Started later, the device is there again (kept in the container's configuration).
  run_cabin start -a devs
  is "$output" "there"
  run_cabin rm devs
}

@test "--device: a missing path, not a device, malformed values are one-line errors; nothing is created" {
  require_userns
  pull_image
  run_cabin 125 run --rm --device /dev/nosuch "$IMAGE" true
  expect_error "stat /dev/nosuch: No such file or directory"
  run_cabin 125 run --rm --device /etc/passwd "$IMAGE" true
  expect_error "/etc/passwd is not a device node"
  mkdir "$BATS_TEST_TMPDIR/empty"
  run_cabin 125 run --rm --device "$BATS_TEST_TMPDIR/empty" "$IMAGE" true
  expect_error "$(re_escape "$BATS_TEST_TMPDIR/empty") holds no device nodes"
  run_cabin 125 run --rm --device /dev/zero:relative "$IMAGE" true
  expect_error "invalid device mode: relative"
  run_cabin 125 run --rm --device /dev/zero:/dev/z:rwx "$IMAGE" true
  expect_error "invalid device mode: rwx"
  run_cabin 125 run --rm --device /dev/zero:/a:rw:x "$IMAGE" true
  expect_error "invalid device specification: /dev/zero:/a:rw:x"
  run_cabin 125 run --rm --device dev/zero "$IMAGE" true
  expect_error "invalid device specification: dev/zero: the host device must be an absolute path"
  is "$(cabin_out ps -a -q)" "" "no container made"
}

@test "--group-add: a group id, and keep-groups (the user's own groups, for devices opened through a group)" {
  require_userns
  pull_image
  # keep-groups: setgroups is not called; the host's groups show mapped
  # (the user's own group is the container's 0) or as the overflow id.
  local g want=()
  for g in $(id -G); do
    if [[ $g == "$(id -g)" ]]; then want+=(0); else want+=(65534); fi
  done
  run_cabin run --rm --network none --group-add keep-groups "$IMAGE" sh -c 'grep ^Groups: /proc/self/status'
  is "$(echo $output)" "Groups: $(printf '%s\n' "${want[@]}" | sort -n -u | tr '\n' ' ' | sed 's/ $//')"
  run_cabin 125 run --rm --group-add keep-groups --group-add 10 "$IMAGE" true
  expect_error "the '--group-add keep-groups' option is not allowed with any other --group-add option"
  run_cabin 126 run --rm --group-add nosuchgroup "$IMAGE" true
  assert_contains "$stderr" "unable to find group nosuchgroup: no matching entries in group file"
  is "$(cabin_out ps -a -q)" "" "no container left"
  skip_if_no_subuid "a single-id mapping has no other group to add"
  run_cabin run --rm --network none --group-add 1234 --group-add daemon "$IMAGE" sh -c 'grep ^Groups: /proc/self/status'
  assert_contains "$output" "1234" "--group-add 1234"
}

# fake_cdi DIR: CDI specs in DIR for two made-up kinds, one YAML, one JSON,
# and containers.conf pointing at DIR.
fake_cdi() {
  local dir=$1
  mkdir -p "$dir/lib"
  echo "fake driver" >"$dir/lib/libfake.so"
  cat >"$dir/fake.yaml" <<EOF
cdiVersion: "0.6.0"
kind: example.com/fake
containerEdits:
  env: [FAKE_VENDOR=example]
devices:
  - name: gpu0
    containerEdits:
      deviceNodes:
        - path: /dev/fakegpu0
          hostPath: /dev/zero
          permissions: rw
      env: [FAKE_GPU=0]
      mounts:
        - hostPath: $dir/lib
          containerPath: /usr/lib/fake
          options: [ro, nosuid, nodev, bind]
  - name: gpu1
    containerEdits:
      deviceNodes:
        - path: /dev/fakegpu1
          hostPath: /dev/null
      env: [FAKE_GPU=1]
      hooks:
        - hookName: createContainer
          path: /bin/true
EOF
  printf '{"cdiVersion":"0.5.0","kind":"example.com/net","devices":[{"name":"tun","containerEdits":{"deviceNodes":[{"path":"/dev/net/tun"}]}}]}\n' >"$dir/net.json"
  printf '[engine]\ncdi_spec_dirs = ["%s"]\n' "$dir" >"$XDG_CONFIG_HOME/containers/containers.conf"
}

@test "CDI: --device vendor.com/class=name applies the spec's device nodes, mounts and environment (YAML and JSON specs)" {
  require_userns
  pull_image
  fake_cdi "$BATS_TEST_TMPDIR/cdi"
  run_cabin run --rm --network none --device example.com/fake=gpu0 --device example.com/net=tun "$IMAGE" \
    sh -c 'echo $FAKE_VENDOR $FAKE_GPU; head -c 2 /dev/fakegpu0 | od -An -tx1; cat /usr/lib/fake/libfake.so; touch /usr/lib/fake/x 2>/dev/null || echo read-only; test -c /dev/net/tun && echo tun'
  is "$output" $'example 0\n 00 00\nfake driver\nread-only\ntun'
  # A device whose spec has hooks: they are not run, and cabin says so.
  CABIN_ALLOWED_WARNINGS="hook not run" run_cabin run --rm --network none --device example.com/fake=gpu1 "$IMAGE" \
    sh -c 'echo $FAKE_VENDOR $FAKE_GPU; test -c /dev/fakegpu1 && echo node'
  is "$output" $'example 1\nnode'
  assert_contains "$stderr" "CDI devices example.com/fake=gpu1: 1 hook not run (cabin runs no OCI hooks)"
  run_cabin create --name cdi --device example.com/fake=gpu0 "$IMAGE" true
  run_cabin inspect --format '{{json .HostConfig.Devices}}' cdi
  is_exact "$output" '[{"CgroupPermissions":"rw","PathInContainer":"/dev/fakegpu0","PathOnHost":"/dev/zero"}]'
  run_cabin rm cdi
}

@test "CDI: an unknown device, a malformed name, a broken spec file are one-line errors; nothing is created" {
  require_userns
  pull_image
  local dir=$BATS_TEST_TMPDIR/cdi
  fake_cdi "$dir"
  run_cabin 125 run --rm --device example.com/fake=gpu9 --device example.com/other=x "$IMAGE" true
  expect_error "setting up CDI devices: unresolvable CDI devices example.com/fake=gpu9, example.com/other=x"
  run_cabin 125 run --rm --device 'example.com/fake=' "$IMAGE" true
  expect_error "invalid CDI device name \"example.com/fake=\": it must be vendor.com/class=name"
  printf 'cdiVersion: "0.6.0"\ndevices: []\n' >"$dir/broken.yaml"
  run_cabin 125 run --rm --device example.com/fake=gpu0 "$IMAGE" true
  expect_error "CDI spec $(re_escape "$dir/broken.yaml"): kind is missing"
  printf '{"cdiVersion": "0.6.0", "kind": ' >"$dir/broken.yaml"
  run_cabin 125 run --rm --device example.com/fake=gpu0 "$IMAGE" true
  expect_error "CDI spec $(re_escape "$dir/broken.yaml"): not YAML or JSON: .*"
  is "$(cabin_out ps -a -q)" "" "no container made"
}

# ------------------------------------------------------------ keep-id default

@test "containers.conf userns=keep-id: containers run as the user's own ids; --userns overrides" {
  require_userns
  pull_probe
  printf '[containers]\nuserns = "keep-id"\n' >"$XDG_CONFIG_HOME/containers/containers.conf"
  run_probe -- ids
  is "$output" "uid=$(id -u) gid=$(id -g) euid=$(id -u) egid=$(id -g) groups=$(id -g)" "keep-id from containers.conf"
  run_probe --userns host -- ids
  is "$output" "uid=0 gid=0 euid=0 egid=0 groups=0" "--userns host overrides the file"
  # A file the container writes into a bind mount belongs to the user.
  mkdir "$BATS_TEST_TMPDIR/out"
  run_probe -v "$BATS_TEST_TMPDIR/out:/out" -- write /out/f data
  is "$output" "ok"
  is "$(stat -c %u:%g "$BATS_TEST_TMPDIR/out/f")" "$(id -u):$(id -g)" "the written file's owner on the host"
}

# ------------------------------------------------------------ storage per host

@test "storage.conf: rootless_storage_path and runroot with \$USER and \$UID put the store on node-local disk" {
  skip_if_root "rootless_storage_path is for rootless users"
  require_userns
  require_registry
  local local_dir=$BATS_TEST_TMPDIR/node-local
  # Single quotes: cabin expands $USER and $UID, not the shell.
  printf '[storage]\nrootless_storage_path = "%s/$USER-$UID/storage"\nrunroot = "%s/run-$UID"\n' \
    "$local_dir" "$local_dir" >"$XDG_CONFIG_HOME/containers/storage.conf"
  run_cabin info --format '{{.Store.GraphRoot}} {{.Store.RunRoot}}'
  is "$output" "$local_dir/$(id -un)-$(id -u)/storage $local_dir/run-$(id -u)"
  GRAPHROOT=$local_dir/$(id -un)-$(id -u)/storage RUNROOT=$local_dir/run-$(id -u)
  run_cabin pull -q "$IMAGE"
  run_cabin run --rm --network none "$IMAGE" true
  [[ -d $GRAPHROOT/layers ]] || die "the layers are not under rootless_storage_path"
  # --root/--runroot win over the file, as in Podman.
  run_cabin --root "$BATS_TEST_TMPDIR/flag-root" --runroot "$BATS_TEST_TMPDIR/flag-run" info --format '{{.Store.GraphRoot}} {{.Store.RunRoot}}'
  is "$output" "$BATS_TEST_TMPDIR/flag-root $BATS_TEST_TMPDIR/flag-run"
}

# ------------------------------------------------------------ --env-merge

@test "run --env-merge: expands the image's values, unset variables expand to nothing, -e still wins" {
  require_userns
  pull_probe
  run_probe --env-merge 'PROBE_OVERRIDE=pre-${PROBE_OVERRIDE}-post' -- getenv PROBE_OVERRIDE
  is "$output" "pre-from-image-post"
  run_probe --env-merge 'PATH=/opt/bin:$PATH' -- getenv PATH
  is "$output" "/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  run_probe --env-merge 'NEW=${NOT_SET_ANYWHERE}x' --env-merge 'DEF=${NOT_SET_ANYWHERE:-fallback}' -- env
  assert_contains "$output" $'\nNEW=x\n' "an unset variable expands to nothing"
  assert_contains "$output" $'\nDEF=fallback\n' "\${VAR:-default}"
  # As in Podman 4: -e wins over the merged value.
  run_probe -e PROBE_OVERRIDE=from-cli --env-merge 'PROBE_OVERRIDE=${PROBE_OVERRIDE}+merged' -- getenv PROBE_OVERRIDE
  is "$output" "from-cli"
  # The host's value counts with --env-host.
  HPC_TEST_VAR=host-value run_probe --env-host --env-merge 'HPC_TEST_VAR=${HPC_TEST_VAR}:more' -- getenv HPC_TEST_VAR
  is "$output" "host-value:more"
}

@test "run --env-merge: malformed values are one-line errors and create nothing" {
  require_userns
  pull_probe
  run_cabin 125 run --rm --network none --env-merge NOEQUALS "$PROBE_IMAGE" /bin/probe env
  expect_error 'invalid --env-merge "NOEQUALS": it must be NAME=VALUE'
  run_cabin 125 run --rm --network none --env-merge '=x' "$PROBE_IMAGE" /bin/probe env
  expect_error 'invalid --env-merge "=x": it must be NAME=VALUE'
  run_cabin 125 run --rm --network none --env-merge 'A=${B' "$PROBE_IMAGE" /bin/probe env
  expect_error '--env-merge "A=\$\{B": .*'
  is "$(container_ids)" "" "no container is left"
}

# ------------------------------------------------------------ --preserve-fds

@test "run --preserve-fds N: fds 3..3+N-1 reach the command, others do not" {
  require_userns
  pull_probe
  printf 'three\n' >"$BATS_TEST_TMPDIR/f3"
  printf 'four\n' >"$BATS_TEST_TMPDIR/f4"
  run_cabin run --rm --network none --preserve-fds 2 "$PROBE_IMAGE" sh -c 'cat <&3; cat <&4' \
    3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4"
  is "$output" "three.four"
  run_cabin run --rm --network none --preserve-fds 1 "$PROBE_IMAGE" /bin/probe fds \
    3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4"
  is "$output" "0 1 2 3" "only the first N are passed"
  run_cabin run --rm --network none "$PROBE_IMAGE" /bin/probe fds 3<"$BATS_TEST_TMPDIR/f3"
  is "$output" "0 1 2" "none without --preserve-fds"
  # A writable one: the container writes, the caller reads.
  run_cabin run --rm --network none --preserve-fds 1 "$PROBE_IMAGE" sh -c 'echo to-fd-3 >&3' \
    3>"$BATS_TEST_TMPDIR/out"
  is "$(<"$BATS_TEST_TMPDIR/out")" "to-fd-3"
}

@test "run --preserve-fds: a gap, --detach and a bad number are one-line errors" {
  require_userns
  pull_probe
  printf 'x\n' >"$BATS_TEST_TMPDIR/f"
  run_cabin 125 run --rm --network none --preserve-fds 3 "$PROBE_IMAGE" true \
    3<"$BATS_TEST_TMPDIR/f" 4<"$BATS_TEST_TMPDIR/f" 5<&-
  expect_error 'file descriptor 5 is not available - the preserve-fds option requires that file descriptors must be passed'
  run_cabin 125 run -d --network none --preserve-fds 1 "$PROBE_IMAGE" true 3<"$BATS_TEST_TMPDIR/f"
  expect_error '--preserve-fds cannot be used with --detach: the fds stay with this process'
  run_cabin 125 run --rm --network none --preserve-fds two "$PROBE_IMAGE" true
  is "$status" 125
  is "${stderr_lines[0]}" "Error: .*--preserve-fds.*" "names the flag"
  is "$(container_ids)" "" "no container is left"
}

# ------------------------------------------------------------ squashfs images

@test "image export --squashfs, run --rootfs FILE: the image's config applies, writes stay in the container" {
  require_userns
  require_tool mksquashfs squashfuse
  pull_probe
  local sq=$BATS_TEST_TMPDIR/probe.sqsh
  run_cabin image export --squashfs "$PROBE_IMAGE" "$sq"
  is "$output" "" "nothing on stdout"
  is "$(head -c 4 "$sq")" "hsqs" "a squashfs file"
  [[ ! -e $sq.cabin-tmp ]] || die "the temporary file is left"
  is "$(container_ids)" "" "the export's container is gone"
  local before
  before=$(sha "$sq")

  run_cabin run --rm --network none --rootfs "$sq"
  is "$output" "/bin/probe.args.from-cmd" "the image's CMD"
  run_cabin run --rm --network none --rootfs "$sq" /bin/probe getenv PROBE_OVERRIDE
  is "$output" "from-image" "the image's Env"
  run_cabin run --rm --network none --rootfs "$sq" /bin/probe cwd
  is "$output" "/srv" "the image's WorkingDir"
  run_cabin run --rm --network none --rootfs "$sq" /bin/probe read /srv/hello.txt
  is "$output" "ok .*" "the image's files"
  run_cabin run --rm --network none --rootfs "$sq" /bin/probe stat /home/tester
  if [[ -n $SINGLE_ID ]]; then
    is "$output" "uid=0 gid=0 mode=.* type=dir" "single id: every file is the user's, root's inside"
  else
    is "$output" "uid=1000 gid=1000 mode=.* type=dir" "owners as in the image"
  fi

  # Writes go to the container's upper dir: the file is unchanged, and a new
  # container starts from the image again.
  run_cabin run --name w --network none --rootfs "$sq" sh -c 'echo changed >/srv/hello.txt; rm /bin/probe; echo new >/new'
  run_cabin start -a w
  is "$(sha "$sq")" "$before" "the squashfs file is unchanged"
  run_cabin run --rm --network none --rootfs "$sq" cat /srv/hello.txt
  assert_not_contains "$output" "changed" "a new container sees the image's file"
  run_cabin cp w:/new "$BATS_TEST_TMPDIR/new"
  is "$(<"$BATS_TEST_TMPDIR/new")" "new" "cp reads the container's root"
  run_cabin rm w
  # A second run while another holds the file mounted.
  run_cabin run -d --name bg --network none --rootfs "$sq" /bin/probe sleep 30
  run_cabin run --rm --network none --rootfs "$sq" /bin/probe args two
  is "$output" "/bin/probe.args.two"
  run_cabin rm -f -t 0 bg
  is "$(sha "$sq")" "$before" "the squashfs file is still unchanged"
}

@test "run --rootfs FILE: a squashfs file cabin did not write runs the given command; the entrypoint image's config" {
  require_userns
  require_tool mksquashfs squashfuse
  pull_probe entrypoint
  local root=$BATS_TEST_TMPDIR/root sq=$BATS_TEST_TMPDIR/plain.sqsh
  mkdir "$root"
  tar -xf "$CABIN_TEST_PROBE_ROOTFS_TAR" -C "$root" --no-same-owner 2>/dev/null
  # Owned by root, as a root filesystem is (the user's own uid would be
  # nobody's in a single-id namespace).
  mksquashfs "$root" "$sq" -all-root -quiet -no-progress >/dev/null
  run_cabin 125 run --rm --network none --rootfs "$sq"
  expect_error "no command or entrypoint provided, and no CMD or ENTRYPOINT from image"
  run_cabin run --rm --network none --rootfs "$sq" /bin/probe args plain
  is "$output" "/bin/probe.args.plain"

  run_cabin image export --squashfs "$PROBE_ENTRYPOINT_IMAGE" "$BATS_TEST_TMPDIR/ep.sqsh"
  run_cabin run --rm --network none --rootfs "$BATS_TEST_TMPDIR/ep.sqsh"
  is "$output" "/bin/probe.args.default" "ENTRYPOINT and CMD"
  run_cabin run --rm --network none --rootfs "$BATS_TEST_TMPDIR/ep.sqsh" given
  is "$output" "/bin/probe.args.given" "the command replaces CMD"
}

@test "run --rootfs FILE: not squashfs, a damaged squashfs file and a missing squashfuse are one-line errors" {
  require_userns
  require_tool mksquashfs squashfuse
  pull_probe
  printf 'not a squashfs file\n' >"$BATS_TEST_TMPDIR/text"
  run_cabin 125 run --rm --network none --rootfs "$BATS_TEST_TMPDIR/text" /bin/probe args
  expect_error "--rootfs $BATS_TEST_TMPDIR/text: not a directory nor a squashfs file"
  { printf 'hsqs'; head -c 4096 /dev/zero; } >"$BATS_TEST_TMPDIR/damaged.sqsh"
  run_cabin 125 run --rm --network none --rootfs "$BATS_TEST_TMPDIR/damaged.sqsh" /bin/probe args
  expect_error "--rootfs $BATS_TEST_TMPDIR/damaged.sqsh: squashfuse exit status .*"
  run_cabin 125 run --rm --network none --rootfs "$BATS_TEST_TMPDIR/nothing.sqsh" /bin/probe args
  expect_error "--rootfs $BATS_TEST_TMPDIR/nothing.sqsh: No such file or directory"

  # Without squashfuse in PATH.
  run_cabin image export --squashfs "$PROBE_IMAGE" "$BATS_TEST_TMPDIR/probe.sqsh"
  PATH=$(without squashfuse) run_cabin 125 run --rm --network none --rootfs "$BATS_TEST_TMPDIR/probe.sqsh" /bin/probe args
  expect_error "--rootfs $BATS_TEST_TMPDIR/probe.sqsh: squashfuse is not installed \(fix: install the squashfuse package: sudo apt-get install squashfuse\)"
  is "$(container_ids)" "" "no container is left"
  run_cabin ps -a -q
  is "$output" "" "ps lists none"
}

@test "image export: bad arguments, a missing image or mksquashfs, an unwritable file are one-line errors" {
  require_userns
  pull_probe
  run_cabin 125 image export "$PROBE_IMAGE" "$BATS_TEST_TMPDIR/x.sqsh"
  expect_error 'image export needs --squashfs \(the only format it writes; `cabin save` writes archives\)'
  run_cabin 125 image export --squashfs "$PROBE_IMAGE"
  expect_error "accepts 2 arg\(s\), received 1"
  run_cabin 125 image export --squashfs nosuchimage:latest "$BATS_TEST_TMPDIR/x.sqsh"
  expect_error ".*nosuchimage:latest.*image not known"
  run_cabin 125 image export --squashfs "$PROBE_IMAGE" "$BATS_TEST_TMPDIR/no/such/dir/x.sqsh"
  expect_error "create $BATS_TEST_TMPDIR/no/such/dir/x.sqsh.cabin-tmp: No such file or directory"
  PATH=$(without mksquashfs) run_cabin 125 image export --squashfs "$PROBE_IMAGE" "$BATS_TEST_TMPDIR/x.sqsh"
  expect_error "mksquashfs is not installed \(fix: install the squashfs-tools package: sudo apt-get install squashfs-tools\)"
  [[ ! -e $BATS_TEST_TMPDIR/x.sqsh && ! -e $BATS_TEST_TMPDIR/x.sqsh.cabin-tmp ]] || die "a file was written"
  is "$(container_ids)" "" "no container is left"
  run_cabin images -q
  is "${#lines[@]}" 1 "the store has the one image it had"
}

# ------------------------------------------------------------ MPI

@test "mpirun: each rank in its own container (host network, keep-id, the host's MPI bound in) sees the others" {
  require_userns
  require_tool mpicc mpirun
  pull_probe
  local dir=$BATS_TEST_TMPDIR/mpi
  mkdir -p "$dir"
  cat >"$dir/allreduce.c" <<'EOF'
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  int rank, size, mine, sum = 0;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  mine = (rank + 1) * 10;
  MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("size=%d sum=%d in_container=%s\n", size, sum, getenv("container"));
  MPI_Finalize();
  return 0;
}
EOF
  mpicc -O2 -o "$dir/allreduce" "$dir/allreduce.c"
  # The pattern of docs/hpc.md: mpirun starts one `cabin run` per rank; each
  # rank reaches mpirun's PMIx server (TCP on loopback) with the user's own
  # uid (keep-id), and the ranks talk TCP over loopback.
  local out=$BATS_TEST_TMPDIR/mpi.out err=$BATS_TEST_TMPDIR/mpi.err
  # Open MPI's session directory (its PMIx rendezvous and shared-memory
  # files) is under $TMPDIR: the ranks must see the launcher's.
  local rc=0 tmp=${TMPDIR:-/tmp}
  timeout --kill-after=10 120 mpirun -np 3 --oversubscribe \
    --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo --mca pml ob1 --mca mtl ^psm,ofi \
    "$CABIN" run --rm --network host --env-host --userns keep-id \
    -v /usr:/usr:ro -v /usr/lib:/lib:ro -v /usr/lib64:/lib64:ro -v "$tmp:$tmp" -v /dev/shm:/dev/shm \
    -v "$dir:$dir:ro" "$PROBE_IMAGE" "$dir/allreduce" >"$out" 2>"$err" || rc=$?
  sed 's/^/#   /' "$out" "$err" >&2
  is "$rc" 0 "mpirun's exit code"
  is "$(<"$out")" "size=3 sum=60 in_container=cabin" "rank 0's allreduce of 10+20+30, inside a container"
  is "$(container_ids)" "" "the ranks' containers are gone"
}

@test "exit codes a scheduler sees: 125 cabin, 126 cannot invoke, 127 not found, else the command's (through mpirun too)" {
  require_userns
  require_tool mpirun
  pull_probe
  run_cabin 125 run --rm --network host --no-such-flag "$PROBE_IMAGE" true
  run_cabin 126 run --rm --network host "$PROBE_IMAGE" /bin/not-executable
  run_cabin 127 run --rm --network host "$PROBE_IMAGE" /bin/no-such-command
  run_cabin 7 run --rm --network host "$PROBE_IMAGE" /bin/probe exit 7
  local rc=0
  timeout --kill-after=10 60 mpirun -np 2 --oversubscribe "$CABIN" run --rm --network host "$PROBE_IMAGE" \
    /bin/probe exit 7 >/dev/null 2>&1 || rc=$?
  is "$rc" 7 "mpirun reports the rank's exit code"
}
