#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py args...]
CONFIG=$1
CHECKPOINT=$2
NPROCS=$3
if [ -z "$CONFIG" ] || [ -z "$CHECKPOINT" ] || [ -z "$NPROCS" ]; then
  echo "usage: $0 CONFIG CHECKPOINT NUM_PROCS [tools/test.py arguments]" >&2; exit 2
fi
DIR=$(cd "$(dirname "$0")" && pwd)
exec bash "$DIR/dist_launch.sh" "$NPROCS" "$DIR/test.py" "$CONFIG" \
    "$CHECKPOINT" --launcher pytorch "${@:4}"
