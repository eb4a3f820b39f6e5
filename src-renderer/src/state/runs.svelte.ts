// The runs table: one page of rows from the service (server-side paging, so
// 10,000 runs cost one page), the query that produced it, and the selection,
// which survives paging and re-sorting because it is kept by id.
import type { RunFilter, RunRow, RunStatus } from '../../../src-main/shared/api';
import { api } from '../lib/api';
import { DEFAULT_COLUMNS, needsConfig } from '../lib/run-table';
import { toasts } from './toasts.svelte';

export const PAGE_SIZE = 100;

/** A run field (shared/run-fields.ts). */
type SortKey = string;

class RunsState {
  rows = $state<RunRow[]>([]);
  total = $state(0);
  loading = $state(false);
  search = $state('');
  status = $state<RunStatus | ''>('');
  sortBy = $state<SortKey>('id');
  sortDir = $state<'asc' | 'desc'>('desc');
  page = $state(0);
  /** The page the rows on screen belong to: the pager's range follows the rows, not the request in flight. */
  shownPage = $state(0);
  /** "Group by config": repeats of one experiment together, labelled by the fields that tell the groups apart (which needs the configs). */
  grouped = $state(false);
  /** Shown columns, by run field. */
  columns = $state<string[]>([...DEFAULT_COLUMNS]);
  /** The filter box as typed, and what it parsed to (the query uses the parsed conditions). */
  filterText = $state('');
  where = $state<RunFilter[]>([]);
  /** The row the keyboard is on (index into rows). */
  cursor = $state(-1);
  selected = $state<Set<number>>(new Set());
  /** Last row clicked, for shift-click ranges. */
  anchor = $state<number | null>(null);
  private generation = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  pageCount = $derived(Math.max(1, Math.ceil(this.total / PAGE_SIZE)));

  async load() {
    const generation = ++this.generation;
    const page = this.page;
    this.loading = true;
    try {
      const result = await api.invoke('runs:list', {
        search: this.search.trim() || undefined,
        status: this.status ? [this.status] : undefined,
        sortBy: this.sortBy,
        sortDir: this.sortDir,
        where: this.where.length > 0 ? this.where : undefined,
        withConfig: this.grouped || needsConfig([...this.columns, ...this.where.map((w) => w.field), this.sortBy]) || undefined,
        limit: PAGE_SIZE,
        offset: page * PAGE_SIZE,
      });
      // A slower, older query must not overwrite a newer one.
      if (generation !== this.generation) return;
      this.rows = result.rows;
      this.cursor = Math.min(this.cursor, result.rows.length - 1);
      this.shownPage = page;
      this.total = result.total;
      if (this.page > 0 && this.page >= this.pageCount) {
        this.page = this.pageCount - 1;
        void this.load();
      }
    } catch (error) {
      toasts.error(error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** Coalesces bursts of status events into one reload. */
  refreshSoon(delayMs = 300) {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.load();
    }, delayMs);
  }

  sort(key: SortKey) {
    if (this.sortBy === key) this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
    else {
      this.sortBy = key;
      this.sortDir = key === 'name' || key === 'dataset' || key === 'arch' || key === 'kernel' || key === 'status' ? 'asc' : 'desc';
    }
    this.page = 0;
    void this.load();
  }

  setPage(page: number) {
    this.page = Math.min(Math.max(0, page), this.pageCount - 1);
    void this.load();
  }

  click(id: number, modifiers: { shift: boolean; toggle: boolean }) {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a copy, assigned to the $state field whole below
    const next = new Set(this.selected);
    if (modifiers.shift && this.anchor !== null) {
      const ids = this.rows.map((r) => r.id);
      const [a, b] = [ids.indexOf(this.anchor), ids.indexOf(id)].sort((x, y) => x - y);
      if (a >= 0) for (const rid of ids.slice(a, b + 1)) next.add(rid);
    } else if (modifiers.toggle) {
      if (next.has(id)) next.delete(id);
      else next.add(id);
      this.anchor = id;
    } else {
      next.clear();
      next.add(id);
      this.anchor = id;
    }
    this.selected = next;
  }

  toggle(id: number) {
    this.click(id, { shift: false, toggle: true });
  }

  selectPage(all: boolean) {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a copy, assigned to the $state field whole below
    const next = new Set(this.selected);
    for (const row of this.rows) {
      if (all) next.add(row.id);
      else next.delete(row.id);
    }
    this.selected = next;
  }

  clearSelection() {
    this.selected = new Set();
  }

  async deleteSelected() {
    const ids = [...this.selected];
    if (ids.length === 0) return;
    try {
      await api.invoke('runs:delete', { ids });
      this.selected = new Set();
      toasts.show(`Deleted ${ids.length} run${ids.length === 1 ? '' : 's'}`);
    } catch (error) {
      toasts.error(error);
    }
    await this.load();
  }
}

export const runs = new RunsState();
