// The training loop's public surface (re-exported by engine/index.ts).
export { train, type TrainOptions } from './train';
export { learningRateAt, type ScheduleContext } from './schedule';
export { TrainOptimizer, isDecayed, type NamedTensor, type TrainableVariable } from './optimizer';
export { crossEntropyLoss, perExampleCrossEntropy, batchAccuracy } from './loss';
export { makeTrainStep, clipByGlobalNorm, type TrainStep, type StepOptions } from './step';
export { evaluate, predictSamples, type EvaluationResult } from './evaluate';
export {
  saveCheckpoint,
  loadCheckpoint,
  readCheckpointState,
  findCheckpoint,
  fileSystemSaveHandler,
  type CheckpointState,
  type LoadedCheckpoint,
} from './checkpoint';
