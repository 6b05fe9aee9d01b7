#!/usr/bin/env python3
"""Turn Criterion's results for `benches/*.rs` into the tables of docs/performance.md.

Usage: cargo bench --bench derivatives (and/or --bench transform, --bench rules) &&
       python3 scripts/bench_table.py [target/criterion]
Reads each benchmark's `new/estimates.json` (median of the samples) and prints Markdown.
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
QUANTITIES = ["gradient", "xi", "xi_ncopy", "hvp_collective", "hvp_transpose", "aga_direction"]
GAMES = [("toy", "toy", 2), ("mlp_h16", "MLP h=16", 1634), ("mlp_h64", "MLP h=64", 12674),
         ("mlp_h256", "MLP h=256", 148994), ("mlp_h768", "MLP h=768", 1233410),
         ("mlp_n5_h64", "MLP n=5 h=64", 31685), ("mlp_n10_h64", "MLP n=10 h=64", 63370)]
BACKENDS = ["ndarray", "flex"]


def median_seconds(group, name):
    # Criterion stores group "a/b" with function "f" under a_b/f (slashes replaced).
    for directory in (root / group.replace("/", "_") / name, root / group / name):
        path = directory / "new" / "estimates.json"
        if path.exists():
            return json.loads(path.read_text())["median"]["point_estimate"] * 1e-9
    return None


def fmt(seconds):
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.2f}×"


print("| game | d | backend | gradient (∇l_c) | ξ (shared) | ξ (n-copy) | H_c v | Hᵀ v "
      "| AgA direction | ξ / gradient | H_c v / gradient | AgA / gradient |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for key, label, d in GAMES:
    for dtype in ("f64", "f32"):
        for backend in BACKENDS:
            t = {q: median_seconds(f"{key}/{backend}_{dtype}", q) for q in QUANTITIES}
            if all(v is None for v in t.values()):
                continue
            print(f"| {label} | {d:,} | {backend} {dtype} | "
                  + " | ".join(fmt(t[q]) for q in QUANTITIES)
                  + f" | {ratio(t['xi'], t['gradient'])}"
                  + f" | {ratio(t['hvp_collective'], t['gradient'])}"
                  + f" | {ratio(t['aga_direction'], t['gradient'])} |")

cli = median_seconds("cli", "toy_aga_2000_steps")
if cli is not None:
    print()
    print(f"Whole `aga run --game toy --method aga --lr 0.01 --steps 2000 --init 0.5,0.5 --json` "
          f"process (median of 20): {fmt(cli)}")

rows = []
for group in sorted(root.glob("transform_d*")):
    d = int(group.name[len("transform_d"):])
    base = median_seconds(group.name, "adam_per_player")
    aga = median_seconds(group.name, "aga_adam_game_step")
    rows.append((d, base, aga))
if rows:
    print()
    print("| d | Adam step per player | AgA(Adam) game step | ratio |")
    print("|---|---|---|---|")
    for d, base, aga in sorted(rows):
        print(f"| {d:,} | {fmt(base)} | {fmt(aga)} | {ratio(aga, base)} |")

RULES = ["simgd", "collective", "consensus", "sga", "aga", "la", "lola", "sos", "svo_simgd"]
rule_rows = []
for key, label in [("mlp_h64", "MLP h=64 (d = 12,674)"), ("mlp_h256", "MLP h=256 (d = 148,994)"),
                   ("ipd", "IPD (d = 10)")]:
    t = {r: median_seconds(f"rules/{key}", r) for r in RULES}
    if any(v is not None for v in t.values()):
        rule_rows.append((label, t))
if rule_rows:
    print()
    print("| game | " + " | ".join(RULES) + " |")
    print("|---|" + "---|" * len(RULES))
    for label, t in rule_rows:
        base = t["simgd"]
        print(f"| {label} | " + " | ".join(
            f"{fmt(t[r])} ({ratio(t[r], base)})" for r in RULES) + " |")
