# Sourced by scripts/lr_search.sh and scripts/lr_search_budget.sh: `one NAME LR ARGS...` trains
# one search run, `aga train --env $env ARGS --lr LR`, into $root/NAME-lrLR$SEED_SUFFIX, unless it
# has finished (then it is skipped) or belongs to another shard (SHARD=I/N: every N-th call from
# the I-th). Reads $aga, $env, $root, $steps, and optionally $surrogate (default ppo), $SEED
# (default 0), $SEED_SUFFIX and $SHARD.
shard="${SHARD:-0/1}"
index=-1
one() { # NAME LR ARGS...
    local name="$1" lr="$2"
    shift 2
    index=$((index + 1))
    [ $((index % ${shard#*/})) -eq "${shard%/*}" ] || return 0
    local out="$root/$name-lr$lr${SEED_SUFFIX:-}"
    if [ -f "$out/eval.json" ]; then
        echo "== $out: finished, skipped"
        return
    fi
    rm -rf "$out"
    echo "== aga train --env $env $* --lr $lr --steps $steps --seed ${SEED:-0} --policy mlp --out $out"
    local start
    start=$(date +%s)
    "$aga" train --env "$env" "$@" --lr "$lr" --steps "$steps" --seed "${SEED:-0}" --policy mlp \
        --quiet --surrogate "${surrogate:-ppo}" --out "$out"
    echo "wall seconds: $(( $(date +%s) - start ))"
}
