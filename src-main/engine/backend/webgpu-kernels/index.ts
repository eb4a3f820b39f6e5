// This project's webgpu kernels, registered over tfjs-backend-webgpu 4.22's (see
// research/webgpu-kernels.md for why each is replaced), and the dispatch runtime
// they and tfjs's own programs record through.
import * as tf from '@tensorflow/tfjs';
import { batchNormKernels } from './batch-norm';
import { elementwiseGradKernels } from './elementwise-grads';
import { gemmKernels } from './gemm-kernels';
import { optimizerKernels } from './optimizer';
import { responseConvKernels } from './response-conv';
import { installDispatchRuntime, type DispatchSettings, type WebGpuBackendInternals } from './runtime';

type KernelConfig = Parameters<typeof tf.registerKernel>[0];

let registered: KernelConfig[] | null = null;

/**
 * Registers the kernels (once per process) and installs the dispatch runtime on
 * the current webgpu backend. `tfjsGemm` (measurements only) keeps tfjs's own
 * convolution and matmul kernels, with its naive or its MM input-gradient program.
 */
export function setUpWebGpuKernels(settings: Partial<DispatchSettings> = {}, tfjsGemm?: 'naive' | 'mm'): void {
  if (!registered) {
    if (tfjsGemm) tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', tfjsGemm === 'naive');
    registered = [...(tfjsGemm ? [] : gemmKernels()), ...batchNormKernels(), ...optimizerKernels(), ...elementwiseGradKernels(), ...responseConvKernels()];
    for (const kernel of registered) {
      // tfjs's own kernel of that name, if any, is replaced (gemm-kernels.ts keeps it as its fallback).
      if (tf.getKernel(kernel.kernelName, kernel.backendName)) tf.unregisterKernel(kernel.kernelName, kernel.backendName);
      tf.registerKernel(kernel);
    }
  }
  installDispatchRuntime(tf.backend() as unknown as WebGpuBackendInternals, settings);
}
