import { describe, expect, it } from 'vitest';
import { scheduleConfigSchema, type ScheduleConfig } from '../../../../src-main/shared/run-config';
import { learningRateAt, ONE_CYCLE_DIV_FACTOR } from '../../../../src-main/engine/train/schedule';

const ctx = { baseLr: 0.1, stepsPerEpoch: 10, totalSteps: 100 };
const schedule = (s: Partial<ScheduleConfig>): ScheduleConfig => scheduleConfigSchema.parse(s);
const curve = (s: ScheduleConfig, c = ctx) => Array.from({ length: c.totalSteps }, (_, i) => learningRateAt(i, s, c));

describe('learning-rate schedules', () => {
  it('constant stays at the base rate', () => {
    expect(new Set(curve(schedule({ type: 'constant' })))).toEqual(new Set([0.1]));
  });

  it('step multiplies by the factor once each milestone epoch has been completed', () => {
    const lr = curve(schedule({ type: 'step', milestones: [3, 6], factor: 0.5 }));
    expect(lr[29]).toBeCloseTo(0.1); // last step of epoch 3
    expect(lr[30]).toBeCloseTo(0.05); // first step of epoch 4
    expect(lr[59]).toBeCloseTo(0.05);
    expect(lr[60]).toBeCloseTo(0.025);
    expect(lr[99]).toBeCloseTo(0.025);
  });

  it('cosine starts at the base rate, reaches minLr at the last step and never rises', () => {
    const lr = curve(schedule({ type: 'cosine', minLr: 0.001 }));
    expect(lr[0]).toBeCloseTo(0.1);
    expect(lr[99]).toBeCloseTo(0.001);
    expect(lr[Math.round(99 / 2)]).toBeCloseTo((0.1 + 0.001) / 2, 2);
    for (let i = 1; i < lr.length; i++) expect(lr[i]).toBeLessThanOrEqual(lr[i - 1] + 1e-12);
  });

  it('linear warm-up rises from 0 to the rate the schedule has when the warm-up ends', () => {
    const lr = curve(schedule({ type: 'cosine', warmupEpochs: 2 }));
    expect(lr[0]).toBeCloseTo(0.1 / 20);
    expect(lr[9]).toBeCloseTo(0.1 / 2);
    expect(lr[19]).toBeCloseTo(0.1);
    expect(lr[20]).toBeCloseTo(0.1); // cosine decay starts after the warm-up
    expect(lr[99]).toBeCloseTo(0);
    const constant = curve(schedule({ type: 'constant', warmupEpochs: 0.5 }));
    expect(constant.slice(0, 6)).toEqual([0.02, 0.04, 0.06, 0.08, 0.1, 0.1].map((v) => expect.closeTo(v, 10)));
  });

  it('one-cycle rises from base/25 to the base over 30% of the run, then anneals to minLr', () => {
    const lr = curve(schedule({ type: 'one-cycle', minLr: 0 }));
    expect(lr[0]).toBeCloseTo(0.1 / ONE_CYCLE_DIV_FACTOR);
    const peak = lr.indexOf(Math.max(...lr));
    expect(peak).toBe(30);
    expect(lr[30]).toBeCloseTo(0.1);
    expect(lr[99]).toBeCloseTo(0);
    for (let i = 1; i <= 30; i++) expect(lr[i]).toBeGreaterThan(lr[i - 1]);
    for (let i = 31; i < 100; i++) expect(lr[i]).toBeLessThan(lr[i - 1]);
  });

  it('one-cycle uses the warm-up as its rise phase when one is set', () => {
    const lr = curve(schedule({ type: 'one-cycle', warmupEpochs: 1 }));
    expect(lr.indexOf(Math.max(...lr))).toBe(10);
  });
});
