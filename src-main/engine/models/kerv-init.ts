// Initialisation for kervolutions whose response is a function of the inner
// product, k(p, w) = f(pᵀw): polynomial f(z) = (z + c)^d, sigmoid f(z) = tanh(z + c).
//
// He initialisation picks Var(w) = 2/fan_in so that a conv + ReLU keeps the second
// moment of its input: E[relu(z)²] = E[x²] with z = pᵀw. The same condition,
// solved for f instead of the identity, is what keeps a stack of kervolutions
// finite: z ~ N(0, a/fan_in · fan_in · E[x²]) with E[x²] = 1, and we choose a so that
// E[relu(f(z) − f(0))²] = 1. (For f(z) = z this gives a = 2, He exactly.)
//
// The f(0) = c^d offset is subtracted by starting the bias at −f(0) where the
// layer has one; where batch norm follows, its mean subtraction does the same.
// Without that, the offset feeds every next layer a mean of c^d per input and
// the second moment grows with depth even for small weights. Measured here at
// initialisation with polynomial (c = 1, d = 3) kervolutions in every conv, on
// unit-variance inputs: with He weights the logits of the 3-conv convnet reached
// a standard deviation of 7e14 and the 4-conv cifar-cnn overflowed float32; with
// He shrunk by the kernel's squared slope (He/9) but no offset correction,
// cifar-cnn still reached 1e10. With this initialisation both stay at 2–4.
//
// For the default polynomial (c = 1, d = 3) this gives a ≈ 0.088 (vs He's 2): the
// kervolution starts in its near-linear regime, f(z) − 1 ≈ 3z (3² · 0.088 ≈ 0.8,
// close to He's unit slope), so the backward pass keeps its scale too.
import * as tf from '@tensorflow/tfjs';
import type { KernelSpec } from '../../shared/run-config';
import { kernelDeclaration } from '../../shared/kernels/index';
import { kernelImplementation, medianHeuristic } from '../kernels/registry';
import type { MedianHeuristic } from '../kernels/kernel-implementation';
import { KervConv2D } from '../layers/kerv-conv2d-layer';

type Response = (z: number) => number;

/**
 * f for kernels of the form f(pᵀw) (their implementation's init kind 'response');
 * null for the others: the distance kernels and cosine (see engine/kernels/<type>.ts).
 */
export function kernelResponse(kernel: KernelSpec | null): Response | null {
  if (kernel === null) return (z) => z;
  const init = kernelImplementation(kernel.type).init;
  return init.kind === 'response' ? init.response(kernel) : null;
}

const STANDARD_NORMAL_STEPS = 1200;
const STANDARD_NORMAL_RANGE = 12;

/** E[relu(f(√variance · u) − f(0))²] for u ~ N(0, 1), by the trapezoid rule on ±12σ. */
export function reluSecondMoment(f: Response, variance: number): number {
  const scale = Math.sqrt(variance);
  const offset = f(0);
  const h = (2 * STANDARD_NORMAL_RANGE) / STANDARD_NORMAL_STEPS;
  let sum = 0;
  for (let i = 0; i <= STANDARD_NORMAL_STEPS; i++) {
    const u = -STANDARD_NORMAL_RANGE + i * h;
    const y = Math.max(0, f(scale * u) - offset);
    const weight = i === 0 || i === STANDARD_NORMAL_STEPS ? 0.5 : 1;
    sum += weight * y * y * Math.exp(-0.5 * u * u);
  }
  return (sum * h) / Math.sqrt(2 * Math.PI);
}

const HE_SCALE = 2;
const cache = new Map<string, number>();

/**
 * The variance-scaling factor a (Var(w) = a / fan_in) for a kernel, as described
 * above. Never above He's 2: a kernel whose response saturates (sigmoid) cannot
 * reach a unit second moment, and larger weights would only saturate it further.
 * The other kernels keep He: the distance kernels' response depends on ‖p − w‖,
 * cosine's on neither norm, not on the scale of pᵀw alone.
 */
export function kervVarianceScale(kernel: KernelSpec | null): number {
  const f = kernelResponse(kernel);
  if (!f) return HE_SCALE;
  const key = JSON.stringify(kernel);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let result = HE_SCALE;
  if (reluSecondMoment(f, HE_SCALE) > 1) {
    // The moment grows with the variance: bisect on log a between 1e-8 and He.
    let lo = Math.log(1e-8);
    let hi = Math.log(HE_SCALE);
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (reluSecondMoment(f, Math.exp(mid)) > 1) hi = mid;
      else lo = mid;
    }
    result = Math.exp((lo + hi) / 2);
  }
  cache.set(key, result);
  return result;
}

/** The starting bias that removes the kernel's response at zero, −f(0). */
export function kervBiasOffset(kernel: KernelSpec | null): number {
  const f = kernelResponse(kernel);
  const offset = f ? f(0) : 0;
  return offset === 0 ? 0 : -offset;
}

// ---------------------------------------------------------------------------
// Distance kernels (init kind 'templates' in engine/kernels/<type>.ts): gaussian
// exp(−γ‖p − w‖²), euclidean −‖p − w‖², manhattan −‖p − w‖₁, ... Their filters are templates compared with the patch, and He filters
// (w ≈ 0) are the wrong templates. Measured at initialisation on held-out
// Fashion-MNIST images (LeNet-5, γ = 1): every channel is ≈ exp(−γ‖p‖²)·exp(−γ‖w‖²),
// so the channels are near copies (mean correlation between channel maps 0.92 in
// conv1, 0.99 in conv2) with a small signal (std 0.01–0.05); euclidean and
// manhattan start at −25…−150 and saturate the tanh that follows. A data-free
// template does not fix it: spatially flat templates at N(0, 1) levels, tried
// here, left conv2 dead (its input's scale, ≈ 0.1, is unknown before data has
// passed through conv1) and trained to 10%.
//
// So these layers start from the data, as RBF centres usually do: each filter is
// a real patch of the layer's own input on a batch of training images, chosen by
// k-means++ seeding (each next one with probability ∝ squared distance to the
// nearest already chosen) so the channels are spread over the patch distribution
// instead of repeating the commonest (background) patch. Layers are set in graph
// order, so a later one samples what the earlier, already-set ones produce. The
// bias (if any) then starts at minus the layer's mean output on that batch, the
// data-measured counterpart of the polynomial's −c^d above: the tanh/ReLU after it
// sees a centred signal. γ is untouched when the config gives a number; 'auto'
// (the default) sets it here by the median heuristic (chooseAutoParameters).
// After it the channel correlations are −0.01 (conv1) and 0.63 (conv2). 1 epoch, 10 000 images, Fashion-MNIST LeNet-5, test accuracy He → this:
// gaussian γ = 1 12% → 70%, γ = 0.1 57% → 73%, γ = 0.02 52% → 72%; euclidean
// 10% → 72%; manhattan 10% → 63%; linear convolutions 79%. At γ = 1 a template
// on a 25- or 150-value patch matches few patches (exp(−‖p − w‖²) is tiny unless
// p ≈ w), which is what keeps it below the smaller γ.

/** Patches drawn per layer before k-means++ picks the filters among them. */
const CANDIDATE_PATCHES = 512;

function isDistanceKervolution(layer: tf.layers.Layer): layer is KervConv2D {
  return layer instanceof KervConv2D && kernelImplementation(layer.kernelSpec.type).init.kind === 'templates';
}

/** Whether the model has a distance kervolution (one whose filters start as data templates). */
export function hasDistanceKervolution(model: tf.LayersModel): boolean {
  return model.layers.some(isDistanceKervolution);
}

/**
 * count patches of x [N, H, W, C] at random valid positions (with the layer's
 * dilation), as rows [count, kh·kw·C]; every patch once, in order, when x has no
 * more than count of them (nothing to gain from sampling with replacement).
 */
async function randomPatches(x: tf.Tensor4D, layer: KervConv2D, count: number, random: () => number): Promise<Float32Array> {
  const [kh, kw] = layer.kernelSize;
  const [dh, dw] = layer.dilationRate;
  const [n, h, w, c] = x.shape;
  const spanH = (kh - 1) * dh + 1;
  const spanW = (kw - 1) * dw + 1;
  if (h < spanH || w < spanW) throw new Error(`layer ${layer.name}: its input is ${h}×${w}, smaller than its ${spanH}×${spanW} filter`);
  const [rowsH, rowsW] = [h - spanH + 1, w - spanW + 1];
  const positions = n * rowsH * rowsW;
  const position = (k: number): [number, number, number] =>
    positions <= count ? [Math.floor(k / (rowsH * rowsW)), Math.floor(k / rowsW) % rowsH, k % rowsW] : [Math.floor(random() * n), Math.floor(random() * rowsH), Math.floor(random() * rowsW)];
  const rows = tf.tidy(() => {
    const picked: tf.Tensor[] = [];
    for (let k = 0; k < Math.min(count, positions); k++) {
      const [b, i, j] = position(k);
      const window = tf.slice(x, [b, i, j, 0], [1, spanH, spanW, c]);
      picked.push(tf.reshape(tf.stridedSlice(window, [0, 0, 0, 0], [1, spanH, spanW, c], [1, dh, dw, 1]), [1, kh * kw * c]));
    }
    return tf.concat(picked, 0);
  });
  // An async read: a synchronous one throws on the webgpu backend in Node.
  const values = (await rows.data()) as Float32Array;
  rows.dispose();
  return values;
}

/** k-means++ seeding: k row indices, each next drawn with probability ∝ squared distance to the nearest chosen. */
export function kMeansPlusPlusRows(rows: Float32Array, dim: number, k: number, random: () => number): number[] {
  const count = rows.length / dim;
  const nearest = new Float64Array(count).fill(Infinity);
  const chosen = [Math.floor(random() * count)];
  while (chosen.length < k) {
    const last = chosen[chosen.length - 1];
    let total = 0;
    for (let r = 0; r < count; r++) {
      let d = 0;
      for (let e = 0; e < dim; e++) d += (rows[r * dim + e] - rows[last * dim + e]) ** 2;
      nearest[r] = Math.min(nearest[r], d);
      total += nearest[r];
    }
    let pick = Math.floor(random() * count); // every row already chosen or equal: any will do
    if (total > 0) {
      let target = random() * total;
      for (let r = 0; r < count && target > 0; r++) {
        target -= nearest[r];
        if (target <= 0) pick = r;
      }
    }
    chosen.push(pick);
  }
  return chosen;
}

/** The layer's filter [kh, kw, C, filters] (k-means++-spread patches of its input x) and the candidate patches it was picked from. */
async function templateFilter(x: tf.Tensor4D, layer: KervConv2D, random: () => number): Promise<{ filter: tf.Tensor4D; rows: Float32Array; picked: number[]; dim: number }> {
  const [kh, kw] = layer.kernelSize;
  const channels = x.shape[3];
  const dim = kh * kw * channels;
  const rows = await randomPatches(x, layer, Math.max(CANDIDATE_PATCHES, layer.filters), random);
  const picked = kMeansPlusPlusRows(rows, dim, layer.filters, random);
  const filter = new Float32Array(dim * layer.filters);
  picked.forEach((row, o) => {
    for (let e = 0; e < dim; e++) filter[e * layer.filters + o] = rows[row * dim + e];
  });
  return { filter: tf.tensor4d(filter, [kh, kw, channels, layer.filters]), rows, picked, dim };
}

/** The median of values (the mean of the two middle ones for an even count); NaN when empty. */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * The median distance between every candidate patch and every drawn template
 * (a template and the candidate it was copied from excluded: that distance is 0
 * by construction, not a property of the data).
 */
export function medianTemplateDistance(rows: Float32Array, dim: number, picked: number[], distance: MedianHeuristic['distance']): number {
  const count = rows.length / dim;
  const distances: number[] = [];
  for (const template of picked) {
    for (let r = 0; r < count; r++) if (r !== template) distances.push(distance(rows, r * dim, template * dim, dim));
  }
  return median(distances);
}

/** A value 'auto' chose for one parameter of one layer. */
export interface AutoChoice {
  param: string;
  /** Its symbol in labels (γ). */
  symbol: string;
  value: number;
  /** The median distance it is 1 / of. */
  median: number;
  /** True when the data gave no distance (every patch alike): the data-free value was kept. */
  dataFree: boolean;
}

/** What the data-dependent start did to one layer. */
export interface TemplateStart {
  layer: string;
  /** One entry per parameter the spec left to the data ('auto'). */
  auto: AutoChoice[];
}

/** Sets the layer's 'auto' parameters by the median heuristic over its candidate patches and templates. */
function chooseAutoParameters(layer: KervConv2D, rows: Float32Array, dim: number, picked: number[]): AutoChoice[] {
  return layer.autoKernelParameters().map((param) => {
    const rule = medianHeuristic(layer.kernelSpec.type, param);
    const m = medianTemplateDistance(rows, dim, picked, rule.distance);
    const dataFree = !(m > 0 && Number.isFinite(m));
    const value = 1 / (dataFree ? rule.expectedUnitDistance(dim) : m);
    layer.setKernelParameter(param, value);
    return { param, symbol: kernelDeclaration(layer.kernelSpec.type).params[param].symbol, value, median: m, dataFree };
  });
}

/** Sets the layer's bias to minus its mean output on x (its bias must be zero while measuring). */
function centreBias(layer: KervConv2D, x: tf.Tensor4D): void {
  const [kernel, bias, ...rest] = layer.getWeights();
  const zeroBias = tf.zerosLike(bias);
  layer.setWeights([kernel, zeroBias, ...rest]);
  const negMean = tf.tidy(() => tf.neg(tf.mean(layer.apply(x) as tf.Tensor, [0, 1, 2])));
  layer.setWeights([kernel, negMean, ...rest]);
  tf.dispose([zeroBias, negMean]);
}

/**
 * Data-dependent start for the distance kervolutions (see above), on a batch x of
 * training images as the model takes them. Every other layer is left as built.
 * A parameter the spec leaves to the data ('auto', the gaussian/laplacian γ by
 * default) is chosen here, per layer, before the bias is centred and before the
 * next layer samples this one's output. `random` draws the patches (pass a
 * seeded generator for reproducible runs). Returns what it did, layer by layer.
 */
export async function initDistanceKervolutions(model: tf.LayersModel, x: tf.Tensor4D, random: () => number): Promise<TemplateStart[]> {
  const done: TemplateStart[] = [];
  for (const layer of model.layers) {
    if (!isDistanceKervolution(layer)) continue;
    const probe = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
    const input = probe.predict(x) as tf.Tensor4D;
    const { filter, rows, picked, dim } = await templateFilter(input, layer, random);
    const [, ...rest] = layer.getWeights();
    layer.setWeights([filter, ...rest]);
    const auto = chooseAutoParameters(layer, rows, dim, picked);
    if (layer.useBias) centreBias(layer, input);
    tf.dispose([input, filter]);
    done.push({ layer: layer.name, auto });
  }
  return done;
}

/** "conv1: γ = 0.0213 (1 / median distance 46.9)": one line per layer for the run's log. */
export function describeTemplateStart(start: TemplateStart): string | null {
  if (start.auto.length === 0) return null;
  const parts = start.auto.map(({ symbol, value, median: m, dataFree }) =>
    `${symbol} = ${value.toPrecision(3)} (${dataFree ? 'no spread in the data patches: the data-free value' : `1 / median distance ${m.toPrecision(3)}`})`,
  );
  return `${start.layer}: ${parts.join(', ')}`;
}
