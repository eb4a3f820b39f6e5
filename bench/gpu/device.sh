#!/usr/bin/env bash
# The one command of a GPU-machine session (see bench/gpu/README.md), run from the
# folder bench/gpu/bundle.sh made, on a machine with no Node and no registry:
#   1. unpacks Node, Dawn, the Vulkan loader and Fashion-MNIST;
#   2. bench/gpu/run.sh: the GPU, webgpu parity with wasm, our training steps vs
#      PyTorch fp32 on the same GPU (issue 8's table);
#   3. bench/reproduction.ts (issue 14): LeNet-5 × kernels × seeds on the CPU cores
#      (wasm, one thread each), the PyTorch LeNet-5 on CUDA and ResNet-18 × kernels ×
#      seeds on the GPU (webgpu), side by side. ResNet-18's training images are
#      chosen from the measured step time so that everything ends before
#      $BUDGET_S seconds have passed since the start (all of them when it fits);
#   4. leaves in $OUT: the GPU table, the reproduction fragments and their plots,
#      and logs + the runs' SQLite databases (to re-export if a section ran out of time).
# Sizes come from the environment, so the same script proves itself on software
# Vulkan with tiny ones (bench/gpu/README.md).
set -uo pipefail
START=$(date +%s)
HERE="$(cd "$(dirname "$0")/../.." && pwd)"   # the bundle folder
cd "$HERE"
OUT="${OUT:-/tmp/kerv-out}"; mkdir -p "$OUT/logs"
BUDGET_S="${BUDGET_S:-520}"
EPOCHS="${EPOCHS:-5}"; SEEDS="${SEEDS:-3}"
LENET_KERNELS="${LENET_KERNELS:-linear,polynomial,gaussian}"
RESNET_KERNELS="${RESNET_KERNELS:-linear,polynomial}"
RESNET_WIDTH="${RESNET_WIDTH:-1}"; RESNET_BATCH="${RESNET_BATCH:-128}"
LENET_SUBSET="${LENET_SUBSET:-}"; TEST_SUBSET="${TEST_SUBSET:-}"; RESNET_MAX_SUBSET="${RESNET_MAX_SUBSET:-60000}"
BENCH_BATCH="${BENCH_BATCH:-128}"; BENCH_STEPS="${BENCH_STEPS:-20}"
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
elapsed() { echo $(( $(date +%s) - START )); }

echo "== unpacking ($(elapsed) s)"
if [ -f node.xz ]; then xz -dc node.xz > /tmp/node && chmod +x /tmp/node && NODE=/tmp/node; else NODE="${NODE:-node}"; fi
# NVIDIA's Vulkan ICD (libGLX_nvidia) needs the GL vendor-neutral dispatch libraries
# beside the Vulkan loader: unpacked into / (as root), as the device README says.
if [ -d gl ] && ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  for f in gl/*.deb; do dpkg -x "$f" /; done; ldconfig
fi
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f dawn.tar.xz ] && tar xJf dawn.tar.xz -C node_modules/webgpu/dist
mkdir -p "$DATA"
for f in fashion-mnist/*.xz; do [ -e "$f" ] && xz -dc "$f" > "$DATA/$(basename "$f" .xz)"; done
ls -la "$DATA"; "$NODE" --version; nproc

echo "== GPU table: bench/gpu/run.sh ($(elapsed) s)"
[ -n "${SKIP_GPU_TABLE:-}" ] || \
SKIP_LENET=1 OUT="$OUT/logs/run" NODE="$NODE" KERV_ROOT="$HERE" DATA="$DATA" BATCH="$BENCH_BATCH" STEPS="$BENCH_STEPS" RESULTS="$OUT/gpu-results.md" \
  bash bench/gpu/run.sh 2>&1 | tee "$OUT/logs/run.log"
MS=$(grep "^{\"backend\"" "$OUT/logs/run.log" | sed -n 's/.*"resnet18MsPerStep":\([0-9.]*\).*/\1/p' | tail -1)
MS="${MS:-1000}"

# ResNet-18's work: runs × epochs × steps, as if the GPU ran the runs one after another
# (the cautious guess): 28×28×1 inputs cost about 0.8 of the measured 32×32×3 linear
# step, a polynomial kervolution about 1.3× a convolution, the validation/test passes
# about 15 % more; together 1.2× the measured step per 128 images.
LEFT=$(( BUDGET_S - $(elapsed) - 45 ))
RUNS=$(( SEEDS * $(tr ',' '\n' <<<"$RESNET_KERNELS" | wc -l) ))
SUBSET=${RESNET_SUBSET:-}; [ -n "$SUBSET" ] || SUBSET=$("$NODE" -e "const [left, ms, runs, epochs, batch, max] = process.argv.slice(1).map(Number);
  const perImageMs = (ms * 1.2) / batch / 0.9; // 10 % of the subset is held out for validation
  const n = Math.floor((left * 1000) / (runs * epochs * perImageMs) / 1000) * 1000;
  console.log(Math.max(1000, Math.min(max, n)));" "$LEFT" "$MS" "$RUNS" "$EPOCHS" "$RESNET_BATCH" "$RESNET_MAX_SUBSET")
echo "== reproduction ($(elapsed) s): ResNet-18 step ${MS} ms at batch $BENCH_BATCH alone, ${LEFT} s left -> $SUBSET training images"

LENET_CONC=$(( SEEDS * $(tr ',' '\n' <<<"$LENET_KERNELS" | wc -l) ))
timeout --signal=INT "$LEFT" "$NODE" out/node/reproduction.js --parallel --fresh \
  --sections "${SECTIONS:-lenet5,torch-lenet5,resnet18}" --epochs "$EPOCHS" --seeds "$SEEDS" --kernels "$LENET_KERNELS" \
  --backend wasm --concurrency "$LENET_CONC" ${LENET_SUBSET:+--train-subset "$LENET_SUBSET"} ${TEST_SUBSET:+--test-subset "$TEST_SUBSET"} \
  --resnet-kernels "$RESNET_KERNELS" --resnet-width "$RESNET_WIDTH" --resnet-batch "$RESNET_BATCH" \
  --resnet-backend webgpu --resnet-train-subset "$SUBSET" --torch-device "${TORCH_DEVICE:-cuda}" \
  --python "${PYTHON:-python3}" --data-dir /tmp/kerv-repro --out "$HERE/docs/REPRODUCTION.md" 2>&1 | tee "$OUT/logs/reproduction.log"
echo "== done ($(elapsed) s), exit ${PIPESTATUS[0]}"
# Out of time: Ctrl+C to every sweep (its runs stop resumable), then no writer is left
# while the databases are copied.
pkill -INT -f out/node/kerv.js && sleep 8
pkill -KILL -f out/node/ ; sleep 1

cp docs/reproduction/* "$OUT/" 2>/dev/null
# The runs' databases without checkpoints (a ResNet-18 checkpoint is ~130 MB).
find /tmp/kerv-repro -name '*.sqlite*' -o -name '*.db*' | tar czf "$OUT/runs-and-logs.tar.gz" -T - "$OUT/logs" 2>/dev/null
rm -rf "$OUT/logs"
ls -la "$OUT"
