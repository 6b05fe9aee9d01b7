#!/usr/bin/env python3
"""Scores the runs of scripts/lr_search.sh and picks Adam's learning rate per row.

Each run's score is the experiment tables' "last 10%" collective return: the episodes that
ended in the last tenth of the updates, widened back to at least 16, each counted once
(`late_window` of scripts/surrogate_diagnostics.py; at 40 updates, the last 16 episodes).
Writes docs/marl/lr_search/ENV.csv (one row per run: the score, the episodes it averages, the
apples eaten and beams fired per episode over the same episodes, seconds per update) and
docs/marl/lr_search/ENV.md (per method setting, the score at each rate and the chosen rate: the
highest score). Usage: python3 scripts/lr_search.py ENV
"""
import csv
import math
import pathlib
import re
import sys

from surrogate_diagnostics import MIN_LATE_EPISODES as MIN_EPISODES, late_window
ROOT = pathlib.Path(__file__).resolve().parent.parent
ORDER = ["simul-ind", "simul-co", "svo", "consensus-lambda1", "sga-lambda1", "aga-lambda0.1",
         "aga-lambda1", "aga-lambda100", "aga-lambda1000"]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    env = sys.argv[1]
    root = ROOT / "results" / f"lr-search-{env}"
    runs = []
    for run in sorted(root.iterdir()):
        m = re.fullmatch(r"(.+)-lr([0-9.e-]+)", run.name)
        if not m or not (run / "eval.json").exists():
            continue
        rows = list(csv.DictReader(open(run / "metrics.csv")))
        score, episodes = late_window(rows, "collective_return")
        score = math.nan if score is None else score
        # What the score is made of, over the same episodes: apples eaten and beams fired.
        late = {c: late_window(rows, c)[0] for c in ("apples_eaten", "beams_fired")}
        runs.append(dict(setting=m[1], lr=float(m[2]), score=score, episodes=episodes,
                         apples_eaten=math.nan if late["apples_eaten"] is None
                         else late["apples_eaten"],
                         beams_fired=math.nan if late["beams_fired"] is None
                         else late["beams_fired"],
                         updates=len(rows),
                         seconds_per_update=sum(float(r["seconds"]) for r in rows) / len(rows)))
    if not runs:
        sys.exit(f"no finished runs in {root}")
    out = ROOT / "docs" / "marl" / "lr_search"
    out.mkdir(parents=True, exist_ok=True)
    settings = sorted({r["setting"] for r in runs},
                      key=lambda s: (ORDER.index(s) if s in ORDER else len(ORDER), s))
    rates = sorted({r["lr"] for r in runs})
    with open(out / f"{env}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(runs[0]))
        w.writeheader()
        for r in sorted(runs, key=lambda r: (settings.index(r["setting"]), r["lr"])):
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    lines = [f"{env}: collective return of the last {MIN_EPISODES} ended training episodes "
             f"(seed 0, {runs[0]['updates']} updates of 1024 steps) per method setting and "
             f"learning rate; the chosen rate is the highest score "
             f"(python3 scripts/lr_search.py {env}; per run: {env}.csv)",
             "", "| setting | " + " | ".join(f"lr {lr:g}" for lr in rates) + " | chosen lr |",
             "|---|" + "---|" * (len(rates) + 1)]
    for setting in settings:
        cells, best = [], None
        for lr in rates:
            hit = [r for r in runs if r["setting"] == setting and r["lr"] == lr]
            if not hit:
                cells.append("—")
                continue
            cells.append(f"{hit[0]['score']:.1f}")
            if math.isfinite(hit[0]["score"]) and (best is None or hit[0]["score"] > best[1]):
                best = (lr, hit[0]["score"])
        chosen = f"{best[0]:g}" if best else "—"
        lines.append(f"| {setting} | " + " | ".join(cells) + f" | {chosen} |")
    (out / f"{env}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
