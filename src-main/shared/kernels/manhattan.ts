import { defineKernel } from './define';

export const manhattan = defineKernel({ type: 'manhattan', formula: '−‖p − w‖₁', params: {} });
