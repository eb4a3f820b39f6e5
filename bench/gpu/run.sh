#!/usr/bin/env bash
# The GPU measurement in one call (issue 8): on a machine with a GPU and PyTorch,
# from the folder bench/gpu/bundle.sh made (or from a built checkout):
#   1. prints the GPU (nvidia-smi) and the WebGPU adapter Dawn picks;
#   2. parity: one reference-CNN step on webgpu against wasm;
#   3. times our webgpu training step vs PyTorch fp32 on the same GPU, for the
#      reference CNN and ResNet-18 on 32x32x3 at batch $BATCH;
#   4. one LeNet-5 Fashion-MNIST epoch: `kerv train --backend webgpu` vs
#      bench/torch_lenet5.py on CUDA;
#   5. appends a table with device, driver and date to bench/RESULTS.md ($RESULTS).
# Sizes come from the environment so the same script proves itself on software
# Vulkan with tiny ones (see bench/gpu/README.md).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${KERV_ROOT:-$(cd "$HERE/../.." && pwd)}"
NODE="${NODE:-node}"
PYTHON="${PYTHON:-python3}"
BATCH="${BATCH:-128}"
STEPS="${STEPS:-20}"
RESNET_WIDTH="${RESNET_WIDTH:-1}"
LENET_ARGS="${LENET_ARGS:-}"          # e.g. "--train-subset 512 --test-subset 500" for a quick proof
SKIP_LENET="${SKIP_LENET:-}"          # 1: leave out step 4 (device.sh trains LeNet-5 in its reproduction instead)
RESULTS="${RESULTS:-$ROOT/bench/RESULTS.md}"
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
cd "$ROOT"

echo "== GPU"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
else
  echo "no nvidia-smi: $(uname -m), no NVIDIA GPU visible" | tee "$OUT/gpu.txt"
fi
DRIVER="$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1 || echo n/a)"

echo "== webgpu: adapter, parity with wasm, training steps (batch $BATCH)"
"$NODE" out/node/gpu-bench.js --backend webgpu --batch "$BATCH" --steps "$STEPS" --resnet-width "$RESNET_WIDTH" | tee "$OUT/webgpu.txt"
OURS="$(tail -1 "$OUT/webgpu.txt")"

echo "== PyTorch fp32 on the same device"
"$PYTHON" bench/gpu/torch_gpu.py --batch "$BATCH" --steps "$STEPS" --resnet-width "$RESNET_WIDTH" | tee "$OUT/torch.txt"
THEIRS="$(tail -1 "$OUT/torch.txt")"

if [ -z "$SKIP_LENET" ]; then
  echo "== LeNet-5, one Fashion-MNIST epoch: kerv train --backend webgpu"
  # shellcheck disable=SC2086
  KERV_CACHE_DIR="$OUT/cache" "$NODE" out/node/kerv.js train --backend webgpu --dataset fashion-mnist --data-path "$DATA" \
    --arch lenet5 --kernel linear --epochs 1 --summary-json "$OUT/lenet-ours.json" $LENET_ARGS | tail -4
  echo "== LeNet-5, one epoch: bench/torch_lenet5.py on $( [ "$DRIVER" = n/a ] && echo cpu || echo cuda )"
  TORCH_DEVICE="$( [ "$DRIVER" = n/a ] && echo cpu || echo cuda )"
  SUBSET="$(sed -n 's/.*--train-subset \([0-9]*\).*/\1/p' <<<"$LENET_ARGS")"
  "$PYTHON" bench/torch_lenet5.py --data "$DATA" --epochs 1 --seeds 0 --device "$TORCH_DEVICE" ${SUBSET:+--train-subset "$SUBSET"} | tee "$OUT/lenet-torch.txt" | tail -1
else
  echo '{"summary":{}}' > "$OUT/lenet-ours.json"; : > "$OUT/lenet-torch.txt"
fi

"$NODE" - "$OURS" "$THEIRS" "$OUT/lenet-ours.json" "$OUT/lenet-torch.txt" "$DRIVER" "$RESULTS" "$LENET_ARGS" <<'NODE'
const fs = require('node:fs');
const [ours, theirs, lenetOursFile, lenetTorchFile, driver, results, lenetArgs] = process.argv.slice(2);
const o = JSON.parse(ours);
const t = JSON.parse(theirs);
const lo = JSON.parse(fs.readFileSync(lenetOursFile, 'utf8'));
const torchLines = fs.readFileSync(lenetTorchFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const epoch = torchLines.find((l) => l.epoch === 1);
const pct = (v) => (v == null ? '—' : `${(v * 100).toFixed(2)} %`);
const ratio = (a, b) => (b / a).toFixed(2);
const date = new Date().toISOString().slice(0, 10);
const table = `
## GPU: webgpu (Dawn) vs PyTorch fp32 on the same device — ${date}

Device: ${o.device} (webgpu) / ${t.device} (PyTorch ${t.framework.replace('PyTorch ', '')}), NVIDIA driver ${driver}; \`bench/gpu/run.sh\`, batch ${o.batch}, ${o.steps} timed steps after warm-up.
Parity with wasm (reference CNN, one step): loss ${o.parity.lossRelativeError.toExponential(1)}, weights ${o.parity.worstWeightRelativeL2.toExponential(1)} (${o.parityOk ? 'ok' : 'MISMATCH'}).

| training step (32×32×3, batch ${o.batch}) | webgpu (ms) | PyTorch fp32 (ms) | webgpu speed ÷ PyTorch |
| --- | ---: | ---: | ---: |
| reference CNN | ${o.referenceCnnMsPerStep.toFixed(2)} | ${t.referenceCnnMsPerStep.toFixed(2)} | ${ratio(o.referenceCnnMsPerStep, t.referenceCnnMsPerStep)} |
| ResNet-18 | ${o.resnet18MsPerStep.toFixed(2)} | ${t.resnet18MsPerStep.toFixed(2)} | ${ratio(o.resnet18MsPerStep, t.resnet18MsPerStep)} |

${lo.summary.trainingTimeMs === undefined ? '' : `| LeNet-5, 1 Fashion-MNIST epoch${lenetArgs ? ` (${lenetArgs})` : ''} | time (s) | test accuracy |
| --- | ---: | ---: |
| ours, webgpu | ${(lo.summary.trainingTimeMs / 1000).toFixed(1)} | ${pct(lo.summary.testAccuracy)} |
| PyTorch (${epoch ? 'torch_lenet5.py' : '—'}) | ${epoch ? (epoch.durationMs / 1000).toFixed(1) : '—'} | ${pct(epoch?.testAccuracy)} |
`}`;
fs.appendFileSync(results, table);
console.log(table);
NODE
echo "Appended to $RESULTS"
