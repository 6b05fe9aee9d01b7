#!/usr/bin/env python3
"""The rule diagnostics of `scripts/surrogate_compare.sh`'s runs, per method and surrogate.

Reads results/harvest-surrogates-{ppo,dice}/runs/*/metrics.csv and config.json and writes
docs/marl/surrogates/diagnostics.csv (one row per run) and prints a markdown table of the means
over seeds (mean ± sample std, n − 1). Columns, each the mean over the run's updates unless said:

- seconds_per_update: the update's wall seconds (the PPO epochs, not the rollout);
- cos_xi_xi_c: cos(ξ, ξ_c) (empty where the rule does not compute ξ_c);
- positive_alignment: share of minibatch steps whose alignment sign was +1 (AgA, SGA);
- lambda_mean: the signed λ averaged over updates (AgA, SGA, consensus);
- clip_fraction: PPO's clip fraction (of the joint ratio under dice);
- collective_return_last10: collective return of the training episodes that ended in the last
  10% of the updates, the window widened back to at least 16 episodes, each episode counted once
  (the experiment's table's definition, `late_episodes` in src/experiments/marl.rs);
- apples_eaten_last10: apples eaten per episode, same window.

Usage: python3 scripts/surrogate_diagnostics.py
"""
import csv
import json
import math
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "marl" / "surrogates" / "diagnostics.csv"
COLUMNS = [
    "seconds",
    "cos_xi_xi_c",
    "positive_alignment",
    "lambda",
    "clip_fraction",
]


def mean(values):
    values = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.fmean(values) if values else None


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


MIN_LATE_EPISODES = 16


def late_window(updates, column):
    """The experiment's "last 10%": episodes ended in the last tenth of the updates, widened back
    to at least MIN_LATE_EPISODES, each update weighted by the episodes that ended in it.
    Returns (mean, episodes); (None, 0) when no episode ended."""
    start = len(updates) - min(max(len(updates) // 10, 1), len(updates))
    total, episodes = 0.0, 0
    for k in range(len(updates) - 1, -1, -1):
        if k < start and episodes >= MIN_LATE_EPISODES:
            break
        ended = number(updates[k]["episodes_ended"]) or 0.0
        value = number(updates[k][column])
        if ended >= 1 and value is not None and math.isfinite(value):
            total += ended * value
            episodes += int(ended)
    return (total / episodes if episodes else None), episodes


def late_episodes(updates, column):
    """The mean of [`late_window`] (None when no episode ended)."""
    return late_window(updates, column)[0]


def label(train):
    notes = []
    if train["method"] in ("consensus", "sga", "aga"):
        notes.append(f"λ={train.get('lambda') or 1.0:g}")
    return train["method"] + (f" ({', '.join(notes)})" if notes else "")


def main():
    rows = []
    for surrogate in ("ppo", "dice"):
        runs = ROOT / "results" / f"harvest-surrogates-{surrogate}" / "runs"
        for run in sorted(runs.iterdir()):
            record = json.loads((run / "config.json").read_text())
            train = record["train"]
            assert train.get("surrogate", "ppo") == surrogate, run
            updates = list(csv.DictReader(open(run / "metrics.csv")))
            row = {
                "surrogate": surrogate,
                "method": label(train),
                "seed": train["seed"],
                "updates": len(updates),
            }
            for column in COLUMNS:
                name = {"seconds": "seconds_per_update", "lambda": "lambda_mean"}.get(column, column)
                row[name] = mean(number(u[column]) for u in updates)
            row["collective_return_last10"] = late_episodes(updates, "collective_return")
            row["apples_eaten_last10"] = late_episodes(updates, "apples_eaten")
            rows.append(row)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else (f"{v:.6g}" if isinstance(v, float) else v))
                             for k, v in row.items()})
    print(f"wrote {OUT.relative_to(ROOT)} ({len(rows)} runs)\n")
    fields = ["seconds_per_update", "cos_xi_xi_c", "positive_alignment", "lambda_mean",
              "clip_fraction", "collective_return_last10", "apples_eaten_last10"]
    print("| method | surrogate | runs | " + " | ".join(fields) + " |")
    print("|---|---|---|" + "---|" * len(fields))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for method in methods:
        for surrogate in ("ppo", "dice"):
            group = [r for r in rows if r["method"] == method and r["surrogate"] == surrogate]
            cells = []
            for field in fields:
                values = [r[field] for r in group if r[field] is not None]
                if not values:
                    cells.append("—")
                elif len(values) == 1:
                    cells.append(f"{values[0]:.3g}")
                else:
                    cells.append(f"{statistics.fmean(values):.3g} ± {statistics.stdev(values):.2g}")
            print(f"| {method} | {surrogate} | {len(group)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
