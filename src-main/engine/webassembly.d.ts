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
