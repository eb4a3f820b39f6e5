// The models entry points: run-config model section → architecture description →
// kernelized description → tf.LayersModel, and the per-layer summary the UI's
// architecture preview and `kerv train` print.
import * as tf from '@tensorflow/tfjs';
import type { ModelDescription, LayerRow } from '../../shared/api';
import type { ModelConfig } from '../../shared/run-config';
import { ARCHITECTURE_BUILDERS } from './architectures/index';
import { kernelize } from './kernelize';
import { materialize } from './materialize';
import type { ArchitectureSpec, InputShape } from './spec';
import { walkNodes } from './spec';
import { kernelLabel } from '../../shared/kernels/index';

export interface ModelData {
  inputShape: InputShape;
  numClasses: number;
}

function checkData(data: ModelData): void {
  const shape = data.inputShape as unknown;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`inputShape must be [height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  }
  if (!Number.isInteger(data.numClasses) || data.numClasses < 2) {
    throw new Error(`numClasses must be an integer ≥ 2, got ${data.numClasses}`);
  }
}

/** The architecture description for a model config, with kervLayers applied. */
export function buildSpec(model: ModelConfig, data: ModelData): ArchitectureSpec {
  checkData(data);
  const builder = ARCHITECTURE_BUILDERS[model.arch];
  if (!builder) throw new Error(`model.arch must be one of ${Object.keys(ARCHITECTURE_BUILDERS).join(', ')}, got ${JSON.stringify(model.arch)}`);
  const spec = builder({ inputShape: [...data.inputShape], numClasses: data.numClasses, widthMultiplier: model.widthMultiplier });
  const kernelized = kernelize(spec, { kernel: model.kernel, layers: model.kervLayers, norm: model.kervNorm, activation: model.kervActivation });
  let projections = 0;
  walkNodes(kernelized.layers, (node) => {
    if (node.op === 'conv' && node.role === 'projection') projections++;
  });
  if (projections > 0 && model.kernel.type !== 'linear') {
    kernelized.notes = [...kernelized.notes, `The ${projections} 1×1 projection shortcuts stay linear convolutions (not counted by kervLayers).`];
  }
  return kernelized;
}

/** Builds the model a config describes; its output is logits [batch, numClasses]. */
export function buildModel(model: ModelConfig, data: ModelData): tf.LayersModel {
  return materialize(buildSpec(model, data));
}

function layerKernel(layer: tf.layers.Layer): string | null {
  if (layer.getClassName() !== 'KervConv2D') return null;
  const kernel = (layer.getConfig() as { kernel?: unknown }).kernel;
  return kernelLabel(kernel);
}

function weightCount(weights: tf.LayerVariable[]): number {
  return weights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

/** One row per layer (input included), with parameter totals; `notes` says what the table cannot. */
export function describeModel(model: tf.LayersModel, notes: string[] = []): ModelDescription {
  const layers: LayerRow[] = model.layers.map((layer) => ({
    name: layer.name,
    type: layer.getClassName(),
    outputShape: layer.outputShape as (number | null)[],
    params: layer.countParams(),
    kernel: layerKernel(layer),
  }));
  const totalParams = layers.reduce((sum, row) => sum + row.params, 0);
  return { layers, totalParams, trainableParams: weightCount(model.trainableWeights), notes };
}

/** Builds, describes and disposes: what the UI calls on every form change. */
export function describeConfig(model: ModelConfig, data: ModelData): ModelDescription {
  const spec = buildSpec(model, data);
  const built = materialize(spec, { initialize: false });
  try {
    return describeModel(built, spec.notes);
  } finally {
    built.dispose();
  }
}
