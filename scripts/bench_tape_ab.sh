#!/usr/bin/env bash
# A/B of the primal tape (docs/performance.md, "The primal tape"): the AgA direction and
# (ξ_c, H_c ξ_c) with the tape (`aga_direction`, `curvature`) and without it
# (`aga_direction_untaped`, `curvature_untaped`: the engine's `with_primal_tape(false)`, which
# is the path before the tape), in one bench binary, on Flex f32, three interleaved rounds.
# Output: docs/bench/primal_tape_ab_<date>.txt (raw Criterion lines) and a summary table
# (the best round of each row) on stdout.
#
#   bash scripts/bench_tape_ab.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="docs/bench/primal_tape_ab_$(date +%F).txt"
filter='^(toy|mlp_h64|mlp_h256|mlp_h768)/flex_f32/(gradient|hvp_collective|aga_direction|aga_direction_untaped|curvature|curvature_untaped)$'
cargo bench --bench derivatives --no-run >/dev/null 2>&1
{
    echo "# bash scripts/bench_tape_ab.sh, $(date -Iseconds), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    for round in 1 2 3; do
        echo "ROUND $round"
        AGA_BENCH_DTYPE=f32 cargo bench --bench derivatives -- "$filter" 2>/dev/null \
            | grep -E '^(toy|mlp)|time:'
    done
} > "$out"
python3 - "$out" <<'PY'
import re, sys
rows, name = {}, None
for line in open(sys.argv[1]):
    m = re.match(r"^((?:toy|mlp)\S+)", line)
    if m:
        name = m.group(1)
    t = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+)", line)
    if t and name:
        v = float(t.group(1)) * {"ns": 1e-3, "µs": 1, "ms": 1e3, "s": 1e6}[t.group(2)]
        rows.setdefault(name, []).append(v)
        name = None
games = sorted({k.rsplit("/", 1)[0] for k in rows}, key=lambda g: (len(g), g))
print("| game | gradient | H_c v | (ξ_c, H_c ξ_c) untaped → taped | AgA direction untaped → taped |")
print("|---|---|---|---|---|")
def best(k):
    return min(rows[k]) if k in rows else float("nan")
def fmt(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.1f} µs"
for g in games:
    cu, ct = best(g + "/curvature_untaped"), best(g + "/curvature")
    au, at = best(g + "/aga_direction_untaped"), best(g + "/aga_direction")
    print(f"| {g} | {fmt(best(g + '/gradient'))} | {fmt(best(g + '/hvp_collective'))} | "
          f"{fmt(cu)} → {fmt(ct)} ({cu / ct:.2f}×) | {fmt(au)} → {fmt(at)} ({au / at:.2f}×) |")
PY
