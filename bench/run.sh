#!/usr/bin/env bash
# Runs every benchmark; figures go into README's Performance section by hand.
set -euo pipefail
cd "$(dirname "$0")"
for b in pull.sh run-container.sh lifecycle.sh network.sh storage.sh build.sh hpc.sh; do
  ./"$b"
done
