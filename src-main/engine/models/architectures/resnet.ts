// Residual networks in the CIFAR style (He et al. 2016, and the widely used
// kuangliu/pytorch-cifar variant for ResNet-18/34): a 3×3 stem without max-pool,
// stages of BasicBlocks with stride-2 downsampling, global average pool, logits.
import type { ArchitectureName } from '../../../shared/run-config';
import type { ArchitectureSpec, ArchNode, BuildOptions } from '../spec';
import { scaleWidth } from '../spec';
import { basicBlock, convUnit, logits } from './blocks';

interface ResNetShape {
  stemFilters: number;
  /** One entry per stage; every stage after the first halves the resolution. */
  stages: { filters: number; blocks: number }[];
}

function residualNetwork(arch: ArchitectureName, shape: ResNetShape, { inputShape, numClasses, widthMultiplier }: BuildOptions): ArchitectureSpec {
  const w = (n: number) => scaleWidth(n, widthMultiplier);
  const layers: ArchNode[] = convUnit('stem', w(shape.stemFilters), 3, { batchNorm: true });
  let inFilters = w(shape.stemFilters);
  shape.stages.forEach((stage, s) => {
    const filters = w(stage.filters);
    for (let b = 0; b < stage.blocks; b++) {
      const strides = s > 0 && b === 0 ? 2 : 1;
      layers.push(...basicBlock(`s${s + 1}b${b + 1}`, inFilters, filters, strides));
      inFilters = filters;
    }
  });
  layers.push({ op: 'globalAvgPool', name: 'global_avg_pool' }, logits(numClasses));
  return { arch, inputShape, numClasses, notes: [], layers };
}

/** The notebook-sized residual stack: 16-channel stem and one BasicBlock per stage 16-32-64 (a ResNet-8). */
export function resnetSmall(options: BuildOptions): ArchitectureSpec {
  return residualNetwork(
    'resnet-small',
    { stemFilters: 16, stages: [16, 32, 64].map((filters) => ({ filters, blocks: 1 })) },
    options,
  );
}

const RESNET_WIDTHS = [64, 128, 256, 512];

/** ResNet-18, CIFAR variant: BasicBlocks [2, 2, 2, 2]; 11.17 M parameters at width 1 with 10 classes. */
export function resnet18(options: BuildOptions): ArchitectureSpec {
  const blocks = [2, 2, 2, 2];
  return residualNetwork('resnet18', { stemFilters: 64, stages: RESNET_WIDTHS.map((filters, i) => ({ filters, blocks: blocks[i] })) }, options);
}

/** ResNet-34, CIFAR variant: BasicBlocks [3, 4, 6, 3]; 21.28 M parameters at width 1 with 10 classes. */
export function resnet34(options: BuildOptions): ArchitectureSpec {
  const blocks = [3, 4, 6, 3];
  return residualNetwork('resnet34', { stemFilters: 64, stages: RESNET_WIDTHS.map((filters, i) => ({ filters, blocks: blocks[i] })) }, options);
}
