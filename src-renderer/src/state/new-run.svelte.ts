// The new-run form: the config being edited (starting from the service's
// defaults, a preset or a cloned run), live validation and the architecture
// preview, both from the service so the form can never disagree with it.
import type { ModelDescription, Preset } from '../../../src-main/shared/api';
import { ashaEpochBudget, ashaRungs, type AshaMetric } from '../../../src-main/shared/asha';
import type { RunConfig } from '../../../src-main/shared/run-config';
import { defaultImageSize, type DatasetName } from '../../../src-main/shared/datasets';
import { api, ApiError, type Issue } from '../lib/api';
import { FIELD_PATHS, defaultKernel, type FieldSpec, parseSweepValues, sweepRunCount } from '../lib/config-fields';
import { getPath, setPath } from '../../../src-main/shared/config-paths';
import { issuesByField } from '../lib/config-paths';

export interface SweepAxis {
  path: string;
  text: string;
}

export class NewRunForm {
  defaults = $state<RunConfig | null>(null);
  presets = $state<Preset[]>([]);
  config = $state<Record<string, unknown>>({});
  /** What is typed in each text field, so "1e-" or "abc" stay on screen while invalid. */
  texts = $state<Record<string, string>>({});
  issues = $state<Issue[]>([]);
  description = $state<ModelDescription | null>(null);
  describeError = $state<string | null>(null);
  busy = $state(false);
  sweepMode = $state(false);
  sweepAxes = $state<SweepAxis[]>([]);
  repeats = $state(1);
  randomDraws = $state<number | null>(null);
  /** The sweep's ASHA option (shared/asha.ts): off, or its r, η and metric. */
  asha = $state<{ enabled: boolean; minEpochs: number; eta: number; metric: AshaMetric }>({ enabled: false, minEpochs: 1, eta: 3, metric: 'validationAccuracy' });
  private timer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;

  grouped = $derived(issuesByField(this.issues, FIELD_PATHS));

  async load(cloneFrom: number | null) {
    const { config, presets } = await api.invoke('config:defaults', undefined);
    this.defaults = config;
    this.presets = presets;
    let start: Record<string, unknown> = structuredClone(config) as Record<string, unknown>;
    if (cloneFrom) {
      const run = await api.invoke('runs:get', { id: cloneFrom });
      start = structuredClone(run.config) as Record<string, unknown>;
      start.name = run.name ? `${run.name} (copy)` : undefined;
    }
    this.replace(start);
  }

  replace(config: Record<string, unknown>) {
    this.config = config;
    this.texts = {};
    this.scheduleCheck(0);
  }

  applyPreset(id: string) {
    const preset = this.presets.find((p) => p.id === id);
    if (!preset || !this.defaults) return;
    // A snapshot, not structuredClone: `defaults` is a $state proxy, which structuredClone refuses (DataCloneError).
    this.replace(deepMerge($state.snapshot(this.defaults) as Record<string, unknown>, $state.snapshot(preset.config) as Record<string, unknown>));
  }

  value(path: string): unknown {
    return getPath(this.config, path);
  }

  set(path: string, value: unknown, text?: string) {
    if (path === 'model.kernel.type') {
      // A new kernel brings its own parameters with their defaults.
      this.config = setPath(this.config, 'model.kernel', defaultKernel(value as never));
    } else if (path === 'dataset.name') {
      // The image size follows the dataset: a fixed one's own side (28 for Fashion-MNIST), an image folder's default.
      this.config = setPath(setPath(this.config, path, value), 'dataset.imageSize', defaultImageSize(value as DatasetName));
    } else {
      this.config = setPath(this.config, path, value);
    }
    if (text !== undefined) this.texts = { ...this.texts, [path]: text };
    this.scheduleCheck();
  }

  private scheduleCheck(delayMs = 200) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), delayMs);
  }

  /** Validates the config and, when valid, describes the model. */
  async check(): Promise<boolean> {
    const generation = ++this.generation;
    const config = $state.snapshot(this.config);
    try {
      const result = await api.invoke('config:validate', config);
      if (generation !== this.generation) return result.ok;
      this.issues = result.issues;
      if (!result.ok) {
        this.description = null;
        this.describeError = null;
        return false;
      }
      try {
        const description = await api.invoke('models:describe', config);
        if (generation === this.generation) {
          this.description = description;
          this.describeError = null;
        }
      } catch (error) {
        if (generation === this.generation) this.describeError = (error as Error).message;
      }
      return true;
    } catch (error) {
      this.issues = [{ path: '(root)', message: (error as Error).message }];
      return false;
    }
  }

  sweepGrid(fields: FieldSpec[]): Record<string, unknown[]> {
    const grid: Record<string, unknown[]> = {};
    for (const axis of this.sweepAxes) {
      const field = fields.find((f) => f.path === axis.path);
      if (!field) continue;
      const values = parseSweepValues(field, axis.text);
      if (values.length) grid[axis.path] = values;
    }
    return grid;
  }

  sweepSize(fields: FieldSpec[]): number {
    return sweepRunCount(this.sweepGrid(fields), this.repeats, this.randomDraws ?? undefined);
  }

  /** ASHA's rungs for this config and what they may save on this sweep (if each rung kept exactly its top 1/η). */
  ashaEstimate(fields: FieldSpec[]): { rungs: number[]; maxEpochs: number; epochs: number; fullEpochs: number } {
    const maxEpochs = typeof this.config.epochs === 'number' ? this.config.epochs : (this.defaults?.epochs ?? 0);
    const options = { minEpochs: Math.max(1, Math.floor(this.asha.minEpochs) || 1), eta: Math.max(2, Math.floor(this.asha.eta) || 2) };
    return { rungs: ashaRungs(options, maxEpochs), maxEpochs, ...ashaEpochBudget(this.sweepSize(fields), maxEpochs, options) };
  }

  /** Starts (or queues) the run; on a config error the issues land next to their fields and nothing starts. */
  async start(queue: boolean): Promise<number | null> {
    this.busy = true;
    try {
      // Validate first (the same checks the service makes, kervLayers range included): a bad
      // config shows its issues next to the fields and creates no run.
      // A check the typing scheduled would race this one and leave its issues unset for a moment.
      if (this.timer) clearTimeout(this.timer);
      if (!(await this.check())) return null;
      const { id } = await api.invoke('runs:start', { config: $state.snapshot(this.config) as never, queue });
      return id;
    } catch (error) {
      this.captureIssues(error);
      throw error;
    } finally {
      this.busy = false;
    }
  }

  async startSweep(fields: FieldSpec[]): Promise<{ groupId: number; runIds: number[] }> {
    this.busy = true;
    try {
      return await api.invoke('sweeps:start', {
        base: $state.snapshot(this.config) as never,
        grid: this.sweepGrid(fields),
        repeats: this.repeats,
        randomDraws: this.randomDraws ?? undefined,
        name: (this.config.name as string | undefined) ?? undefined,
        asha: this.asha.enabled ? { minEpochs: this.asha.minEpochs, eta: this.asha.eta, metric: this.asha.metric } : undefined,
      });
    } catch (error) {
      this.captureIssues(error);
      throw error;
    } finally {
      this.busy = false;
    }
  }

  private captureIssues(error: unknown) {
    if (error instanceof ApiError && error.issues.length) {
      // A start request wraps the config; issues may be prefixed with "config.".
      this.issues = error.issues.map((i) => ({ path: i.path.replace(/^config\./, '').replace(/^base\./, ''), message: i.message }));
    }
  }
}

function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  // A preset's kernel replaces the whole spec (parameters belong to their type).
  if (patch.model && typeof patch.model === 'object' && 'kernel' in (patch.model as object)) {
    const kernel = (patch.model as { kernel: { type: string } }).kernel;
    (out.model as Record<string, unknown>).kernel = { ...defaultKernel(kernel.type as never), ...kernel };
  }
  return out;
}
