// The manhattan pixel kernels (see manhattan-pixel-kernels.ts) in WebAssembly SIMD:
// four float32 lanes per instruction, ~4× the plain-JS loops, which is what brings
// manhattan near an ordinary (XNNPACK SIMD) convolution on the wasm backend.
// The module is 373 bytes, assembled below from named opcodes (no toolchain
// needed at build time) and compiled synchronously once. Equivalent WAT:
//
//   (func $forward (param $patch $wT $out $rowBytes $outC i32) (local $t i32) (local $acc v128)
//     loop $channels
//       $acc = 0; $t = 0
//       loop $taps                       ;; acc += |patch[t..t+4] − wT[t..t+4]|
//         $acc = f32x4.add($acc, f32x4.abs(f32x4.sub(v128.load($patch + $t), v128.load($wT + $t))))
//         $t += 16; br_if $taps ($t < $rowBytes)
//       end
//       f32.store($out, −(lane0 + lane1 + lane2 + lane3))
//       $wT += $rowBytes; $out += 4; $outC −= 1; br_if $channels ($outC ≠ 0)
//     end)
//
//   (func $backward (param $patch $wT $dPatch $dwT $g $rowBytes $outC i32)
//                   (local $t i32) (local $gv v128) (local $d v128) (local $s v128) (local $zero v128)
//     loop $channels
//       if (f32.load($g) ≠ 0)
//         $gv = splat(f32.load($g)); $t = 0
//         loop $taps
//           $d = patch[t..] − wT[t..]
//           $s = (($d > 0) & $gv) − (($d < 0) & $gv)          ;; g·sign(d), sign(0) = 0
//           dPatch[t..] −= $s; dwT[t..] += $s
//           $t += 16; br_if $taps ($t < $rowBytes)
//         end
//       end
//       $wT += $rowBytes; $dwT += $rowBytes; $g += 4; $outC −= 1; br_if $channels ($outC ≠ 0)
//     end)
import { paddedLength, type PixelKernels } from './manhattan-pixel-kernels';

const I32 = 0x7f;
const V128 = 0x7b;

const op = {
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, depth],
  get: (local: number) => [0x20, local],
  set: (local: number) => [0x21, local],
  tee: (local: number) => [0x22, local],
  f32Load: [0x2a, 0x02, 0x00],
  f32Store: [0x38, 0x02, 0x00],
  i32Const: (value: number) => [0x41, value], // single-byte signed LEB128: values in [-64, 63]
  f32Const0: [0x43, 0x00, 0x00, 0x00, 0x00],
  i32Ne: [0x47],
  i32LtU: [0x49],
  f32Ne: [0x5c],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  f32Neg: [0x8c],
  f32Add: [0x92],
  // SIMD: prefix 0xfd, then the opcode as unsigned LEB128.
  v128Load: [0xfd, 0x00, 0x04, 0x00], // align 2^4, offset 0
  v128Store: [0xfd, 0x0b, 0x04, 0x00],
  f32x4Splat: [0xfd, 0x13],
  f32x4ExtractLane: (lane: number) => [0xfd, 0x1f, lane],
  f32x4Lt: [0xfd, 0x43],
  f32x4Gt: [0xfd, 0x44],
  v128And: [0xfd, 0x4e],
  f32x4Abs: [0xfd, 0xe0, 0x01],
  f32x4Add: [0xfd, 0xe4, 0x01],
  f32x4Sub: [0xfd, 0xe5, 0x01],
};

/** a + b for two i32 locals, then the v128 at that address. */
const loadAt = (base: number, offset: number) => [...op.get(base), ...op.get(offset), ...op.i32Add, ...op.v128Load];
/** local += value. */
const addTo = (local: number, value: number[]) => [...op.get(local), ...value, ...op.i32Add, ...op.set(local)];

function forwardBody(): number[] {
  const [patch, wT, out, rowBytes, outC, t, acc, zero] = [0, 1, 2, 3, 4, 5, 6, 7];
  return [
    ...op.loop,
    ...op.get(zero), ...op.set(acc),
    ...op.i32Const(0), ...op.set(t),
    ...op.loop,
    ...op.get(acc), ...loadAt(patch, t), ...loadAt(wT, t), ...op.f32x4Sub, ...op.f32x4Abs, ...op.f32x4Add, ...op.set(acc),
    ...addTo(t, op.i32Const(16)),
    ...op.get(t), ...op.get(rowBytes), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
    ...op.get(out),
    ...op.get(acc), ...op.f32x4ExtractLane(0), ...op.get(acc), ...op.f32x4ExtractLane(1), ...op.f32Add,
    ...op.get(acc), ...op.f32x4ExtractLane(2), ...op.f32Add, ...op.get(acc), ...op.f32x4ExtractLane(3), ...op.f32Add,
    ...op.f32Neg, ...op.f32Store,
    ...addTo(wT, op.get(rowBytes)),
    ...addTo(out, op.i32Const(4)),
    ...op.get(outC), ...op.i32Const(1), ...op.i32Sub, ...op.tee(outC), ...op.brIf(0),
    ...op.end,
    ...op.end,
  ];
}

function backwardBody(): number[] {
  const [patch, wT, dPatch, dwT, g, rowBytes, outC, t, gv, d, s, zero] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const storeAt = (base: number, value: number[]) => [...op.get(base), ...op.get(t), ...op.i32Add, ...value, ...op.v128Store];
  return [
    ...op.loop,
    ...op.get(g), ...op.f32Load, ...op.f32Const0, ...op.f32Ne,
    ...op.if,
    ...op.get(g), ...op.f32Load, ...op.f32x4Splat, ...op.set(gv),
    ...op.i32Const(0), ...op.set(t),
    ...op.loop,
    ...loadAt(patch, t), ...loadAt(wT, t), ...op.f32x4Sub, ...op.set(d),
    ...op.get(d), ...op.get(zero), ...op.f32x4Gt, ...op.get(gv), ...op.v128And,
    ...op.get(d), ...op.get(zero), ...op.f32x4Lt, ...op.get(gv), ...op.v128And,
    ...op.f32x4Sub, ...op.set(s),
    ...storeAt(dPatch, [...loadAt(dPatch, t), ...op.get(s), ...op.f32x4Sub]),
    ...storeAt(dwT, [...loadAt(dwT, t), ...op.get(s), ...op.f32x4Add]),
    ...addTo(t, op.i32Const(16)),
    ...op.get(t), ...op.get(rowBytes), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
    ...op.end,
    ...addTo(wT, op.get(rowBytes)),
    ...addTo(dwT, op.get(rowBytes)),
    ...addTo(g, op.i32Const(4)),
    ...op.get(outC), ...op.i32Const(1), ...op.i32Sub, ...op.tee(outC), ...op.brIf(0),
    ...op.end,
    ...op.end,
  ];
}

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

const vector = (items: number[][]) => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, content: number[]) => [id, ...unsignedLeb(content.length), ...content];
const name = (text: string) => [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
/** A function body: local declarations as [count, type] groups, then the code. */
const body = (locals: [number, number][], code: number[]) => {
  const content = [...vector(locals.map(([n, type]) => [n, type])), ...code];
  return [...unsignedLeb(content.length), ...content];
};

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const funcType = (params: number) => [0x60, params, ...new Array<number>(params).fill(I32), 0];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([funcType(5), funcType(7)])),
    ...section(3, vector([[0], [1]])),
    ...section(5, vector([[0x00, 0x01]])), // one memory, at least 1 page, growable
    ...section(7, vector([
      [...name('memory'), 0x02, 0],
      [...name('forward'), 0x00, 0],
      [...name('backward'), 0x00, 1],
    ])),
    ...section(10, vector([
      body([[1, I32], [2, V128]], forwardBody()),
      body([[1, I32], [4, V128]], backwardBody()),
    ])),
  ]);
}

interface SimdExports {
  memory: WebAssembly.Memory;
  forward(patch: number, wT: number, out: number, rowBytes: number, outC: number): void;
  backward(patch: number, wT: number, dPatch: number, dwT: number, g: number, rowBytes: number, outC: number): void;
}

let instance: SimdExports | null | undefined;

/** The compiled module, or null where this runtime has no WebAssembly SIMD. */
function simdInstance(): SimdExports | null {
  if (instance !== undefined) return instance;
  const bytes = moduleBytes();
  instance = typeof WebAssembly === 'object' && WebAssembly.validate(bytes)
    ? (new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as SimdExports)
    : null;
  return instance;
}

export function simdAvailable(): boolean {
  return simdInstance() !== null;
}

const PAGE_BYTES = 65536;

/**
 * SIMD pixel kernels over the module's memory. The buffers are views of that one
 * memory, valid until the next call of this function (which may grow it): the
 * direct driver creates one set per forward or backward pass and never nests them.
 */
export function createSimdKernels(k: number, outC: number): PixelKernels {
  const wasm = simdInstance();
  if (!wasm) throw new Error('WebAssembly SIMD is not available in this runtime; use the js manhattan path');
  const stride = paddedLength(k);
  const rowBytes = stride * 4;
  // Layout (16-byte aligned, since stride is a multiple of 4 floats): patch, dPatch, wT, dwT, channelValues.
  const patchAt = 0;
  const dPatchAt = patchAt + rowBytes;
  const wTAt = dPatchAt + rowBytes;
  const dwTAt = wTAt + outC * rowBytes;
  const valuesAt = dwTAt + outC * rowBytes;
  const total = valuesAt + outC * 4;
  const missing = Math.ceil((total - wasm.memory.buffer.byteLength) / PAGE_BYTES);
  if (missing > 0) wasm.memory.grow(missing);
  const heap = new Float32Array(wasm.memory.buffer, 0, total / 4);
  heap.fill(0);
  const view = (at: number, length: number) => heap.subarray(at / 4, at / 4 + length);
  return {
    stride,
    patch: view(patchAt, stride),
    dPatch: view(dPatchAt, stride),
    wT: view(wTAt, outC * stride),
    dwT: view(dwTAt, outC * stride),
    channelValues: view(valuesAt, outC),
    forward: () => wasm.forward(patchAt, wTAt, valuesAt, rowBytes, outC),
    backward: () => wasm.backward(patchAt, wTAt, dPatchAt, dwTAt, valuesAt, rowBytes, outC),
  };
}
