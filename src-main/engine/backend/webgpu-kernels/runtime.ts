// The one place where the webgpu backend records compute dispatches: tfjs's own
// programs (its recordAndSubmit is routed here) and this project's kernels, which
// tfjs's program runner cannot express (several outputs, our own WGSL bindings).
// What it adds to tfjs 4.22 (which writes a fresh uniform buffer and creates a new
// bind group for every dispatch, research/webgpu-kernels.md):
//   - uniform buffers are cached by content: a training step repeats the same shapes
//     every step, so after the first step no uniform is written again (98 % reused
//     on a ResNet-18 step);
//   - each pipeline's bind-group layout is looked up once. Bind groups themselves are
//     made per dispatch: they name the tensors' buffers, and tfjs's buffer pool hands
//     a step's tensors different buffers from the last step's (measured: 5 % of bind
//     groups would repeat), so caching them cost more than it saved;
//   - the number of dispatches per submit is a setting (tfjs's default 15);
//   - every dispatch is announced to the dispatch counter (webgpu-dispatches.ts).
// tfjs's bookkeeping is kept exactly: tensors a pending command buffer uses are
// released only after its submit, timestamps are taken per dispatch under
// tf.profile. It reaches into the backend's internals, which 4.22 (the last
// release) will not change.
import * as tf from '@tensorflow/tfjs';
import { WEBGPU_SUBMIT_BATCH } from '../../../shared/run-config';
import { markDispatchRecorder, recordDispatch } from '../webgpu-dispatches';

type KernelConfig = Parameters<typeof tf.registerKernel>[0];
type KernelArgs = Parameters<KernelConfig['kernelFunc']>[0];
export type TensorInfo = NonNullable<KernelArgs['inputs'][string]>;

interface TensorData {
  resource: GPUBuffer | GPUTexture | null;
  dtype: tf.DataType;
  shape: number[];
  refCount: number;
}

interface TfjsProgram {
  shaderKey: string;
  pipeline: GPUComputePipeline | Promise<GPUComputePipeline>;
  dispatch: [number, number, number];
  outputShape: number[];
  outputComponent?: number;
  size?: boolean;
  pixelsOpType?: number | null;
  constructor: { name: string };
}

type ProgramUniform = { type: 'int32' | 'uint32' | 'float32'; data: number[] }[];

/** The parts of tfjs-backend-webgpu 4.22's WebGPUBackend this module uses. */
export interface WebGpuBackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: { get(dataId: object): TensorData; has(dataId: object): boolean };
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBuffer; releaseBuffer(buffer: GPUBuffer): void };
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): TensorInfo;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  submitQueue(): void;
  uniformPendingDisposal: GPUBuffer[];
  activeTimers?: { name: string; query: Promise<number> }[] | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  getQueryTime(): Promise<number>;
  pipelineCache: Record<string, GPUComputePipeline | Promise<GPUComputePipeline>>;
  recordAndSubmit(program: TfjsProgram, output: TensorInfo, inputs: TensorInfo[], uniforms?: ProgramUniform): void;
}

/** How dispatches are recorded; WebGpuOptions carries them from the settings. */
export interface DispatchSettings {
  /** Dispatches per queue submit (tfjs: 15). */
  submitBatchSize: number;
  /** Cache uniform buffers by content (on by default; off = tfjs's behaviour, for comparison). */
  cacheUniforms: boolean;
}

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = { submitBatchSize: WEBGPU_SUBMIT_BATCH.default, cacheUniforms: true };

/** Cached uniform buffers past which the cache is dropped (a run's steady state needs about a hundred). */
const CACHE_LIMIT = 16_384;

interface Runtime {
  settings: DispatchSettings;
  uniforms: Map<string, GPUBuffer>;
  layouts: WeakMap<GPUComputePipeline, GPUBindGroupLayout>;
  /** Uniform buffers dropped from the cache, destroyed after the next submit (a pending command buffer may use them). */
  retired: GPUBuffer[];
  /** Uniform buffers found in the cache, and written anew. */
  stats: UniformStats;
}

export interface UniformStats {
  uniformsReused: number;
  uniformsWritten: number;
}

const runtimes = new WeakMap<object, Runtime>();

export function webgpuBackend(): WebGpuBackendInternals {
  if (tf.getBackend() !== 'webgpu') throw new Error(`the webgpu kernels need the webgpu backend, not ${tf.getBackend()}`);
  return tf.backend() as unknown as WebGpuBackendInternals;
}

function runtimeOf(backend: WebGpuBackendInternals): Runtime {
  const runtime = runtimes.get(backend);
  if (!runtime) throw new Error('the webgpu dispatch runtime is not installed on this backend (installDispatchRuntime)');
  return runtime;
}

function dropUniformCache(runtime: Runtime): void {
  runtime.retired.push(...runtime.uniforms.values());
  runtime.uniforms.clear();
}

/** A uniform buffer holding these bytes: from the cache, or written now. */
function uniformBuffer(backend: WebGpuBackendInternals, runtime: Runtime, bytes: ArrayBuffer, cache: boolean): GPUBuffer {
  const usage = GPUBufferUsage.COPY_DST | GPUBufferUsage.UNIFORM;
  if (!runtime.settings.cacheUniforms || !cache) {
    const buffer = backend.bufferManager.acquireBuffer(bytes.byteLength, usage);
    backend.queue.writeBuffer(buffer, 0, bytes);
    backend.uniformPendingDisposal.push(buffer);
    return buffer;
  }
  const key = new Int32Array(bytes).join(',');
  let buffer = runtime.uniforms.get(key);
  if (buffer) runtime.stats.uniformsReused += 1;
  else {
    runtime.stats.uniformsWritten += 1;
    if (runtime.uniforms.size >= CACHE_LIMIT) dropUniformCache(runtime);
    buffer = backend.device.createBuffer({ size: bytes.byteLength, usage });
    backend.queue.writeBuffer(buffer, 0, bytes);
    runtime.uniforms.set(key, buffer);
  }
  return buffer;
}

function bindGroupFor(backend: WebGpuBackendInternals, runtime: Runtime, pipeline: GPUComputePipeline, buffers: GPUBuffer[], uniforms: GPUBuffer | null): GPUBindGroup {
  let layout = runtime.layouts.get(pipeline);
  if (!layout) {
    layout = pipeline.getBindGroupLayout(0);
    runtime.layouts.set(pipeline, layout);
  }
  const entries = [...buffers, ...(uniforms ? [uniforms] : [])].map((buffer, binding) => ({ binding, resource: { buffer } }));
  return backend.device.createBindGroup({ layout, entries });
}

interface Dispatch {
  pipeline: GPUComputePipeline;
  /** Storage buffers in binding order (outputs first, then inputs); the uniform buffer, if any, binds last. */
  buffers: GPUBuffer[];
  uniforms: ArrayBuffer | null;
  /** false for uniforms that change every step (a learning rate): written afresh, never cached. */
  cacheUniforms: boolean;
  workgroups: [number, number, number];
  /** Tensors the command buffer uses: their buffers must outlive its submit. */
  dataIds: object[];
  /** For the dispatch counter (program family = up to the first '_') and GPU timing. */
  label: string;
}

function record(backend: WebGpuBackendInternals, dispatch: Dispatch): void {
  const runtime = runtimeOf(backend);
  const uniforms = dispatch.uniforms ? uniformBuffer(backend, runtime, dispatch.uniforms, dispatch.cacheUniforms) : null;
  const bindGroup = bindGroupFor(backend, runtime, dispatch.pipeline, dispatch.buffers, uniforms);
  for (const dataId of dispatch.dataIds) backend.commandQueueOwnedIds.add(dataId);
  const timed = backend.activeTimers != null;
  backend.ensureCommandEncoderReady();
  const encoder = backend.commandEncoder as GPUCommandEncoder;
  if (timed && backend.supportTimestampQuery) {
    // tf.profile: one pass per dispatch, its start and end timestamps (tfjs's scheme).
    backend.endComputePassEncoder();
    backend.querySet ??= backend.device.createQuerySet({ type: 'timestamp', count: backend.querySetCount });
    backend.computePassEncoder = encoder.beginComputePass({ timestampWrites: { querySet: backend.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
  } else if (!backend.computePassEncoder) {
    backend.computePassEncoder = encoder.beginComputePass({});
  }
  const pass = backend.computePassEncoder as GPUComputePassEncoder;
  pass.setPipeline(dispatch.pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(...dispatch.workgroups);
  backend.dispatchCountInPass += 1;
  recordDispatch(dispatch.label);
  if (timed) {
    backend.endComputePassEncoder();
    backend.activeTimers?.push({ name: dispatch.label, query: backend.getQueryTime() });
  } else if (backend.dispatchCountInPass >= runtime.settings.submitBatchSize) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}

/** tfjs's uniform layout (WebGPUBackend.makeUniforms): WGSL alignment of scalars, vectors and its vec5/vec6. */
function tfjsUniformBytes(uniform: ProgramUniform): ArrayBuffer {
  let offset = 0;
  let previousLength = 0;
  let maxAlignment = 1;
  const offsets: number[] = [];
  for (const d of uniform) {
    if (d.data.length === 0) d.data = [1];
    const length = d.data.length;
    if (length > 6) throw new Error(`Unsupported ${length}D shape`);
    let alignment = length === 1 ? 4 : length === 2 ? 8 : 16;
    if (previousLength === 5 || previousLength === 6) alignment = 16;
    maxAlignment = Math.max(maxAlignment, alignment);
    offset = Math.ceil(offset / alignment) * alignment;
    previousLength = length;
    offsets.push(offset);
    offset += length * 4;
  }
  const bytes = new ArrayBuffer(Math.ceil(offset / maxAlignment) * maxAlignment);
  uniform.forEach((d, i) => {
    const View = d.type === 'int32' ? Int32Array : d.type === 'uint32' ? Uint32Array : Float32Array;
    new View(bytes, offsets[i], d.data.length).set(d.data);
  });
  return bytes;
}

/** tfjs's recordAndSubmit, through record(): same uniforms, same bindings, same bookkeeping. */
function recordTfjsProgram(backend: WebGpuBackendInternals, original: WebGpuBackendInternals['recordAndSubmit']): WebGpuBackendInternals['recordAndSubmit'] {
  return function (program, output, inputs, programDefinedUniform) {
    const all = [output, ...inputs];
    const resources = all.map((t) => backend.tensorMap.get(t.dataId).resource);
    if (program.pixelsOpType != null || !resources.every((r): r is GPUBuffer => r instanceof GPUBuffer)) {
      original.call(backend, program, output, inputs, programDefinedUniform); // textures, pixels: never in training
      return;
    }
    if (program.pipeline instanceof Promise) throw new Error('Please call checkCompileCompletionAsync to ensure parallel compilation is done!');
    let uniform: ProgramUniform = [{ type: 'float32', data: [NaN] }, { type: 'float32', data: [Infinity] }];
    for (const t of [...inputs, output]) {
      uniform.push({ type: 'int32', data: t.shape }, { type: 'int32', data: tf.util.computeStrides(t.shape) });
    }
    if (program.size) {
      const size = tf.util.sizeFromShape(program.outputShape);
      uniform.push({ type: 'int32', data: [program.outputComponent ? size / program.outputComponent : size] });
    }
    if (programDefinedUniform) uniform = [...uniform, ...programDefinedUniform];
    record(backend, {
      pipeline: program.pipeline,
      buffers: resources,
      uniforms: tfjsUniformBytes(uniform),
      cacheUniforms: true,
      workgroups: program.dispatch,
      dataIds: all.map((t) => t.dataId),
      label: program.shaderKey,
    });
  };
}

/**
 * Routes the backend's dispatches through this module (once per backend) and sets
 * how they are recorded. Call again to change the settings.
 */
export function installDispatchRuntime(backend: WebGpuBackendInternals, settings: Partial<DispatchSettings> = {}): void {
  const existing = runtimes.get(backend);
  if (existing) {
    Object.assign(existing.settings, settings);
    return;
  }
  const runtime: Runtime = {
    settings: { ...DEFAULT_DISPATCH_SETTINGS, ...settings },
    uniforms: new Map(),
    layouts: new WeakMap(),
    retired: [],
    stats: { uniformsReused: 0, uniformsWritten: 0 },
  };
  runtimes.set(backend, runtime);
  markDispatchRecorder(backend);
  backend.recordAndSubmit = recordTfjsProgram(backend, backend.recordAndSubmit);
  const submit = backend.submitQueue;
  backend.submitQueue = function () {
    submit.call(backend);
    for (const buffer of runtime.retired.splice(0)) buffer.destroy();
  };
}

export function dispatchSettings(backend: WebGpuBackendInternals): DispatchSettings {
  return { ...runtimeOf(backend).settings };
}

/** How often the uniform cache was hit since the backend started (the profile reports it). */
export function uniformStats(backend: WebGpuBackendInternals): UniformStats {
  return { ...runtimeOf(backend).stats };
}

// ---- this project's kernels ----

export type UniformType = 'i32' | 'u32' | 'f32';

/** A compute kernel with its own WGSL: outputs bind first (read_write), then inputs (read), then `u`, its uniforms. */
export interface Kernel {
  /** Everything baked into the WGSL (constants, tile sizes, vector widths): the pipeline's cache key. */
  key: string;
  /** The uniform struct's fields, in order; values are passed per dispatch. */
  uniforms: readonly (readonly [name: string, type: UniformType])[];
  /** false when uniform values change from step to step (a learning rate): they are written afresh, never cached. */
  cacheUniforms?: boolean;
  wgsl: () => string;
}

/** `struct Uniforms { ... }` and its binding, for a kernel's WGSL. */
export function uniformDeclaration(kernel: Pick<Kernel, 'uniforms'>, binding: number): string {
  if (kernel.uniforms.length === 0) return '';
  const fields = kernel.uniforms.map(([name, type]) => `  ${name}: ${type},`).join('\n');
  return `struct Uniforms {\n${fields}\n};\n@group(0) @binding(${binding}) var<uniform> u: Uniforms;`;
}

/** A storage buffer of a kernel: its WGSL name and element type ('f32', 'vec4<f32>'). */
export type StorageBinding = readonly [name: string, element: string];

/**
 * A kernel's binding declarations in runKernel's order: outputs (read_write) from
 * binding 0, then inputs (read), then the uniforms (`u`). Every one must be read
 * or written by the shader: an unused binding is left out of its layout.
 */
export function kernelBindings(kernel: Pick<Kernel, 'uniforms'>, outputs: readonly StorageBinding[], inputs: readonly StorageBinding[]): string {
  const storage = (b: StorageBinding, index: number, access: string) => `@group(0) @binding(${index}) var<storage, ${access}> ${b[0]}: array<${b[1]}>;`;
  return [
    ...outputs.map((b, i) => storage(b, i, 'read_write')),
    ...inputs.map((b, i) => storage(b, outputs.length + i, 'read')),
    uniformDeclaration(kernel, outputs.length + inputs.length),
  ].join('\n');
}

function packUniforms(kernel: Kernel, values: Record<string, number>): ArrayBuffer | null {
  if (kernel.uniforms.length === 0) return null;
  const bytes = new ArrayBuffer(Math.ceil((kernel.uniforms.length * 4) / 16) * 16);
  const i32 = new Int32Array(bytes);
  const u32 = new Uint32Array(bytes);
  const f32 = new Float32Array(bytes);
  kernel.uniforms.forEach(([name, type], i) => {
    const value = values[name];
    if (value === undefined) throw new Error(`kernel ${kernel.key}: no value for uniform ${name}`);
    (type === 'f32' ? f32 : type === 'u32' ? u32 : i32)[i] = value;
  });
  return bytes;
}

function pipelineFor(backend: WebGpuBackendInternals, kernel: Kernel): GPUComputePipeline {
  const key = `kerv:${kernel.key}`;
  let pipeline = backend.pipelineCache[key];
  if (!pipeline) {
    const module = backend.device.createShaderModule({ code: kernel.wgsl(), label: kernel.key });
    pipeline = backend.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: kernel.key });
    backend.pipelineCache[key] = pipeline;
  }
  if (pipeline instanceof Promise) throw new Error(`pipeline ${kernel.key} is still compiling`);
  return pipeline;
}

/**
 * Whether a tensor's buffer holds float32. tfjs-webgpu casts int32 or bool to
 * float32 by relabelling the tensor, not by converting its buffer, so a tensor
 * whose dtype says float32 may still hold integers.
 */
export function holdsFloat32(backend: WebGpuBackendInternals, t: TensorInfo): boolean {
  return t.dtype === 'float32' && backend.tensorMap.get(t.dataId).dtype === 'float32';
}

/** Workgroups for `count` threads, `perGroup` to a workgroup, spread over x and y (each at most 65,535). */
export function flatWorkgroups(count: number, perGroup = 64, z = 1): [number, number, number] {
  const groups = Math.max(1, Math.ceil(count / perGroup));
  if (groups <= 65_535) return [groups, 1, z];
  return [65_535, Math.ceil(groups / 65_535), z];
}

/** WGSL: the flat thread index of a flatWorkgroups dispatch of 64-thread workgroups (needs gid and groups builtins). */
export const FLAT_INDEX = 'i32(gid.x + gid.y * groups.x * 64u)';

/** WGSL entry point of a flat 64-thread kernel. */
export const FLAT_MAIN = '@compute @workgroup_size(64, 1, 1)\nfn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>)';

export interface OutputSpec {
  shape: number[];
  dtype?: tf.DataType;
}

/**
 * Runs a kernel: allocates its outputs, binds outputs, inputs and uniforms, and
 * records one dispatch of `workgroups`. Returns the outputs (zero-sized ones are
 * returned without a dispatch).
 */
export function runKernel(
  backend: WebGpuBackendInternals,
  kernel: Kernel,
  inputs: TensorInfo[],
  outputs: OutputSpec[],
  uniforms: Record<string, number>,
  workgroups: [number, number, number],
): TensorInfo[] {
  const made = outputs.map((o) => backend.makeTensorInfo([...o.shape], o.dtype ?? 'float32'));
  if (made.every((t) => tf.util.sizeFromShape(t.shape) === 0)) return made;
  if (workgroups.some((n) => n < 1)) throw new Error(`kernel ${kernel.key}: ${workgroups.join('×')} workgroups for non-empty outputs`);
  for (const t of inputs) {
    // Every kernel here binds its inputs as f32 arrays (see holdsFloat32).
    if (!holdsFloat32(backend, t)) throw new Error(`kernel ${kernel.key}: an input holds ${backend.tensorMap.get(t.dataId).dtype}, not float32`);
  }
  for (const t of [...made, ...inputs]) backend.uploadToGPU(t.dataId);
  const all = [...made, ...inputs];
  const limit = backend.device.limits.maxComputeWorkgroupsPerDimension;
  if (workgroups.some((n) => n > limit)) throw new Error(`kernel ${kernel.key}: ${workgroups.join('×')} workgroups exceed the device's ${limit} per dimension`);
  record(backend, {
    pipeline: pipelineFor(backend, kernel),
    buffers: all.map((t) => backend.tensorMap.get(t.dataId).resource as GPUBuffer),
    uniforms: packUniforms(kernel, uniforms),
    cacheUniforms: kernel.cacheUniforms !== false,
    workgroups,
    dataIds: all.map((t) => t.dataId),
    label: kernel.key,
  });
  return made;
}
