import { describe, expect, it } from 'vitest';
import { GpuError, ModelError } from '../core/errors';
import { EXCLUDED, failsAsExpected } from './conformance-exclusions';

/** An assertion failure as vitest's expect throws it. */
function assertion(message: string): Error {
  const e = new Error(message);
  e.name = 'AssertionError';
  return e;
}

describe('conformance exclusions accept only the failure they describe', () => {
  it('an expected message: the StudioError carrying it, nothing else', () => {
    const fails = { error: 'only 1-D and 2-D spatial inputs are supported' };
    expect(failsAsExpected('t', fails, new ModelError("node 'p' (MaxPool): only 1-D and 2-D spatial inputs are supported, got rank 5"))).toBeNull();
    expect(failsAsExpected('t', fails, new ModelError('graph input x is float64'))).toBe('ModelError: graph input x is float64');
    expect(failsAsExpected('t', fails, new TypeError("Cannot read properties of undefined (reading 'shape')")))
      .toBe("TypeError: Cannot read properties of undefined (reading 'shape')");
    // The right words in a plain Error (a crash, not the studio's refusal) do not count; any StudioError kind does.
    expect(failsAsExpected('t', fails, new Error('only 1-D and 2-D spatial inputs are supported'))).not.toBeNull();
    expect(failsAsExpected('t', fails, new GpuError('validation: only 1-D and 2-D spatial inputs are supported'))).toBeNull();
    expect(failsAsExpected('t', fails, 'a string')).toBe('a thrown a string');
  });

  it("'wrong values': only the runner's own output comparison of that case", () => {
    expect(failsAsExpected('test_div_uint8', 'wrong values', assertion('test_div_uint8 output 0: 3 of 12 values differ'))).toBeNull();
    expect(failsAsExpected('test_div_uint8', 'wrong values', assertion('expected 1 to be 2'))).not.toBeNull();
    expect(failsAsExpected('test_div_uint8', 'wrong values', new ModelError('test_div_uint8 output 0'))).not.toBeNull();
    expect(failsAsExpected('test_div_uint8', 'wrong values', new TypeError('x is undefined'))).toBe('TypeError: x is undefined');
  });

  it('every entry names its failure', () => {
    for (const [name, x] of Object.entries(EXCLUDED)) {
      expect(x.why.length, name).toBeGreaterThan(10);
      expect(x.fails === 'wrong values' || x.fails.error.length > 5, name).toBe(true);
    }
  });
});
