// Node 20 has WebAssembly at run time, but @types/node 20 does not declare it (it
// arrives with @types/node 22), and the DOM lib that does would bring the whole
// browser into Node code. Declared here: only what src-main uses.
declare namespace WebAssembly {
  interface Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  type Exports = Record<string, unknown>;
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Exports;
  }
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
}

/** A WebAssembly text file, compiled at build time by scripts/wat.mjs. */
declare module '*.wat' {
  const compiled: {
    /** The module as written. */
    module: Uint8Array<ArrayBuffer>;
    /** Where the module imports its memory: the same module importing a shared memory (tfjs's threaded build), else null. */
    sharedMemoryModule: Uint8Array<ArrayBuffer> | null;
  };
  export default compiled;
}
