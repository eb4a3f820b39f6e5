// ASHA in the service (the rule itself: shared/asha.ts). Both places that hear
// from training processes use it: the local scheduler (a worker's 'rung'
// message) and the cluster coordinator (a 'rung' entry of the progress stream).
// A verdict is decided once per run and rung and stored with the value; asking
// again (a resumed run, a run retried on another worker) gets the same answer.
import { ashaRungs, decideRung, describeRungDecision, type RungPlan, type RungVerdict } from '../shared/asha';
import type { Store } from '../store/store';

/** The rungs a run stops at, when its sweep uses ASHA; null otherwise. */
export function rungPlan(store: Store, runId: number): RungPlan | null {
  const run = store.runs.get(runId);
  const options = run?.groupId != null ? store.asha.options(run.groupId) : null;
  if (!run || !options) return null;
  const epochs = ashaRungs(options, run.config.epochs);
  return epochs.length > 0 ? { epochs, metric: options.metric } : null;
}

/**
 * The verdict on a run that finished rung epoch `epoch` with `value`: judged
 * against the values the sweep's other runs recorded there so far, recorded
 * (in its log too) in one transaction. A run outside an ASHA sweep, or at an
 * epoch that is no rung of it, continues.
 */
export function judgeRung(store: Store, runId: number, epoch: number, value: number | null): RungVerdict {
  return store.transaction(() => {
    const run = store.runs.get(runId);
    const options = run?.groupId != null ? store.asha.options(run.groupId) : null;
    const shown = value !== null && Number.isFinite(value) ? value : null;
    if (!run || run.groupId === null || !options || !ashaRungs(options, run.config.epochs).includes(epoch)) {
      return { epoch, stop: false, value: shown, cutoff: null, eta: options?.eta ?? 0 };
    }
    const earlier = store.asha.record(runId, epoch);
    if (earlier) return { epoch, stop: earlier.verdict === 'stop', value: earlier.value, cutoff: earlier.cutoff, eta: options.eta };
    const others = store.asha.valuesAt(run.groupId, epoch, runId).filter((v): v is number => v !== null);
    const decision = decideRung(shown, others, options);
    store.asha.add(run.groupId, { runId, epoch, value: shown, cutoff: decision.cutoff, compared: others.length, verdict: decision.stop ? 'stop' : 'continue' });
    store.runs.log(runId, 'info', describeRungDecision(epoch, shown, decision, options));
    return { epoch, stop: decision.stop, value: shown, cutoff: decision.cutoff, eta: options.eta };
  }, 'record an ASHA verdict in');
}
