#!/usr/bin/env bash
# One Slurm job array for an experiment's runs, then one job that collects them (docs/scaling.md).
#
#   bash scripts/cluster/slurm_experiment.sh harvest 9 [OPTIONS...]
#
# submits scripts/cluster/aga_shard.sh as array tasks 0-8, task I running
# `aga experiment harvest --quiet --shard I/9 OPTIONS...` (every ninth run of the experiment,
# resuming what an earlier attempt left), and a job running `aga experiment harvest --quiet
# --collect OPTIONS...` once every task has ended (afterany: if a task failed, the collect
# fails naming the runs still missing; resubmit those indices with ARRAY=4,7 and collect again
# with COLLECT_ONLY=1). The same OPTIONS (e.g. --surrogate dice --steps 1000000) go to every
# task and to the collect: runs are matched by their whole configuration. sbatch hands the
# arguments to the job script as they are, so nothing is quoted twice. Needs a shared file
# system for --out (default results/NAME...) and a release build in target/release/aga.
# Environment: CPUS_PER_TASK (2), TIME_PER_TASK (04:00:00), ARRAY (default 0-(SHARDS-1)),
# COLLECT_ONLY=1 (submit only the collect job); partition and account through Slurm's own
# SBATCH_PARTITION / SBATCH_ACCOUNT.
set -euo pipefail
cd "$(dirname "$0")/../.."
usage="usage: slurm_experiment.sh NAME SHARDS [OPTIONS...]"
name="${1:?$usage}"
shards="${2:?$usage}"
shift 2
if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]]; then
    echo "slurm_experiment.sh: SHARDS must be a positive whole number, got '$shards'" >&2
    exit 2
fi
mkdir -p logs
common=(--cpus-per-task="${CPUS_PER_TASK:-2}" --parsable)
dependency=()
if [ -z "${COLLECT_ONLY:-}" ]; then
    array=$(sbatch "${common[@]}" --job-name="aga-$name" --array="${ARRAY:-0-$((shards - 1))}" \
        --time="${TIME_PER_TASK:-04:00:00}" --output="logs/aga-$name-%A_%a.out" \
        scripts/cluster/aga_shard.sh "$name" "$shards" "$@")
    array="${array%%;*}" # --parsable prints "id;cluster" on multi-cluster sites
    dependency=(--dependency="afterany:$array")
    echo "submitted job array $array (tasks ${ARRAY:-0-$((shards - 1))} of $shards)"
fi
collect=$(sbatch "${common[@]}" "${dependency[@]}" --job-name="aga-$name-collect" \
    --time=01:00:00 --output="logs/aga-$name-collect-%j.out" \
    scripts/cluster/aga_shard.sh "$name" collect "$@")
echo "submitted collect job ${collect%%;*}"
