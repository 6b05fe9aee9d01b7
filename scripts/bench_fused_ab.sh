#!/usr/bin/env bash
# A/B of Dual's fused kernels in one bench binary: the same MLP benchmark-game rows (f32, Flex
# and ndarray) with the fused kernels (default) and with `AGA_DUAL_GENERIC=1` (Dual's generic
# path), one after the other in one session. Output: docs/bench/fused_ab_{fused,generic}.txt.
#
#   bash scripts/bench_fused_ab.sh
set -euo pipefail
cd "$(dirname "$0")/.."
filter='mlp_h(64|256|768)/(flex|ndarray)_f32/(gradient|xi|hvp_collective|aga_direction)$'
cargo bench --bench derivatives --no-run >/dev/null 2>&1
for mode in fused generic; do
    if [ "$mode" = generic ]; then export AGA_DUAL_GENERIC=1; else unset AGA_DUAL_GENERIC; fi
    AGA_BENCH_DTYPE=f32 cargo bench --bench derivatives -- "$filter" 2>/dev/null \
        | grep -E '^mlp_|time:' > "docs/bench/fused_ab_$mode.txt"
done
python3 - <<'PY'
import re
rows = {}
for mode in ("fused", "generic"):
    name = None
    for line in open(f"docs/bench/fused_ab_{mode}.txt"):
        m = re.match(r"^(mlp_\S+)", line)
        if m:
            name = m.group(1)
        t = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+)", line)
        if t and name:
            v, unit = float(t.group(1)), t.group(2)
            rows.setdefault(name, {})[mode] = v * {"ns": 1e-6, "µs": 1e-3, "ms": 1, "s": 1e3}[unit]
            name = None
print("| bench | generic (ms) | fused (ms) | generic / fused |")
print("|---|---|---|---|")
for k, r in rows.items():
    if "fused" in r and "generic" in r:
        print(f"| {k} | {r['generic']:.3f} | {r['fused']:.3f} | {r['generic'] / r['fused']:.2f}× |")
PY
