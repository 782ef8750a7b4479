#!/usr/bin/env bash
# Usage: tools/dist_proxy.sh NUM_PROCS [generate_proxy_masks.py args...]
# One rank per GPU on a CUDA machine; NUM_PROCS CPU processes otherwise.
# Ctrl-C stops every rank; rerun with --resume to go on from their parts.
NPROCS=$1
if [ -z "$NPROCS" ]; then
  echo "usage: $0 NUM_PROCS [tools/generate_proxy_masks.py arguments]" >&2
  exit 2
fi
DIR=$(cd "$(dirname "$0")" && pwd)
exec bash "$DIR/dist_launch.sh" "$NPROCS" "$DIR/generate_proxy_masks.py" \
    "${@:2}" --launcher pytorch
