#!/usr/bin/env bash
# One Slurm job array for an experiment's runs, then one job that collects them (docs/scaling.md).
#
#   bash scripts/cluster/slurm_experiment.sh harvest 9 [EXTRA OPTIONS...]
#
# submits `aga experiment harvest --shard I/9` as array tasks 0-8 (each task trains every ninth
# run of the experiment, resuming what an earlier attempt left) and, once all succeeded, a job
# running `aga experiment harvest --collect` that writes the table, summary and curves. The
# same EXTRA OPTIONS (e.g. --surrogate dice, --steps 1000000) go to every task and to the collect
# job: runs are matched by their whole configuration. Needs a shared file system for --out
# (default results/NAME) and a release build in target/release/aga. Slurm options (partition,
# account) through SBATCH_* environment variables or by editing the two sbatch lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
name="${1:?usage: slurm_experiment.sh NAME SHARDS [OPTIONS...]}"
shards="${2:?usage: slurm_experiment.sh NAME SHARDS [OPTIONS...]}"
shift 2
mkdir -p logs
quoted=$(printf ' %q' "$@")
array=$(sbatch --parsable --job-name="aga-$name" --array="0-$((shards - 1))" \
    --cpus-per-task="${CPUS_PER_TASK:-2}" --time="${TIME_PER_TASK:-04:00:00}" \
    --output="logs/aga-$name-%a.out" \
    --wrap="target/release/aga experiment $name --quiet --shard \$SLURM_ARRAY_TASK_ID/$shards$quoted")
collect=$(sbatch --parsable --job-name="aga-$name-collect" --dependency="afterok:$array" \
    --cpus-per-task="${CPUS_PER_TASK:-2}" --time=00:30:00 --output="logs/aga-$name-collect.out" \
    --wrap="target/release/aga experiment $name --quiet --collect$quoted")
echo "submitted job array $array ($shards tasks) and collect job $collect (after the array)"
