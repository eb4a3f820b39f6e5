import { defineKernel } from './define';

export const sigmoid = defineKernel({
  type: 'sigmoid',
  formula: 'tanh(pᵀw + c)',
  params: {
    c: { kind: 'number', symbol: 'c', label: 'c', help: 'offset added to pᵀw', default: 0, learnable: true },
  },
});
