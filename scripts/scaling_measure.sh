#!/usr/bin/env bash
# The measurements of docs/scaling.md, "Data-parallel training": the cost of one all-reduce
# between two processes on this machine, the networks' sizes, and the update time of
# `aga train` on Harvest (MLP, 5 agents, the default PPO settings) with 1, 2 and 3 workers.
# Writes docs/scaling/all_reduce_cost.csv, docs/scaling/network_sizes.txt and
# docs/scaling/update_time_vs_workers.csv. Run on an otherwise idle machine:
#   bash scripts/scaling_measure.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
cargo build --release --quiet -p aga-parallel --features collective --example all_reduce_cost
out=docs/scaling
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Networks' sizes: one tiny update per policy, the checkpoint's f64 records / 8 bytes.
echo '{"ppo": {"envs": 2, "rollout_steps": 16, "minibatches": 1, "epochs": 1}}' > "$tmp/tiny.json"
{
  echo "# parameters per stack of 5 agents (Harvest), from the size of each checkpoint record / 8 bytes (f64, a few hundred bytes of framing)"
  for policy in mlp cnn; do
    target/release/aga train --env harvest --method simul-ind --policy "$policy" --steps 32 \
      --config "$tmp/tiny.json" --out "$tmp/size-$policy" --quiet --eval-episodes 0 > /dev/null
    for net in actors critics; do
      echo "$policy $net $(( $(stat -c %s "$tmp/size-$policy/checkpoint/$net.bin") / 8 ))"
    done
  done
} > "$out/network_sizes.txt"
cat "$out/network_sizes.txt"

# One all-reduce (sum, f64 on the wire) between 2 processes on 127.0.0.1.
target/release/examples/all_reduce_cost 2 30 1000 10000 100000 600000 1000000 \
  | tee "$tmp/cost.txt"
grep -v '^#' "$tmp/cost.txt" > "$out/all_reduce_cost.csv"

# Update time vs workers: 8 updates of the default settings (8 copies × 128 steps), AgA and
# simul-ind; the median seconds per update over updates 2..8 (the first pays start-up), and
# the time rank 0 spent in reductions (its summary line).
echo "method,workers,median_seconds_per_update,reductions,numbers_reduced,seconds_in_reductions,wall_seconds" \
  > "$out/update_time_vs_workers.csv"
for method in aga simul-ind; do
  for workers in 1 2 3; do
    dir="$tmp/$method-$workers"
    start=$(date +%s.%N)
    target/release/aga train --env harvest --method "$method" --policy mlp --steps 8192 --seed 1 \
      --out "$dir" --quiet --eval-episodes 0 --workers "$workers" > "$tmp/log.txt"
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    median=$(python3 -c "
import csv, statistics
rows = list(csv.DictReader(open('$dir/metrics.csv')))
print(round(statistics.median(float(r['seconds']) for r in rows[1:]), 3))")
    stats=$(python3 -c "
import re
t = open('$tmp/log.txt').read()
m = re.search(r'made (\d+) reductions of ([0-9.]+) M numbers in all, ([0-9.]+) s', t)
print(','.join(m.groups()) if m else '0,0,0')")
    echo "$method,$workers,$median,$stats,$wall" | tee -a "$out/update_time_vs_workers.csv"
  done
done
