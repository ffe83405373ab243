#!/bin/bash
# Stops the registries that setup-host.sh started and unmounts its small
# filesystems. Run as root.
#   --purge   also remove the state dir (registry storage, images, certificates)
#   --users   also remove the users cabintest and cabinsolo and their sub-id ranges
set -euo pipefail

STATE=${CABIN_TEST_STATE:-/var/tmp/cabin-tests}
purge='' users=''
for arg; do
  case $arg in
    --purge) purge=1 ;;
    --users) users=1 ;;
    *) echo "usage: $0 [--purge] [--users]" >&2; exit 2 ;;
  esac
done

for dir in "$STATE"/registry/*/; do
  [[ -s $dir/pid ]] || continue
  pid=$(<"$dir/pid")
  if [[ -d /proc/$pid ]] && grep -qa docker-registry "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
    echo "teardown-host: stopped registry $(basename "$dir") (pid $pid)" >&2
  fi
  rm -f "$dir/pid" "$dir/config.yml.running"
done

for dir in "$STATE"/smallfs/*/; do
  if mountpoint -q "$dir"; then umount -l "$dir"; fi
done

if [[ -n $purge ]]; then
  rm -rf "$STATE"
  echo "teardown-host: removed $STATE" >&2
fi

if [[ -n $users ]]; then
  for user in cabintest cabinsolo; do
    if getent passwd "$user" >/dev/null; then
      userdel --remove "$user" 2>/dev/null || userdel "$user"
    fi
    for f in /etc/subuid /etc/subgid; do
      [[ -f $f ]] && sed -i "/^${user}:/d" "$f"
    done
  done
  echo "teardown-host: removed users cabintest and cabinsolo" >&2
fi
