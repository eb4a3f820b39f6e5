// Moving one queued run up or down: pure, so the panel and its tests share it.

/** The queue with `id` moved by `delta` places (clamped to the ends); null when it cannot move. */
export function moveInQueue(ids: readonly number[], id: number, delta: number): number[] | null {
  const from = ids.indexOf(id);
  if (from < 0) return null;
  const to = Math.min(Math.max(from + delta, 0), ids.length - 1);
  if (to === from) return null;
  const next = ids.filter((x) => x !== id);
  next.splice(to, 0, id);
  return next;
}
