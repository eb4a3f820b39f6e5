// An independent float64 reference for kervolution: walks every output position,
// gathers the receptive field patch by patch (zero padding included, as a conv
// sees it) and applies the kernel formula literally. Slow and obvious on purpose.
// Geometry follows TensorFlow's documented rules, written out again here rather
// than imported, so a geometry bug in the engine cannot hide in both.

export type RefKernel =
  | { type: 'linear' }
  | { type: 'polynomial'; c: number | number[]; d: number }
  | { type: 'gaussian'; gamma: number | number[] }
  | { type: 'sigmoid'; c: number | number[] }
  | { type: 'manhattan' }
  | { type: 'euclidean' }
  | { type: 'cosine' };

export interface RefOptions {
  kernel: RefKernel;
  strides: [number, number];
  padding: 'valid' | 'same';
  dilation: [number, number];
}

export interface RefResult {
  values: Float64Array;
  shape: [number, number, number, number];
}

function axis(inSize: number, k: number, stride: number, dilation: number, padding: 'valid' | 'same') {
  const eff = (k - 1) * dilation + 1;
  if (padding === 'valid') return { out: Math.ceil((inSize - eff + 1) / stride), before: 0 };
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

const perChannel = (v: number | number[], o: number): number => (typeof v === 'number' ? v : v[o]);

function applyKernel(kernel: RefKernel, p: Float64Array, w: Float64Array, o: number): number {
  let dot = 0;
  let pp = 0;
  let ww = 0;
  let l1 = 0;
  let l2 = 0;
  for (let i = 0; i < p.length; i++) {
    dot += p[i] * w[i];
    pp += p[i] * p[i];
    ww += w[i] * w[i];
    l1 += Math.abs(p[i] - w[i]);
    l2 += (p[i] - w[i]) ** 2;
  }
  switch (kernel.type) {
    case 'linear':
      return dot;
    case 'polynomial':
      return (dot + perChannel(kernel.c, o)) ** kernel.d;
    case 'gaussian':
      return Math.exp(-perChannel(kernel.gamma, o) * l2);
    case 'sigmoid':
      return Math.tanh(dot + perChannel(kernel.c, o));
    case 'manhattan':
      return -l1;
    case 'euclidean':
      return -l2;
    case 'cosine':
      return dot / (Math.sqrt(pp) * Math.sqrt(ww) + 1e-8);
  }
}

export function referenceKervConv2d(
  x: ArrayLike<number>,
  xShape: readonly number[],
  w: ArrayLike<number>,
  wShape: readonly number[],
  options: RefOptions,
): RefResult {
  const [batch, inH, inW, inC] = xShape;
  const [kh, kw, , outC] = wShape;
  const rows = axis(inH, kh, options.strides[0], options.dilation[0], options.padding);
  const cols = axis(inW, kw, options.strides[1], options.dilation[1], options.padding);
  const out = new Float64Array(batch * rows.out * cols.out * outC);
  const patchSize = kh * kw * inC;
  const patch = new Float64Array(patchSize);
  const filter = new Float64Array(patchSize);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        let n = 0;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const y = oy * options.strides[0] + i * options.dilation[0] - rows.before;
            const xx = ox * options.strides[1] + j * options.dilation[1] - cols.before;
            const inside = y >= 0 && y < inH && xx >= 0 && xx < inW;
            for (let c = 0; c < inC; c++) patch[n++] = inside ? x[((b * inH + y) * inW + xx) * inC + c] : 0;
          }
        }
        for (let o = 0; o < outC; o++) {
          for (let t = 0; t < patchSize; t++) filter[t] = w[t * outC + o];
          out[((b * rows.out + oy) * cols.out + ox) * outC + o] = applyKernel(options.kernel, patch, filter, o);
        }
      }
    }
  }
  return { values: out, shape: [batch, rows.out, cols.out, outC] };
}

/** Central differences of f over every entry of `values` (mutated and restored in place). */
export function numericGradient(values: Float64Array, f: () => number, h = 1e-6): Float64Array {
  const grad = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const keep = values[i];
    values[i] = keep + h;
    const plus = f();
    values[i] = keep - h;
    const minus = f();
    values[i] = keep;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}
