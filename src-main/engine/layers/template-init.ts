// Filter initialisation for the distance kervolutions (gaussian exp(−γ‖p − w‖²),
// euclidean −‖p − w‖², manhattan −‖p − w‖₁), whose filters are templates compared
// with the patch, not directions projected onto it.
//
// A variance-scaled random filter (He: w ≈ 0) is the wrong template: ‖p − w‖² ≈ ‖p‖²
// for every output channel, so all channels start identical, and for the gaussian
// with the spec's γ = 1 on unit-scale inputs exp(−‖p‖²) ≈ e^−25 (5×5 patch) or
// e^−150 (5×5×6): dead units, no gradient. A random template at the input's scale
// (w ~ N(0, 1)) is no better: white noise is far from every real patch.
//
// Real patches are locally smooth, so each template starts spatially flat: one level
// per input channel, the same at every kernel position, w[i, j, c, o] = v[c, o] with
// v ~ N(0, levelStd²), plus a small per-element jitter. Against a patch p the squared
// distance is then Σ_c n_c·(within-patch variance + (patch mean − v)²): near zero on
// flat regions at the template's level, so each channel starts as a detector of a
// different intensity band (different v per channel: no symmetry), and the gradient
// 2γ(p − w)·k reaches the filters wherever they fire.
import * as tf from '@tensorflow/tfjs';

export interface FlatTemplateConfig {
  /** Standard deviation of the per-channel levels v; the scale of the layer's input. */
  levelStd?: number;
  /** Standard deviation of the per-element jitter added to the flat template. */
  jitterStd?: number;
}

export class FlatTemplate extends tf.serialization.Serializable {
  static className = 'FlatTemplate';
  readonly levelStd: number;
  readonly jitterStd: number;

  constructor(config: FlatTemplateConfig = {}) {
    super();
    this.levelStd = config.levelStd ?? 1;
    this.jitterStd = config.jitterStd ?? 0;
    if (!(this.levelStd >= 0) || !(this.jitterStd >= 0)) {
      throw new Error(`FlatTemplate levelStd and jitterStd must be ≥ 0, got ${this.levelStd}, ${this.jitterStd}`);
    }
  }

  apply(shape: tf.Shape, dtype?: tf.DataType): tf.Tensor {
    if (shape.length !== 4) throw new Error(`FlatTemplate expects a conv filter shape [kh, kw, inC, outC], got [${shape.join(', ')}]`);
    const [kh, kw, inC, outC] = shape as number[];
    return tf.tidy(() => {
      const levels = tf.randomNormal([1, 1, inC, outC], 0, this.levelStd, dtype === 'int32' ? 'float32' : dtype);
      const flat = tf.tile(levels, [kh, kw, 1, 1]);
      return this.jitterStd > 0 ? tf.add(flat, tf.randomNormal([kh, kw, inC, outC], 0, this.jitterStd)) : flat;
    });
  }

  /** Part of tfjs' Initializer interface: the config holds plain numbers only. */
  fromConfigUsesCustomObjects(): boolean {
    return false;
  }

  getConfig(): tf.serialization.ConfigDict {
    return { levelStd: this.levelStd, jitterStd: this.jitterStd };
  }
}
tf.serialization.registerClass(FlatTemplate);
