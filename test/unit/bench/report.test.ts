import { describe, expect, it } from 'vitest';
import { buildTable, checkTargets, renderReport, type BenchResults } from '../../../bench/report';
import { parseBenchOptions } from '../../../bench/options';
import type { EngineResult } from '../../../bench/engine-bench';
import type { TorchResult } from '../../../bench/torch-bench';
import type { LenetResult } from '../../../bench/lenet5-bench';
import type { ConvVariant } from '../../../bench/options';

function engine(variant: ConvVariant, medianStepMs: number): EngineResult {
  return {
    variant, backend: 'wasm', device: 'test CPU', threads: 1, parallel: 'none', stepMs: [medianStepMs], medianStepMs,
    peakTensorBytes: 10 * 1024 * 1024, residentTensorBytes: 0, rssBytes: 0, maxRssBytes: 200 * 1024 * 1024,
    profile: { forwardMs: 1, backwardMs: 2, forwardKernels: [{ name: 'Conv2D', ms: 1, calls: 3 }], backwardKernels: [{ name: 'Tile', ms: 2, calls: 3 }] },
    finalLoss: 2.3,
  };
}

function torch(variant: TorchResult['variant'], threads: number, medianStepMs: number): TorchResult {
  return { variant, threads, torchVersion: '1.13', stepMs: [medianStepMs], medianStepMs, maxRssBytes: 1, finalLoss: 2.3 };
}

function lenet(implementation: LenetResult['implementation'], threads: number, epochMs: number, testAccuracy: number, parallel: LenetResult['parallel'] = threads > 1 ? 'data' : 'none'): LenetResult {
  return { implementation, threads, epochMs, testAccuracy, version: implementation === 'ours' ? 'tfjs 4.22.0' : 'PyTorch 1.13', ...(implementation === 'ours' ? { parallel } : {}) };
}

function results(engineRows: EngineResult[], torchRows: TorchResult[], lenetRows: LenetResult[] = []): BenchResults {
  return {
    options: parseBenchOptions([], {}),
    machine: { cpuModel: 'test CPU', cores: 2, ramBytes: 2 ** 30, os: 'test', node: '20', tfjs: '4.22.0', loadAtStart: [0, 0, 0], loadAtEnd: [0, 0, 0], date: '2026-01-01T00:00:00Z' },
    engine: engineRows,
    torch: torchRows,
    lenet: lenetRows,
    store: [],
    failures: [{ what: 'store', reason: 'no store-bench | here' }],
  };
}

describe('bench report', () => {
  it('judges each kernel against its own limit relative to the ordinary convolution', () => {
    const checks = checkTargets(results([engine('conv', 100), engine('polynomial', 114), engine('sigmoid', 116), engine('manhattan', 390)], []));
    const byKernel = Object.fromEntries(checks.map((c) => [c.target.split(' ')[0], c.met]));
    expect(byKernel).toEqual({ polynomial: true, sigmoid: false, manhattan: true });
  });

  it('compares with PyTorch at the thread count of our backend and mentions the others', () => {
    const checks = checkTargets(
      results([engine('conv', 200), engine('polynomial', 210), engine('gaussian', 250)], [
        torch('conv', 1, 150), torch('conv', 2, 90), torch('unfold-polynomial', 1, 2100), torch('unfold-gaussian', 1, 2000),
      ]),
    );
    const speed = checks.find((c) => c.target.includes('nn.Conv2d'))!;
    expect(speed.met).toBe(true); // 200 / 150 = 1.33 ≤ 2
    expect(speed.target).toContain('(1 thread each)');
    expect(speed.measured).toBe('1.33× (2.22× its 2-thread step)');
    expect(checks.find((c) => c.target.startsWith('polynomial ≥'))!.met).toBe(true); // 10×
    expect(checks.find((c) => c.target.startsWith('gaussian ≥'))!.met).toBe(false); // 8×
  });

  it('judges the LeNet-5 epoch against PyTorch at our thread count, time and accuracy both', () => {
    const check = (rows: LenetResult[]) => checkTargets(results([], [], rows)).find((c) => c.target.startsWith('LeNet-5'))!;
    const fast = check([lenet('ours', 2, 17_000, 0.874), lenet('torch', 1, 20_000, 0.873), lenet('torch', 2, 18_000, 0.872)]);
    expect(fast.target).toContain('(2 threads each)');
    expect(fast.measured).toBe('0.94×, accuracy +0.20 points');
    expect(fast.met).toBe(true);
    expect(check([lenet('ours', 2, 19_000, 0.874), lenet('torch', 2, 18_000, 0.872)]).met).toBe(false); // 1.06×
    expect(check([lenet('ours', 2, 17_000, 0.864), lenet('torch', 2, 18_000, 0.872)]).met).toBe(false); // −0.8 point
    const table = buildTable(results([], [], [lenet('ours', 2, 26_000, 0.874), lenet('torch', 2, 18_000, 0.872)]));
    expect(table).toContain('LeNet-5 Fashion-MNIST, test acc 87.40%');
    expect(table).toContain('0.69× (vs our data-parallel epoch)');
  });

  it('says what each thread layout buys over one thread, on the conv step and the LeNet-5 epoch', () => {
    const conv = (threads: number, parallel: EngineResult['parallel'], ms: number) => ({ ...engine('conv', ms), threads, parallel });
    const report = renderReport(
      results([conv(2, 'data', 400), conv(2, 'xnnpack', 660), conv(1, 'none', 720)], [], [lenet('ours', 2, 20_000, 0.87), lenet('ours', 2, 33_000, 0.87, 'xnnpack'), lenet('ours', 1, 36_000, 0.87)]),
    );
    expect(report).toContain('- reference CNN step, speed-up over one thread on 2 threads: data-parallel 1.80×, XNNPACK threads 1.09×');
    expect(report).toContain('- LeNet-5 epoch, speed-up over one thread on 2 threads: data-parallel 1.80×, XNNPACK threads 1.09×');
    expect(report).toContain('| a. engine | tfjs wasm (ours), XNNPACK threads | conv (1 step: slow) | 2 | 660.0 |');
  });

  it('prints one markdown table with a row per measurement and keeps pipes out of cells', () => {
    const table = buildTable(results([engine('conv', 100), engine('gaussian', 160)], [torch('unfold-gaussian', 1, 3200)]));
    const lines = table.split('\n');
    expect(lines).toHaveLength(2 + 4);
    expect(new Set(lines.map((l) => l.split(' | ').length)).size).toBe(1);
    expect(table).toContain('| 1.60× |');
    expect(table).toContain('20.00× (vs our gaussian)');
  });

  it('profiles the variants of a missed target in the report', () => {
    const report = renderReport(results([engine('conv', 100), engine('cosine', 200)], []));
    expect(report).toContain('MISSED: cosine step ≤ 1.5× ordinary conv (wasm): 2.00×');
    expect(report).toContain('**cosine**');
    expect(report).toContain('Tile');
  });
});
