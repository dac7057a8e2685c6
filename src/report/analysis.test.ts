import { describe, expect, it } from 'vitest';
import {
  agreementWith, confusionDelta, confusionMatrix, deltas, flips, metricsRow, paretoFrontier, perClassAccuracy, perClassDelta,
} from './analysis';
import { CLASSES, family, KEY, LABELS, measurement, OTHER_KEY, T0 } from './testing';

describe('paretoFrontier', () => {
  it('keeps the undominated points, ties included, and ignores non-finite ones', () => {
    const front = paretoFrontier([
      { id: 'A', x: 1, y: 0.5 },
      { id: 'B', x: 2, y: 0.8 },
      { id: 'C', x: 3, y: 0.7 }, // B is cheaper and better
      { id: 'D', x: 2, y: 0.8 }, // equal to B: both stay
      { id: 'E', x: 4, y: 0.9 },
      { id: 'F', x: 4, y: 0.85 }, // same cost as E, less accurate
      { id: 'G', x: 5, y: 0.9 }, // as accurate as E, dearer
      { id: 'H', x: Number.NaN, y: 1 },
    ]);
    expect([...front].sort()).toEqual(['A', 'B', 'D', 'E']);
  });

  it('handles no points and one point', () => {
    expect(paretoFrontier([]).size).toBe(0);
    expect([...paretoFrontier([{ id: 'only', x: 3, y: 0.1 }])]).toEqual(['only']);
  });

  it('does not depend on the input order', () => {
    const pts = [{ id: 'b', x: 10, y: 0.9 }, { id: 'a', x: 1, y: 0.9 }, { id: 'c', x: 5, y: 0.95 }];
    expect([...paretoFrontier(pts)].sort()).toEqual(['a', 'c']);
    expect([...paretoFrontier([...pts].reverse())].sort()).toEqual(['a', 'c']);
  });
});

describe('flips', () => {
  const { root, int8, pruned } = family();
  const m = (r: typeof root) => r.measurements.at(-1)!;

  it('sorts each changed item by the kind of change (hand-checked)', () => {
    expect(flips(m(root), m(int8), LABELS)).toEqual({ correctToWrong: [5], wrongToCorrect: [3], bothWrongDifferent: [7], disagree: [3, 5, 7] });
    expect(flips(m(root), m(pruned), LABELS)).toEqual({ correctToWrong: [0, 4, 8], wrongToCorrect: [], bothWrongDifferent: [], disagree: [0, 4, 8] });
    // Reversed, right-to-wrong and wrong-to-right swap.
    const back = flips(m(int8), m(root), LABELS);
    expect(back.correctToWrong).toEqual([3]);
    expect(back.wrongToCorrect).toEqual([5]);
  });

  it('refuses measurements taken on different terms, and too few labels', () => {
    expect(() => flips(root.measurements[0]!, m(int8), LABELS)).toThrow(/different terms/);
    expect(() => flips(m(root), m(int8), LABELS.slice(0, 10))).toThrow(/only 10 labels/);
  });
});

describe('confusion and per-class accuracy', () => {
  const { root, int8 } = family();
  const a = root.measurements.at(-1)!, b = int8.measurements.at(-1)!;

  it('counts each item once, rows true, columns predicted', () => {
    const c = confusionMatrix(a, LABELS, CLASSES);
    expect(c).toHaveLength(CLASSES);
    expect(c.flat().reduce((s, v) => s + v, 0)).toBe(KEY.samples);
    expect(c[3]).toEqual([1, 1, 0, 3, 0]); // items 3 → 0 and 7 → 1 are class 3
    expect(c[4]).toEqual([0, 0, 0, 0, 0]);
    const trace = c.reduce((s, row, i) => s + row[i]!, 0);
    expect(trace).toBe(a.correct);
  });

  it('gives the cell-by-cell change', () => {
    const d = confusionDelta(confusionMatrix(a, LABELS, CLASSES), confusionMatrix(b, LABELS, CLASSES));
    expect(d[1]).toEqual([0, -1, 1, 0, 0]);
    expect(d[3]).toEqual([-1, -1, 1, 1, 0]);
    expect(d.flat().reduce((s, v) => s + v, 0)).toBe(0);
    expect(() => confusionDelta([[1]], [[1, 2]])).toThrow(/size/);
  });

  it('refuses a prediction outside the classes', () => {
    expect(() => confusionMatrix(a, LABELS, 3)).toThrow(/outside/);
  });

  it('says null for a class with no items', () => {
    expect(perClassAccuracy(a, LABELS, CLASSES)).toEqual([1, 1, 1, 0.6, null]);
    const d = perClassDelta(a, b, LABELS, CLASSES);
    expect(d[0]).toBe(0);
    expect(d[1]).toBeCloseTo(-0.2, 12);
    expect(d[3]).toBeCloseTo(0.2, 12);
    expect(d[4]).toBeNull();
  });
});

describe('metricsRow and deltas', () => {
  const { root, int8, pruned } = family();

  it('takes the latest measurement, or the one on the key asked for', () => {
    const latest = metricsRow(root);
    expect(latest.b1MedianMs).toBe(2);
    expect(latest.measuredOn).toBe('MNIST test, 20 items, NVIDIA (webgpu)');
    expect(latest.step).toBe('loaded file');
    expect(latest.created).toBe(new Date(T0).toISOString());
    const other = metricsRow(root, OTHER_KEY);
    expect(other.b1MedianMs).toBe(9);
    expect(other.b64P95Ms).toBeCloseTo(90 * 1.25, 10);
    expect(other.measuredOn).toContain('SwiftShader');
  });

  it('gives nulls for a variant not measured on the key, but keeps its own figures', () => {
    const row = metricsRow(int8, OTHER_KEY);
    expect(row.top1).toBeNull();
    expect(row.b64MedianMs).toBeNull();
    expect(row.measuredOn).toBeNull();
    expect(row.weightBytes).toBe(25_500);
    expect(row.parentId).toBe('root');
    expect(row.step).toMatch(/^int8: per-channel symmetric weights/);
  });

  it('names the kind of a step it cannot describe instead of failing', () => {
    const broken = { ...int8, step: { ...int8.step!, resolved: { kind: 'int4' } as never } };
    expect(metricsRow(broken).step).toBe('int4 step');
  });

  it('puts figures side by side with differences and cost ratios', () => {
    const d = deltas(metricsRow(root, KEY), metricsRow(int8, KEY));
    expect(d.weightBytes).toEqual({ base: 100_000, other: 25_500, difference: -74_500, ratio: 100_000 / 25_500 });
    expect(d.b1MedianMs.ratio).toBeCloseTo(2 / 1.5, 12);
    expect(d.top1.difference).toBe(0);
    expect(d.top1.ratio).toBeNull();
    expect(d.b1Runs.ratio).toBeNull();
    expect(d.sparseBytes.difference).toBeNull(); // neither is sparse
    const p = deltas(metricsRow(root, KEY), metricsRow(pruned, KEY));
    expect(p.top1.difference).toBeCloseTo(-0.15, 12);
    expect(p.nonzeroFlops.ratio).toBe(2);
  });
});

describe('agreementWith', () => {
  const { records } = family();
  it('is the share of equal predictions on the key, null where not comparable', () => {
    expect(agreementWith(records, 'root', 'int8', KEY)).toBe(17 / 20);
    expect(agreementWith(records, 'int8', 'pruned', KEY)).toBe(14 / 20);
    expect(agreementWith(records, 'root', 'int8', OTHER_KEY)).toBeNull();
    expect(agreementWith(records, 'root', 'missing', KEY)).toBeNull();
    const shorter = { ...records[1]!, id: 'short', measurements: [measurement({ predictions: [0, 1, 2] })] };
    expect(agreementWith([...records, shorter], 'root', 'short', KEY)).toBeNull();
  });
});
