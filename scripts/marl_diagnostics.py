#!/usr/bin/env python3
"""Per-run diagnostics of a Cleanup/Harvest experiment (docs/marl.md, "Results of the default
budget"): the apple metrics next to the net-reward ones, the beams, the rules' signs and the
cost per update, from every run's metrics.csv in results/ENV/runs/.

Writes docs/marl/ENV/diagnostics.csv (one row per run) and docs/marl/ENV/diagnostics.md (per
table row: mean ± sample std, n − 1, over seeds). Columns, "last 10%" being the experiment
table's window (episodes ended in the last tenth of the updates, widened back to at least 16,
each counted once; `late_episodes` in scripts/surrogate_diagnostics.py and
src/experiments/marl.rs):

- collective_return, equality: the table's net-reward metrics (last 10%);
- apple_efficiency (apples eaten per step by all agents), apple_equality (1 − Gini of the
  agents' apples), apple_sustainability (mean time step of the apples eaten): Perolat et al.'s
  metrics on apples (last 10%);
- apples_eaten, beams_fired, agents_tagged: per episode (last 10%);
- positive_alignment (share of AgA's/SGA's minibatch steps whose sign was +1), lambda_mean
  (signed λ), cos_xi_xi_c, seconds_per_update: means over all updates;
- apples_by_agent: each agent's apples per episode (last 10%), "a/b/c/d/e" (in the markdown
  table, one such group per seed, in seed order);
- Cleanup only: waste_cleaned (waste cells cleaned per episode, last 10%) and cleaned_by_agent
  (each agent's, as apples_by_agent: who cleans and who eats; "—" for runs written before
  metrics.csv had the cleaned_agent_i columns).

Only the runs results/ENV/summary.json lists (when it exists) are read.

Usage: python3 scripts/marl_diagnostics.py ENV   (harvest, cleanup, or harvest-dice, cleanup-dice:
the experiments under the joint surrogate)
"""
import csv
import json
import pathlib
import statistics
import sys

from surrogate_diagnostics import late_episodes, mean, number

ROOT = pathlib.Path(__file__).resolve().parent.parent
LATE = ["collective_return", "equality", "apple_efficiency", "apple_equality",
        "apple_sustainability", "apples_eaten", "beams_fired", "agents_tagged"]
OVERALL = {"positive_alignment": "positive_alignment", "lambda": "lambda_mean",
           "cos_xi_xi_c": "cos_xi_xi_c", "seconds": "seconds_per_update"}


def by_agent(updates, prefix):
    """Each agent's value of the columns PREFIX0, PREFIX1, … over the late window, "a/b/c/d/e"
    ("" when the run has no such columns)."""
    agents = sum(1 for c in updates[0] if c.startswith(prefix))
    return "/".join(f"{late_episodes(updates, f'{prefix}{i}') or 0:.0f}" for i in range(agents))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    env = sys.argv[1]
    cleanup = env.startswith("cleanup")
    late_columns = LATE + (["waste_cleaned"] if cleanup else [])
    runs_dir = ROOT / "results" / env / "runs"
    # The experiment's runs (summary.json lists them); the folder may hold runs of other
    # settings (e.g. at the rates of an earlier search), which are not the table's.
    summary = ROOT / "results" / env / "summary.json"
    listed = None
    if summary.exists():
        listed = {pathlib.Path(r["dir"]).name for r in json.loads(summary.read_text())["runs"]}
    rows = []
    for run in sorted(runs_dir.iterdir()):
        if not (run / "eval.json").exists() or (listed is not None and run.name not in listed):
            continue
        updates = list(csv.DictReader(open(run / "metrics.csv")))
        setting, _, seed = run.name.rpartition("-seed")
        row = {"setting": setting, "seed": int(seed), "updates": len(updates)}
        for column in late_columns:
            row[column] = late_episodes(updates, column)
        for column, name in OVERALL.items():
            row[name] = mean(number(u[column]) for u in updates)
        row["apples_by_agent"] = by_agent(updates, "apples_agent_")
        if cleanup:
            row["cleaned_by_agent"] = by_agent(updates, "cleaned_agent_") or "—"
        rows.append(row)
    if not rows:
        sys.exit(f"no finished runs in {runs_dir}")
    out = ROOT / "docs" / "marl" / env
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "diagnostics.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else (f"{v:.6g}" if isinstance(v, float) else v))
                             for k, v in row.items()})
    fields = [c for c in list(rows[0]) if c not in ("setting", "seed", "updates")]
    digits = {"collective_return": 1, "apples_eaten": 1, "beams_fired": 1, "agents_tagged": 1,
              "apple_sustainability": 1, "seconds_per_update": 3, "waste_cleaned": 1}
    lines = [f"{env}: per-run diagnostics, mean ± sample std (n − 1) over seeds "
             f"(python3 scripts/marl_diagnostics.py {env}; per run: diagnostics.csv)", "",
             "| run | seeds | " + " | ".join(f.replace("_", " ") for f in fields) + " |",
             "|---|---|" + "---|" * len(fields)]
    # The experiment's row order (summary.json lists its runs in it), else the folders'.
    order = list(dict.fromkeys(r["setting"] for r in rows))
    summary = ROOT / "results" / env / "summary.json"
    if summary.exists():
        listed = [pathlib.Path(r["dir"]).name.rpartition("-seed")[0]
                  for r in json.loads(summary.read_text())["runs"]]
        order = sorted(order, key=lambda s: listed.index(s) if s in listed else len(listed))
    for setting in order:
        group = [r for r in rows if r["setting"] == setting]
        cells = []
        for field in fields:
            if field in ("apples_by_agent", "cleaned_by_agent"):
                cells.append(", ".join(r[field] for r in group))
                continue
            values = [r[field] for r in group if r[field] is not None]
            d = digits.get(field, 3)
            if not values:
                cells.append("—")
            elif len(values) == 1:
                cells.append(f"{values[0]:.{d}f}")
            else:
                cells.append(f"{statistics.fmean(values):.{d}f} ± {statistics.stdev(values):.{d}f}")
        lines.append(f"| {setting} | {len(group)} | " + " | ".join(cells) + " |")
    (out / "diagnostics.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
