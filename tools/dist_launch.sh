#!/usr/bin/env bash
# Shared torchrun launcher of dist_train.sh / dist_test.sh.
#   bash tools/dist_launch.sh TOOL.py NPROC_PER_NODE [tool args...]
# Multi-node through NNODES / NODE_RANK / MASTER_ADDR / PORT.
set -euo pipefail
TOOL=$1
NPROC=$2
DIR="$(cd "$(dirname "$0")/.." && pwd)"

PYTHONPATH="$DIR:${PYTHONPATH:-}" \
exec python -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROC" \
    --master_port="${PORT:-29500}" \
    "$DIR/tools/$TOOL" "${@:3}" --launcher pytorch
