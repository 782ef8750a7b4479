#!/usr/bin/env bash
# Usage: tools/dist_launch.sh NUM_PROCS SCRIPT [SCRIPT args...]
# The torchrun launch that dist_train.sh, dist_test.sh and dist_proxy.sh
# share: NUM_PROCS processes of SCRIPT on this node, the repository on
# PYTHONPATH; NNODES, NODE_RANK, MASTER_ADDR and PORT (as in mmdet's
# scripts) place it among several nodes. exec: a signal to this process
# (Ctrl-C) reaches torchrun, which passes it to every rank.
NPROCS=$1
SCRIPT=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
DIR=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python}
PYTHONPATH="$DIR/..":$PYTHONPATH \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes=$NNODES --node_rank=$NODE_RANK --master_addr=$MASTER_ADDR \
    --nproc_per_node=$NPROCS --master_port=$PORT \
    "$SCRIPT" "${@:3}"
