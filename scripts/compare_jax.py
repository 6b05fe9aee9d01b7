#!/usr/bin/env python3
"""Side-by-side table: our engine (Criterion) vs the JAX reference (scripts/jax_reference.py).

Usage (from the repository root):

  cargo bench --bench derivatives
  python3 scripts/jax_reference.py --out results/jax_reference.json
  python3 scripts/compare_jax.py results/jax_reference.json
  python3 scripts/compare_jax.py results/jax_reference.json --backends ndarray_f32,flex_f32
  python3 scripts/compare_jax.py jax.json --criterion target/criterion \\
      --group-format 'mlp_h{h}/{backend}' --group-format 'mlp_n{n}_h{h}/{backend}'

For each (n, h) in the JAX file and each backend label, the Criterion group is the first of the
`--group-format` patterns (placeholders `{n}`, `{h}`, `{backend}`) that has results; by default
`mlp_h{h}/{backend}` then `mlp_n{n}_h{h}/{backend}` for n = 2, and `mlp_n{n}_h{h}/{backend}`
otherwise. Results are read like scripts/bench_table.py does:
`<criterion>/<group with / replaced by _>/<function>/new/estimates.json`, median in ns.
Functions: gradient, xi, hvp_collective, aga_direction. Cells read "aga / JAX (ratio×)", ratio =
aga time / JAX time (above 1: we are slower); "—" where either side is missing. Rows where no
backend has any result are left out (all rows are shown, with "—", if none has any).

`--xi-quantity` chooses which JAX ξ our `xi` is compared with: `xi` (default: one pass with
stop-gradient on the other players' outputs), `xi_masked` (generic: n game evaluations with
stop-gradient on w_{-i}) or `xi_jacrev`. The JAX-only ξ variants are listed below the table.

The toy line compares Criterion's `cli/toy_aga_2000_steps` (whole `aga run` process) with the
JAX child process (`toy_aga_2000_steps_process`) and says whether the final points agree.
"""

import argparse
import json
import pathlib
import sys

QUANTITIES = ["gradient", "xi", "hvp_collective", "aga_direction"]
LABELS = {"gradient": "gradient (∇l_c)", "xi": "ξ", "hvp_collective": "H_c v",
          "aga_direction": "AgA direction"}


def fmt(seconds):
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("jax_json", help="output of scripts/jax_reference.py")
    ap.add_argument("--criterion", default="target/criterion", help="Criterion's directory")
    ap.add_argument("--backends", default="f32",
                    help="comma-separated backend labels (the {backend} of the group names), "
                         "e.g. f32 or ndarray_f32,flex_f32")
    ap.add_argument("--group-format", action="append", default=None,
                    help="Criterion group pattern with {n}, {h}, {backend}; repeatable, first "
                         "match wins")
    ap.add_argument("--xi-quantity", default="xi", choices=["xi", "xi_masked", "xi_jacrev"],
                    help="which JAX ξ variant our xi is compared with")
    args = ap.parse_args()

    root = pathlib.Path(args.criterion)
    report = json.loads(pathlib.Path(args.jax_json).read_text())
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    def median_seconds(group, name):
        for directory in (root / group.replace("/", "_") / name, root / group / name):
            path = directory / "new" / "estimates.json"
            if path.exists():
                try:
                    return json.loads(path.read_text())["median"]["point_estimate"] * 1e-9
                except (ValueError, KeyError, TypeError) as e:
                    print(f"warning: cannot read {path}: {e}", file=sys.stderr)
        return None

    def groups(n, h, backend):
        if args.group_format:
            patterns = args.group_format
        elif n == 2:
            patterns = ["mlp_h{h}/{backend}", "mlp_n{n}_h{h}/{backend}"]
        else:
            patterns = ["mlp_n{n}_h{h}/{backend}"]
        return [p.format(n=n, h=h, backend=backend) for p in patterns]

    def ours(n, h, backend, q):
        for g in groups(n, h, backend):
            t = median_seconds(g, q)
            if t is not None:
                return t
        return None

    jax_t = {}
    configs = []
    for r in report["results"]:
        if r.get("hidden") is None:
            continue
        key = (r["players"], r["hidden"], r["d"])
        if key not in configs:
            configs.append(key)
        jax_t[key + (r["quantity"],)] = r["median_s"]
    configs.sort()

    def jax_of(key, q):
        return jax_t.get(key + ((args.xi_quantity if q == "xi" else q),))

    def cell(a, j):
        if a is None and j is None:
            return "—"
        if a is None or j is None:
            return f"{fmt(a)} / {fmt(j)}"
        return f"{fmt(a)} / {fmt(j)} ({a / j:.2f}×)"

    rows = []
    for key in configs:
        n, h, d = key
        for backend in backends:
            a = {q: ours(n, h, backend, q) for q in QUANTITIES}
            rows.append((key, backend, a, any(v is not None for v in a.values())))
    shown = [r for r in rows if r[3]] or rows

    print(f"JAX {report.get('jax')} (jaxlib {report.get('jaxlib')}, Python {report.get('python')}), "
          f"{report.get('cpu')}, {report.get('threads')} threads"
          + (f", XLA_FLAGS `{report['xla_flags']}`" if report.get("xla_flags") else "")
          + f", {report.get('date')}; JAX ξ = `{args.xi_quantity}`.")
    print()
    print("| n | h | d | backend | " + " | ".join(f"{LABELS[q]}: aga / JAX" for q in QUANTITIES) + " |")
    print("|---|---|---|---|" + "---|" * len(QUANTITIES))
    for (n, h, d), backend, a, _ in shown:
        print(f"| {n} | {h} | {d:,} | {backend} | "
              + " | ".join(cell(a[q], jax_of((n, h, d), q)) for q in QUANTITIES) + " |")
    if not any(r[3] for r in rows):
        print(f"\n(no Criterion results found under {root} for backends {', '.join(backends)})",
              file=sys.stderr)

    variants = [(key, {v: jax_t.get(key + (v,)) for v in ("xi", "xi_masked", "xi_jacrev")})
                for key in configs]
    variants = [(k, v) for k, v in variants if sum(x is not None for x in v.values()) > 1]
    if variants:
        print()
        print("JAX ξ variants (`xi`: stop-gradient on other players' outputs, one pass; "
              "`xi_masked`: stop-gradient on w_{-i}, n game evaluations; `xi_jacrev`: diagonal "
              "blocks of jacrev): "
              + "; ".join(f"n={k[0]} h={k[1]}: " + ", ".join(f"{name} {fmt(t)}" for name, t in v.items())
                          for k, v in variants) + ".")

    toy = next((r for r in report["results"] if r["quantity"] == "toy_aga_2000_steps_process"), None)
    inproc = next((r for r in report["results"]
                   if r["quantity"] == "toy_aga_2000_steps_inprocess"), None)
    cli = median_seconds("cli", "toy_aga_2000_steps")
    if toy is not None or cli is not None:
        print()
        line = "Toy game, 2000 AgA steps, whole process: " + cell(cli, toy and toy["median_s"])
        line += " (`aga run --game toy --method aga --lr 0.01 --steps 2000 --init 0.5,0.5 --json` "
        line += "vs `python3 scripts/jax_reference.py --toy-child`: import jax, jitted `lax.fori_loop`)"
        if inproc is not None:
            line += f"; JAX jitted loop alone, in process: {fmt(inproc['median_s'])}"
        if toy is not None and "matches_reference" in toy:
            line += (f"; final point {'matches' if toy['matches_reference'] else 'DOES NOT match'} "
                     f"ours (max |Δ| = {toy['max_abs_err']:.1e})")
        print(line + ".")


if __name__ == "__main__":
    main()
