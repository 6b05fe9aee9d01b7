#!/usr/bin/env bash
# Who cleans and who eats in Cleanup (docs/marl.md, "Cleanup": the division of labour): the
# default budget's two leading rows, AgA λ = 0.1 at 3e-3 and simul-co at 1e-2, trained again
# (seeds 0-2, 204,800 steps, the MLP, PPO's surrogate: the table's configuration, `aga train`
# writes the same config.json as the experiment) by a build whose metrics.csv has each agent's
# cleaned waste (`cleaned_agent_i`), into results/cleanup-labour/runs/; then
# `python3 scripts/marl_diagnostics.py cleanup-labour` writes docs/marl/cleanup-labour/.
# Finished runs are skipped. Usage: [AGA_BIN=...] bash scripts/cleanup_labour.sh
set -euo pipefail
cd "$(dirname "$0")/.."
aga="${AGA_BIN:-target/release/aga}"
[ -n "${AGA_BIN:-}" ] || cargo build --release -q
env=cleanup
root=results/cleanup-labour/runs
steps=204800
mkdir -p "$root"
source scripts/lr_search_run.sh
for seed in 0 1 2; do
    SEED=$seed SEED_SUFFIX=-seed$seed one aga-lambda0.1 0.003 --method aga --lambda 0.1
done
for seed in 0 1 2; do
    SEED=$seed SEED_SUFFIX=-seed$seed one simul-co 0.01 --method simul-co
done
python3 scripts/marl_diagnostics.py cleanup-labour
