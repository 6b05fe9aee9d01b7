# Sourced by the A/B benchmark scripts (bench_tanh_memo.sh, bench_tape_rl.sh).
#
# ab_env ROUNDS VAR ON OFF CMD...: run CMD in ROUNDS rounds, each once with VAR unset (printed
# as mode ON) and once with VAR=1 (mode OFF), alternating, each run headed "ROUND r mode", so
# that the two modes see the same drift of a shared machine. VAR is unset afterwards.
ab_env() {
    local rounds=$1 var=$2 on=$3 off=$4
    shift 4
    for round in $(seq "$rounds"); do
        for mode in "$on" "$off"; do
            echo "ROUND $round $mode"
            if [ "$mode" = "$off" ]; then export "$var"=1; else unset "$var"; fi
            "$@"
        done
    done
    unset "$var"
}
