// `kerv train --backend webgpu` as a user runs it (the bundled CLI in a child
// process, which inherits this project's software Vulkan), on the real
// Fashion-MNIST: it says which adapter it runs on, warns that it is a software
// one, and reaches the accuracy of the same run on wasm. The test subset is cut
// to 1,000 images: SwiftShader evaluates the whole test set in minutes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSoftwareVulkan } from './software-vulkan';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-webgpu-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: { summary: { testAccuracy: number; steps: number }; environment: { backend: string; device: string } };
}

function train(backend: 'webgpu' | 'wasm'): Promise<Result> {
  const summaryFile = join(tmp, `${backend}.json`);
  const args = [
    'out/node/kerv.js', 'train', '--backend', backend, '--dataset', 'fashion-mnist', '--arch', 'lenet5', '--kernel', 'polynomial',
    '--train-subset', '512', '--test-subset', '1000', '--epochs', '1', '--summary-json', summaryFile,
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, KERV_CACHE_DIR: join(tmp, 'cache') };
  delete env.KERV_BACKEND;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const summary = code === 0 ? JSON.parse(readFileSync(summaryFile, 'utf8')) : null;
      resolve({ code, stdout, stderr, summary });
    });
  });
}

describe.skipIf(!hasSoftwareVulkan())('kerv train --backend webgpu', () => {
  it('trains LeNet-5 (polynomial) on 512 Fashion-MNIST images on the software adapter, as accurate as wasm', async () => {
    const gpu = await train('webgpu');
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stdout).toMatch(/^Backend: webgpu on SwiftShader driver [\d.]+ \(google swiftshader\), software, 1 thread/m);
    expect(gpu.stderr).toMatch(/^warn: webgpu: running on the software adapter SwiftShader.*slower than wasm$/m);
    expect(gpu.summary.environment).toMatchObject({ backend: 'webgpu', device: expect.stringContaining('SwiftShader') });
    expect(gpu.summary.summary.steps).toBe(8);

    const wasm = await train('wasm');
    expect(wasm.code, wasm.stderr).toBe(0);
    const [a, b] = [gpu.summary.summary.testAccuracy, wasm.summary.summary.testAccuracy];
    expect(b).toBeGreaterThan(0.3); // 8 steps learn something: chance is 0.1
    expect(Math.abs(a - b)).toBeLessThanOrEqual(0.02);
  }, 1_800_000); // SwiftShader on a loaded 2-core machine: minutes of CPU, many more of waiting
});
