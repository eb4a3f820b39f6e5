// The inner loops of the direct manhattan kernel, for one output pixel at a time:
// the pixel's receptive field (`patch`) against every filter row of `wT`. The
// driver (manhattan-direct.ts) gathers the patch, scatters its gradient and owns
// everything else; an implementation only supplies these buffers and two loops.
// Two implementations: plain JavaScript (here) and WebAssembly SIMD
// (manhattan-simd.ts, 4 lanes per instruction), tested against the same reference.

export interface PixelKernels {
  /** The patch length k rounded up to a multiple of 4; every row below has this length, zero-padded. */
  readonly stride: number;
  /** The receptive field of the current pixel, [stride]. */
  readonly patch: Float32Array;
  /** ∂/∂patch of the current pixel, [stride]; the driver zeroes it per pixel. */
  readonly dPatch: Float32Array;
  /** Filters transposed, one contiguous row per output channel: [outC, stride]. */
  readonly wT: Float32Array;
  /** ∂/∂wT, accumulated over every pixel: [outC, stride], zero at creation. */
  readonly dwT: Float32Array;
  /** One value per output channel: forward writes −‖patch − wT_o‖₁ here; backward reads dy here. */
  readonly channelValues: Float32Array;
  /** channelValues[o] = −Σ_t |patch[t] − wT[o, t]|. */
  forward(): void;
  /** For each o with g = channelValues[o] ≠ 0: s = g·sign(patch − wT_o); dPatch −= s; dwT_o += s. sign(0) = 0. */
  backward(): void;
}

export type PixelKernelFactory = (k: number, outC: number) => PixelKernels;

export function paddedLength(k: number): number {
  return Math.ceil(k / 4) * 4;
}

/**
 * Plain JavaScript: four output channels share each patch load, and their four
 * independent sums keep the adder busy. The sign is computed without branches —
 * the signs of random differences are unpredictable, and a mispredicted branch per
 * element cost ~2× in a measurement here.
 */
export function createJsKernels(k: number, outC: number): PixelKernels {
  const stride = paddedLength(k);
  const patch = new Float32Array(stride);
  const dPatch = new Float32Array(stride);
  const wT = new Float32Array(outC * stride);
  const dwT = new Float32Array(outC * stride);
  const channelValues = new Float32Array(outC);
  const blocked = outC - (outC % 4);

  function forward(): void {
    let o = 0;
    for (; o < blocked; o += 4) {
      const r0 = o * stride;
      const r1 = r0 + stride;
      const r2 = r1 + stride;
      const r3 = r2 + stride;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < stride; t++) {
        const p = patch[t];
        s0 += Math.abs(p - wT[r0 + t]);
        s1 += Math.abs(p - wT[r1 + t]);
        s2 += Math.abs(p - wT[r2 + t]);
        s3 += Math.abs(p - wT[r3 + t]);
      }
      channelValues[o] = -s0;
      channelValues[o + 1] = -s1;
      channelValues[o + 2] = -s2;
      channelValues[o + 3] = -s3;
    }
    for (; o < outC; o++) {
      const r = o * stride;
      let s = 0;
      for (let t = 0; t < stride; t++) s += Math.abs(patch[t] - wT[r + t]);
      channelValues[o] = -s;
    }
  }

  function backward(): void {
    let o = 0;
    for (; o < blocked; o += 4) {
      const g0 = channelValues[o];
      const g1 = channelValues[o + 1];
      const g2 = channelValues[o + 2];
      const g3 = channelValues[o + 3];
      if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) continue; // e.g. behind a ReLU or max-pool
      const r0 = o * stride;
      const r1 = r0 + stride;
      const r2 = r1 + stride;
      const r3 = r2 + stride;
      for (let t = 0; t < stride; t++) {
        const p = patch[t];
        let d = p - wT[r0 + t];
        const s0 = (+(d > 0) - +(d < 0)) * g0;
        d = p - wT[r1 + t];
        const s1 = (+(d > 0) - +(d < 0)) * g1;
        d = p - wT[r2 + t];
        const s2 = (+(d > 0) - +(d < 0)) * g2;
        d = p - wT[r3 + t];
        const s3 = (+(d > 0) - +(d < 0)) * g3;
        dPatch[t] -= s0 + s1 + s2 + s3;
        dwT[r0 + t] += s0;
        dwT[r1 + t] += s1;
        dwT[r2 + t] += s2;
        dwT[r3 + t] += s3;
      }
    }
    for (; o < outC; o++) {
      const g = channelValues[o];
      if (g === 0) continue;
      const r = o * stride;
      for (let t = 0; t < stride; t++) {
        const d = patch[t] - wT[r + t];
        const s = (+(d > 0) - +(d < 0)) * g;
        dPatch[t] -= s;
        dwT[r + t] += s;
      }
    }
  }

  return { stride, patch, dPatch, wT, dwT, channelValues, forward, backward };
}
