// Manhattan kervolution −‖p − w‖₁ through tf ops, for the backends where tf ops
// run on a GPU or native TensorFlow (the CPU-side backends use manhattan-direct.ts).
// An L1 distance has no convolution form, so the patches are compared with the
// filters explicitly — but in chunks, one filter tap
// (i, j) and a block of (images × input channels × output channels) at a time, so
// memory stays bounded whatever the layer size:
//
//   MEMORY BOUND: every intermediate holds at most max(MANHATTAN_CHUNK_ELEMENTS,
//   outH·outW) float32 values (2^22 = 16 MiB); at most three are alive at once
//   (difference, |difference| or sign, product), so the extra memory is ≤ 48 MiB
//   beyond tensors the size of x, w and the output, for forward and backward.
//
// Autodiff through the chunks would keep every chunk's intermediates on the tape
// (the whole patch tensor × outC again), so the gradient is a tf.customGrad that
// recomputes the chunks: ∂/∂p = −Σ_o sign(p − w_o)·dy_o, ∂/∂w_o = Σ sign(p − w_o)·dy_o.
import * as tf from '@tensorflow/tfjs';
import { insertZeros, type ConvGeometry } from './conv-geometry';

export const MANHATTAN_CHUNK_ELEMENTS = 1 << 22;

interface Range {
  start: number;
  size: number;
}

function ranges(total: number, chunk: number): Range[] {
  const out: Range[] = [];
  for (let start = 0; start < total; start += chunk) out.push({ start, size: Math.min(chunk, total - start) });
  return out;
}

/**
 * Chunk sizes over output channels, input channels and images whose product with
 * outH·outW fits the budget. Whole channel blocks come first: every chunk ends in
 * a reduction over c (forward) or o (backward) and an accumulation of the reduced
 * result, so wide channel blocks make the reductions long and the adds short.
 */
function chunkPlan(g: ConvGeometry, budget: number): { o: Range[]; b: Range[]; c: Range[] } {
  const plane = g.outH * g.outW;
  const oChunk = Math.max(1, Math.min(g.outC, Math.floor(budget / plane)));
  const cChunk = Math.max(1, Math.min(g.inC, Math.floor(budget / (plane * oChunk))));
  const bChunk = Math.max(1, Math.min(g.batch, Math.floor(budget / (plane * oChunk * cChunk))));
  return { o: ranges(g.outC, oChunk), b: ranges(g.batch, bChunk), c: ranges(g.inC, cChunk) };
}

function padInput(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.pad(x, [[0, 0], [g.padTop, g.padBottom], [g.padLeft, g.padRight], [0, 0]]);
}

/** The input values filter tap (i, j) sees at every output position: [b, outH, outW, c] for the given block. */
function tapView(xPad: tf.Tensor4D, g: ConvGeometry, i: number, j: number, b: Range, c: Range): tf.Tensor4D {
  const top = i * g.dilation[0];
  const left = j * g.dilation[1];
  return tf.stridedSlice(
    xPad,
    [b.start, top, left, c.start],
    [b.start + b.size, top + (g.outH - 1) * g.strides[0] + 1, left + (g.outW - 1) * g.strides[1] + 1, c.start + c.size],
    [1, g.strides[0], g.strides[1], 1],
  ) as tf.Tensor4D;
}

/**
 * view − taps for a block. The axis order is chosen per pass because the wasm
 * backend reduces the innermost axis fast and any other axis through a transpose
 * (measured: 7 ms vs 21 ms, and 380 ms over the three leading axes):
 *   'inputs-inner'  [b, outH, outW, o, c] — the forward pass sums over c;
 *   'outputs-inner' [b, outH, outW, c, o] — the backward pass sums over o.
 */
function tapDifference(
  xPad: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, i: number, j: number, b: Range, c: Range, o: Range,
  order: 'inputs-inner' | 'outputs-inner',
): tf.Tensor {
  const view = tapView(xPad, g, i, j, b, c);
  const taps = tf.slice(w, [i, j, c.start, o.start], [1, 1, c.size, o.size]).reshape([c.size, o.size]);
  if (order === 'outputs-inner') return tf.sub(tf.expandDims(view, 4), taps);
  return tf.sub(tf.expandDims(view, 3), tf.transpose(taps));
}

/** Σ over the leading axis of [n, k] as a [1, n] × [n, k] product: no transpose on wasm. */
function sumLeading(t: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.ones([1, t.shape[0]]), t);
}

/** acc + part, disposing both operands: keeps one running sum alive instead of every chunk. */
function addInto<T extends tf.Tensor>(acc: T | null, part: T): T {
  if (!acc) return part;
  const sum = tf.add(acc, part) as T;
  acc.dispose();
  part.dispose();
  return sum;
}

function forward(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, budget: number): tf.Tensor4D {
  const plan = chunkPlan(g, budget);
  const xPad = padInput(x, g);
  const rows: tf.Tensor4D[] = [];
  for (const b of plan.b) {
    const blocks: tf.Tensor4D[] = [];
    for (const o of plan.o) {
      let acc: tf.Tensor4D | null = null;
      for (let i = 0; i < g.kh; i++) {
        for (let j = 0; j < g.kw; j++) {
          for (const c of plan.c) {
            acc = addInto(acc, tf.tidy(() => tf.sum(tf.abs(tapDifference(xPad, w, g, i, j, b, c, o, 'inputs-inner')), 4) as tf.Tensor4D));
          }
        }
      }
      blocks.push(acc as tf.Tensor4D);
    }
    rows.push(tf.concat(blocks, 3));
    tf.dispose(blocks);
  }
  const total = tf.concat(rows, 0);
  tf.dispose(rows);
  xPad.dispose();
  const result = tf.neg(total);
  total.dispose();
  return result;
}

/** Places a [b, outH, outW, c] gradient of tap (i, j) back onto the padded input grid. */
function scatterTap(dTap: tf.Tensor4D, g: ConvGeometry, i: number, j: number): tf.Tensor4D {
  const spreadH = (g.outH - 1) * g.strides[0] + 1;
  const spreadW = (g.outW - 1) * g.strides[1] + 1;
  const spread = insertZeros(dTap, 1, g.strides);
  const paddedH = g.inH + g.padTop + g.padBottom;
  const paddedW = g.inW + g.padLeft + g.padRight;
  const top = i * g.dilation[0];
  const left = j * g.dilation[1];
  return spread.pad([[0, 0], [top, paddedH - top - spreadH], [left, paddedW - left - spreadW], [0, 0]]) as tf.Tensor4D;
}

function backward(dy: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, budget: number): [tf.Tensor4D, tf.Tensor4D] {
  const plan = chunkPlan(g, budget);
  const xPad = padInput(x, g);
  let dxPad: tf.Tensor4D | null = null;
  const dwTaps: tf.Tensor2D[] = [];
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      const dTapRows: tf.Tensor4D[] = [];
      const dwBlocks = new Map<string, tf.Tensor2D>();
      for (const b of plan.b) {
        const dTapCols: tf.Tensor4D[] = [];
        for (const c of plan.c) {
          let dTap: tf.Tensor4D | null = null;
          for (const o of plan.o) {
            const key = `${c.start}:${o.start}`;
            const [dTapPart, dwPart] = tf.tidy(() => {
              const dyBlock = tf.slice(dy, [b.start, 0, 0, o.start], [b.size, g.outH, g.outW, o.size]);
              const sign = tf.sign(tapDifference(xPad, w, g, i, j, b, c, o, 'outputs-inner'));
              const weighted = tf.mul(sign, tf.expandDims(dyBlock, 3));
              const dwPart = sumLeading(weighted.reshape([-1, c.size * o.size]) as tf.Tensor2D).reshape([c.size, o.size]);
              return [tf.neg(tf.sum(weighted, 4)) as tf.Tensor4D, dwPart as tf.Tensor2D];
            });
            dTap = addInto(dTap, dTapPart);
            dwBlocks.set(key, addInto(dwBlocks.get(key) ?? null, dwPart));
          }
          dTapCols.push(dTap as tf.Tensor4D);
        }
        dTapRows.push(tf.concat(dTapCols, 3));
        tf.dispose(dTapCols);
      }
      const dTapAll = tf.concat(dTapRows, 0);
      tf.dispose(dTapRows);
      dxPad = addInto(dxPad, tf.tidy(() => scatterTap(dTapAll, g, i, j)));
      dTapAll.dispose();
      const dwTap = tf.tidy(() =>
        tf.concat(plan.c.map((c) => tf.concat(plan.o.map((o) => dwBlocks.get(`${c.start}:${o.start}`) as tf.Tensor2D), 1)), 0),
      );
      tf.dispose([...dwBlocks.values()]);
      dwTaps.push(dwTap as tf.Tensor2D);
    }
  }
  xPad.dispose();
  const dx = tf.slice(dxPad as tf.Tensor4D, [0, g.padTop, g.padLeft, 0], [g.batch, g.inH, g.inW, g.inC]);
  (dxPad as tf.Tensor4D).dispose();
  const dw = tf.stack(dwTaps).reshape([g.kh, g.kw, g.inC, g.outC]) as tf.Tensor4D;
  tf.dispose(dwTaps);
  return [dx, dw];
}

/**
 * −‖p − w_o‖₁ for every output position and channel; chunked, with a recomputing
 * gradient. `chunkElements` is the per-intermediate budget (tests shrink it to
 * exercise the chunk boundaries).
 */
export function manhattanChunkedConv2d(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, chunkElements = MANHATTAN_CHUNK_ELEMENTS): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, wIn, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xIn, wIn]);
    return {
      value: forward(xIn, wIn, g, chunkElements),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => backward(dy, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D, g, chunkElements),
    };
  });
  return op(x, w) as tf.Tensor4D;
}
