#!/usr/bin/env bash
# A/B of Dual's tanh memo (aga-burn/src/dual/memo.rs; docs/performance.md): the MLP benchmark
# game's gradient and AgA direction (Flex f32) with the memo and with AGA_NO_TANH_MEMO=1,
# alternating, two rounds, one bench binary. Output: docs/bench/tanh_memo_<date>.txt.
#
#   bash scripts/bench_tanh_memo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="docs/bench/tanh_memo_$(date +%F).txt"
filter='^(mlp_h64|mlp_h256|mlp_h768)/flex_f32/(gradient|hvp_collective|aga_direction)$'
source scripts/ab_env.sh
bench() {
    AGA_BENCH_DTYPE=f32 cargo bench --bench derivatives -- "$filter" 2>/dev/null \
        | grep -E '^mlp|time:'
}
cargo bench --bench derivatives --no-run >/dev/null 2>&1
{
    echo "# bash scripts/bench_tanh_memo.sh, $(date -Iseconds), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    ab_env 2 AGA_NO_TANH_MEMO memo no_memo bench
} > "$out"
cat "$out"
