#!/usr/bin/env bash
# GPU check for aga on a machine with an NVIDIA GPU, without network, in under 8 minutes.
#
# 1. Reports which GPU routes can work: wgpu (a Vulkan loader and NVIDIA's Vulkan ICD) and CUDA
#    (the driver's libcuda, NVRTC and the CUDA headers, which Burn's CUDA backend compiles its
#    kernels with at run time).
# 2. Runs the GPU tests (the wgpu test binary) where one was built.
# 3. Times one PPO update of Harvest (5 agents) for the MLP and the CNN policy, simul-ind and
#    AgA, on each backend that works, at the default batch (8 copies × 128 steps) and at a
#    SocialJax-sized one (64 copies × 1000 steps, `--big`), from `aga train`'s metrics.csv
#    (its `seconds` column: rollout + learning of one update).
#
# The machine needs no Rust toolchain: build on a machine with one and bring the binaries:
#   cargo build --release --features wgpu,cuda          # target/release/aga
#   cargo test --release --features wgpu --no-run --test wgpu_types   # optional: the GPU tests
# (where no nvcc is installed, set CUDARC_CUDA_VERSION, e.g. 12080, for the build).
# Usage:  scripts/gpu_check.sh [--big] [--out DIR]      (AGA_BIN overrides the binary's path)
# Output: a summary on stdout and DIR/gpu_check.json (default DIR: gpu_check/).
set -uo pipefail
cd "$(dirname "$0")/.."
big=0
out=gpu_check
while [ $# -gt 0 ]; do
    case "$1" in
        --big) big=1 ;;
        --out) out="$2"; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$out"
bin="${AGA_BIN:-target/release/aga}"
json="$out/gpu_check.json"
start=$(date +%s)
log() { echo "[$(( $(date +%s) - start ))s] $*"; }

# ---- what the machine has ----------------------------------------------------------------
gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)
log "GPU: ${gpu:-none found by nvidia-smi}"
vulkan_loader=$(ldconfig -p 2>/dev/null | grep -m1 -o '/[^ ]*libvulkan.so.1' || true)
nvidia_icd=$(ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json 2>/dev/null | head -1)
cuda_root="${CUDA_PATH:-/usr/local/cuda}"
libcuda=$(ldconfig -p 2>/dev/null | grep -m1 -o '/[^ ]*libcuda.so[.0-9]*' || true)
nvrtc=$(ldconfig -p 2>/dev/null | grep -m1 -o '/[^ ]*libnvrtc.so[.0-9]*' || ls "$cuda_root"/lib64/libnvrtc.so* 2>/dev/null | head -1 || true)
cuda_h=$(ls "$cuda_root"/include/cuda.h 2>/dev/null || true)
log "wgpu: Vulkan loader ${vulkan_loader:-missing}, NVIDIA ICD ${nvidia_icd:-missing}"
log "cuda: libcuda ${libcuda:-missing}, NVRTC ${nvrtc:-missing}, headers ${cuda_h:-missing} (CUDA_PATH=$cuda_root)"
backends=()
[ -n "$vulkan_loader" ] && [ -n "$nvidia_icd" ] && backends+=(wgpu)
[ -n "$libcuda" ] && [ -n "$nvrtc" ] && [ -n "$cuda_h" ] && backends+=(cuda)

if [ ! -x "$bin" ]; then
    log "no aga binary at $bin: build one with 'cargo build --release --features wgpu,cuda'"
    printf '{"gpu": "%s", "error": "no binary"}\n' "$gpu" >"$json"
    exit 1
fi

# ---- GPU tests -------------------------------------------------------------------------------
tests_status="not built"
test_bin=$(ls target/release/deps/wgpu_types-* 2>/dev/null | grep -v '\.d$' | head -1)
if [ -n "$test_bin" ] && [[ " ${backends[*]} " == *" wgpu "* ]]; then
    if AGA_REQUIRE_WGPU=1 timeout 120 "$test_bin" >"$out/wgpu_tests.log" 2>&1; then
        tests_status="passed"
    else
        tests_status="failed (see wgpu_tests.log)"
    fi
fi
log "GPU tests (wgpu_types): $tests_status"

# ---- one PPO update per configuration ------------------------------------------------------
presets=("default:8:128")
[ "$big" = 1 ] && presets+=("socialjax:64:1000")
rows=()
for backend in "${backends[@]}"; do
    for preset in "${presets[@]}"; do
        IFS=: read -r name envs steps <<<"$preset"
        for policy in mlp cnn; do
            for method in simul-ind aga; do
                dir="$out/$backend-$name-$policy-$method"
                rm -rf "$dir"
                cfg="$out/$name.json"
                printf '{"ppo": {"envs": %s, "rollout_steps": %s}}' "$envs" "$steps" >"$cfg"
                # Two updates: the first compiles kernels (and autotunes); the second is timed.
                total=$(( 2 * envs * steps ))
                if timeout 150 "$bin" train --env harvest --method "$method" --backend "$backend" \
                    --policy "$policy" --config "$cfg" --steps "$total" --seed 1 --quiet \
                    --eval-episodes 0 --out "$dir" >"$dir.log" 2>&1; then
                    secs=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="seconds") c=i} NR==3{print $c}' "$dir/metrics.csv")
                    first=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="seconds") c=i} NR==2{print $c}' "$dir/metrics.csv")
                    log "$backend $name $policy $method: one update ${secs}s (first, with compilation: ${first}s)"
                    rows+=("{\"backend\": \"$backend\", \"batch\": \"$name\", \"envs\": $envs, \"rollout_steps\": $steps, \"policy\": \"$policy\", \"method\": \"$method\", \"update_seconds\": $secs, \"first_update_seconds\": $first}")
                else
                    log "$backend $name $policy $method: failed or over 150 s (see $dir.log)"
                    rows+=("{\"backend\": \"$backend\", \"batch\": \"$name\", \"policy\": \"$policy\", \"method\": \"$method\", \"error\": \"failed or timed out\"}")
                fi
                if [ $(( $(date +%s) - start )) -gt 420 ]; then
                    log "stopping early: the 8-minute budget is nearly spent"
                    break 4
                fi
            done
        done
    done
done

{
    echo "{"
    echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
    echo "  \"gpu\": \"$gpu\","
    echo "  \"wgpu_ready\": $([ -n "$vulkan_loader" ] && [ -n "$nvidia_icd" ] && echo true || echo false),"
    echo "  \"cuda_ready\": $([ -n "$libcuda" ] && [ -n "$nvrtc" ] && [ -n "$cuda_h" ] && echo true || echo false),"
    echo "  \"gpu_tests\": \"$tests_status\","
    echo "  \"updates\": ["
    (IFS=$',\n'; echo "    ${rows[*]}")
    echo "  ]"
    echo "}"
} >"$json"
log "wrote $json"
