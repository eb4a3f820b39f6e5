// The error envelope every adapter answers with: the message, the contract's
// code for each kind of failure, the per-field issues, and never a throw.
import { describe, expect, it } from 'vitest';
import type { WorkbenchApi } from '../../../src-main/shared/api';
import { errorEnvelope, invokeToEnvelope, toEnvelope } from '../../../src-main/shared/envelope';
import { conflict, errorCodeOf, runNotFound } from '../../../src-main/shared/errors';
import { LimitError } from '../../../src-main/shared/limits';
import { parseRunConfig } from '../../../src-main/shared/run-config';
import { UntrustedInputError } from '../../../src-main/shared/untrusted-json';
import { PathError } from '../../../src-main/engine/safe-files';
import { TransitionError } from '../../../src-main/store/store';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('error envelope', () => {
  it('carries the kind of each typed failure', () => {
    const badConfig = thrown(() => parseRunConfig({ epochs: 0 }));
    expect(errorEnvelope(badConfig)).toEqual({
      ok: false,
      error: { message: expect.stringContaining('epochs'), code: 'invalid_input', issues: [{ path: 'epochs', message: expect.any(String) }] },
    });
    expect(errorEnvelope(runNotFound(7))).toEqual({ ok: false, error: { message: 'Run 7 not found.', code: 'not_found' } });
    expect(errorEnvelope(new TransitionError(3, 'completed', 'cancelled'))).toEqual({
      ok: false,
      error: { code: 'conflict', message: 'Run 3 is completed; it cannot become cancelled.' },
    });
    expect(errorCodeOf(new LimitError('MAX_BUNDLE_BYTES', 1e12))).toBe('invalid_input');
    expect(errorCodeOf(new UntrustedInputError('bundle', '__proto__', 'prototype key'))).toBe('invalid_input');
    expect(errorCodeOf(new PathError('path', 'no file at /x.', 'not_found'))).toBe('not_found');
  });

  it('a failure of the workbench itself (and a Node error code) has no contract code', () => {
    const disk = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    expect(errorEnvelope(disk)).toEqual({ ok: false, error: { message: 'ENOSPC: no space left on device' } });
  });

  it('toEnvelope and invokeToEnvelope answer, never throw', async () => {
    await expect(toEnvelope(() => 42)).resolves.toEqual({ ok: true, value: 42 });
    await expect(toEnvelope(async () => { throw conflict('busy'); })).resolves.toEqual({ ok: false, error: { message: 'busy', code: 'conflict' } });
    const api: WorkbenchApi = { invoke: async () => { throw runNotFound(1); }, on: () => () => {} };
    await expect(invokeToEnvelope(api, 'runs:get', { id: 1 })).resolves.toEqual({ ok: false, error: { message: 'Run 1 not found.', code: 'not_found' } });
    await expect(invokeToEnvelope(api, 'runs:explode', {})).resolves.toEqual({ ok: false, error: { message: 'Unknown channel "runs:explode"', code: 'invalid_input' } });
  });
});
