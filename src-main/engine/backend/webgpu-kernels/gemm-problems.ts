// The products of a training step as GEMM problems (gemm.ts), for NHWC tensors and
// [kh, kw, inC, outC] filters:
//   forward conv      C[b·oh·ow][oc]   = Σ_{kh,kw,c}  x[b, oh·s − p + kh·d, ow·s − p + kw·d, c] · w[kh, kw, c, oc]
//   input gradient    C[b·ih·iw][c]    = Σ_{kh,kw,oc} dy[b, (ih + p − kh·d)/s, (iw + p − kw·d)/s, oc] · w[kh, kw, c, oc]
//                                        (terms whose division is not exact, or falls outside dy, are 0)
//   filter gradient   C[kh·kw·c][oc]   = Σ_{b,oh,ow}  x[b, oh·s − p + kh·d, ow·s − p + kw·d, c] · dy[b, oh, ow, oc]
//   matmul            C[z][m][n]       = Σ_k a[z][m][k] · b[z][k][n], either operand transposed or broadcast over z
// Each loader reads 4 elements at once (vec4) where the axis it walks is a multiple of 4 long.
import * as tf from '@tensorflow/tfjs';
import type { GemmBinding, GemmEpilogue, GemmOperand, GemmProblem } from './gemm';
import type { TensorInfo, UniformType } from './runtime';

type ConvInfo = tf.backend_util.Conv2DInfo;

const zero = (vec: 1 | 4) => (vec === 4 ? 'vec4<f32>(0.0)' : 'f32(0.0)');
const index = (expression: string, vec: 1 | 4) => (vec === 4 ? `(${expression}) / 4` : expression);
const binding = (name: string, vec: 1 | 4, tensor: TensorInfo): GemmBinding & { tensor: TensorInfo } => ({ name, vec, tensor });
const vecIf = (divisible: boolean): 1 | 4 => (divisible ? 4 : 1);

function convUniforms(info: ConvInfo): Record<string, [UniformType, number]> {
  return {
    inH: ['i32', info.inHeight],
    inW: ['i32', info.inWidth],
    inC: ['i32', info.inChannels],
    outH: ['i32', info.outHeight],
    outW: ['i32', info.outWidth],
    outC: ['i32', info.outChannels],
    KW: ['i32', info.filterWidth],
    strideH: ['i32', info.strideHeight],
    strideW: ['i32', info.strideWidth],
    padTop: ['i32', info.padInfo.top],
    padLeft: ['i32', info.padInfo.left],
    dilH: ['i32', info.dilationHeight],
    dilW: ['i32', info.dilationWidth],
  };
}

/** x's element for output row `row` = (b, oh, ow) and filter tap (kh, kw, c): 0 in the padding. Sets `value`. */
function gatherInput(vec: 1 | 4, row: string, kh: string, kw: string, c: string): string {
  return `
  let b = ${row} / (u.outH * u.outW); let r = ${row} - b * u.outH * u.outW; let oh = r / u.outW; let ow = r - oh * u.outW;
  let ih = oh * u.strideH - u.padTop + ${kh} * u.dilH;
  let iw = ow * u.strideW - u.padLeft + ${kw} * u.dilW;
  if (ih < 0 || ih >= u.inH || iw < 0 || iw >= u.inW) { return ${zero(vec)}; }
  return X[${index(`((b * u.inH + ih) * u.inW + iw) * u.inC + ${c}`, vec)}];`;
}

/** An operand stored row-major as [K][N] (a filter seen as [kh·kw·inC][outC], or dy as [b·oh·ow][outC]). */
function rowMajorKN(name: string, vec: 1 | 4): GemmOperand {
  return {
    contiguous: 'mn',
    vec,
    body: `
  if (mn >= u.N || k >= kEnd) { return ${zero(vec)}; }
  return ${name}[${index('k * u.N + mn', vec)}];`,
  };
}

/** A convolution's product: the conv's geometry as uniforms, no batch of products. */
function convProblem(
  key: string,
  info: ConvInfo,
  [m, n, k]: [number, number, number],
  [a, b]: [GemmOperand, GemmOperand],
  inputs: GemmProblem['inputs'],
  epilogue: GemmEpilogue,
  splitK: boolean,
): GemmProblem {
  return { key, m, n, k, batch: 1, a, b, inputs, uniforms: convUniforms(info), epilogue, splitK };
}

/**
 * x gathered as a GEMM operand: one index is the output position (b, oh, ow), the
 * other the filter tap (kh, kw, c), contiguous along c. The forward product walks
 * taps along k; the filter gradient walks positions along k and taps along m.
 */
function inputPatches(vec: 1 | 4, taps: 'k' | 'mn'): GemmOperand {
  const [row, tap] = taps === 'k' ? ['mn', 'k'] : ['k', 'mn'];
  return {
    contiguous: taps,
    vec,
    body: `
  if (mn >= u.M || k >= kEnd) { return ${zero(vec)}; }
  let kh = ${tap} / (u.KW * u.inC); let rt = ${tap} - kh * u.KW * u.inC; let kw = rt / u.inC; let c = rt - kw * u.inC;${gatherInput(vec, row, 'kh', 'kw', 'c')}`,
  };
}

/** y = x ⋆ w (NHWC, any stride, padding, dilation): M = batch·outH·outW, N = outC, K = kh·kw·inC. */
export function convForwardProblem(x: TensorInfo, w: TensorInfo, info: ConvInfo, epilogue: GemmEpilogue): GemmProblem {
  const av = vecIf(info.inChannels % 4 === 0);
  const bv = vecIf(info.outChannels % 4 === 0);
  const dims: [number, number, number] = [info.batchSize * info.outHeight * info.outWidth, info.outChannels, info.filterHeight * info.filterWidth * info.inChannels];
  return convProblem(`convfwd_${av}${bv}`, info, dims, [inputPatches(av, 'k'), rowMajorKN('W', bv)], [binding('X', av, x), binding('W', bv, w)], epilogue, false);
}

/** dx = ∂L/∂x from dy and w: M = batch·inH·inW, N = inC, K = kh·kw·outC. */
export function convInputGradientProblem(dy: TensorInfo, w: TensorInfo, info: ConvInfo, epilogue: GemmEpilogue): GemmProblem {
  const v = vecIf(info.outChannels % 4 === 0);
  const tap = 'let kh = k / (u.KW * u.outC); let r2 = k - kh * u.KW * u.outC; let kw = r2 / u.outC; let oc = r2 - kw * u.outC;';
  const a: GemmOperand = {
    contiguous: 'k',
    vec: v,
    body: `
  if (mn >= u.M || k >= kEnd) { return ${zero(v)}; }
  let b = mn / (u.inH * u.inW); let r = mn - b * u.inH * u.inW; let ih = r / u.inW; let iw = r - ih * u.inW;
  ${tap}
  let th = ih + u.padTop - kh * u.dilH;
  let tw = iw + u.padLeft - kw * u.dilW;
  if (th < 0 || tw < 0) { return ${zero(v)}; }
  let oh = th / u.strideH; let ow = tw / u.strideW;
  if (oh * u.strideH != th || ow * u.strideW != tw || oh >= u.outH || ow >= u.outW) { return ${zero(v)}; }
  return DY[${index('((b * u.outH + oh) * u.outW + ow) * u.outC + oc', v)}];`,
  };
  // w[kh][kw][c][oc] read as B(k = (kh, kw, oc), n = c): contiguous along oc, so along k.
  const b: GemmOperand = {
    contiguous: 'k',
    vec: v,
    body: `
  if (mn >= u.N || k >= kEnd) { return ${zero(v)}; }
  ${tap}
  return W[${index('((kh * u.KW + kw) * u.N + mn) * u.outC + oc', v)}];`,
  };
  const dims: [number, number, number] = [info.batchSize * info.inHeight * info.inWidth, info.inChannels, info.filterHeight * info.filterWidth * info.outChannels];
  return convProblem(`convdx_${v}`, info, dims, [a, b], [binding('DY', v, dy), binding('W', v, w)], epilogue, false);
}

/** dw = ∂L/∂w from x and dy: M = kh·kw·inC, N = outC, K = batch·outH·outW (long: split over workgroups). */
export function convFilterGradientProblem(x: TensorInfo, dy: TensorInfo, info: ConvInfo, epilogue: GemmEpilogue): GemmProblem {
  const av = vecIf(info.inChannels % 4 === 0);
  const bv = vecIf(info.outChannels % 4 === 0);
  const dims: [number, number, number] = [info.filterHeight * info.filterWidth * info.inChannels, info.outChannels, info.batchSize * info.outHeight * info.outWidth];
  return convProblem(`convdw_${av}${bv}`, info, dims, [inputPatches(av, 'mn'), rowMajorKN('DY', bv)], [binding('X', av, x), binding('DY', bv, dy)], epilogue, true);
}

export interface MatMulShape {
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** c[z] = op(a[z]) · op(b[z]), a batch of 1 broadcast over the other's. */
export function matMulProblem(a: TensorInfo, b: TensorInfo, s: MatMulShape, epilogue: GemmEpilogue): GemmProblem {
  const av = vecIf((s.transposeA ? s.m : s.k) % 4 === 0);
  const bv = vecIf((s.transposeB ? s.k : s.n) % 4 === 0);
  const A: GemmOperand = {
    contiguous: s.transposeA ? 'mn' : 'k',
    vec: av,
    body: `
  if (mn >= u.M || k >= kEnd) { return ${zero(av)}; }
  let zb = select(z, 0, u.batchA == 1);
  return A[${index(s.transposeA ? '(zb * u.K + k) * u.M + mn' : '(zb * u.M + mn) * u.K + k', av)}];`,
  };
  const B: GemmOperand = {
    contiguous: s.transposeB ? 'k' : 'mn',
    vec: bv,
    body: `
  if (mn >= u.N || k >= kEnd) { return ${zero(bv)}; }
  let zb = select(z, 0, u.batchB == 1);
  return B[${index(s.transposeB ? '(zb * u.N + mn) * u.K + k' : '(zb * u.K + k) * u.N + mn', bv)}];`,
  };
  return {
    key: `matmul_${s.transposeA ? 't' : 'n'}${s.transposeB ? 't' : 'n'}${av}${bv}`,
    m: s.m,
    n: s.n,
    k: s.k,
    batch: s.batch,
    a: A,
    b: B,
    inputs: [binding('A', av, a), binding('B', bv, b)],
    uniforms: { batchA: ['i32', s.batchA], batchB: ['i32', s.batchB] },
    epilogue,
    splitK: true,
  };
}
