#!/bin/bash
# Builds cabin's test images offline, from busybox-static and generated files,
# as OCI layouts under $STATE/images/KEY (KEY hashes every input, so a rerun
# with nothing changed builds nothing), pushes them to the registries that
# setup-host.sh started, and writes $STATE/images.env for the tests.
#
# Images on the plain registry (127.0.0.1:5000):
#   busybox:latest, :oci, :1.35    OCI manifest, one gzip layer
#   busybox:v2s2                   the same image as Docker schema 2
#   busybox:zstd, :uncompressed    the same image, zstd / plain tar layer
#   multilayer:latest              4 layers: whiteout, opaque dir, links, owners,
#                                  setuid, 0700 dir, file replaced later
#   multiarch:latest               OCI index: linux/amd64, linux/arm64/v8
#   hostile/{dotdot,absolute,symlink,symlink-relative,hardlink}:latest
#   probe:latest                   busybox + /bin/probe (tests/system/probe, static musl),
#                                  users tester (1000, also in group extra 2000) and
#                                  nobody; CMD probe args from-cmd, WorkingDir /srv
#   probe:entrypoint               ENTRYPOINT ["/bin/probe","args"], CMD ["default"]
#   probe:user                     USER tester, CMD probe ids
#   probe:workdir                  WorkingDir /work/created (not in the image)
#   probe:stopsignal               STOPSIGNAL SIGUSR1, CMD probe wait-signal
#   probe:nocmd                    neither ENTRYPOINT nor CMD
#   big:latest                     probe + a layer of 32 MB of random bytes
#   broken/{truncated,digest,diffid,config,manifest,mediatype,missing-blob}:latest
# On the TLS (5001) and auth (5002) registries: busybox:latest.
#
# Needs: bash, GNU tar, gzip, zstd, jq, curl, skopeo, busybox-static, musl-tools.
# The braces make bash read the whole script before running it, so that
# editing it while it runs cannot change what a running copy does.
{
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/oci.bash
source "$HERE/lib/oci.bash"
# shellcheck source=lib/registry.bash
source "$HERE/lib/registry.bash"

STATE=${CABIN_TEST_STATE:-/var/tmp/cabin-tests}
[[ -r $STATE/env ]] || { echo "make-images: $STATE/env missing: run setup-host.sh first" >&2; exit 1; }
# shellcheck disable=SC1091
source "$STATE/env"

note() { echo "make-images: $*" >&2; }
# One build at a time: concurrent runs would share the same work directories.
exec 9>"$STATE/.images.lock"
flock 9
die() { echo "make-images: $*" >&2; exit 1; }

for tool in tar gzip zstd jq curl skopeo sha256sum; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
command -v musl-gcc >/dev/null || die "musl-gcc not found: install musl-tools (it builds tests/system/probe)"
BUSYBOX=${CABIN_TEST_BUSYBOX:-}
if [[ -z $BUSYBOX ]]; then
  for b in /bin/busybox /usr/bin/busybox; do [[ -x $b ]] && { BUSYBOX=$b; break; }; done
fi
[[ -x $BUSYBOX ]] || die "busybox not found: install busybox-static"
# A dynamically linked busybox would not run in an image without libc.
if command -v file >/dev/null && ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
  die "$BUSYBOX is not statically linked: install busybox-static"
fi

# Everything the layouts depend on.
KEY=$(cat "${BASH_SOURCE[0]}" "$HERE/lib/oci.bash" "$BUSYBOX" <(tar --version | head -1) \
  <(gzip --version | head -1) <(zstd --version) "$HERE/probe/probe.c" <(musl-gcc --version 2>&1 | head -1) \
  <(dpkg-query -W -f='${Version}' musl-dev 2>/dev/null || true) | sha256sum | cut -c1-16)
IMAGES=$STATE/images/$KEY

# ------------------------------------------------------------------ build
# Writes, besides the layouts: $IMAGES/facts (shell assignments) and
# $IMAGES/busybox-rootfs.tar (for import tests).
build() {
  local out=$1 work
  work=$(mktemp -d "$STATE/images/.work.XXXXXX")
  local L=$out/layout
  oci_init "$L"
  local facts=$out/facts
  : >"$facts"
  fact() { printf '%s=%q\n' "$1" "$2" >>"$facts"; }

  # ---- busybox rootfs
  local bb=$work/busybox
  mkdir -p "$bb"/{bin,etc,root,tmp,home,var,dev,proc,sys,usr/bin}
  cp "$BUSYBOX" "$bb/bin/busybox"
  chmod 0755 "$bb/bin/busybox"
  local applet
  for applet in $("$BUSYBOX" --list); do
    [[ $applet == busybox ]] || ln -s busybox "$bb/bin/$applet"
  done
  ln -s /bin/busybox "$bb/usr/bin/env"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'daemon:x:1:1:daemon:/usr/sbin:/bin/false' \
    'user:x:1000:1000:user:/home/user:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
    >"$bb/etc/passwd"
  printf '%s\n' 'root:x:0:' 'daemon:x:1:' 'user:x:1000:' 'nogroup:x:65534:' >"$bb/etc/group"
  chmod 0700 "$bb/root"
  chmod 1777 "$bb/tmp"
  tar_add "$work/busybox.tar" "$bb" -- .
  cp "$work/busybox.tar" "$out/busybox-rootfs.tar"
  local bb_gzip bb_zstd bb_none
  cp "$work/busybox.tar" "$work/busybox-z.tar"
  cp "$work/busybox.tar" "$work/busybox-n.tar"
  bb_gzip=$(oci_add_layer "$L" "$work/busybox.tar" gzip)
  bb_zstd=$(oci_add_layer "$L" "$work/busybox-z.tar" zstd)
  bb_none=$(oci_add_layer "$L" "$work/busybox-n.tar" none)
  local bb_diffid=${bb_gzip##* }
  fact IMG_BUSYBOX_LAYER_DIFFID "$bb_diffid"
  fact IMG_BUSYBOX_LAYER_DIGEST "$(cut -d' ' -f2 <<<"$bb_gzip")"

  local bb_history
  bb_history='[{"created":"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:busybox-static in / "},{"created":"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}]'
  local bb_cfg
  bb_cfg=$(oci_config amd64 linux 2024-01-01T00:00:00Z \
    '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/","Labels":{"cabin.test.image":"busybox","org.opencontainers.image.title":"busybox"}}' \
    "$bb_history" "$bb_diffid")
  local md ms cd
  read -r md ms cd <<<"$(oci_image "$L" "$bb_cfg" "$bb_gzip")"
  oci_tag "$L" "$md" "$ms" busybox
  fact IMG_BUSYBOX_ID "${cd#sha256:}"
  fact IMG_BUSYBOX_DIGEST "$md"
  read -r md ms cd <<<"$(oci_image "$L" "$bb_cfg" "$bb_zstd")"
  oci_tag "$L" "$md" "$ms" busybox-zstd
  fact IMG_BUSYBOX_ZSTD_DIGEST "$md"
  read -r md ms cd <<<"$(oci_image "$L" "$bb_cfg" "$bb_none")"
  oci_tag "$L" "$md" "$ms" busybox-uncompressed
  fact IMG_BUSYBOX_UNCOMPRESSED_DIGEST "$md"

  # ---- multilayer: busybox + files + changes + replacement
  local m2=$work/m2 m3=$work/m3 m4=$work/m4
  mkdir -p "$m2"/{data,opaque/sub,owned/dir1000,private,usr/local/bin}
  echo kept >"$m2/data/kept.txt"
  echo 'to be deleted' >"$m2/data/deleted.txt"
  ln "$m2/data/kept.txt" "$m2/data/link-to-kept"
  ln -s kept.txt "$m2/data/rel-link"
  ln -s /data/kept.txt "$m2/data/abs-link"
  ln -s /nonexistent "$m2/data/dangling"
  echo a >"$m2/opaque/old-a"
  echo b >"$m2/opaque/old-b"
  echo c >"$m2/opaque/sub/old-c"
  echo secret >"$m2/private/secret"
  chmod 0600 "$m2/private/secret"
  chmod 0700 "$m2/private"
  printf '#!/bin/sh\necho setuid\n' >"$m2/usr/local/bin/setuid-prog"
  chmod 4755 "$m2/usr/local/bin/setuid-prog"
  printf '#!/bin/sh\necho setgid\n' >"$m2/usr/local/bin/setgid-prog"
  chmod 2755 "$m2/usr/local/bin/setgid-prog"
  mkdir -p "$work/m2owned/owned/dir1000" "$work/m2nobody/owned"
  echo u1000 >"$work/m2owned/owned/u1000"
  echo u1000 >"$work/m2owned/owned/dir1000/inside"
  chmod 0750 "$work/m2owned/owned/dir1000"
  echo nobody >"$work/m2nobody/owned/nobody"
  tar_add "$work/m2.tar" "$m2" --exclude=./owned -- ./data ./opaque ./private ./usr
  tar_add "$work/m2.tar" "$m2" --no-recursion -- ./owned
  tar_add "$work/m2.tar" "$work/m2owned" --owner=1000 --group=1000 -- ./owned/u1000 ./owned/dir1000
  tar_add "$work/m2.tar" "$work/m2nobody" --owner=65534 --group=65534 -- ./owned/nobody
  mkdir -p "$m3"/{data,opaque}
  : >"$m3/data/.wh.deleted.txt"
  echo added >"$m3/data/added.txt"
  : >"$m3/opaque/.wh..wh..opq"
  echo new >"$m3/opaque/new"
  tar_add "$work/m3.tar" "$m3" -- .
  mkdir -p "$m4"/{data,etc}
  echo 'kept v2' >"$m4/data/kept.txt"
  echo 'multilayer test image' >"$m4/etc/motd"
  tar_add "$work/m4.tar" "$m4" -- .
  local ml2 ml3 ml4
  ml2=$(oci_add_layer "$L" "$work/m2.tar" gzip)
  ml3=$(oci_add_layer "$L" "$work/m3.tar" gzip)
  ml4=$(oci_add_layer "$L" "$work/m4.tar" gzip)
  local ml_history ml_cfg
  ml_history='[{"created":"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:busybox-static in / "},{"created":"2024-02-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD dir:files in / ","comment":"links, owners, modes"},{"created":"2024-02-01T00:00:00Z","created_by":"/bin/sh -c rm /data/deleted.txt \u0026\u0026 rm -rf /opaque \u0026\u0026 mkdir /opaque \u0026\u0026 echo new \u003e /opaque/new"},{"created":"2024-02-01T00:00:00Z","created_by":"/bin/sh -c #(nop)  LABEL cabin.test.image=multilayer","empty_layer":true},{"created":"2024-02-01T00:00:00Z","created_by":"/bin/sh -c echo kept v2 \u003e /data/kept.txt","author":"cabin tests"}]'
  ml_cfg=$(OCI_AUTHOR="cabin tests" oci_config amd64 linux 2024-02-01T00:00:00Z \
    '{"User":"0:0","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","CABIN_TEST=multilayer"],"Entrypoint":["/bin/sh","-c"],"Cmd":["cat /data/kept.txt"],"WorkingDir":"/data","ExposedPorts":{"8080/tcp":{}},"Volumes":{"/var/cache":{}},"StopSignal":"SIGTERM","Labels":{"cabin.test.image":"multilayer","cabin.test.layers":"4"}}' \
    "$ml_history" "$bb_diffid" "${ml2##* }" "${ml3##* }" "${ml4##* }")
  read -r md ms cd <<<"$(oci_image "$L" "$ml_cfg" "$bb_gzip" "$ml2" "$ml3" "$ml4")"
  oci_tag "$L" "$md" "$ms" multilayer
  fact IMG_MULTILAYER_ID "${cd#sha256:}"
  fact IMG_MULTILAYER_DIGEST "$md"

  # ---- multiarch: an index of amd64 and arm64/v8, told apart by /etc/cabin-arch
  local entries=() arch variant
  for arch in amd64 arm64; do
    variant=
    [[ $arch == arm64 ]] && variant=v8
    mkdir -p "$work/arch-$arch/etc"
    echo "$arch" >"$work/arch-$arch/etc/cabin-arch"
    tar_add "$work/arch-$arch.tar" "$work/arch-$arch" -- .
    local al acfg
    al=$(oci_add_layer "$L" "$work/arch-$arch.tar" gzip)
    acfg=$(OCI_VARIANT=$variant oci_config "$arch" linux 2024-03-01T00:00:00Z \
      "{\"Env\":[\"PATH=/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"cat\",\"/etc/cabin-arch\"],\"Labels\":{\"cabin.test.image\":\"multiarch\",\"cabin.test.arch\":\"$arch\"}}" \
      '[{"created":"2024-01-01T00:00:00Z","created_by":"ADD busybox"},{"created":"2024-03-01T00:00:00Z","created_by":"ADD cabin-arch"}]' \
      "$bb_diffid" "${al##* }")
    read -r md ms cd <<<"$(oci_image "$L" "$acfg" "$bb_gzip" "$al")"
    entries+=("$md $ms linux $arch $variant")
    local up=${arch^^}
    fact "IMG_MULTIARCH_${up}_DIGEST" "$md"
    fact "IMG_MULTIARCH_${up}_ID" "${cd#sha256:}"
  done
  read -r md ms <<<"$(oci_index "$L" "${entries[@]}")"
  oci_tag "$L" "$md" "$ms" multiarch "$MT_OCI_INDEX"
  fact IMG_MULTIARCH_DIGEST "$md"

  # ---- probe: busybox + a layer with the probe, users and files for `run` tests.
  # tester is uid/gid 1000 with the supplementary group extra (2000: above the
  # uids and gids useradd gives the test users, so that keep-id's entries for
  # them never collide with the image's own).
  local pr=$work/probe
  mkdir -p "$pr"/{bin,etc,srv,home}
  musl-gcc -static -Os -s -Wall -o "$pr/bin/probe" "$HERE/probe/probe.c"
  chmod 0755 "$pr/bin/probe"
  cp "$pr/bin/probe" "$out/probe"
  printf '#!/bin/sh\necho this should not run\n' >"$pr/bin/not-executable"
  chmod 0644 "$pr/bin/not-executable"
  printf '#!/nonexistent/interpreter\n' >"$pr/bin/bad-interpreter"
  chmod 0755 "$pr/bin/bad-interpreter"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'tester:x:1000:1000:Probe Tester:/home/tester:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$pr/etc/passwd"
  printf '%s\n' 'root:x:0:' 'tester:x:1000:' 'extra:x:2000:tester' 'nogroup:x:65534:' >"$pr/etc/group"
  echo 'hello from the probe image' >"$pr/srv/hello.txt"
  mkdir -p "$work/probe-home/home/tester"
  echo 'tester file' >"$work/probe-home/home/tester/file"
  tar_add "$work/probe.tar" "$pr" -- ./bin ./etc ./home ./srv
  tar_add "$work/probe.tar" "$work/probe-home" --owner=1000 --group=1000 -- ./home/tester
  # The whole root filesystem in one tar, for `run --rootfs` and benchmarks.
  cp "$out/busybox-rootfs.tar" "$out/probe-rootfs.tar"
  tar_add "$out/probe-rootfs.tar" "$pr" -- ./bin ./etc ./home ./srv
  tar_add "$out/probe-rootfs.tar" "$work/probe-home" --owner=1000 --group=1000 -- ./home/tester
  local pl
  pl=$(oci_add_layer "$L" "$work/probe.tar" gzip)
  fact IMG_PROBE_LAYER_DIFFID "${pl##* }"
  local probe_env='"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","PROBE_IMAGE=probe","PROBE_OVERRIDE=from-image"]'
  local probe_history='[{"created":"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:busybox-static in / "},{"created":"2024-05-01T00:00:00Z","created_by":"/bin/sh -c #(nop) COPY probe users files / "}]'
  # probe_image TAG FACT CONFIG-FIELDS: the probe image with these config fields.
  probe_image() {
    local pc
    pc=$(oci_config amd64 linux 2024-05-01T00:00:00Z \
      "{$probe_env,$3,\"Labels\":{\"cabin.test.image\":\"$1\"}}" "$probe_history" "$bb_diffid" "${pl##* }")
    read -r md ms cd <<<"$(oci_image "$L" "$pc" "$bb_gzip" "$pl")"
    oci_tag "$L" "$md" "$ms" "$1"
    fact "IMG_${2}_ID" "${cd#sha256:}"
    fact "IMG_${2}_DIGEST" "$md"
  }
  probe_image probe PROBE '"Cmd":["/bin/probe","args","from-cmd"],"WorkingDir":"/srv"'
  probe_image probe-entrypoint PROBE_ENTRYPOINT '"Entrypoint":["/bin/probe","args"],"Cmd":["default"],"WorkingDir":"/srv"'
  probe_image probe-user PROBE_USER '"User":"tester","Cmd":["/bin/probe","ids"],"WorkingDir":"/home/tester"'
  probe_image probe-workdir PROBE_WORKDIR '"Cmd":["/bin/probe","cwd"],"WorkingDir":"/work/created"'
  probe_image probe-stopsignal PROBE_STOPSIGNAL '"Cmd":["/bin/probe","wait-signal"],"StopSignal":"SIGUSR1"'
  probe_image probe-nocmd PROBE_NOCMD '"WorkingDir":"/"'

  # ---- big: the probe image and a layer of 32 MB of random bytes (more
  # than the 24 MB small filesystems setup-host.sh mounts hold).
  mkdir -p "$work/big"
  head -c 32M /dev/urandom >"$work/big/random"
  tar_add "$work/big.tar" "$work/big" -- ./random
  local bigl bigc
  bigl=$(oci_add_layer "$L" "$work/big.tar" gzip)
  bigc=$(oci_config amd64 linux 2024-05-01T00:00:00Z "{$probe_env,\"Cmd\":[\"/bin/probe\",\"args\"]}" \
    '[{"created":"2024-01-01T00:00:00Z","created_by":"busybox"},{"created":"2024-05-01T00:00:00Z","created_by":"probe"},{"created":"2024-05-01T00:00:00Z","created_by":"32 MB of random bytes"}]' \
    "$bb_diffid" "${pl##* }" "${bigl##* }")
  read -r md ms cd <<<"$(oci_image "$L" "$bigc" "$bb_gzip" "$pl" "$bigl")"
  oci_tag "$L" "$md" "$ms" big
  fact IMG_BIG_ID "${cd#sha256:}"

  # ---- hostile layers: each one layer, each must not write outside the layer.
  # tar -P keeps ../ and leading / that GNU tar would otherwise strip.
  local h=$work/hostile
  mkdir -p "$h/tmp"
  echo ok >"$h/ok.txt"
  echo escaped >"$h/escape"
  hostile() { # NAME TAR-FILE
    local hl hc
    hl=$(oci_add_layer "$L" "$2" gzip)
    hc=$(oci_config amd64 linux 2024-01-01T00:00:00Z '{"Cmd":["/ok.txt"],"Labels":{"cabin.test.image":"hostile"}}' \
      '[{"created":"2024-01-01T00:00:00Z","created_by":"hostile layer"}]' "${hl##* }")
    read -r md ms cd <<<"$(oci_image "$L" "$hc" "$hl")"
    oci_tag "$L" "$md" "$ms" "hostile-$1"
  }
  # ../cabin-escape-dotdot: lands beside the layer directory if followed.
  tar_add "$work/h1.tar" "$h" -- ./ok.txt
  tar_add "$work/h1.tar" "$h" -P --transform='s,^\./escape$,../cabin-escape-dotdot,' -- ./escape
  hostile dotdot "$work/h1.tar"
  # /tmp/cabin-escape-absolute: the host's /tmp if not taken relative to the root.
  tar_add "$work/h2.tar" "$h" -- ./ok.txt ./tmp
  tar_add "$work/h2.tar" "$h" -P --transform='s,^\./escape$,/tmp/cabin-escape-absolute,' -- ./escape
  hostile absolute "$work/h2.tar"
  # evil -> /tmp, then evil/cabin-escape-symlink: the host's /tmp if followed outside the root.
  mkdir -p "$work/hs" "$work/hs2/evil"
  ln -s /tmp "$work/hs/evil"
  echo escaped >"$work/hs2/evil/cabin-escape-symlink"
  tar_add "$work/h3.tar" "$h" -- ./ok.txt ./tmp
  tar_add "$work/h3.tar" "$work/hs" -- ./evil
  tar_add "$work/h3.tar" "$work/hs2" -- ./evil/cabin-escape-symlink
  hostile symlink "$work/h3.tar"
  # evil -> ../../../../../../../../tmp, then evil/cabin-escape-symlink-relative.
  mkdir -p "$work/hr" "$work/hr2/evil"
  ln -s ../../../../../../../../../../tmp "$work/hr/evil"
  echo escaped >"$work/hr2/evil/cabin-escape-symlink-relative"
  tar_add "$work/h4.tar" "$h" -- ./ok.txt ./tmp
  tar_add "$work/h4.tar" "$work/hr" -- ./evil
  tar_add "$work/h4.tar" "$work/hr2" -- ./evil/cabin-escape-symlink-relative
  hostile symlink-relative "$work/h4.tar"
  # A hardlink to ../../../../../../../../../../etc/passwd: links a host file into the layer if followed.
  mkdir -p "$work/hh"
  echo target >"$work/hh/ok.txt"
  ln "$work/hh/ok.txt" "$work/hh/link"
  tar_add "$work/h5.tar" "$work/hh" -P \
    --transform='s,^\./ok\.txt$,../../../../../../../../../../etc/passwd,RSh' -- ./ok.txt ./link
  hostile hardlink "$work/h5.tar"

  # ---- broken images: blobs and configs pushed with curl by push_broken.
  local b=$out/broken
  mkdir -p "$b"
  # A layer of its own per image, so that tampering with one leaves the others intact.
  broken_layer() { # NAME: writes $b/NAME.tar and $b/NAME.tar.gz
    mkdir -p "$work/b-$1"
    echo "broken image $1" >"$work/b-$1/$1.txt"
    head -c 65536 /dev/zero | tr '\0' 'x' >"$work/b-$1/padding"
    tar_add "$b/$1.tar" "$work/b-$1" -- .
    gzip -n -6 -c "$b/$1.tar" >"$b/$1.tar.gz"
  }
  local n
  for n in truncated digest diffid config manifest mediatype missing-blob; do broken_layer "$n"; done
  # Half of a gzip stream.
  head -c "$(($(size_of "$b/truncated.tar.gz") / 2))" "$b/truncated.tar.gz" >"$b/truncated.tar.gz.part"
  mv "$b/truncated.tar.gz.part" "$b/truncated.tar.gz"
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:' >"$b/config.json"
  printf 'this is not JSON' >>"$b/config.json"

  rm -rf "$work"
  unset -f fact hostile broken_layer probe_image
}

if [[ ! -e $IMAGES/.done ]]; then
  mkdir -p "$STATE/images"
  rm -rf "$IMAGES.tmp"
  mkdir -p "$IMAGES.tmp"
  start=$SECONDS
  build "$IMAGES.tmp"
  touch "$IMAGES.tmp/.done"
  rm -rf "$IMAGES"
  mv "$IMAGES.tmp" "$IMAGES"
  # Older builds are of no further use.
  for old in "$STATE"/images/*/; do
    [[ ${old%/} == "$IMAGES" ]] || rm -rf "${old%/}"
  done
  note "built layouts in $IMAGES ($((SECONDS - start))s)"
fi
chmod -R a+rX "$IMAGES"
# shellcheck disable=SC1091
source "$IMAGES/facts"
L=$IMAGES/layout

# ------------------------------------------------------------------ push
PLAIN=http://$CABIN_TEST_REGISTRY
STORAGE=$CABIN_TEST_REGISTRY_STORAGE_PLAIN

# copy SRC-TAG DEST [SKOPEO-OPTIONS…]: skopeo copy from the layout.
copy() {
  local src=$1 dest=$2
  shift 2
  skopeo copy --quiet --dest-tls-verify=false "$@" "oci:$L:$src" "docker://$dest" >/dev/null
}

push_broken() {
  local b=$IMAGES/broken base=$PLAIN
  CURL_OPTS=()
  local tmp
  tmp=$(mktemp -d)
  # manifest_for NAME MEDIATYPE DIGEST SIZE CONFIG-FILE: an OCI manifest of one layer.
  manifest_for() {
    local cdigest csize
    cdigest=$(reg_put_blob "$base" "broken/$1" "$5")
    csize=$(size_of "$5")
    oci_manifest "$cdigest" "$csize" "$2 $3 $4 -" >"$tmp/$1.json"
  }
  config_for() { # NAME DIFFID
    oci_config amd64 linux 2024-01-01T00:00:00Z "{\"Cmd\":[\"sh\"],\"Labels\":{\"cabin.test.image\":\"broken-$1\"}}" \
      "[{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"broken $1\"}]" "$2" >"$tmp/$1.config.json"
  }
  local n digest size diffid
  for n in truncated digest diffid config mediatype; do
    digest=$(reg_put_blob "$base" "broken/$n" "$b/$n.tar.gz")
    size=$(size_of "$b/$n.tar.gz")
    diffid=sha256:$(sha256_of "$b/$n.tar")
    case $n in
      diffid) config_for "$n" "sha256:$(printf wrong | sha256sum | cut -d' ' -f1)" ;;
      config) cp "$b/config.json" "$tmp/$n.config.json" ;;
      *) config_for "$n" "$diffid" ;;
    esac
    local mt=$MT_OCI_LAYER_GZIP
    [[ $n == mediatype ]] && mt=application/vnd.cabin.test.layer.v1.tar+lzma
    manifest_for "$n" "$mt" "$digest" "$size" "$tmp/$n.config.json"
    reg_put_manifest "$base" "broken/$n" latest "$MT_OCI_MANIFEST" "$tmp/$n.json" >/dev/null
  done
  # broken/digest: the stored blob no longer matches its digest (same length,
  # bytes in the middle changed); the registry serves it as it is.
  digest=sha256:$(sha256_of "$b/digest.tar.gz")
  local data
  data=$STORAGE/docker/registry/v2/blobs/sha256/${digest:7:2}/${digest#sha256:}/data
  [[ -f $data ]] || die "broken/digest: $data missing"
  size=$(size_of "$data")
  printf 'TAMPERED-BY-CABIN-TESTS' | dd of="$data" bs=1 seek=$((size / 2)) conv=notrunc status=none
  # broken/manifest: valid JSON that no image manifest can be: the registry
  # would refuse it on upload, so it goes straight into the storage.
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","size":-1},"layers":[{"mediaType":"%s"}]}' \
    "$MT_OCI_MANIFEST" "$MT_OCI_CONFIG" "$MT_OCI_LAYER_GZIP" >"$tmp/manifest.json"
  reg_store_manifest "$STORAGE" broken/manifest latest "$tmp/manifest.json" >/dev/null
  # broken/missing-blob: a manifest whose layer the registry does not have.
  config_for missing-blob "sha256:$(sha256_of "$b/missing-blob.tar")"
  local cdigest
  cdigest=$(reg_store_blob "$STORAGE" broken/missing-blob "$tmp/missing-blob.config.json")
  oci_manifest "$cdigest" "$(size_of "$tmp/missing-blob.config.json")" \
    "$MT_OCI_LAYER_GZIP sha256:$(sha256_of "$b/missing-blob.tar.gz") $(size_of "$b/missing-blob.tar.gz") -" \
    >"$tmp/missing-blob.json"
  reg_store_manifest "$STORAGE" broken/missing-blob latest "$tmp/missing-blob.json" >/dev/null
  rm -rf "$tmp"
  unset -f manifest_for config_for
}

MARKER=$STORAGE/.cabin-pushed-$KEY
if [[ ! -e $MARKER ]]; then
  start=$SECONDS
  auth=(--dest-creds "$CABIN_TEST_AUTH_USER:$CABIN_TEST_AUTH_PASSWORD")
  # Copies into one repository run one after another: the registry can fail
  # two uploads of the same blob into one repository at once ("digest
  # invalid"); different repositories go in parallel.
  pids=()
  (
    for t in latest oci 1.35; do copy busybox "$CABIN_TEST_REGISTRY/busybox:$t"; done
    copy busybox "$CABIN_TEST_REGISTRY/busybox:v2s2" --format v2s2
    copy busybox-zstd "$CABIN_TEST_REGISTRY/busybox:zstd"
    copy busybox-uncompressed "$CABIN_TEST_REGISTRY/busybox:uncompressed"
  ) & pids+=($!)
  copy multilayer "$CABIN_TEST_REGISTRY/multilayer:latest" & pids+=($!)
  copy multiarch "$CABIN_TEST_REGISTRY/multiarch:latest" --all & pids+=($!)
  (
    copy probe "$CABIN_TEST_REGISTRY/probe:latest"
    for t in entrypoint user workdir stopsignal nocmd; do
      copy "probe-$t" "$CABIN_TEST_REGISTRY/probe:$t"
    done
  ) & pids+=($!)
  copy big "$CABIN_TEST_REGISTRY/big:latest" & pids+=($!)
  for h in dotdot absolute symlink symlink-relative hardlink; do
    copy "hostile-$h" "$CABIN_TEST_REGISTRY/hostile/$h:latest" & pids+=($!)
  done
  copy busybox "$CABIN_TEST_REGISTRY_TLS/busybox:latest" & pids+=($!)
  copy busybox "$CABIN_TEST_REGISTRY_AUTH/busybox:latest" "${auth[@]}" & pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || die "a push failed"; done
  push_broken
  touch "$MARKER"
  note "pushed the images ($((SECONDS - start))s)"
fi

# ------------------------------------------------------------------ images.env
v2s2=$(reg_manifest_digest "$PLAIN" busybox v2s2)
[[ -n $v2s2 ]] || die "busybox:v2s2 is not on $PLAIN"
{
  echo "# Written by tests/system/make-images.sh; sourced by helpers.bash."
  printf '%s=%q\n' CABIN_TEST_IMAGES "$IMAGES" CABIN_TEST_LAYOUT "$L" \
    CABIN_TEST_ROOTFS_TAR "$IMAGES/busybox-rootfs.tar" IMG_BUSYBOX_V2S2_DIGEST "$v2s2" \
    CABIN_TEST_PROBE "$IMAGES/probe" CABIN_TEST_PROBE_ROOTFS_TAR "$IMAGES/probe-rootfs.tar"
  cat "$IMAGES/facts"
} >"$STATE/images.env.new"
chmod 0644 "$STATE/images.env.new"
mv "$STATE/images.env.new" "$STATE/images.env"
note "wrote $STATE/images.env"
exit
}
