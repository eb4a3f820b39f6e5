// The run on the detail screen: its record, metrics, sample images and log,
// loaded once and then kept current from pushed events (steps and epochs append,
// a status change reloads the record). Only one run is live at a time.
import type { RunDetail, RunMetrics, ScalarSeries } from '../../../src-main/shared/api';
import type { SampleImage } from '../../../src-main/shared/progress';
import { api, onReconnect } from '../lib/api';
import { appendSteps, emptySeries } from '../lib/progress';
import { appendScalars } from '../lib/diagnostics';
import { toasts } from './toasts.svelte';

export type LogLine = { level: string; message: string; at: string };

export class LiveRun {
  detail = $state<RunDetail | null>(null);
  metrics = $state<RunMetrics>({ steps: emptySeries(), epochs: [] });
  samples = $state<SampleImage[]>([]);
  log = $state<LogLine[]>([]);
  /** Diagnostic series by name (kernel/…, weight_norm/…, system/…). */
  scalars = $state<Record<string, ScalarSeries>>({});
  error = $state<string | null>(null);
  private unsubscribe: (() => void)[] = [];

  constructor(readonly id: number) {}

  async open() {
    this.unsubscribe.push(
      api.on('run:progress', (event) => {
        if (event.id !== this.id) return;
        if (event.steps.length) this.metrics = { ...this.metrics, steps: appendSteps(this.metrics.steps, event.steps) };
        if (event.epoch) {
          const epoch = event.epoch;
          this.metrics = { ...this.metrics, epochs: [...this.metrics.epochs.filter((e) => e.epoch !== epoch.epoch), epoch] };
          void this.reloadDetail();
        }
      }),
      api.on('run:started', (event) => {
        if (event.id !== this.id) return;
        void this.reloadDetail();
        void this.reloadSamples();
      }),
      api.on('run:status', (event) => {
        if (event.id !== this.id) return;
        void this.reloadDetail();
        void this.reloadLog();
        if (event.status !== 'running') void this.reloadMetrics();
      }),
      api.on('run:scalars', (event) => {
        if (event.id !== this.id) return;
        this.scalars = appendScalars(this.scalars, event.samples);
      }),
      // Whatever happened while the connection was down (the run ended, the server restarted
      // and interrupted it) came as events nobody received: read it all again.
      onReconnect(() => void this.reloadAll()),
    );
    await this.reloadAll();
  }

  reloadAll() {
    return Promise.all([this.reloadDetail(), this.reloadMetrics(), this.reloadSamples(), this.reloadLog(), this.reloadScalars()]);
  }

  async reloadScalars() {
    try {
      const fresh = await api.invoke('runs:scalars', { id: this.id });
      this.scalars = fresh;
    } catch {
      // Diagnostics are secondary; the detail record carries any error.
    }
  }

  close() {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  async reloadDetail() {
    try {
      this.detail = await api.invoke('runs:get', { id: this.id });
      this.error = null;
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  async reloadMetrics() {
    try {
      const fresh = await api.invoke('runs:metrics', { id: this.id });
      // Keep any pushed steps newer than what the store had written.
      this.metrics = { steps: appendSteps(fresh.steps, this.tailAfter(fresh.steps.step.at(-1) ?? 0)), epochs: mergeEpochs(fresh.epochs, this.metrics.epochs) };
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  private tailAfter(step: number) {
    const s = this.metrics.steps;
    const out = [];
    for (let i = 0; i < s.step.length; i++) {
      if (s.step[i] > step) {
        out.push({ step: s.step[i], epoch: s.epoch[i], loss: s.loss[i], accuracy: s.accuracy[i], learningRate: s.learningRate[i], imagesPerSecond: s.imagesPerSecond[i], wallTimeMs: s.wallTimeMs[i] });
      }
    }
    return out;
  }

  async reloadSamples() {
    try {
      this.samples = await api.invoke('runs:samples', { id: this.id });
    } catch {
      // Samples appear once the worker has loaded the dataset.
    }
  }

  async reloadLog() {
    try {
      this.log = await api.invoke('runs:log', { id: this.id });
    } catch {
      // The log is secondary; the detail record carries the error.
    }
  }

  async act(action: 'runs:cancel' | 'runs:resume') {
    try {
      await api.invoke(action, { id: this.id });
      await this.reloadDetail();
    } catch (error) {
      toasts.error(error);
    }
  }
}

function mergeEpochs(stored: RunMetrics['epochs'], live: RunMetrics['epochs']): RunMetrics['epochs'] {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local working map, never held in state
  const byEpoch = new Map(stored.map((e) => [e.epoch, e]));
  for (const e of live) if (!byEpoch.has(e.epoch)) byEpoch.set(e.epoch, e);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}
