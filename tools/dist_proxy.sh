#!/usr/bin/env bash
# Usage: tools/dist_proxy.sh NUM_PROCS [generate_proxy_masks.py args...]
# One rank per GPU on a CUDA machine; NUM_PROCS CPU processes otherwise.
# Ctrl-C stops every rank; rerun with --resume to go on from their parts.
NPROCS=$1
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
if [ -z "$NPROCS" ]; then
  echo "usage: $0 NUM_PROCS [tools/generate_proxy_masks.py arguments]" >&2
  exit 2
fi
DIR=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python}
PYTHONPATH="$DIR/..":$PYTHONPATH \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes=$NNODES --node_rank=$NODE_RANK --master_addr=$MASTER_ADDR \
    --nproc_per_node=$NPROCS --master_port=$PORT \
    "$DIR/generate_proxy_masks.py" "${@:2}" --launcher pytorch
