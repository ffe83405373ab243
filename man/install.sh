#!/bin/sh
# meson install: writes cabin's man pages (`cabin __man DIR`, generated from
# the command line's definitions) into the install tree.
set -eu
cabin=$1
case $cabin in /*) ;; *) cabin=$MESON_BUILD_ROOT/$cabin ;; esac
mandir=$2
case $mandir in /*) ;; *) mandir=$MESON_INSTALL_PREFIX/$mandir ;; esac
dest=${DESTDIR:-}$mandir/man1
mkdir -p "$dest"
"$cabin" __man "$dest"
