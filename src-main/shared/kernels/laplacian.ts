import { defineKernel } from './define';

/** The Laplacian (L1) RBF kernel: the Gaussian's shape with the Manhattan distance. */
export const laplacian = defineKernel({
  type: 'laplacian',
  formula: 'exp(−γ‖p − w‖₁)',
  params: {
    gamma: {
      kind: 'number',
      symbol: 'γ',
      label: 'γ (gamma)',
      help: 'sharpness: a larger γ matches fewer patches',
      default: 'auto', // the median heuristic, as for gaussian
      auto: 'auto = 1 / median ‖p − w‖₁ over data patches and the starting templates, per layer',
      min: { value: 0, exclusive: true },
      learnable: true,
    },
  },
});
