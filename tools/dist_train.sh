#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# One process per GPU on a CUDA machine; NUM_PROCS CPU processes with gloo otherwise.
CONFIG=$1
NPROCS=$2
if [ -z "$CONFIG" ] || [ -z "$NPROCS" ]; then
  echo "usage: $0 CONFIG NUM_PROCS [tools/train.py arguments]" >&2; exit 2
fi
DIR=$(cd "$(dirname "$0")" && pwd)
exec bash "$DIR/dist_launch.sh" "$NPROCS" "$DIR/train.py" "$CONFIG" \
    --launcher pytorch "${@:3}"
