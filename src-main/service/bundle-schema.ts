// The .kervrun bundle format as a strict schema: a bundle is a file someone sent,
// so every field is checked (type, range, no unknown or prototype keys) before
// anything is written, and a bad one is refused naming its path in the bundle
// ("runs.0.checkpoint.folder: ..."). What the engine records (summary, epochs,
// samples, environment) is checked by schemas derived from the engine's own
// (shared/progress.ts), so a field the engine starts writing is accepted here too.
import { z } from 'zod';
import { CHECKPOINT_FOLDER_NAME } from '../engine/train/checkpoint-folders';
import { RUN_STATUSES } from '../shared/api';
import { limitValue } from '../shared/limits';
import { datasetInfoSchema, epochMetricsSchema, runEnvironmentSchema, sampleImageSchema, stepMetricsSchema, trainSummarySchema, type StepMetrics } from '../shared/progress';

export const BUNDLE_FORMAT = 'kervrun';
export const BUNDLE_VERSION = 1;

/** A file inside a checkpoint folder: plain names joined by '/', no '.' or '..' segments, no leading '/'. */
const CHECKPOINT_FILE = /^(?!\.{1,2}(\/|$))[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(\/(?!\.{1,2}(\/|$))[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,7}$/;

const withinTextLimit = (schema: z.ZodString) => schema.refine((s) => s.length <= limitValue('MAX_TEXT_LENGTH'), { message: 'text longer than MAX_TEXT_LENGTH' });
const text = () => withinTextLimit(z.string());
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** NaN and ±Infinity become null in JSON: metric values may be either. */
const metric = z.number().nullable();
const isoDate = z.string().max(64);
const list = <T extends z.ZodTypeAny>(item: T) => z.array(item).max(limitValue('MAX_BUNDLE_ENTRIES'));

/** A value as JSON carries it: a measured number may be null (NaN, ±Infinity); counts stay numbers. */
export type JsonForm<T> = T extends number ? number | null : T extends object ? { [K in keyof T]: JsonForm<T[K]> } : T;

/**
 * The bundle's check of a record the engine writes, derived from its shared
 * schema (shared/progress.ts) so the two cannot drift: the same fields, no
 * others; a measured (non-integer) number may be null, every list and text is
 * bounded. A schema kind it does not know is a programming error, caught when
 * this module loads.
 */
export function jsonForm<T extends z.ZodType>(schema: T): z.ZodType<JsonForm<z.output<T>>> {
  return derive(schema) as never;
}

function derive(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodNumber) return schema.format === 'safeint' ? schema : schema.nullable();
  if (schema instanceof z.ZodString) return withinTextLimit(schema);
  if (schema instanceof z.ZodBoolean || schema instanceof z.ZodEnum || schema instanceof z.ZodLiteral) return schema;
  if (schema instanceof z.ZodOptional) return derive(schema.unwrap() as z.ZodType).optional();
  if (schema instanceof z.ZodNullable) return derive(schema.unwrap() as z.ZodType).nullable();
  if (schema instanceof z.ZodArray) return list(derive(schema.element as z.ZodType));
  if (schema instanceof z.ZodTuple) return z.tuple((schema.def.items as z.ZodType[]).map(derive) as [z.ZodType, ...z.ZodType[]]);
  if (schema instanceof z.ZodRecord) return z.record(z.string().max(200), derive(schema.valueType as z.ZodType));
  if (schema instanceof z.ZodObject) return z.strictObject(Object.fromEntries(Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => [key, derive(field)])));
  throw new Error(`bundle-schema: no JSON form for a ${schema.def.type} schema; add it to derive()`);
}

/** The step series, column by column: one list per field of a step. */
const stepSeriesSchema = z
  .strictObject(Object.fromEntries(Object.entries(stepMetricsSchema.shape).map(([key, field]) => [key, list(derive(field))])) as unknown as { [K in keyof StepMetrics]: z.ZodType<JsonForm<StepMetrics[K]>[]> })
  .refine((s) => Object.values(s).every((column) => column.length === s.step.length), { message: 'step series columns must have equal lengths' });

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
    summary: jsonForm(trainSummarySchema).nullable(),
    environment: z
      .object({ environment: jsonForm(runEnvironmentSchema), seed: z.number().int(), dataset: jsonForm(datasetInfoSchema).nullable(), recordedAt: isoDate })
      .strict()
      .nullable(),
    metrics: z.object({ steps: stepSeriesSchema, epochs: list(jsonForm(epochMetricsSchema)) }).strict(),
    samples: list(jsonForm(sampleImageSchema)),
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
