// The .kervrun bundle format as a strict schema: a bundle is a file someone sent,
// so every field is checked (type, range, no unknown or prototype keys) before
// anything is written, and a bad one is refused naming its path in the bundle
// ("runs.0.checkpoint.folder: ...").
import { z } from 'zod';
import { CHECKPOINT_FOLDER_NAME } from '../engine/train/checkpoint-folders';
import { RUN_STATUSES } from '../shared/api';
import { limitValue } from '../shared/limits';

export const BUNDLE_FORMAT = 'kervrun';
export const BUNDLE_VERSION = 1;

/** A file inside a checkpoint folder: plain names joined by '/', no '.' or '..' segments, no leading '/'. */
const CHECKPOINT_FILE = /^(?!\.{1,2}(\/|$))[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(\/(?!\.{1,2}(\/|$))[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,7}$/;

const text = () => z.string().refine((s) => s.length <= limitValue('MAX_TEXT_LENGTH'), { message: 'text longer than MAX_TEXT_LENGTH' });
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** NaN and ±Infinity become null in JSON: metric values may be either. */
const metric = z.number().nullable();
const isoDate = z.string().max(64);
const list = <T extends z.ZodTypeAny>(item: T) => z.array(item).max(limitValue('MAX_BUNDLE_ENTRIES'));

const environmentSchema = z
  .object({
    backend: z.string().max(200),
    device: z.string().max(500),
    threads: count,
    parallel: z.enum(['data', 'xnnpack', 'none']).optional(),
    tfjsVersion: z.string().max(100),
    appVersion: z.string().max(100),
    os: z.string().max(500),
    nodeVersion: z.string().max(100),
  })
  .strict();

const datasetInfoSchema = z
  .object({
    name: z.string().max(200),
    fingerprint: z.string().max(200),
    inputShape: z.tuple([count, count, count]),
    classNames: list(z.string().max(500)),
    trainSize: count,
    validationSize: count,
    testSize: count,
    mean: list(z.number()),
    std: list(z.number()),
  })
  .strict();

const summarySchema = z
  .object({
    epochs: count,
    steps: count,
    finalTrainLoss: metric,
    finalTrainAccuracy: metric,
    bestValidationAccuracy: metric,
    finalValidationAccuracy: metric,
    testLoss: metric,
    testAccuracy: metric,
    parameterCount: count,
    trainingTimeMs: z.number().min(0),
  })
  .strict();

const stepSeriesSchema = z
  .object({
    step: list(count),
    epoch: list(count),
    loss: list(metric),
    accuracy: list(metric),
    learningRate: list(metric),
    imagesPerSecond: list(metric),
    wallTimeMs: list(metric),
  })
  .strict()
  .refine((s) => Object.values(s).every((column) => column.length === s.step.length), { message: 'step series columns must have equal lengths' });

const epochSchema = z
  .object({
    epoch: count,
    step: count,
    trainLoss: metric,
    trainAccuracy: metric,
    validationLoss: metric,
    validationAccuracy: metric,
    perClassAccuracy: list(metric),
    confusion: list(list(count)),
    samplePredictions: list(
      z
        .object({
          sampleIndex: count,
          top: list(z.object({ classIndex: count, probability: metric }).strict()),
          loss: metric,
        })
        .strict(),
    ),
    durationMs: metric,
    wallTimeMs: metric,
  })
  .strict();

const sampleSchema = z
  .object({ sampleIndex: count, datasetIndex: count, label: count, pngBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64') })
  .strict();

const checkpointSchema = z
  .object({
    step: count,
    epoch: count,
    folder: z.string().regex(CHECKPOINT_FOLDER_NAME, "a checkpoint folder name such as 'step-00000120'"),
    files: list(
      z
        .object({
          path: z.string().regex(CHECKPOINT_FILE, "a relative file path inside the checkpoint folder (plain names joined by '/', no '..')"),
          base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
        })
        .strict(),
    ),
  })
  .strict();

export const bundledRunSchema = z
  .object({
    id: count,
    name: z.string().min(1).max(200),
    status: z.enum(RUN_STATUSES),
    /** Parsed with the run-config schema by the importer (which names runs.N.config). */
    config: z.record(z.string(), z.unknown()),
    tags: list(z.string().min(1).max(64)),
    notes: text(),
    error: text().nullable(),
    createdAt: isoDate,
    startedAt: isoDate.nullable(),
    finishedAt: isoDate.nullable(),
    durationMs: z.number().min(0).nullable(),
    step: count,
    totalSteps: count.nullable(),
    bestValidationAccuracy: metric,
    testAccuracy: metric,
    parameterCount: count.nullable(),
    summary: summarySchema.nullable(),
    environment: z
      .object({ environment: environmentSchema, seed: z.number().int(), dataset: datasetInfoSchema.nullable(), recordedAt: isoDate })
      .strict()
      .nullable(),
    metrics: z.object({ steps: stepSeriesSchema, epochs: list(epochSchema) }).strict(),
    samples: list(sampleSchema),
    logs: list(z.object({ level: z.string().max(16), message: text(), at: isoDate }).strict()),
    checkpoint: checkpointSchema.nullable(),
  })
  .strict();

export const bundleSchema = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    version: z.number().int().min(1).max(BUNDLE_VERSION, `this workbench reads bundle version ${BUNDLE_VERSION}; update the app`),
    exportedAt: isoDate,
    runs: list(bundledRunSchema).min(1, 'a bundle holds at least one run'),
  })
  .strict();

export type BundledRun = z.infer<typeof bundledRunSchema>;
export type Bundle = z.infer<typeof bundleSchema>;
