import { afterEach, describe, expect, it } from 'vitest';
import { checkLimit, LimitError, limitValue, LIMITS, setLimit } from '../../../src-main/shared/limits';

describe('limits', () => {
  afterEach(() => {
    setLimit('MAX_IMAGE_PIXELS', undefined);
    delete process.env.KERV_MAX_IMAGE_PIXELS;
  });

  it('uses the default, then the environment variable, then an explicit setting', () => {
    expect(limitValue('MAX_IMAGE_PIXELS')).toBe(LIMITS.MAX_IMAGE_PIXELS.defaultValue);
    process.env.KERV_MAX_IMAGE_PIXELS = '1000';
    expect(limitValue('MAX_IMAGE_PIXELS')).toBe(1000);
    setLimit('MAX_IMAGE_PIXELS', 50);
    expect(limitValue('MAX_IMAGE_PIXELS')).toBe(50);
  });

  it('ignores an environment value that is not a positive number', () => {
    process.env.KERV_MAX_IMAGE_PIXELS = 'lots';
    expect(limitValue('MAX_IMAGE_PIXELS')).toBe(LIMITS.MAX_IMAGE_PIXELS.defaultValue);
  });

  it('names the input, the limit and how to raise it', () => {
    expect(() => checkLimit('MAX_IMAGE_PIXELS', 30000 * 30000, 'Image bomb.png (30000 × 30000)')).toThrow(LimitError);
    try {
      checkLimit('MAX_IMAGE_PIXELS', 30000 * 30000, 'Image bomb.png (30000 × 30000)');
    } catch (error) {
      expect((error as Error).message).toMatch(/^Image bomb\.png \(30000 × 30000\) is 900,000,000 pixels; the limit is 40,000,000 pixels/);
      expect((error as Error).message).toContain('KERV_MAX_IMAGE_PIXELS');
    }
    expect(() => checkLimit('MAX_IMAGE_PIXELS', 10)).not.toThrow();
    expect(() => checkLimit('MAX_IMAGE_PIXELS', NaN)).toThrow(LimitError);
  });
});
