#!/usr/bin/env bash
# The methods under both surrogates (docs/marl.md, "The joint surrogate (DiCE)"): the Harvest
# experiment's methods and seeds at a short budget, once with PPO's per-agent surrogate and once
# with the joint one. Writes results/harvest-surrogates-{ppo,dice}/ (table.md, summary.json,
# curves, every run's metrics.csv). Usage: bash scripts/surrogate_compare.sh [STEPS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-30720}"
runs="${2:-2}"
cargo build --release -q
for surrogate in ppo dice; do
    out="results/harvest-surrogates-$surrogate"
    echo "== aga experiment harvest --surrogate $surrogate --steps $steps --runs $runs --out $out"
    start=$(date +%s)
    target/release/aga experiment harvest --surrogate "$surrogate" --steps "$steps" \
        --runs "$runs" --quiet --out "$out"
    echo "wall seconds: $(( $(date +%s) - start ))"
done
