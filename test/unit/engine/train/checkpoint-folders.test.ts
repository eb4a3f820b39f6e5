// The checkpoint folder format, as every reader outside the engine sees it: which
// folders are checkpoints, which are complete, what resume may discard.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkpointFolderName,
  checkpointPosition,
  checkpointsOnDisk,
  discardCheckpointsAfter,
  isCompleteCheckpoint,
  parseCheckpointFolderName,
} from '../../../../src-main/engine/train/checkpoint-folders';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(os.tmpdir(), 'kerv-ckpt-folders-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function checkpoint(step: number, epoch: number, partial = false, state = true): string {
  const folder = join(dir, checkpointFolderName(step, partial));
  mkdirSync(folder);
  if (state) writeFileSync(join(folder, 'state.json'), JSON.stringify({ step, epoch }));
  return folder;
}

describe('checkpoint folders', () => {
  it('names round-trip; other names are not checkpoints', () => {
    expect(checkpointFolderName(120, false)).toBe('step-00000120');
    expect(parseCheckpointFolderName(checkpointFolderName(120, true))).toEqual({ step: 120, partial: true });
    expect(parseCheckpointFolderName('step-123456789012')).toEqual({ step: 123456789012, partial: false });
    for (const name of ['step-', 'step-1234567890123', 'step-12-partial-x', '.tmp-step-00000120-1-2', 'model.json']) {
      expect(parseCheckpointFolderName(name), name).toBeNull();
    }
  });

  it('lists complete checkpoints oldest first, with their position in epochs', () => {
    checkpoint(200, 2);
    checkpoint(250, 2, true);
    checkpoint(100, 1);
    checkpoint(300, 3, false, false); // being written: no state.json yet
    mkdirSync(join(dir, '.tmp-step-00000400-1-2'));
    const found = checkpointsOnDisk(dir);
    expect(found.map((c) => [c.step, c.epoch, c.partial])).toEqual([
      [100, 1, false],
      [200, 2, false],
      [250, 2, true],
    ]);
    expect(found.map(checkpointPosition)).toEqual(['end of epoch 1', 'end of epoch 2', 'in epoch 3']);
    expect(isCompleteCheckpoint(found[0].path)).toBe(true);
    expect(isCompleteCheckpoint(join(dir, checkpointFolderName(300, false)))).toBe(false);
    expect(checkpointsOnDisk(join(dir, 'missing'))).toEqual([]);
  });

  it('discards checkpoints after a step and half-written folders, keeps the rest', () => {
    checkpoint(100, 1);
    checkpoint(200, 2);
    checkpoint(250, 2, true);
    mkdirSync(join(dir, '.tmp-step-00000300-1-2'));
    discardCheckpointsAfter(dir, 200);
    expect(readdirSync(dir).sort()).toEqual(['step-00000100', 'step-00000200']);
  });
});
