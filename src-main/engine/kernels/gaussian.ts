import { fusesResponse, gaussianConv2d, gaussianOf, GAUSSIAN_CONV2D } from '../ops/response-conv2d';
import { LOG, SQUARED_EUCLIDEAN_MEDIAN, type KernelImplementation } from './kernel-implementation';

export const gaussian: KernelImplementation<'gaussian'> = {
  // −γ, not −d: the sign flips one value per channel instead of the whole response (and its gradient).
  // On webgpu (and the cpu reference) the response is the convolution's epilogue: one kernel.
  forward: (terms, { gamma }) =>
    fusesResponse(GAUSSIAN_CONV2D, terms.geometry.dilation)
      ? gaussianConv2d(terms.x, terms.w, terms.convAttrs(), terms.patchSquaredNorm(), terms.filterSquaredNorm(), gamma)
      : gaussianOf(terms.squaredDistance(), gamma),
  reparametrisation: { gamma: LOG('log_gamma') }, // γ = exp(log_gamma) > 0
  init: { kind: 'templates' },
  auto: { gamma: SQUARED_EUCLIDEAN_MEDIAN }, // γ = 1 / median ‖p − w‖²
};
