// Schemas for every request argument of the API contract: a client (IPC, a web
// socket, the CLI) may send anything, so each argument is parsed before use and a
// bad one is rejected with the field that is wrong and what is allowed.
import { z } from 'zod';
import { ashaOptionsSchema } from '../shared/asha';
import { FILTER_OPS, RUN_STATUSES, type ApiChannel } from '../shared/api';
import { invalidInput } from '../shared/errors';
import { issueList, readableIssue, wholeNumber } from '../shared/issue-text';
import { limitValue, limitVariable, type LimitName } from '../shared/limits';
import { BACKENDS, ConfigError, DAWN_BACKENDS, MAX_CONCURRENCY, MAX_GPU_SLOTS, WEBGPU_SUBMIT_BATCH } from '../shared/run-config';
import { isFieldName, isSortField } from '../shared/run-fields';
import { EXPORT_FORMATS } from '../shared/table-format';
import { assertPlainJson } from '../shared/untrusted-json';

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const ids = z.array(id).max(100_000);
/** A run config: parsed with its own strict schema by the handler; here only its shape. */
const configInput = z.record(z.string(), z.unknown());
const runField = z.string().max(200).refine(isFieldName, 'a run field: a run column (bestValidationAccuracy, kernel, ...), summary.<metric> or config.<path>');
/** Requests that take no argument: nothing, null or {} (a client's habit), never anything else. */
const noArgument = z.union([z.undefined(), z.null(), z.object({}).strict()]);
/** A length checked against a limit in force when the request arrives (limits can be raised while running). */
const limitedString = (limit: LimitName) =>
  z.string().superRefine((s, ctx) => {
    const max = limitValue(limit);
    if (s.length > max) ctx.addIssue({ code: 'custom', message: `at most ${max} characters (${limit}; raise it with ${limitVariable(limit)})` });
  });
const path = limitedString('MAX_PATH_LENGTH').pipe(z.string().min(1));

export const REQUEST_SCHEMAS: Record<ApiChannel, z.ZodType> = {
  'system:info': noArgument,
  'settings:get': noArgument,
  'settings:set': z
    .object({
      dataDir: path.optional(),
      backend: z.enum(BACKENDS).optional(),
      webgpuAdapter: z.string().max(200).optional(),
      webgpuBackend: z.enum(['', ...DAWN_BACKENDS]).optional(),
      webgpuSpeedToggles: z.boolean().optional(),
      webgpuSubmitBatch: wholeNumber(WEBGPU_SUBMIT_BATCH.min, WEBGPU_SUBMIT_BATCH.max).optional(),
      concurrency: wholeNumber(1, MAX_CONCURRENCY).optional(),
      gpuSlots: z.union([z.literal('auto'), wholeNumber(1, MAX_GPU_SLOTS)], { error: `must be "auto" or a whole number from 1 to ${MAX_GPU_SLOTS}` }).optional(),
      redisUrl: z
        .string()
        .max(2000)
        .regex(/^rediss?:\/\/\S+$/, 'must be a Redis URL: redis://[user:password@]host[:port][/db], or rediss://… for TLS')
        .nullable()
        .optional(),
    })
    .strict(),
  'config:defaults': noArgument,
  'config:validate': z.unknown(),
  'models:describe': configInput,
  'datasets:list': noArgument,
  'datasets:download': z.object({ name: z.string().min(1).max(100) }).strict(),
  'datasets:import': z.object({ name: z.string().min(1).max(100), path }).strict(),
  'runs:list': z
    .object({
      search: limitedString('MAX_SEARCH_LENGTH').optional(),
      status: z.array(z.enum(RUN_STATUSES)).optional(),
      groupId: id.optional(),
      experimentHash: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest (RunRow.experimentHash)').optional(),
      sortBy: z.string().max(200).refine(isSortField, 'a run field but tag: a run column (bestValidationAccuracy, kernel, ...), summary.<metric> or config.<path>').optional(),
      sortDir: z.enum(['asc', 'desc']).optional(),
      where: z
        .array(z.object({ field: runField, op: z.enum(FILTER_OPS), value: z.union([z.number(), z.string().max(200)]) }).strict())
        .max(20)
        .optional(),
      withConfig: z.boolean().optional(),
      limit: z.number().int().min(1).max(10_000).optional(),
      offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    })
    .strict()
    .optional(),
  'runs:get': z.object({ id }).strict(),
  'runs:metrics': z.object({ id, sinceStep: z.number().int().min(0).optional() }).strict(),
  'runs:samples': z.object({ id }).strict(),
  'runs:scalars': z.object({ id, prefix: z.string().max(200).optional(), sinceStep: z.number().int().min(0).optional() }).strict(),
  'runs:start': z.object({ config: configInput, queue: z.boolean().optional() }).strict(),
  'runs:cancel': z.object({ id }).strict(),
  'runs:resume': z.object({ id }).strict(),
  'runs:rerun': z.object({ id }).strict(),
  'runs:delete': z.object({ ids }).strict(),
  'runs:update': z
    .object({ id, name: z.string().min(1).max(200).optional(), tags: z.array(z.string().min(1).max(64)).max(100).optional(), notes: limitedString('MAX_TEXT_LENGTH').optional() })
    .strict(),
  'runs:log': z.object({ id }).strict(),
  'runs:exportBundle': z.object({ ids: ids.min(1), path }).strict(),
  'runs:exportModel': z.object({ id, which: z.enum(['last', 'best']).optional(), path }).strict(),
  'runs:importBundle': z.object({ path }).strict(),
  'queue:get': noArgument,
  'cluster:status': noArgument,
  'queue:reorder': z.object({ ids }).strict(),
  'sweeps:start': z
    .object({
      base: configInput,
      grid: z.record(z.string().max(200), z.array(z.unknown()).min(1)),
      randomDraws: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
      repeats: z.number().int().min(1).max(100).optional(),
      name: z.string().max(200).optional(),
      // expandSweep checks it against the runs' epochs and validation split.
      asha: ashaOptionsSchema.optional(),
    })
    .strict(),
  'groups:list': noArgument,
  'groups:rungs': z.object({ id }).strict(),
  // The finder's options are parsed with their own schema by the handler (lrFindOptionsSchema), like a run config.
  'lrFind:start': z.object({ config: configInput, finder: z.record(z.string(), z.unknown()).optional() }).strict(),
  'lrFind:get': z.object({ id }).strict(),
  'lrFind:list': noArgument,
  'lrFind:cancel': z.object({ id }).strict(),
  'compare:get': z.object({ ids: ids.min(2) }).strict(),
  'export:table': z
    .object({
      runIds: ids.optional(),
      groupIds: ids.optional(),
      columns: z.array(z.string().max(200)).max(1_000).optional(),
      groupBy: z.array(z.string().max(200)).max(100).optional(),
      format: z.enum(EXPORT_FORMATS),
    })
    .strict(),
  'export:series': z.object({ runIds: ids.optional(), groupIds: ids.optional(), format: z.enum(['csv', 'json']).optional() }).strict(),
  'export:columns': noArgument,
};

/** Parses a request argument; throws ConfigError with one issue per bad field. */
export function parseRequest(channel: ApiChannel, arg: unknown): unknown {
  const schema = Object.hasOwn(REQUEST_SCHEMAS, channel) ? REQUEST_SCHEMAS[channel] : undefined;
  if (!schema) throw invalidInput(`Unknown request '${String(channel)}'.`);
  // Before any schema or handler walks it: no key may reach a prototype, at any depth.
  assertPlainJson(arg, `Invalid argument for '${channel}'`);
  const result = schema.safeParse(arg, { error: readableIssue });
  if (result.success) return result.data;
  const issues = issueList(result.error, '(argument)');
  throw new ConfigError(`Invalid argument for '${channel}': ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}
