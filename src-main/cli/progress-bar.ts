// The per-epoch progress line of `kerv train`: redrawn in place on a terminal, and
// on a pipe or log file one line per ~10% so logs stay readable.

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressState {
  label: string;
  done: number;
  total: number;
  /** Extra text after the counts, e.g. "loss 0.4123  612 img/s". */
  detail: string;
}

/** "[#######-------------]" for a fraction in [0, 1]. */
export function renderBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export function renderProgressLine(state: ProgressState, barWidth: number): string {
  const fraction = state.total > 0 ? state.done / state.total : 0;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const bar = barWidth > 0 ? ` ${renderBar(fraction, barWidth)}` : '';
  return `${state.label}${bar} ${percent} ${state.done}/${state.total}  ${state.detail}`;
}

/** Length of a progress line without its bar, e.g. "Epoch 10/10 100% 844/844  loss 0.1234  acc 95.3%  1234 img/s". */
const TYPICAL_TEXT_LENGTH = 75;

export class ProgressBar {
  private lastDecile = -1;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly interactive = Boolean(stream.isTTY),
  ) {}

  update(state: ProgressState): void {
    if (this.interactive) {
      // The bar takes what a typical line leaves of the terminal width (at most 30,
      // none below 5); a fixed estimate keeps the bar from jittering as numbers change.
      const columns = this.stream.columns || 80; // 0 where the terminal size is unknown
      const room = columns - 1 - TYPICAL_TEXT_LENGTH;
      const width = room >= 5 ? Math.min(30, room) : 0;
      const line = renderProgressLine(state, width).slice(0, columns - 1);
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
      return;
    }
    const decile = state.total > 0 ? Math.floor((state.done / state.total) * 10) : 0;
    if (decile > this.lastDecile && decile > 0) {
      this.lastDecile = decile;
      this.stream.write(`${renderProgressLine(state, 0)}\n`);
    }
  }

  /** Clears the in-place line (TTY) so the next ordinary line starts clean; resets the 10% steps. */
  end(): void {
    if (this.interactive && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
    this.lastDecile = -1;
  }
}
