import { defineKernel } from './define';
import { rbfGammaParam } from './rbf-gamma';

/** The Laplacian (L1) RBF kernel: the Gaussian's shape with the Manhattan distance. */
export const laplacian = defineKernel({
  type: 'laplacian',
  formula: 'exp(−γ‖p − w‖₁)',
  params: { gamma: rbfGammaParam('‖p − w‖₁') },
});
