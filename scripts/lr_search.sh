#!/usr/bin/env bash
# The learning-rate search behind the default budget (docs/marl.md, "The learning-rate search"):
# AgA at |λ| ∈ {0.1, 1, 100, 1000} with Adam's learning rate in {1e-4, 3e-4, 1e-3, 3e-3, 1e-2,
# 3e-2}, and the baselines simul-ind, simul-co, SVO and consensus (λ = 1) in {3e-4, 1e-3, 3e-3,
# 1e-2, 3e-2} (SGA is simul-ind to the bit under PPO's surrogate and takes simul-ind's rate); one
# seed (0),
# a short budget, the default budget's every other setting (MLP policy, PPO surrogate, f32).
# Each run is an `aga train` into results/lr-search-ENV/; `python3 scripts/lr_search.py ENV`
# then scores every run by the collective return of its last 16 ended training episodes and
# writes the table and the chosen rate per row. Finished runs are skipped, so the script resumes.
# Usage: bash scripts/lr_search.sh ENV [STEPS]   (ENV: harvest or cleanup; STEPS default 40960)
# SURROGATE=dice searches under the joint surrogate instead (runs in results/lr-search-ENV-dice/,
# scored by `python3 scripts/lr_search.py ENV-dice`); SGA is then searched too, as it is no
# longer simul-ind there. SHARD=I/N trains only every N-th run from the I-th (I from 0), so N
# processes side by side split the runs between them.
set -euo pipefail
cd "$(dirname "$0")/.."
env="${1:?usage: lr_search.sh harvest|cleanup [STEPS]}"
steps="${2:-40960}"
surrogate="${SURROGATE:-ppo}"
case "$surrogate" in
    ppo) root="results/lr-search-$env" ;;
    dice) root="results/lr-search-$env-dice" ;;
    *) echo "SURROGATE must be ppo or dice, not $surrogate" >&2; exit 1 ;;
esac
aga="${AGA_BIN:-target/release/aga}"
[ -n "${AGA_BIN:-}" ] || cargo build --release -q
source scripts/lr_search_run.sh
for lambda in 0.1 1 100 1000; do
    for lr in 0.0001 0.0003 0.001 0.003 0.01 0.03; do
        one "aga-lambda$lambda" "$lr" --method aga --lambda "$lambda"
    done
done
for lr in 0.0003 0.001 0.003 0.01 0.03; do
    one simul-ind "$lr" --method simul-ind
    one simul-co "$lr" --method simul-co
    one svo "$lr" --method svo
    one consensus-lambda1 "$lr" --method consensus --lambda 1
    [ "$surrogate" = ppo ] || one sga-lambda1 "$lr" --method sga --lambda 1
done
