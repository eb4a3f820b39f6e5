import { defineKernel } from './define';
import { rbfGammaParam } from './rbf-gamma';

export const gaussian = defineKernel({
  type: 'gaussian',
  formula: 'exp(−γ‖p − w‖²)',
  params: { gamma: rbfGammaParam('‖p − w‖²') },
});
