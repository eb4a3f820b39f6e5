// Why a setting was not saved, as a sentence that names the setting the way the
// Settings and Workers screens label it and says what it may be ("Not saved:
// Concurrency must be a whole number from 1 to 64."), from the per-field issues
// the service sends with a refusal (shared/issue-text.ts words them).
import type { Settings } from '../../../src-main/shared/api';

export const SETTING_LABELS: Readonly<Record<keyof Settings, string>> = {
  dataDir: 'Data folder',
  backend: 'Default backend',
  webgpuAdapter: 'WebGPU adapter',
  webgpuBackend: 'WebGPU native API',
  webgpuSpeedToggles: "Dawn's speed toggles",
  webgpuSubmitBatch: 'Dispatches per submit',
  concurrency: 'Concurrency',
  gpuSlots: 'GPU runs at once',
  redisUrl: 'Redis URL',
};

export function settingsProblem(error: unknown): string {
  const issues = (error as { issues?: { path: string; message: string }[] } | null)?.issues;
  if (!issues?.length) return error instanceof Error ? error.message : String(error);
  const label = (path: string) => (Object.hasOwn(SETTING_LABELS, path) ? SETTING_LABELS[path as keyof Settings] : path);
  return `Not saved: ${issues.map((i) => `${label(i.path)} ${i.message}`).join('; ')}.`;
}
