// The computational half of a kernel (the declarative half is shared/kernels/<type>.ts):
// its response computed from shared, memoised terms of the convolution, how each
// learnable parameter is stored as a weight, and how a layer carrying it starts.
// One file per kernel (engine/kernels/<type>.ts), registered in registry.ts.
import * as tf from '@tensorflow/tfjs';
import type { KernelSpecOf, KernelType, LearnableParamOf, ParamOf } from '../../shared/kernels/index';
import { convolve, type ConvGeometry } from './conv-geometry';
import { manhattanConv2d } from './manhattan-conv2d';
import { squaredDistanceOf, type ResponseConvAttrs } from '../ops/response-conv2d';

/** A kernel parameter: a number, or a tensor that is a scalar or has one value per output channel [outC]. */
export type KernelParam = number | tf.Tensor;

/** The parameters an op receives, defaulted and checked: learnable ones may be tensors. */
export type OpParams<T extends KernelType> = { [K in ParamOf<T>]: K extends LearnableParamOf<T> ? KernelParam : number };

/**
 * The pieces kernels are built from, each computed at most once per call and
 * never as materialised patches:
 *   pᵀw        = conv(x, w)
 *   ‖p‖²       = conv(Σ_c x², ones)      (one output channel: cheap)
 *   ‖w‖²       = Σ w²                    (per output channel)
 *   ‖p − w‖²   = ‖p‖² − 2 pᵀw + ‖w‖², clamped at 0 against rounding
 *   −‖p − w‖₁  no convolution form: manhattan-conv2d.ts
 * Call inside tf.tidy (kervConv2d does): intermediates are not disposed here.
 */
export class KervTerms {
  private linear: tf.Tensor4D | null = null;
  private patchNorm: tf.Tensor4D | null = null;
  private filterNorm: tf.Tensor1D | null = null;
  private distance2: tf.Tensor4D | null = null;
  private distance1: tf.Tensor4D | null = null;

  constructor(
    readonly x: tf.Tensor4D,
    readonly w: tf.Tensor4D,
    readonly geometry: ConvGeometry,
  ) {}

  /** pᵀw, [batch, outH, outW, outC]. */
  lin(): tf.Tensor4D {
    return (this.linear ??= convolve(this.x, this.w, this.geometry));
  }

  /** ‖p‖² for every output position, [batch, outH, outW, 1]. */
  patchSquaredNorm(): tf.Tensor4D {
    const g = this.geometry;
    return (this.patchNorm ??= convolve(tf.sum(tf.square(this.x), 3, true) as tf.Tensor4D, tf.ones([g.kh, g.kw, 1, 1]) as tf.Tensor4D, g));
  }

  /** ‖w_o‖² per output channel, [outC]. */
  filterSquaredNorm(): tf.Tensor1D {
    return (this.filterNorm ??= tf.sum(tf.square(this.w), [0, 1, 2]) as tf.Tensor1D);
  }

  /** ‖p − w‖², [batch, outH, outW, outC]. */
  squaredDistance(): tf.Tensor4D {
    return (this.distance2 ??= squaredDistanceOf(this.lin(), this.patchSquaredNorm(), this.filterSquaredNorm()));
  }

  /** Strides and explicit padding of an undilated tf.conv2d with this geometry (the fused response ops, ops/response-conv2d.ts). */
  convAttrs(): ResponseConvAttrs {
    const g = this.geometry;
    return { strides: g.strides, pad: [[0, 0], [g.padTop, g.padBottom], [g.padLeft, g.padRight], [0, 0]] };
  }

  /** −‖p − w‖₁ (negated, as the manhattan kernel responds), [batch, outH, outW, outC]. */
  negatedManhattanDistance(): tf.Tensor4D {
    return (this.distance1 ??= manhattanConv2d(this.x, this.w, this.geometry));
  }
}

/**
 * How a learnable parameter is stored as a layer weight so that it stays in
 * range whatever step the optimiser takes (a constraint would be enforced only
 * by model.fit, not by a custom training loop).
 */
export interface Reparametrisation {
  /** The layer weight's name; part of saved models, so never renamed. */
  weightName: string;
  /** The weight's starting value for a parameter value. */
  toRaw(value: number): number;
  /** The parameter from the weight. */
  fromRaw(raw: tf.Tensor): tf.Tensor;
}

export const IDENTITY = (weightName: string): Reparametrisation => ({ weightName, toRaw: (v) => v, fromRaw: (raw) => raw });
/** value = exp(raw) > 0. */
export const LOG = (weightName: string): Reparametrisation => ({ weightName, toRaw: Math.log, fromRaw: (raw) => tf.exp(raw) });

/**
 * How a kervolution carrying the kernel starts (engine/models/kerv-init.ts):
 *   'response'   k = f(pᵀw): weights scaled so f keeps the signal's second moment,
 *                bias at −f(0);
 *   'templates'  a distance kernel: its filters start as patches of the data;
 *   'he'         neither: scale-free in w (cosine), He weights as a conv.
 */
export type KervInitialisation<T extends KernelType> =
  | { kind: 'response'; response: (spec: KernelSpecOf<T>) => (z: number) => number }
  | { kind: 'templates' }
  | { kind: 'he' };

/**
 * What 'auto' means for a bandwidth-like parameter (declared with `auto` in
 * shared/kernels/<type>.ts): the median heuristic, the usual rule for RBF kernels.
 * When a layer's templates are drawn from data (engine/models/kerv-init.ts), the
 * value is 1 / the median distance between the candidate data patches and the
 * drawn templates, so a typical patch sits at exp(−1) of a template's peak.
 * Without data (a layer built on its own, the op called directly) it is 1 / the
 * expected distance between two independent patches of unit-variance values —
 * what the heuristic gives on normalised data with independent pixels.
 */
export interface MedianHeuristic {
  /** The distance between rows a and b of length dim (offsets in values). */
  distance(values: Float32Array, a: number, b: number, dim: number): number;
  /** The expected distance between two patches of dim independent N(0, 1) values. */
  expectedUnitDistance(dim: number): number;
}

/** ‖p − w‖²: for p, w ~ N(0, I_dim) independent, p − w ~ N(0, 2I), so E = 2·dim. */
export const SQUARED_EUCLIDEAN_MEDIAN: MedianHeuristic = {
  distance(values, a, b, dim) {
    let d = 0;
    for (let e = 0; e < dim; e++) d += (values[a + e] - values[b + e]) ** 2;
    return d;
  },
  expectedUnitDistance: (dim) => 2 * dim,
};

/** ‖p − w‖₁: E|u| = √2·√(2/π) = 2/√π for u ~ N(0, 2), so E = 2·dim/√π. */
export const MANHATTAN_MEDIAN: MedianHeuristic = {
  distance(values, a, b, dim) {
    let d = 0;
    for (let e = 0; e < dim; e++) d += Math.abs(values[a + e] - values[b + e]);
    return d;
  },
  expectedUnitDistance: (dim) => (2 * dim) / Math.sqrt(Math.PI),
};

export interface KernelImplementation<T extends KernelType> {
  /** The response for every output position and channel, [batch, outH, outW, outC]. */
  forward(terms: KervTerms, params: OpParams<T>): tf.Tensor4D;
  /** One entry per learnable parameter of the declaration. */
  reparametrisation: { [K in LearnableParamOf<T>]: Reparametrisation };
  init: KervInitialisation<T>;
  /** For each parameter declared with `auto`: how its value is chosen (1 / a median distance). */
  auto?: { [K in LearnableParamOf<T>]?: MedianHeuristic };
  /** Multiplier of glorotUniform's variance for a KervConv2D used on its own (default 1). */
  glorotScale?(spec: KernelSpecOf<T>): number;
}
