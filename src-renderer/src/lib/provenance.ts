// Where a run was trained and where its record came from, as the Reproducibility
// table says it: a run imported from a bundle trained on another machine (its
// environment row names that machine's device and OS), not on this one.
import type { RunDetail } from '../../../src-main/shared/api';
import { formatDateTime } from '../../../src-main/shared/format';

/** "this machine", "worker gpu-1", or "another machine (imported)". */
export function ranOnText(run: Pick<RunDetail, 'ranOn' | 'origin'>): string {
  if (run.ranOn) return `worker ${run.ranOn}`;
  return run.origin?.startsWith('imported from ') ? 'another machine (imported)' : 'this machine';
}

/** The origin in words, its time as local date and time: "imported from a.kervrun (run 5 there) at 2026-12-05 14:03". */
export function originText(origin: string | null): string {
  if (!origin) return 'started here';
  return origin.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, (iso) => formatDateTime(iso));
}
