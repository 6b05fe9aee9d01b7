#!/usr/bin/env bash
# The scripted-policy table of docs/envs.md ("What scripted policies show"): every row's
# `aga env run ... --json` output into docs/envs/ssd_policies.jsonl, then the markdown table
# from that file on stdout.
#   bash scripts/ssd_policies.sh            (after `cargo build --release`)
set -euo pipefail
cd "$(dirname "$0")/.."
aga=./target/release/aga
out=docs/envs/ssd_policies.jsonl
: > "$out"
for env in harvest cleanup; do
    for policy in random stay greedy; do
        "$aga" env run --env "$env" --policy "$policy" --envs 5 --json >> "$out"
    done
done
for k in 1 2 3; do
    "$aga" env run --env cleanup --policy clean-and-harvest --cleaners "$k" --envs 5 --json \
        | python3 -c "import json,sys; d=json.load(sys.stdin); d['cleaners']=$k; print(json.dumps(d))" >> "$out"
done
python3 - "$out" <<'PY'
import json, sys
print("| env | policy | collective return | returns | efficiency | equality | sustainability | peace | apples eaten | apples left | waste cleaned | waste density | beams |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for line in open(sys.argv[1]):
    d = json.loads(line)
    policy = d["policy"]
    if "cleaners" in d:
        k = d["cleaners"]
        policy += f", {k} cleaner" + ("s" if k > 1 else "")
    cells = [d["env"], policy, f"{d['collective_return']:.1f}",
             ", ".join(f"{r:.1f}" for r in d["returns"]), f"{d['efficiency']:.3f}",
             f"{d['equality']:.3f}", f"{d['sustainability']:.0f}", f"{d['peace']:.2f}",
             f"{d['apples_eaten']:.1f}", f"{d['apples_remaining']:.1f}", f"{d['waste_cleaned']:.1f}",
             f"{d['waste_density']:.3f}", f"{d['beams_fired']:.1f}"]
    print("| " + " | ".join(cells) + " |")
PY
