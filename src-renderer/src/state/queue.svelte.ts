// The run queue: queued runs in the order the service will start them (queue:get),
// with their rows for names, kept current from run:status events. Moving a run
// sends the whole new order (queue:reorder), then reloads what the service holds.
import type { RunRow } from '../../../src-main/shared/api';
import { api } from '../lib/api';
import { moveInQueue } from '../lib/queue-order';
import { toasts } from './toasts.svelte';

class QueueState {
  /** Queued runs, first to start first. */
  rows = $state<RunRow[]>([]);
  concurrency = $state(1);
  busy = $state(false);
  private generation = 0;

  async load() {
    const generation = ++this.generation;
    try {
      const [queue, list] = await Promise.all([
        api.invoke('queue:get', undefined),
        api.invoke('runs:list', { status: ['queued'], limit: 10_000 }),
      ]);
      if (generation !== this.generation) return;
      const byId = new Map(list.rows.map((r) => [r.id, r]));
      this.rows = queue.ids.map((id) => byId.get(id)).filter((r): r is RunRow => r !== undefined);
      this.concurrency = queue.concurrency;
    } catch (error) {
      toasts.error(error);
    }
  }

  /** Moves a queued run `delta` places (-1 up, +1 down); resolves once the panel shows the new order. */
  async move(id: number, delta: number) {
    const order = moveInQueue(
      this.rows.map((r) => r.id),
      id,
      delta,
    );
    if (!order || this.busy) return;
    this.busy = true;
    try {
      await api.invoke('queue:reorder', { ids: order });
    } catch (error) {
      // Typically a run started (left the queue) meanwhile: show why and the queue as it is now.
      toasts.error(error);
    }
    // Busy until the new order is on screen: a second move must start from it, not from the old rows.
    await this.load();
    this.busy = false;
  }
}

export const queue = new QueueState();
