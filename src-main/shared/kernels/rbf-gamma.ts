import type { KernelParamDeclaration } from './define';

/**
 * γ of a radial kernel exp(−γ·distance): the Gaussian's and the Laplacian's, which
 * differ only in the distance. Default 'auto', the median heuristic: γ = 1 at 25–150
 * normalised values per patch makes almost every response ≈ 0
 * (docs/GAUSSIAN-INVESTIGATION.md: 69.8 % vs 72.9 %, LeNet-5).
 */
export function rbfGammaParam(distance: string) {
  return {
    kind: 'number',
    symbol: 'γ',
    label: 'γ (gamma)',
    help: 'sharpness: a larger γ matches fewer patches',
    default: 'auto',
    auto: `auto = 1 / median ${distance} over data patches and the starting templates, per layer`,
    min: { value: 0, exclusive: true },
    learnable: true,
  } as const satisfies KernelParamDeclaration;
}
