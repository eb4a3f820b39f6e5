// The renderer bundle, shared by Electron (loaded from file://, hence the
// relative base) and `kerv serve` (served from /). Output: out/renderer.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { resolve } from 'node:path';

export default defineConfig({
  root: resolve(import.meta.dirname, 'src-renderer'),
  base: './',
  publicDir: resolve(import.meta.dirname, 'resources/public'),
  plugins: [svelte()],
  build: {
    outDir: resolve(import.meta.dirname, 'out/renderer'),
    emptyOutDir: true,
    target: 'chrome120',
    // electron-vite turns minification off by default; both builds ship the same bundle.
    minify: true,
    chunkSizeWarningLimit: 1500,
    sourcemap: true,
  },
});
