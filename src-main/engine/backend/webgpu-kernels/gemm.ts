// One tiled GEMM core for every matrix product of a training step on webgpu:
// the forward convolution, both of its gradients (implicit GEMMs: patches are
// gathered while loading a tile, never materialised) and MatMul/BatchMatMul.
// C[z][m][n] = epilogue(Σ_k A(m, k) · B(k, n)), where each use supplies:
//   - two operand loaders, A(m, k) and B(k, n), in WGSL, each saying which of its
//     dimensions is contiguous in memory (so a tile loads with consecutive threads
//     on consecutive addresses) and whether it loads 4 elements at once (vec4);
//   - an epilogue: what is stored for an output element (plain, bias and
//     activation, a kervolution's response), as a WGSL function of (m, n, z, value).
// Tiles: BM×BN outputs per workgroup of (BN/TN)×(BM/TM) threads, each thread
// TM×TN outputs held as vec4 accumulators; K advances BK at a time through
// workgroup memory; the inner loop is unrolled here, since WGSL compilers do not
// unroll. When the output has too few tiles to fill a GPU and K is long (filter
// gradients: K = batch·H·W), K is split over workgroups (split-K): each writes a
// partial product, and a second dispatch sums the splits in a fixed order (so
// results are deterministic) and applies the epilogue.
import type { Kernel, OutputSpec, TensorInfo, UniformType, WebGpuBackendInternals } from './runtime';
import { FLAT_INDEX, flatWorkgroups, kernelBindings, runKernel, type StorageBinding } from './runtime';

export interface GemmTile {
  bm: number;
  bn: number;
  bk: number;
  tm: number;
  tn: number;
}

/** The tile shapes, smallest first. The chooser picks the largest that still yields enough workgroups. */
export const GEMM_TILES = {
  small: { bm: 32, bn: 32, bk: 16, tm: 4, tn: 4 },
  medium: { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 },
  large: { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 },
} as const satisfies Record<string, GemmTile>;
export type GemmTileName = keyof typeof GEMM_TILES;

/** Workgroups that keep a large GPU busy (an H100 has 132 SMs); fewer tiles than this call for smaller tiles or split-K. */
const BUSY_WORKGROUPS = 256;
const MAX_SPLITS = 32;

export interface GemmBinding {
  name: string;
  /** 4: the buffer binds as array<vec4<f32>> (its extent along the contiguous axis is a multiple of 4). */
  vec: 1 | 4;
}

export interface GemmOperand {
  /** Along which of its tile's dimensions memory is contiguous: k, or its row/column index (m for A, n for B). */
  contiguous: 'k' | 'mn';
  /** 4: the loader returns 4 consecutive elements along the contiguous dimension as a vec4<f32>. */
  vec: 1 | 4;
  /**
   * WGSL statements of `fn load(mn: i32, k: i32, z: i32) -> f32 | vec4<f32>` (mn is m for A, n for B; z the
   * batch). Must return 0 for mn outside the problem or k ≥ kEnd (a private var: the end of this split's K).
   */
  body: string;
}

export interface GemmEpilogue {
  /** Key of what is baked into the WGSL below. */
  key: string;
  outputs: (GemmBinding & OutputSpec)[];
  /** Inputs the epilogue reads (bias, a kernel's parameters), bound after the operands' inputs. */
  inputs: (GemmBinding & { tensor: TensorInfo })[];
  /** WGSL statements of `fn store(m: i32, n: i32, z: i32, v: f32 | vec4<f32>)`: v holds outputs n..n+3 when `vec` is 4. */
  body: string;
  /** 4: stores go 4 consecutive n at a time (N is a multiple of 4). */
  vec: 1 | 4;
}

export interface GemmProblem {
  /** Key of the operand loaders (their WGSL). */
  key: string;
  m: number;
  n: number;
  k: number;
  /** Independent products (BatchMatMul's batch); 1 for a convolution. */
  batch: number;
  a: GemmOperand;
  b: GemmOperand;
  /** The buffers the loaders read, in binding order. */
  inputs: (GemmBinding & { tensor: TensorInfo })[];
  /** The loaders' own uniforms (shapes, strides, padding). */
  uniforms: Record<string, [UniformType, number]>;
  epilogue: GemmEpilogue;
  /** Whether K may be split over workgroups (not when K is short anyway). */
  splitK: boolean;
}

export interface GemmPlan {
  tile: GemmTileName;
  splits: number;
  kChunk: number;
}

const tilesOf = (t: GemmTile, m: number, n: number, batch: number) => Math.ceil(m / t.bm) * Math.ceil(n / t.bn) * batch;

/** Tile shape and K splits for a problem: large tiles where they still fill the GPU, split-K where the output is small and K long. */
export function planGemm(m: number, n: number, k: number, batch: number, splitK: boolean): GemmPlan {
  let tile: GemmTileName = 'small';
  if (m >= 128 && n >= 128 && tilesOf(GEMM_TILES.large, m, n, batch) >= BUSY_WORKGROUPS) tile = 'large';
  else if (m >= 64 && n >= 64 && tilesOf(GEMM_TILES.medium, m, n, batch) >= BUSY_WORKGROUPS / 4) tile = 'medium';
  const t = GEMM_TILES[tile];
  const tiles = tilesOf(t, m, n, batch);
  let splits = 1;
  if (splitK && tiles < BUSY_WORKGROUPS) {
    // Each split keeps at least 16 K-steps of work; no more splits than it takes to fill the GPU.
    splits = Math.max(1, Math.min(MAX_SPLITS, Math.ceil(BUSY_WORKGROUPS / tiles), Math.floor(k / (16 * t.bk))));
  }
  const kChunk = Math.ceil(k / splits / t.bk) * t.bk;
  return { tile, splits: Math.ceil(k / kChunk), kChunk };
}

const vecType = (vec: 1 | 4) => (vec === 4 ? 'vec4<f32>' : 'f32');
const storage = (bindings: GemmBinding[]): StorageBinding[] => bindings.map((b) => [b.name, vecType(b.vec)]);

/** WGSL that loads one operand's BK×rows tile into workgroup memory (`shared`, laid out [k][rows] as vec4 along rows). */
function tileLoad(op: 'A' | 'B', operand: GemmOperand, rows: number, bk: number, threads: number): string {
  const v = operand.vec;
  const per = (rows * bk) / (threads * v);
  if (!Number.isInteger(per) || per < 1) throw new Error(`GEMM tile ${rows}×${bk} cannot be loaded by ${threads} threads ${v} at a time`);
  const shared = `${op}s`;
  const origin = op === 'A' ? 'm0' : 'n0';
  const lines: string[] = [];
  for (let i = 0; i < per; i++) {
    lines.push('  {');
    lines.push(`    let e = tid + ${i * threads};`);
    if (operand.contiguous === 'k') {
      lines.push(`    let kv = e % ${bk / v}; let r = e / ${bk / v};`);
      lines.push(`    let v = load${op}(${origin} + r, k0 + kv * ${v}, z);`);
      if (v === 1) lines.push(`    ${shared}[kv * ${rows / 4} + r / 4][r % 4] = v;`);
      else for (let c = 0; c < 4; c++) lines.push(`    ${shared}[(kv * 4 + ${c}) * ${rows / 4} + r / 4][r % 4] = v[${c}];`);
    } else {
      lines.push(`    let rv = e % ${rows / v}; let kk = e / ${rows / v};`);
      lines.push(`    let v = load${op}(${origin} + rv * ${v}, k0 + kk, z);`);
      lines.push(v === 4 ? `    ${shared}[kk * ${rows / 4} + rv] = v;` : `    ${shared}[kk * ${rows / 4} + rv / 4][rv % 4] = v;`);
    }
    lines.push('  }');
  }
  return lines.join('\n');
}

/** The unrolled multiply-accumulate over one BK slice of the tiles. */
function tileProduct(t: GemmTile): string {
  const av = t.tm / 4;
  const bv = t.tn / 4;
  const lines: string[] = [];
  for (let kk = 0; kk < t.bk; kk++) {
    lines.push('  {');
    for (let j = 0; j < av; j++) lines.push(`    let a${j} = As[${kk * (t.bm / 4)} + ty * ${av} + ${j}];`);
    for (let j = 0; j < bv; j++) lines.push(`    let b${j} = Bs[${kk * (t.bn / 4)} + tx * ${bv} + ${j}];`);
    for (let r = 0; r < t.tm; r++) {
      for (let j = 0; j < bv; j++) lines.push(`    acc[${r * bv + j}] = acc[${r * bv + j}] + a${r >> 2}[${r & 3}] * b${j};`);
    }
    lines.push('  }');
  }
  return lines.join('\n');
}

/** Stores a thread's TM×TN outputs through `store` (the epilogue, or the split's partial). */
function tileStore(t: GemmTile, vec: 1 | 4): string {
  const bv = t.tn / 4;
  const lines: string[] = [];
  for (let r = 0; r < t.tm; r++) {
    lines.push(`  { let m = m0 + ty * ${t.tm} + ${r};`);
    lines.push('    if (m < u.M) {');
    for (let j = 0; j < bv; j++) {
      const acc = `acc[${r * bv + j}]`;
      lines.push(`      { let n = n0 + tx * ${t.tn} + ${j * 4};`);
      if (vec === 4) lines.push(`        if (n < u.N) { store(m, n, z, ${acc}); }`);
      else for (let c = 0; c < 4; c++) lines.push(`        if (n + ${c} < u.N) { store(m, n + ${c}, z, ${acc}[${c}]); }`);
      lines.push('      }');
    }
    lines.push('    }');
    lines.push('  }');
  }
  return lines.join('\n');
}

const CORE_UNIFORMS: [string, UniformType][] = [
  ['M', 'i32'],
  ['N', 'i32'],
  ['K', 'i32'],
  ['kChunk', 'i32'],
  ['splits', 'i32'],
];

function uniformFields(problem: GemmProblem): (readonly [string, UniformType])[] {
  return [...CORE_UNIFORMS, ...Object.entries(problem.uniforms).map(([name, [type]]) => [name, type] as const)];
}

function uniformValues(problem: GemmProblem, plan: GemmPlan): Record<string, number> {
  const values: Record<string, number> = { M: problem.m, N: problem.n, K: problem.k, kChunk: plan.kChunk, splits: plan.splits };
  for (const [name, [, value]] of Object.entries(problem.uniforms)) values[name] = value;
  return values;
}

/** The epilogue that writes a split's partial product: P[z·splits + split][m][n]. */
function partialEpilogue(vec: 1 | 4): string {
  return vec === 4 ? 'P[(((z * u.splits + split) * u.M + m) * u.N + n) / 4] = v;' : 'P[((z * u.splits + split) * u.M + m) * u.N + n] = v;';
}

function gemmKernel(problem: GemmProblem, plan: GemmPlan): Kernel {
  const t = GEMM_TILES[plan.tile];
  const split = plan.splits > 1;
  const ev = problem.epilogue.vec;
  const threads = (t.bn / t.tn) * (t.bm / t.tm);
  const outputs: GemmBinding[] = split ? [{ name: 'P', vec: ev }] : problem.epilogue.outputs;
  const inputs: GemmBinding[] = [...problem.inputs, ...(split ? [] : problem.epilogue.inputs)];
  const kernel: Kernel = {
    key: `gemm_${problem.key}_${split ? 'partial' : problem.epilogue.key}_${plan.tile}`,
    uniforms: uniformFields(problem),
    wgsl: () => `
${kernelBindings(kernel, storage(outputs), storage(inputs))}
var<workgroup> As: array<vec4<f32>, ${(t.bk * t.bm) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(t.bk * t.bn) / 4}>;
var<private> kEnd: i32;
var<private> split: i32;

fn loadA(mn: i32, k: i32, z: i32) -> ${vecType(problem.a.vec)} {
${problem.a.body}
}
fn loadB(mn: i32, k: i32, z: i32) -> ${vecType(problem.b.vec)} {
${problem.b.body}
}
fn store(m: i32, n: i32, z: i32, v: ${vecType(ev)}) {
${split ? partialEpilogue(ev) : problem.epilogue.body}
}

@compute @workgroup_size(${t.bn / t.tn}, ${t.bm / t.tm}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let tid = ty * ${t.bn / t.tn} + tx;
  let n0 = i32(wid.x) * ${t.bn};
  let m0 = i32(wid.y) * ${t.bm};
  split = i32(wid.z) % u.splits;
  let z = i32(wid.z) / u.splits;
  let kStart = (i32(wid.z) % u.splits) * u.kChunk;
  // A let, not the private kEnd, bounds the loop: barriers need control flow the compiler can prove uniform.
  let kStop = min(u.K, kStart + u.kChunk);
  kEnd = kStop;
  var acc: array<vec4<f32>, ${(t.tm * t.tn) / 4}>;
  for (var k0 = kStart; k0 < kStop; k0 = k0 + ${t.bk}) {
${tileLoad('A', problem.a, t.bm, t.bk, threads)}
${tileLoad('B', problem.b, t.bn, t.bk, threads)}
    workgroupBarrier();
${tileProduct(t)}
    workgroupBarrier();
  }
${tileStore(t, ev)}
}
`,
  };
  return kernel;
}

/** Σ over the splits in order, then the epilogue: one thread per output (4 along n when vec4). */
function splitReduceKernel(problem: GemmProblem): Kernel {
  const ev = problem.epilogue.vec;
  const outputs = problem.epilogue.outputs;
  const inputs: GemmBinding[] = [{ name: 'P', vec: ev }, ...problem.epilogue.inputs];
  const kernel: Kernel = {
    key: `gemmsplitsum_${problem.key}_${problem.epilogue.key}`,
    uniforms: uniformFields(problem),
    wgsl: () => `
${kernelBindings(kernel, storage(outputs), storage(inputs))}

fn store(m: i32, n: i32, z: i32, v: ${vecType(ev)}) {
${problem.epilogue.body}
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let perRow = u.N / ${ev};
  let i = ${FLAT_INDEX};
  let total = u.M * perRow;
  let z = i32(gid.z);
  if (i >= total) { return; }
  let m = i / perRow;
  let n = (i - m * perRow) * ${ev};
  var sum = ${vecType(ev)}(0.0);
  for (var s = 0; s < u.splits; s = s + 1) {
    sum = sum + P[((z * u.splits + s) * u.M + m) * perRow + n / ${ev}];
  }
  store(m, n, z, sum);
}
`,
  };
  return kernel;
}

/** Runs the product; returns the epilogue's outputs. */
export function runGemm(backend: WebGpuBackendInternals, problem: GemmProblem, plan: GemmPlan = planGemm(problem.m, problem.n, problem.k, problem.batch, problem.splitK)): TensorInfo[] {
  const t = GEMM_TILES[plan.tile];
  const values = uniformValues(problem, plan);
  const operandInputs = problem.inputs.map((b) => b.tensor);
  const epilogueInputs = problem.epilogue.inputs.map((b) => b.tensor);
  const workgroups: [number, number, number] = [Math.ceil(problem.n / t.bn), Math.ceil(problem.m / t.bm), problem.batch * plan.splits];
  if (plan.splits === 1) return runKernel(backend, gemmKernel(problem, plan), [...operandInputs, ...epilogueInputs], problem.epilogue.outputs, values, workgroups);
  const [partial] = runKernel(backend, gemmKernel(problem, plan), operandInputs, [{ shape: [problem.batch * plan.splits, problem.m, problem.n] }], values, workgroups);
  try {
    const threads = (problem.m * problem.n) / problem.epilogue.vec;
    return runKernel(backend, splitReduceKernel(problem), [partial, ...epilogueInputs], problem.epilogue.outputs, values, flatWorkgroups(threads, 64, problem.batch));
  } finally {
    (backend as unknown as { disposeData(dataId: object): void }).disposeData(partial.dataId);
  }
}
