import { describe, expect, it } from 'vitest';
import { availableCores, coreShare, resolveThreads } from '../../../../src-main/engine/backend/cores';

describe('cores', () => {
  it("resolves 'auto' to the cores a run is given, and keeps a number as given", () => {
    expect(resolveThreads('auto')).toBe(availableCores());
    expect(resolveThreads('auto', 3)).toBe(3);
    expect(resolveThreads(4, 2)).toBe(4);
  });

  it('divides the cores between simultaneous runs, never below one each', () => {
    expect(coreShare(8, 1)).toBe(8);
    expect(coreShare(8, 2)).toBe(4);
    expect(coreShare(8, 3)).toBe(2);
    expect(coreShare(2, 4)).toBe(1);
  });
});
