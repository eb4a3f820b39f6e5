// Types for scripts/wat.mjs (WebAssembly text compiled at build time).
import type { Plugin as EsbuildPlugin } from 'esbuild';
import type { Plugin as VitePlugin } from 'vite';
export function watModuleSource(file: string): Promise<string>;
export function watEsbuildPlugin(): EsbuildPlugin;
export function watVitePlugin(): VitePlugin;
