import { defineKernel } from './define';

export const cosine = defineKernel({ type: 'cosine', formula: 'pᵀw / (‖p‖·‖w‖)', params: {} });
