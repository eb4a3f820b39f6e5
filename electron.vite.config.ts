// electron-vite: Electron's main process (ESM), the sandboxed preload (CommonJS:
// sandboxed preloads cannot be ES modules) and the renderer. The renderer is the
// same bundle `kerv serve` serves; its options live in vite.renderer.config.ts.
// The training worker is bundled separately by scripts/build-node.mjs (out/node).
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';
import renderer from './vite.renderer.config';
import { watVitePlugin } from './scripts/wat.mjs';

export default defineConfig({
  main: {
    // The settings screen probes the engine's backends, whose wasm SIMD kernels are WebAssembly text (scripts/wat.mjs).
    plugins: [watVitePlugin()],
    build: {
      outDir: 'out/main',
      // npm packages (better-sqlite3, tfjs, ws) load from node_modules at run time.
      externalizeDeps: true,
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src-main/electron/main.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    ...renderer,
    build: { ...renderer.build, rollupOptions: { input: resolve(import.meta.dirname, 'src-renderer/index.html') } },
  },
});
