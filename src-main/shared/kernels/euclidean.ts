import { defineKernel } from './define';

export const euclidean = defineKernel({ type: 'euclidean', formula: '−‖p − w‖²', params: {} });
