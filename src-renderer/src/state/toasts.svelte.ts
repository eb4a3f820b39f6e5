// Short messages in the corner: errors from the service, "run started", ...
export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
  /** What the toast is about; a newer toast about the same thing replaces it. Its text by default. */
  topic: string;
}

class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  /**
   * Shows a message; one already on screen about the same topic (by default the same
   * text) is replaced, so a repeated or updated refusal ("Nothing started: 2 fields…",
   * then "…1 field…") is one toast, for the new time.
   */
  show(text: string, kind: Toast['kind'] = 'info', topic = text) {
    const id = this.next++;
    this.items = [...this.items.filter((t) => t.topic !== topic || t.kind !== kind), { id, kind, text, topic }];
    setTimeout(() => this.dismiss(id), kind === 'error' ? 8000 : 3500);
  }

  error(error: unknown) {
    this.show(error instanceof Error ? error.message : String(error), 'error');
  }

  dismiss(id: number) {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
