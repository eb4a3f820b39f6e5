import { defineKernel } from './define';

export const polynomial = defineKernel({
  type: 'polynomial',
  formula: '(pᵀw + c)^d',
  params: {
    c: { kind: 'number', symbol: 'c', label: 'c', help: 'offset added to pᵀw', default: 1, min: { value: 0 }, learnable: true },
    // Not learnable: pᵀw + c can be negative, and a real exponent of a negative base
    // is undefined (NaN), its gradient through log(base) too. d stays an integer.
    d: { kind: 'integer', symbol: 'd', label: 'Degree d', help: 'degree', default: 3, min: { value: 1 }, max: 10, learnable: false },
  },
});
