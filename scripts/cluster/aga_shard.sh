#!/usr/bin/env bash
# The job script of scripts/cluster/slurm_experiment.sh (docs/scaling.md): in a Slurm array
# task, `aga experiment NAME --quiet --shard $SLURM_ARRAY_TASK_ID/SHARDS OPTIONS...`; with
# `collect` in place of SHARDS, `aga experiment NAME --quiet --collect OPTIONS...`.
# Usage: aga_shard.sh NAME SHARDS|collect [OPTIONS...]
set -euo pipefail
name="$1"
shards="$2"
shift 2
aga="${AGA_BIN:-target/release/aga}"
if [ "$shards" = collect ]; then
    exec "$aga" experiment "$name" --quiet --collect "$@"
fi
exec "$aga" experiment "$name" --quiet --shard "${SLURM_ARRAY_TASK_ID:?not in a Slurm array task}/$shards" "$@"
