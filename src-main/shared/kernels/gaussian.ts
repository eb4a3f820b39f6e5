import { defineKernel } from './define';

export const gaussian = defineKernel({
  type: 'gaussian',
  formula: 'exp(−γ‖p − w‖²)',
  params: {
    gamma: {
      kind: 'number',
      symbol: 'γ',
      label: 'γ (gamma)',
      help: 'sharpness: a larger γ matches fewer patches',
      // The median heuristic: γ = 1 at 25–150 normalised values per patch makes almost
      // every response ≈ 0 (docs/GAUSSIAN-INVESTIGATION.md: 69.4 % vs 73.0 %, LeNet-5).
      default: 'auto',
      auto: 'auto = 1 / median ‖p − w‖² over data patches and the starting templates, per layer',
      min: { value: 0, exclusive: true },
      learnable: true,
    },
  },
});
