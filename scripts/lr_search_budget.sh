#!/usr/bin/env bash
# The learning-rate search at the table's own budget for Cleanup's AgA rows with |λ| ≥ 1
# (docs/marl.md, "The learning-rate search"): the 40-update search (scripts/lr_search.sh) chose
# 3e-2 for them, and over the table's 100 updates those runs diverged into mass firing. Here each
# of AgA λ ∈ {1, 100, 1000} trains at every rate of the AgA grid for the table's 102,400 steps,
# seed 0, everything else the default budget's. The grid's 1e-2 and 3e-2 points are the first
# and the second table's seed-0 runs (`aga experiment cleanup` made them with this very
# configuration: their config.json equals an `aga train` run's), copied here from
# results/cleanup/runs/ (`aga experiment cleanup` keeps them); the other four rates are trained.
# Then `python3 scripts/lr_search.py cleanup-budget` scores and tabulates them
# (docs/marl/lr_search/cleanup-budget.md). Finished runs are skipped, so the script resumes.
# Usage: bash scripts/lr_search_budget.sh
set -euo pipefail
cd "$(dirname "$0")/.."
steps=102400
root=results/lr-search-cleanup-budget
aga="${AGA_BIN:-target/release/aga}"
[ -n "${AGA_BIN:-}" ] || cargo build --release -q
mkdir -p "$root"
for lambda in 1 100 1000; do
    for lr in 0.01 0.03; do
        table="results/cleanup/runs/aga-lambda$lambda-lr$lr-seed0"
        out="$root/aga-lambda$lambda-lr$lr"
        [ -f "$out/eval.json" ] && continue
        [ -f "$table/eval.json" ] \
            || { echo "$table is missing: run aga experiment cleanup first" >&2; exit 1; }
        mkdir -p "$out"
        cp "$table/config.json" "$table/metrics.csv" "$table/eval.json" "$out/"
        echo "== $out: the table's seed-0 run, copied"
    done
    for lr in 0.0001 0.0003 0.001 0.003; do
        out="$root/aga-lambda$lambda-lr$lr"
        if [ -f "$out/eval.json" ]; then
            echo "== $out: finished, skipped"
            continue
        fi
        rm -rf "$out"
        echo "== aga train --env cleanup --method aga --lambda $lambda --lr $lr --steps $steps --seed 0 --policy mlp --out $out"
        start=$(date +%s)
        "$aga" train --env cleanup --method aga --lambda "$lambda" --lr "$lr" --steps "$steps" \
            --seed 0 --policy mlp --quiet --out "$out"
        echo "wall seconds: $(( $(date +%s) - start ))"
    done
done
