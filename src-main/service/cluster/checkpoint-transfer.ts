// Checkpoints through Redis, so a run can continue on another machine. A
// checkpoint folder (model.json, weights.bin, optimizer.*, state.json: see
// engine/train/checkpoint.ts) is stored as chunks of at most CHUNK_BYTES, then a
// manifest naming them (size and sha256 per file) replaces the previous one in
// the same transaction; the previous checkpoint's chunks go after. A reader
// takes the manifest, fetches the chunks, verifies each file and writes the
// folder atomically (temporary folder, then rename), like the engine does.
//
// Size-bounded: a checkpoint larger than the limit is refused with a message
// (the run keeps training; it just cannot move), and a manifest is checked
// against the limit before anything is fetched.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { CHECKPOINT_FOLDER_NAME, CHECKPOINT_TEMP_PREFIX, isCompleteCheckpoint } from '../../engine/train/checkpoint-folders';
import type { RunKeys } from './protocol';
import type { RedisClient } from './redis';

export const CHUNK_BYTES = 1024 * 1024;
/** Default limit of one checkpoint through Redis (Redis holds it in memory). */
export const DEFAULT_MAX_CHECKPOINT_BYTES = 256 * 1024 * 1024;
/** Checkpoints in Redis expire if nothing reads them for a week (a run abandoned with its coordinator). */
const EXPIRE_S = 7 * 24 * 3600;

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const manifestSchema = z
  .object({
    step: z.number().int().min(0),
    epoch: z.number().int().min(0),
    folder: z.string().regex(CHECKPOINT_FOLDER_NAME),
    files: z.array(z.object({ name: z.string().regex(FILE_NAME), bytes: z.number().int().min(0), chunks: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict()).max(64),
  })
  .strict();
export type CheckpointManifest = z.infer<typeof manifestSchema>;

export async function readManifest(redis: RedisClient, keys: RunKeys, runId: number): Promise<CheckpointManifest | null> {
  const raw = (await redis.call('GET', keys.checkpoint(runId))) as string | null;
  if (!raw) return null;
  const parsed = manifestSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`the checkpoint manifest of run ${runId} in Redis is malformed: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

function deleteChunks(redis: RedisClient, keys: RunKeys, runId: number, manifest: CheckpointManifest): Promise<unknown> | null {
  const names = manifest.files.flatMap((f) => Array.from({ length: f.chunks }, (_, i) => keys.checkpointChunk(runId, manifest.step, f.name, i)));
  return names.length > 0 ? redis.call('DEL', ...names) : null;
}

/** Stores the checkpoint folder as the run's newest checkpoint in Redis. */
export async function uploadCheckpoint(
  redis: RedisClient,
  keys: RunKeys,
  runId: number,
  folder: string,
  meta: { step: number; epoch: number },
  maxBytes = DEFAULT_MAX_CHECKPOINT_BYTES,
): Promise<CheckpointManifest> {
  const names = readdirSync(folder).filter((n) => statSync(join(folder, n)).isFile()).sort();
  const total = names.reduce((sum, n) => sum + statSync(join(folder, n)).size, 0);
  if (total > maxBytes) {
    throw new Error(`checkpoint ${folder} is ${(total / 1e6).toFixed(1)} MB, over the ${(maxBytes / 1e6).toFixed(0)} MB limit for moving runs between machines (--max-checkpoint-mb)`);
  }
  const previous = await readManifest(redis, keys, runId).catch(() => null);
  const manifest: CheckpointManifest = { step: meta.step, epoch: meta.epoch, folder: basename(folder), files: [] };
  for (const name of names) {
    if (!FILE_NAME.test(name)) continue;
    const bytes = readFileSync(join(folder, name));
    const chunks = Math.ceil(bytes.length / CHUNK_BYTES);
    for (let i = 0; i < chunks; i++) {
      await redis.call('SET', keys.checkpointChunk(runId, meta.step, name, i), bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES), 'EX', EXPIRE_S);
    }
    manifest.files.push({ name, bytes: bytes.length, chunks, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  await redis.call('SET', keys.checkpoint(runId), JSON.stringify(manifest), 'EX', EXPIRE_S);
  if (previous && previous.step !== manifest.step) await deleteChunks(redis, keys, runId, previous);
  return manifest;
}

/**
 * Writes the run's newest checkpoint from Redis into `checkpointDir/<step folder>`
 * and returns that path, or null when Redis holds none (or a newer one replaced
 * the one asked for by `expectStep`).
 */
export async function downloadCheckpoint(
  redis: RedisClient,
  keys: RunKeys,
  runId: number,
  checkpointDir: string,
  options: { expectStep?: number; maxBytes?: number } = {},
): Promise<{ path: string; step: number; epoch: number } | null> {
  const manifest = await readManifest(redis, keys, runId);
  if (!manifest || (options.expectStep !== undefined && manifest.step !== options.expectStep)) return null;
  const total = manifest.files.reduce((s, f) => s + f.bytes, 0);
  if (total > (options.maxBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES)) throw new Error(`the checkpoint of run ${runId} in Redis is ${(total / 1e6).toFixed(1)} MB, over the limit`);
  const target = join(checkpointDir, manifest.folder);
  if (isCompleteCheckpoint(target)) return { path: target, step: manifest.step, epoch: manifest.epoch };
  mkdirSync(checkpointDir, { recursive: true });
  const temp = join(checkpointDir, `${CHECKPOINT_TEMP_PREFIX}fetch-${process.pid}-${manifest.step}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp);
  try {
    for (const file of manifest.files) {
      const parts: Buffer[] = [];
      for (let i = 0; i < file.chunks; i++) {
        const chunk = (await redis.callBuffer('GET', keys.checkpointChunk(runId, manifest.step, file.name, i))) as Buffer | null;
        // Replaced by a newer checkpoint while we read: that one will be fetched next time.
        if (!chunk) return null;
        parts.push(chunk);
      }
      const bytes = Buffer.concat(parts);
      if (bytes.length !== file.bytes || createHash('sha256').update(bytes).digest('hex') !== file.sha256) {
        throw new Error(`checkpoint of run ${runId} at step ${manifest.step}: ${file.name} does not match its manifest (size or sha256)`);
      }
      writeFileSync(join(temp, file.name), bytes);
    }
    rmSync(target, { recursive: true, force: true });
    renameSync(temp, target);
    return { path: target, step: manifest.step, epoch: manifest.epoch };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Forgets the run's checkpoint in Redis (a fresh dispatch must not resume a stale one). */
export async function deleteCheckpoint(redis: RedisClient, keys: RunKeys, runId: number): Promise<void> {
  const manifest = await readManifest(redis, keys, runId).catch(() => null);
  if (manifest) await deleteChunks(redis, keys, runId, manifest);
  await redis.call('DEL', keys.checkpoint(runId));
}
