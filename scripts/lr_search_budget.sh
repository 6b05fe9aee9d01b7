#!/usr/bin/env bash
# The learning-rate search at the table's own budget for Cleanup (docs/marl.md, "The
# learning-rate search"): the 40-update search (scripts/lr_search.sh) chose 3e-2 for every row,
# and over the table's 100 updates AgA with |λ| ≥ 1 diverged into mass firing on two of three
# seeds at that rate. Here every searched row trains at each rate of its grid for the table's
# 102,400 steps, seed 0, everything else the default budget's: the baselines over {3e-4, 1e-3,
# 3e-3}, AgA over {1e-4, 3e-4, 1e-3, 3e-3} (SGA is simul-ind under PPO's surrogate). The grids'
# 1e-2 and 3e-2 points are the first and the second 100-update table's runs, all three seeds
# (`aga experiment cleanup --steps 102400` made them with this very configuration: their
# config.json equals an `aga train` run's), read from results/cleanup-102400/runs/ (where
# `STEPS=102400 bash scripts/marl_tables.sh cleanup` puts them) by
# `python3 scripts/lr_search_budget.py`, which
# scores and tabulates everything (docs/marl/lr_search/cleanup-budget-seeds.md). Finished runs
# are skipped, so the script resumes. A second round trains seeds 1 and 2 where the first round's
# seed 0 at a smaller rate scored above the best three-seed rate's seed 0 (the script's table
# flags them): simul-ind and AgA λ = 0.1 at 3e-3.
# Usage: [SHARD=I/N] bash scripts/lr_search_budget.sh   (SHARD: train only every N-th run from
# the I-th, I from 0: N processes side by side split the runs between them)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=102400
root=results/lr-search-cleanup-budget
aga="${AGA_BIN:-target/release/aga}"
[ -n "${AGA_BIN:-}" ] || cargo build --release -q
mkdir -p "$root"
env=cleanup
source scripts/lr_search_run.sh
for lambda in 1 100 1000 0.1; do
    for lr in 0.0001 0.0003 0.001 0.003; do
        one "aga-lambda$lambda" "$lr" --method aga --lambda "$lambda"
    done
done
for lr in 0.0003 0.001 0.003; do
    one simul-ind "$lr" --method simul-ind
    one simul-co "$lr" --method simul-co
    one svo "$lr" --method svo
    one consensus-lambda1 "$lr" --method consensus --lambda 1
done
# The second round: seeds 1 and 2 where seed 0 at a smaller rate beat the chosen rate's seed 0.
for seed in 1 2; do
    SEED=$seed SEED_SUFFIX=-seed$seed one simul-ind 0.003 --method simul-ind
    SEED=$seed SEED_SUFFIX=-seed$seed one aga-lambda0.1 0.003 --method aga --lambda 0.1
done
