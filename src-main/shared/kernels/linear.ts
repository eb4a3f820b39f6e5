import { defineKernel } from './define';

/** The ordinary convolution: the baseline every kervolution is compared with. */
export const linear = defineKernel({ type: 'linear', formula: 'pᵀw', params: {} });
