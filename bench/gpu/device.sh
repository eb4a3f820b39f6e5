#!/usr/bin/env bash
# The one command of a GPU-machine session (issue 20; bench/gpu/README.md), run from
# the folder bench/gpu/bundle.sh made, on a machine with no Node and no registry, in
# at most $BUDGET_S seconds (default 290: a device call may take 5 minutes):
#   1. unpacks Node, Dawn, the Vulkan loader and Fashion-MNIST;
#   2. steps:    parity with wasm, our webgpu training steps (reference CNN, ResNet-18,
#                32×32×3, batch $BATCH) and PyTorch's, strict fp32 and with its TF32 default;
#   3. profile:  per model, dispatches per step, GPU time per kernel (timestamp queries),
#                wall vs summed kernel time (npm run bench:gpu -- --profile);
#   4. sweep:    1, 2, 4, 8 ResNet-18 processes at once on the GPU: summed images/s;
#   5. lenet:    one LeNet-5 Fashion-MNIST epoch, kerv train on webgpu vs wasm on 2 threads;
#   6. host:     the ResNet-18 step with 15 / 256 dispatches per submit, without the uniform
#                cache, with Dawn's speed toggles, and with tfjs 4.22's conv/matmul kernels
#                (naive and MM input gradient) instead of the GEMM core;
#   7. resnet:   the ResNet-18 section of docs/REPRODUCTION.md (linear, polynomial × seeds) on
#                as many Fashion-MNIST images as the time left allows;
#   8. leaves in $OUT: gpu-results.md (every table, with the issue's targets), the JSON it
#                is made from, the reproduction fragments, logs and the runs' databases.
# A section starts only with the time it needs left ($SECTIONS picks them); sizes come
# from the environment, so the same script proves itself on software Vulkan with tiny
# ones (bench/gpu/README.md).
set -uo pipefail
START=$(date +%s)
HERE="$(cd "$(dirname "$0")/../.." && pwd)"   # the bundle folder
cd "$HERE"
OUT="${OUT:-/tmp/kerv-out}"; mkdir -p "$OUT/logs"
BUDGET_S="${BUDGET_S:-290}"
SECTIONS="${SECTIONS:-steps,profile,sweep,lenet,host,resnet}"
BATCH="${BATCH:-128}"; STEPS="${STEPS:-20}"; PROFILE_STEPS="${PROFILE_STEPS:-8}"; RESNET_WIDTH="${RESNET_WIDTH:-1}"; SIZE="${SIZE:-32}"
SWEEP="${SWEEP:-1,2,4,8}"; SWEEP_SECONDS="${SWEEP_SECONDS:-10}"
LENET_ARGS="${LENET_ARGS:-}"                  # e.g. "--train-subset 512 --test-subset 500" for a quick proof
EPOCHS="${EPOCHS:-3}"; SEEDS="${SEEDS:-3}"; RESNET_KERNELS="${RESNET_KERNELS:-linear,polynomial}"; RESNET_MAX_SUBSET="${RESNET_MAX_SUBSET:-60000}"
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
PYTHON="${PYTHON:-python3}"
elapsed() { echo $(( $(date +%s) - START )); }
left() { echo $(( BUDGET_S - $(elapsed) )); }
# want SECTION SECONDS: whether the section is asked for and has its time left.
want() {
  [[ ",$SECTIONS," == *",$1,"* ]] || return 1
  if [ "$(left)" -lt "$2" ]; then echo "== $1: skipped, $(left) s left of $BUDGET_S (needs about $2)" | tee -a "$OUT/logs/skipped.txt"; return 1; fi
  echo "== $1 ($(elapsed) s)"
}

echo "== unpacking ($(elapsed) s)"
if [ -f node.xz ]; then xz -dc node.xz > /tmp/node && chmod +x /tmp/node && NODE=/tmp/node; else NODE="${NODE:-node}"; fi
# NVIDIA's Vulkan ICD (libGLX_nvidia) needs the GL vendor-neutral dispatch libraries
# beside the Vulkan loader: unpacked into / (as root), as the device README says.
if [ -d gl ] && ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  for f in gl/*.deb; do dpkg -x "$f" /; done; ldconfig
fi
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f app.tar.xz ] && tar xJf app.tar.xz
mkdir -p "$DATA"
for f in fashion-mnist/*.xz; do [ -e "$f" ] && xz -dc "$f" > "$DATA/$(basename "$f" .xz)"; done
"$NODE" --version; nproc
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
  TORCH_DEVICE=cuda
else
  echo "no nvidia-smi: $(uname -m), no NVIDIA GPU visible" | tee "$OUT/gpu.txt"
  TORCH_DEVICE=cpu
fi
BENCH=(out/node/gpu-bench.js --batch "$BATCH" --size "$SIZE" --resnet-width "$RESNET_WIDTH")

if want steps 40; then
  "$NODE" "${BENCH[@]}" --backend webgpu --steps "$STEPS" 2>&1 | tee "$OUT/logs/steps.log" | tail -4
  grep '^{"backend"' "$OUT/logs/steps.log" | tail -1 > "$OUT/steps.json"
  "$PYTHON" bench/gpu/torch_gpu.py --batch "$BATCH" --size "$SIZE" --steps "$STEPS" --resnet-width "$RESNET_WIDTH" 2>&1 | tee "$OUT/logs/torch.log" | tail -1
  grep '^{"framework"' "$OUT/logs/torch.log" | tail -1 > "$OUT/torch.json"
fi

if want profile 40; then
  "$NODE" "${BENCH[@]}" --profile --steps "$PROFILE_STEPS" --json "$OUT/profile.json" > "$OUT/logs/profile.log" 2>&1
  grep -E '^(###|Dispatches|Wall|GPU times)' "$OUT/logs/profile.log"
fi

if want sweep $(( 30 + 4 * SWEEP_SECONDS )); then
  "$NODE" "${BENCH[@]}" --models resnet18 --sweep "$SWEEP" --sweep-seconds "$SWEEP_SECONDS" 2>&1 | tee "$OUT/logs/sweep.log" | grep 'at once'
  grep '^{"sweep"' "$OUT/logs/sweep.log" | tail -1 > "$OUT/sweep.json"
fi

if want lenet 60; then
  for backend in webgpu wasm; do
    threads=(); [ "$backend" = wasm ] && threads=(--threads 2)
    # shellcheck disable=SC2086
    KERV_CACHE_DIR="$OUT/cache" "$NODE" out/node/kerv.js train --no-record --backend "$backend" "${threads[@]}" --dataset fashion-mnist --data-path "$DATA" \
      --arch lenet5 --kernel linear --epochs 1 --summary-json "$OUT/lenet-$backend.json" $LENET_ARGS > "$OUT/logs/lenet-$backend.log" 2>&1
    tail -1 "$OUT/logs/lenet-$backend.log"
  done
fi

if want host 60; then
  : > "$OUT/variants.jsonl"
  for variant in "default (64 per submit, uniforms cached)|" "15 per submit (tfjs's)|--submit-batch 15" "256 per submit|--submit-batch 256" \
                 "uniforms not cached (tfjs 4.22)|--no-uniform-cache" "Dawn speed toggles|--speed-toggles" \
                 "tfjs 4.22's conv/matmul kernels, naive input gradient|--tfjs-gemm naive" "tfjs 4.22's conv/matmul kernels, MM input gradient|--tfjs-gemm mm"; do
    name="${variant%%|*}"; flags="${variant#*|}"
    # shellcheck disable=SC2086
    "$NODE" "${BENCH[@]}" --time --models resnet18 --steps "$PROFILE_STEPS" --label "$name" $flags 2>&1 | tee -a "$OUT/logs/host.log" | grep '^{"name"' >> "$OUT/variants.jsonl"
  done
  cat "$OUT/variants.jsonl"
fi

"$NODE" out/node/gpu-report.js "$OUT" > "$OUT/gpu-results.md" && cat "$OUT/gpu-results.md"

if want resnet 90; then
  # ResNet-18's images from the measured step (32×32×3 linear; 28×28×1 costs about 0.8 of it, a
  # polynomial kervolution about 1.3×, evaluation about 15 % more: 1.2× per 128 images), with every
  # run on the GPU at once and the sweep's speed-up for that many (or, unmeasured, none).
  LEFT=$(( $(left) - 30 ))
  RUNS=$(( SEEDS * $(tr ',' '\n' <<<"$RESNET_KERNELS" | wc -l) ))
  SUBSET=${RESNET_SUBSET:-}; [ -n "$SUBSET" ] || SUBSET=$("$NODE" -e "
    const fs = require('node:fs');
    const [left, runs, epochs, batch, max] = process.argv.slice(1).map(Number);
    const read = (f) => { try { return JSON.parse(fs.readFileSync(f, 'utf8').trim().split('\n').pop()); } catch { return null; } };
    const ms = read('$OUT/steps.json')?.resnet18MsPerStep ?? 1000;
    const rows = read('$OUT/sweep.json')?.sweep ?? [];
    const speedup = rows.filter((r) => r.runs <= runs).reduce((best, r) => Math.max(best, r.speedup), 1);
    const perImageMs = (ms * 1.2) / batch / 0.9 / speedup; // 10 % of the subset is held out for validation
    const n = Math.floor((left * 1000) / (runs * epochs * perImageMs) / 1000) * 1000;
    console.log(Math.max(1000, Math.min(max, n)));" "$LEFT" "$RUNS" "$EPOCHS" "$BATCH" "$RESNET_MAX_SUBSET")
  echo "   ResNet-18 × {$RESNET_KERNELS} × $SEEDS seeds, $EPOCHS epochs, $SUBSET training images, ${LEFT} s"
  # Its own process group, so that running out of time stops it and every kerv it started, and nothing else:
  # Ctrl+C first (the sweep's runs stop resumable, their databases stay consistent), then SIGKILL.
  setsid "$NODE" out/node/reproduction.js --fresh --sections resnet18 --seeds "$SEEDS" \
    --resnet-kernels "$RESNET_KERNELS" --resnet-width "$RESNET_WIDTH" --resnet-batch "$BATCH" --resnet-epochs "$EPOCHS" \
    --resnet-backend webgpu --resnet-train-subset "$SUBSET" ${TEST_SUBSET:+--test-subset "$TEST_SUBSET"} \
    --python "$PYTHON" --data-dir /tmp/kerv-repro --out "$HERE/docs/REPRODUCTION.md" > "$OUT/logs/reproduction.log" 2>&1 &
  REPRO=$!
  ( sleep "$LEFT"; kill -INT -- "-$REPRO" 2>/dev/null; sleep 8; kill -KILL -- "-$REPRO" 2>/dev/null ) &
  WATCH=$!
  wait "$REPRO"; echo "   reproduction exit $?"
  kill "$WATCH" 2>/dev/null
  cp docs/reproduction/* "$OUT/" 2>/dev/null
fi

echo "== done ($(elapsed) s)"
# The runs' databases without checkpoints (a ResNet-18 checkpoint is ~130 MB).
find /tmp/kerv-repro -name '*.sqlite*' -o -name '*.db*' 2>/dev/null | tar czf "$OUT/runs-and-logs.tar.gz" -T - "$OUT/logs" 2>/dev/null
rm -rf "$OUT/logs" "$OUT/cache"
ls -la "$OUT"
