#!/bin/sh
# Regenerates docs/REPRODUCTION.md with the product itself (see bench/reproduction.ts).
# Usage: bench/reproduction.sh [--sections ...] [--epochs N] [--seeds N] ... (--help)
# Takes hours on 2 CPU cores at the defaults; the ResNet-18 section wants a GPU.
set -eu
cd "$(dirname "$0")/.."
node scripts/build-node.mjs
node_modules/.bin/esbuild bench/reproduction.ts --bundle --platform=node --target=node20 --format=esm \
  --packages=external --log-level=warning --outfile=out/node/reproduction.js
exec node out/node/reproduction.js "$@"
