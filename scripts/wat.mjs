// WebAssembly text (.wat) → binary at build time, with WABT (the npm `wabt`
// package: the WebAssembly Binary Toolkit compiled to JavaScript, no download).
// `import simd from './x.wat'` then gives `{ module, sharedMemoryModule }`:
//   module             the binary, as written;
//   sharedMemoryModule where the text imports its memory as
//                      `(import "env" "memory" (memory 1))`, the same module
//                      importing a shared memory instead (what tfjs's threaded
//                      wasm build runs on), else null.
// One compile function, two thin adapters: esbuild (scripts/build-node.mjs) and
// Vite (vitest, electron-vite).
import { readFile } from 'node:fs/promises';
import wabtFactory from 'wabt';

const MEMORY_IMPORT = '(import "env" "memory" (memory 1))';
// A shared memory must declare its maximum; an import matches any memory whose maximum is at most this (4 GiB).
const SHARED_MEMORY_IMPORT = '(import "env" "memory" (memory 1 65536 shared))';

let wabt = null;

function toBinary(file, text, features) {
  const parsed = wabt.parseWat(file, text, features);
  try {
    parsed.resolveNames();
    parsed.validate(features);
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

/** The JavaScript module an import of `file` (a .wat) evaluates to. */
export async function watModuleSource(file) {
  wabt ??= await wabtFactory();
  const text = await readFile(file, 'utf8');
  const features = { simd: true, threads: true };
  const plain = toBinary(file, text, features);
  const shared = text.includes(MEMORY_IMPORT) ? toBinary(file, text.replace(MEMORY_IMPORT, SHARED_MEMORY_IMPORT), features) : null;
  const bytes = (binary) => `Uint8Array.from(atob(${JSON.stringify(Buffer.from(binary).toString('base64'))}), (c) => c.charCodeAt(0))`;
  return `export default { module: ${bytes(plain)}, sharedMemoryModule: ${shared ? bytes(shared) : 'null'} };\n`;
}

/** esbuild: compiles every imported .wat. */
export function watEsbuildPlugin() {
  return {
    name: 'wat',
    setup(build) {
      build.onLoad({ filter: /\.wat$/ }, async (args) => ({ contents: await watModuleSource(args.path), loader: 'js', watchFiles: [args.path] }));
    },
  };
}

/** Vite (and so vitest and electron-vite): compiles every imported .wat. */
export function watVitePlugin() {
  return {
    name: 'wat',
    async load(id) {
      if (!id.endsWith('.wat')) return null;
      this.addWatchFile(id);
      return { code: await watModuleSource(id), map: null };
    },
  };
}
