// Short messages in the corner: errors from the service, "run started", ...
export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  /** Shows a message; the same message already on screen is shown once, for the new time. */
  show(text: string, kind: Toast['kind'] = 'info', timeoutMs = kind === 'error' ? 8000 : 3500) {
    const id = this.next++;
    this.items = [...this.items.filter((t) => t.text !== text || t.kind !== kind), { id, kind, text }];
    setTimeout(() => this.dismiss(id), timeoutMs);
  }

  error(error: unknown) {
    this.show(error instanceof Error ? error.message : String(error), 'error');
  }

  dismiss(id: number) {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
