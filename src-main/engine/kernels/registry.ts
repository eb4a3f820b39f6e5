// Every declared kernel (shared/kernels/index.ts) with its implementation. The
// mapped type makes a declared kernel without an implementation a compile error.
import { kernelDeclaration, type KernelSpec, type KernelType } from '../../shared/kernels/index';
import { cosine } from './cosine';
import { euclidean } from './euclidean';
import { gaussian } from './gaussian';
import { laplacian } from './laplacian';
import type { KernelImplementation, KernelParam, KervInitialisation, KervTerms, MedianHeuristic, Reparametrisation } from './kernel-implementation';
import { linear } from './linear';
import { manhattan } from './manhattan';
import { polynomial } from './polynomial';
import { sigmoid } from './sigmoid';

const IMPLEMENTATIONS: { [T in KernelType]: KernelImplementation<T> } = {
  linear,
  polynomial,
  gaussian,
  sigmoid,
  manhattan,
  euclidean,
  cosine,
  laplacian,
};

/** An implementation seen without its type parameter, for code that handles any kernel. */
export interface AnyKernelImplementation {
  forward(terms: KervTerms, params: Record<string, KernelParam>): ReturnType<KernelImplementation<KernelType>['forward']>;
  reparametrisation: Record<string, Reparametrisation>;
  init: { kind: 'response'; response: (spec: KernelSpec) => (z: number) => number } | Exclude<KervInitialisation<KernelType>, { kind: 'response' }>;
  auto?: Record<string, MedianHeuristic | undefined>;
  glorotScale?(spec: KernelSpec): number;
}

/** The implementation of a kernel type; throws naming the known types otherwise. */
export function kernelImplementation(type: string): AnyKernelImplementation {
  kernelDeclaration(type); // the message for an unknown type
  return IMPLEMENTATIONS[type as KernelType] as unknown as AnyKernelImplementation;
}

/** What 'auto' means for a kernel's parameter; throws naming the field when it has no 'auto'. */
export function medianHeuristic(type: string, param: string): MedianHeuristic {
  const rule = kernelImplementation(type).auto?.[param];
  if (!rule) throw new Error(`kernel.${param} of a ${type} kernel must be a number, got "auto"`);
  return rule;
}
