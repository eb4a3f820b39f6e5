import { defineKernel } from './define';

export const gaussian = defineKernel({
  type: 'gaussian',
  formula: 'exp(−γ‖p − w‖²)',
  params: {
    gamma: { kind: 'number', symbol: 'γ', label: 'γ (gamma)', help: 'sharpness: a larger γ matches fewer patches', default: 1, min: { value: 0, exclusive: true }, learnable: true },
  },
});
