#!/usr/bin/env python3
"""Per-run battle statistics of an `aga experiment mmm2` directory, as CSV.

For every run in DIR/runs/, the mean over the last tenth of the updates (those with an ended
episode, as the experiment's table) of the episode columns the table does not show: episode
length, damage dealt and taken, HP healed, units alive, SMAC's team return, and the share of
truncated episodes.

    python3 scripts/battle_run_stats.py docs/marl/mmm2 > docs/marl/mmm2/run_stats.csv
"""
import csv
import math
import sys
from pathlib import Path

COLUMNS = ["steps", "truncated", "damage_dealt", "damage_taken", "hp_healed",
           "allies_alive", "enemies_alive", "team_return", "win_rate", "collective_return"]


def main(root: Path) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["run", "updates"] + COLUMNS)
    for run in sorted((root / "runs").iterdir()):
        rows = list(csv.DictReader(open(run / "metrics.csv")))
        ended = [r for r in rows if r["steps"] not in ("", None)]
        tail = ended[len(ended) - max(1, len(rows) // 10):] if ended else []
        def mean(k):
            vals = [float(r[k]) for r in tail if r[k] != ""]
            return sum(vals) / len(vals) if vals else math.nan
        out.writerow([run.name, len(rows)] + [f"{mean(k):.3f}" for k in COLUMNS])


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/marl/mmm2"))
