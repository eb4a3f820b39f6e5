import { describe, expect, it } from 'vitest';
import { BENCH_USAGE, parseBenchOptions } from '../../../bench/options';

/** The default --help promises for a flag: "--batch N   batch size (default 64)". */
function documentedDefault(flag: string): number {
  const match = new RegExp(`^\\s*--${flag} N\\b.*\\(default (\\d+)`, 'm').exec(BENCH_USAGE);
  if (!match) throw new Error(`--help documents no default for --${flag}`);
  return Number(match[1]);
}

describe('bench options', () => {
  it('defaults to what --help documents, every variant the flag accepts, and --quick shrinks them', () => {
    const full = parseBenchOptions([], {});
    expect([full.batch, full.imageSize, full.channels, full.steps, full.warmupSteps, full.torchKervSteps, full.slowStepMs]).toEqual(
      ['batch', 'image-size', 'channels', 'steps', 'warmup', 'torch-kerv-steps', 'slow-step-ms'].map(documentedDefault),
    );
    const accepted = /allowed: (.*)$/.exec((() => {
      try {
        parseBenchOptions(['--variants', 'none-such'], {});
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })())?.[1].split(', ');
    expect(accepted?.length).toBeGreaterThan(1);
    expect(full.variants).toEqual(accepted);
    const quick = parseBenchOptions(['--quick'], {});
    expect(quick.batch).toBeLessThan(full.batch);
    expect(quick.steps).toBeLessThan(full.steps);
  });

  it('takes flags over KERV_BENCH_* variables', () => {
    const o = parseBenchOptions(['--batch', '16'], { KERV_BENCH_BATCH: '8', KERV_BENCH_STEPS: '4', KERV_BENCH_SECTIONS: 'engine,torch' });
    expect([o.batch, o.steps, o.sections]).toEqual([16, 4, ['engine', 'torch']]);
  });

  it('names the flag and the allowed values when a value is wrong', () => {
    expect(() => parseBenchOptions(['--batch', '0'], {})).toThrow(/--batch must be a positive integer, got "0"/);
    expect(() => parseBenchOptions(['--variants', 'conv,rbf'], {})).toThrow(/--variants: unknown 'rbf', allowed: conv, linear/);
  });
});
