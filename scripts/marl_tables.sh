#!/usr/bin/env bash
# The default-budget tables of docs/marl.md ("Results of the default budget"): `aga experiment
# harvest` and `aga experiment cleanup` with the default preset (3 seeds, the baselines and
# AgA's λ sweep at the searched learning rates), each timed, then the table, summary.json and
# curves copied into docs/marl/ENV/ and the console output appended to docs/marl/run_log.txt.
# Interrupted runs resume (the experiment skips finished runs and resumes the others).
# SURROGATE=dice runs them under the joint surrogate (`--surrogate dice`): results/ENV-dice/ and
# docs/marl/ENV-dice/.
# STEPS=N trains N environment steps per run instead of the default budget's (`--steps N`):
# results/ENV[-dice]-N/ and docs/marl/ENV[-dice]-N/, so the default budget's runs are kept
# (STEPS=102400: the half budget's tables, the default until 2026-12-04).
# Usage: [SURROGATE=dice] [STEPS=N] bash scripts/marl_tables.sh [ENV ...]   (default: harvest cleanup)
set -euo pipefail
cd "$(dirname "$0")/.."
aga="${AGA_BIN:-target/release/aga}"
# The commit the binary was built from (AGA_REV with a prebuilt AGA_BIN; else this checkout).
rev="${AGA_REV:-$(git rev-parse --short HEAD)}"
[ -n "${AGA_BIN:-}" ] || cargo build --release -q
envs=("$@")
[ ${#envs[@]} -gt 0 ] || envs=(harvest cleanup)
surrogate="${SURROGATE:-ppo}"
suffix=""
[ "$surrogate" = ppo ] || suffix="-$surrogate"
steps=()
if [ -n "${STEPS:-}" ]; then
    suffix="$suffix-$STEPS"
    steps=(--steps "$STEPS")
fi
for env in "${envs[@]}"; do
    echo "== $(date -u +%FT%TZ) aga experiment $env --surrogate $surrogate ${steps[*]} --out results/$env$suffix --quiet ($rev)" \
        | tee -a docs/marl/run_log.txt
    start=$(date +%s)
    "$aga" experiment "$env" --surrogate "$surrogate" "${steps[@]}" --out "results/$env$suffix" \
        --quiet > "results/$env$suffix.out"
    # One block per experiment in the shared log, whichever finishes first.
    {
        cat "results/$env$suffix.out"
        echo "wall seconds ($env, $surrogate): $(( $(date +%s) - start ))"
    } | tee -a docs/marl/run_log.txt
    mkdir -p "docs/marl/$env$suffix"
    cp "results/$env$suffix"/{table.md,summary.json,*.png} "docs/marl/$env$suffix/"
done
