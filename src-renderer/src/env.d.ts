// Rune globals ($state, $derived, ...) for .svelte.ts modules, and Vite client types.
/* eslint-disable @typescript-eslint/triple-slash-reference */
/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { PreloadBridge } from '../../src-main/shared/api';

declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<any>;
  export default component;
}

declare global {
  interface Window {
    /** Set by Electron's preload; absent in a browser tab served by `kerv serve`. */
    api?: PreloadBridge;
  }
}
