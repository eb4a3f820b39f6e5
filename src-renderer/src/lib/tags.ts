// Tags as typed in one text field: comma-separated, trimmed, no empties or repeats.

export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
}

export function formatTags(tags: readonly string[]): string {
  return tags.join(', ');
}
