#!/usr/bin/env bash
# A/B of the primal tape on the PPO learner (docs/performance.md, "The primal tape"): one AgA
# update of `cargo bench --bench rl` (Harvest, MLP and CNN policies) with the tape and with
# `AGA_NO_PRIMAL_TAPE=1`, alternating, two rounds. The PPO game has a collective loss of its own,
# so AgA's ξ_c is a pass of its own and H_c ξ_c replays it.
# Output: docs/bench/primal_tape_rl_<date>.txt.
#
#   bash scripts/bench_tape_rl.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="docs/bench/primal_tape_rl_$(date +%F).txt"
source scripts/ab_env.sh
bench() {
    cargo bench --bench rl -- 'harvest_(mlp|cnn)/aga/update' 2>/dev/null | grep -E '^rl/|time:'
}
cargo bench --bench rl --no-run >/dev/null 2>&1
{
    echo "# bash scripts/bench_tape_rl.sh, $(date -Iseconds), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    ab_env 2 AGA_NO_PRIMAL_TAPE tape no_tape bench
} > "$out"
cat "$out"
