import { describe, expect, it } from 'vitest';
import { moveInQueue } from '../../../src-renderer/src/lib/queue-order';
import { formatTags, parseTags } from '../../../src-renderer/src/lib/tags';

describe('queue order', () => {
  it('moves a run one place up or down and stops at the ends', () => {
    expect(moveInQueue([1, 2, 3], 3, -1)).toEqual([1, 3, 2]);
    expect(moveInQueue([1, 2, 3], 1, 1)).toEqual([2, 1, 3]);
    expect(moveInQueue([1, 2, 3], 1, -1)).toBeNull();
    expect(moveInQueue([1, 2, 3], 3, 1)).toBeNull();
    expect(moveInQueue([1, 2, 3], 9, -1)).toBeNull();
  });
});

describe('tags', () => {
  it('reads comma-separated tags without blanks or repeats, and writes them back', () => {
    expect(parseTags(' paper, fig-2 ,paper,, ')).toEqual(['paper', 'fig-2']);
    expect(parseTags('')).toEqual([]);
    expect(formatTags(['paper', 'fig-2'])).toBe('paper, fig-2');
  });
});
