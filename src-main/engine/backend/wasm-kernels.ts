// Training kernels the wasm backend lacks (Conv2DBackpropFilter) or runs slowly
// (Conv2DBackpropInput). Filled in by the engine/backend work; see ARCHITECTURE.md.
export function registerWasmTrainingKernels(): void {}
