#!/bin/bash
# Remakes the binary seeds of tests/fuzz from the project's own test data:
#   manifest/  manifests, indexes and configs of the system tests' images
#              (tests/system/make-images.sh's OCI layout), the small ones;
#   layer/     those images' small layer blobs (gzip), and a tiny rootfs as
#              tar, gzip and zstd, with a symlink, a hardlink and a whiteout;
#   archive/   that rootfs imported by cabin and saved as docker-archive
#              and oci-archive.
# The text seeds (references, config files, templates, Containerfiles…) are
# written by hand from the unit and system tests and are not remade here.
#
# Usage (as root, after a system-test run made the images):
#   tests/fuzz/make-seeds.sh [CABIN] [STATE]
#   CABIN: the binary (build/cabin); STATE: the system tests' state directory
#   (/var/tmp/cabin-tests-netns).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cabin=${1:-$here/../../build/cabin}
state=${2:-${CABIN_TEST_STATE:-/var/tmp/cabin-tests-netns}}
layout=$(ls -d "$state"/images/*/layout | head -1)
blobs=$layout/blobs/sha256

mkdir -p "$here/manifest" "$here/layer" "$here/archive"
for f in "$blobs"/*; do
  size=$(stat -c %s "$f")
  ((size <= 2048)) || continue
  case $(head -c 2 "$f" | od -An -tx1 | tr -d ' ') in
    7b22) cp "$f" "$here/manifest/$(basename "$f" | cut -c1-12).json" ;;  # {"
    1f8b) cp "$f" "$here/layer/$(basename "$f" | cut -c1-12).tar.gz" ;;   # gzip
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/etc" "$work/rootfs/bin" "$work/rootfs/gone"
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
echo hello >"$work/rootfs/etc/motd"
ln -s ../etc/motd "$work/rootfs/bin/motd"
ln "$work/rootfs/etc/motd" "$work/rootfs/etc/motd.hard"
: >"$work/rootfs/gone/.wh.old"
: >"$work/rootfs/gone/.wh..wh..opq"
tar --owner=0 --group=0 --mtime=@1700000000 --sort=name -C "$work/rootfs" -cf "$work/tiny.tar" .
# The tar's end: two zero blocks are enough (tar pads to 10 KiB).
python3 - "$work/tiny.tar" <<'EOF'
import sys
data = open(sys.argv[1], 'rb').read().rstrip(b'\0')
blocks = (len(data) + 511) // 512 + 2
open(sys.argv[1], 'wb').write(data + b'\0' * (blocks * 512 - len(data)))
EOF
cp "$work/tiny.tar" "$here/layer/tiny.tar"
gzip -9 -n <"$work/tiny.tar" >"$here/layer/tiny.tar.gz"
zstd -q -19 <"$work/tiny.tar" >"$here/layer/tiny.tar.zst"

c=("$cabin" --root "$work/store" --runroot "$work/run")
"${c[@]}" import -q --change 'CMD ["/bin/sh"]' "$work/tiny.tar" localhost/tiny:1 >/dev/null
"${c[@]}" save --format docker-archive -o "$here/archive/docker.tar" localhost/tiny:1
"${c[@]}" save --format oci-archive -o "$here/archive/oci.tar" localhost/tiny:1
"${c[@]}" rmi -a >/dev/null
