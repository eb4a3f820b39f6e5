// Schemas for every request argument of the API contract: a client (IPC, a web
// socket, the CLI) may send anything, so each argument is parsed before use and a
// bad one is rejected with the field that is wrong and what is allowed.
import { z } from 'zod';
import { FILTER_OPS, RUN_STATUSES, type ApiChannel } from '../shared/api';
import { BACKENDS, ConfigError } from '../shared/run-config';
import { isFieldName } from '../shared/run-fields';
import { EXPORT_FORMATS } from '../shared/table-format';

const id = z.number().int().positive();
const ids = z.array(id);
const configInput = z.record(z.string(), z.unknown());
const runField = z.string().refine(isFieldName, 'a run field: a run column (bestValidationAccuracy, kernel, ...), summary.<metric> or config.<path>');

export const REQUEST_SCHEMAS: Record<ApiChannel, z.ZodType> = {
  'system:info': z.unknown(),
  'settings:get': z.unknown(),
  'settings:set': z
    .object({
      dataDir: z.string().min(1).optional(),
      backend: z.enum(BACKENDS).optional(),
      concurrency: z.number().int().min(1).max(64).optional(),
      redisUrl: z
        .string()
        .max(2000)
        .regex(/^rediss?:\/\/\S+$/, 'a Redis URL: redis://[user:password@]host[:port][/db], or rediss://… for TLS')
        .nullable()
        .optional(),
    })
    .strict(),
  'config:defaults': z.unknown(),
  'config:validate': z.unknown(),
  'models:describe': configInput,
  'datasets:list': z.unknown(),
  'datasets:download': z.object({ name: z.string().min(1) }).strict(),
  'datasets:import': z.object({ name: z.string().min(1), path: z.string().min(1) }).strict(),
  'runs:list': z
    .object({
      search: z.string().optional(),
      status: z.array(z.enum(RUN_STATUSES)).optional(),
      groupId: id.optional(),
      experimentHash: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest (RunRow.experimentHash)').optional(),
      sortBy: runField.refine((f) => f !== 'tag', 'runs are not sorted by tag').optional(),
      sortDir: z.enum(['asc', 'desc']).optional(),
      where: z
        .array(z.object({ field: runField, op: z.enum(FILTER_OPS), value: z.union([z.number(), z.string().max(200)]) }).strict())
        .max(20)
        .optional(),
      withConfig: z.boolean().optional(),
      limit: z.number().int().min(1).max(10_000).optional(),
      offset: z.number().int().min(0).optional(),
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
    .object({ id, name: z.string().min(1).max(200).optional(), tags: z.array(z.string().min(1).max(64)).optional(), notes: z.string().optional() })
    .strict(),
  'runs:log': z.object({ id }).strict(),
  'runs:exportBundle': z.object({ ids: ids.min(1), path: z.string().min(1) }).strict(),
  'runs:importBundle': z.object({ path: z.string().min(1) }).strict(),
  'queue:get': z.unknown(),
  'cluster:status': z.unknown(),
  'queue:reorder': z.object({ ids }).strict(),
  'sweeps:start': z
    .object({
      base: configInput,
      grid: z.record(z.string(), z.array(z.unknown()).min(1)),
      randomDraws: z.number().int().min(1).optional(),
      repeats: z.number().int().min(1).max(100).optional(),
      name: z.string().max(200).optional(),
    })
    .strict(),
  'groups:list': z.unknown(),
  'compare:get': z.object({ ids: ids.min(2) }).strict(),
  'export:table': z
    .object({
      runIds: ids.optional(),
      groupIds: ids.optional(),
      columns: z.array(z.string()).optional(),
      groupBy: z.array(z.string()).optional(),
      format: z.enum(EXPORT_FORMATS),
    })
    .strict(),
  'export:series': z.object({ runIds: ids.optional(), groupIds: ids.optional() }).strict(),
  'export:columns': z.unknown(),
};

/** Parses a request argument; throws ConfigError with one issue per bad field. */
export function parseRequest(channel: ApiChannel, arg: unknown): unknown {
  const schema = REQUEST_SCHEMAS[channel];
  if (!schema) throw new Error(`Unknown request '${String(channel)}'.`);
  const result = schema.safeParse(arg);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(argument)', message: i.message }));
  throw new ConfigError(`Invalid argument for '${channel}': ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}
