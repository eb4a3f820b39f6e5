// Per-step and per-epoch metrics, sample images and their per-epoch predictions.
import type { RunMetrics, ScalarSeries, StepSeries } from '../shared/api';
import type { EpochMetrics, SampleImage, SamplePrediction, ScalarSample, StepMetrics } from '../shared/progress';
import type { Db } from './database';

interface EpochDbRow {
  epoch: number;
  step: number;
  train_loss: number;
  train_accuracy: number;
  val_loss: number | null;
  val_accuracy: number | null;
  per_class_json: string;
  confusion_json: string;
  duration_ms: number;
  wall_time_ms: number;
}

export function emptySeries(): StepSeries {
  return { step: [], epoch: [], loss: [], accuracy: [], learningRate: [], imagesPerSecond: [], wallTimeMs: [] };
}

/** The predicted class of a sample prediction (its most probable class). */
export function predictedClass(p: SamplePrediction): number {
  return p.top.length > 0 ? p.top[0].classIndex : -1;
}

export class MetricStore {
  constructor(private readonly db: Db) {}

  appendSteps(runId: number, steps: StepMetrics[]): void {
    // REPLACE keeps a re-sent step idempotent; resume deletes steps past the
    // checkpoint first, so a replaced row never hides a doubled step.
    const stmt = this.db.prepare(
      `INSERT OR REPLACE INTO step_metrics (run_id, step, epoch, loss, accuracy, learning_rate, images_per_second, wall_time_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const s of steps) {
      stmt.run(runId, s.step, s.epoch, finiteOrNull(s.loss), finiteOrNull(s.accuracy), s.learningRate, s.imagesPerSecond, s.wallTimeMs);
    }
  }

  putEpoch(runId: number, m: EpochMetrics): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO epoch_metrics (run_id, epoch, step, train_loss, train_accuracy, val_loss, val_accuracy,
           per_class_json, confusion_json, duration_ms, wall_time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        runId,
        m.epoch,
        m.step,
        finiteOrNull(m.trainLoss),
        finiteOrNull(m.trainAccuracy),
        finiteOrNull(m.validationLoss),
        finiteOrNull(m.validationAccuracy),
        JSON.stringify(m.perClassAccuracy),
        JSON.stringify(m.confusion),
        m.durationMs,
        m.wallTimeMs,
      );
    const pred = this.db.prepare(
      `INSERT OR REPLACE INTO sample_predictions (run_id, epoch, sample_index, predicted, loss, top_json) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    for (const p of m.samplePredictions) {
      pred.run(runId, m.epoch, p.sampleIndex, predictedClass(p), finiteOrNull(p.loss), JSON.stringify(p.top));
    }
  }

  steps(runId: number, sinceStep = 0): StepSeries {
    const rows = this.db
      .prepare(
        `SELECT step, epoch, loss, accuracy, learning_rate, images_per_second, wall_time_ms FROM step_metrics
         WHERE run_id = ? AND step > ? ORDER BY step`,
      )
      .raw()
      .all(runId, sinceStep) as number[][];
    const series = emptySeries();
    for (const r of rows) {
      series.step.push(r[0]);
      series.epoch.push(r[1]);
      series.loss.push(r[2] ?? NaN);
      series.accuracy.push(r[3] ?? NaN);
      series.learningRate.push(r[4]);
      series.imagesPerSecond.push(r[5]);
      series.wallTimeMs.push(r[6]);
    }
    return series;
  }

  epochs(runId: number, sinceStep = 0): EpochMetrics[] {
    const rows = this.db
      .prepare('SELECT * FROM epoch_metrics WHERE run_id = ? AND step > ? ORDER BY epoch')
      .all(runId, sinceStep) as EpochDbRow[];
    const predictions = this.db.prepare(
      'SELECT sample_index, loss, top_json FROM sample_predictions WHERE run_id = ? AND epoch = ? ORDER BY sample_index',
    );
    return rows.map((r) => ({
      epoch: r.epoch,
      step: r.step,
      trainLoss: r.train_loss ?? NaN,
      trainAccuracy: r.train_accuracy ?? NaN,
      validationLoss: r.val_loss,
      validationAccuracy: r.val_accuracy,
      perClassAccuracy: JSON.parse(r.per_class_json) as number[],
      confusion: JSON.parse(r.confusion_json) as number[][],
      samplePredictions: (predictions.all(runId, r.epoch) as { sample_index: number; loss: number | null; top_json: string }[]).map(
        (p) => ({ sampleIndex: p.sample_index, loss: p.loss ?? NaN, top: JSON.parse(p.top_json) }),
      ),
      durationMs: r.duration_ms,
      wallTimeMs: r.wall_time_ms,
    }));
  }

  metrics(runId: number, sinceStep = 0): RunMetrics {
    return { steps: this.steps(runId, sinceStep), epochs: this.epochs(runId, sinceStep) };
  }

  /** The scalar metrics of the last stored epoch, without confusion matrices or predictions. */
  lastEpoch(runId: number): { epoch: number; trainLoss: number | null; trainAccuracy: number | null; validationLoss: number | null; validationAccuracy: number | null } | null {
    const row = this.db
      .prepare(
        `SELECT epoch, train_loss AS trainLoss, train_accuracy AS trainAccuracy, val_loss AS validationLoss, val_accuracy AS validationAccuracy
         FROM epoch_metrics WHERE run_id = ? ORDER BY epoch DESC LIMIT 1`,
      )
      .get(runId) as { epoch: number; trainLoss: number | null; trainAccuracy: number | null; validationLoss: number | null; validationAccuracy: number | null } | undefined;
    return row ?? null;
  }

  lastStep(runId: number): number {
    const row = this.db.prepare('SELECT max(step) AS s FROM step_metrics WHERE run_id = ?').get(runId) as { s: number | null };
    return row.s ?? 0;
  }

  /** Best validation accuracy over the stored epochs (after a truncation it must be recomputed). */
  bestValidationAccuracy(runId: number): number | null {
    const row = this.db.prepare('SELECT max(val_accuracy) AS b FROM epoch_metrics WHERE run_id = ?').get(runId) as { b: number | null };
    return row.b;
  }

  /** Diagnostic samples; a name re-sent for the same step replaces its value. Non-finite values are kept as NULL gaps. */
  appendScalars(runId: number, samples: readonly ScalarSample[]): void {
    const stmt = this.db.prepare('INSERT OR REPLACE INTO scalar_metrics (run_id, name, step, wall_time_ms, value) VALUES (?, ?, ?, ?, ?)');
    for (const sample of samples) {
      for (const [name, value] of Object.entries(sample.values)) stmt.run(runId, name, sample.step, sample.wallTimeMs, finiteOrNull(value));
    }
  }

  /** Series by name, each ordered by step; `prefix` keeps one family ("kernel/"). */
  scalars(runId: number, options: { prefix?: string; sinceStep?: number } = {}): Record<string, ScalarSeries> {
    const prefix = options.prefix ?? '';
    // A range on the primary key instead of LIKE: the prefix is data, not a pattern.
    const rows = this.db
      .prepare(
        `SELECT name, step, wall_time_ms, value FROM scalar_metrics
         WHERE run_id = ? AND name >= ? AND name < ? AND step > ? ORDER BY name, step`,
      )
      .raw()
      .all(runId, prefix, `${prefix}\uffff`, options.sinceStep ?? 0) as [string, number, number | null, number | null][];
    const out: Record<string, ScalarSeries> = {};
    for (const [name, step, wallTimeMs, value] of rows) {
      const series = (out[name] ??= { step: [], wallTimeMs: [], value: [] });
      series.step.push(step);
      series.wallTimeMs.push(wallTimeMs ?? NaN);
      series.value.push(value ?? NaN);
    }
    return out;
  }

  /** Deletes every step after `step` and every epoch that ended after it: resume continues from there. */
  truncateAfter(runId: number, step: number): void {
    this.db.prepare('DELETE FROM step_metrics WHERE run_id = ? AND step > ?').run(runId, step);
    this.db.prepare('DELETE FROM scalar_metrics WHERE run_id = ? AND step > ?').run(runId, step);
    const epochs = this.db.prepare('SELECT epoch FROM epoch_metrics WHERE run_id = ? AND step > ?').all(runId, step) as { epoch: number }[];
    const delPred = this.db.prepare('DELETE FROM sample_predictions WHERE run_id = ? AND epoch = ?');
    for (const { epoch } of epochs) delPred.run(runId, epoch);
    this.db.prepare('DELETE FROM epoch_metrics WHERE run_id = ? AND step > ?').run(runId, step);
  }

  // ---- samples ----

  putSamples(runId: number, samples: SampleImage[]): void {
    const stmt = this.db.prepare(
      'INSERT OR REPLACE INTO sample_images (run_id, sample_index, dataset_index, label, png) VALUES (?, ?, ?, ?, ?)',
    );
    for (const s of samples) stmt.run(runId, s.sampleIndex, s.datasetIndex, s.label, Buffer.from(s.pngBase64, 'base64'));
  }

  samples(runId: number): SampleImage[] {
    const rows = this.db
      .prepare('SELECT sample_index, dataset_index, label, png FROM sample_images WHERE run_id = ? ORDER BY sample_index')
      .all(runId) as { sample_index: number; dataset_index: number; label: number; png: Buffer }[];
    return rows.map((r) => ({ sampleIndex: r.sample_index, datasetIndex: r.dataset_index, label: r.label, pngBase64: r.png.toString('base64') }));
  }

  /** sampleIndex → predicted class at one epoch. */
  predictionsAt(runId: number, epoch: number): Map<number, number> {
    const rows = this.db
      .prepare('SELECT sample_index, predicted FROM sample_predictions WHERE run_id = ? AND epoch = ?')
      .all(runId, epoch) as { sample_index: number; predicted: number }[];
    return new Map(rows.map((r) => [r.sample_index, r.predicted]));
  }

  epochNumbersWithPredictions(runId: number): number[] {
    return (
      this.db.prepare('SELECT DISTINCT epoch FROM sample_predictions WHERE run_id = ? ORDER BY epoch').all(runId) as { epoch: number }[]
    ).map((r) => r.epoch);
  }
}

/** SQLite stores NaN as NULL; a diverged loss reads back as NaN. */
function finiteOrNull(v: number | null): number | null {
  return v === null || Number.isNaN(v) ? null : v;
}
