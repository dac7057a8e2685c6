/**
 * The latency budget on a model whose runs cost a known time per item (a fake session on a fake
 * clock): warm-up and first run counted, a batch too slow for the budget measured smaller and
 * scaled, or skipped with the reason; and figures as many runs as fit.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { measureLatencies, measureLatency, planBatch } from './latency';
import type { InferenceSession } from './session';

let now = 0;
/** A session whose run of batch b takes overheadMs + b × msPerItem on the fake clock (the first run `compileMs` more). */
function fakeSession(msPerItem: number, overheadMs = 0, compileMs = 0) {
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const batches: number[] = [];
  const session = {
    inputShapeFor: (b: number) => [b, 3, 4, 4],
    runBatch: async (_input: Float32Array, shape: number[]) => {
      now += overheadMs + shape[0]! * msPerItem + (batches.length === 0 ? compileMs : 0);
      batches.push(shape[0]!);
      return { output: { data: new Float32Array(0) }, gpuMs: null };
    },
  };
  return { session: session as unknown as InferenceSession, batches };
}

afterEach(() => { vi.restoreAllMocks(); now = 0; });

describe('planBatch', () => {
  it('runs the asked batch when nothing is known yet or it fits the budget', () => {
    expect(planBatch(64, null, 10_000)).toEqual({ run: 64 });
    expect(planBatch(64, 50, 10_000)).toEqual({ run: 64 }); // 2 runs × 3.2 s
    expect(planBatch(64, 1000, null)).toEqual({ run: 64 });
  });
  it('halves the batch until two runs fit, and skips (saying why) when even batch 2 does not', () => {
    expect(planBatch(64, 100, 10_000)).toEqual({ run: 32 });
    expect(planBatch(64, 700, 10_000)).toEqual({ run: 4 });
    const skip = planBatch(64, 3000, 10_000);
    expect(skip).toEqual({ skip: expect.stringContaining('192 s a run at batch 64') });
    expect((skip as { skip: string }).skip).toContain('over the 10 s latency budget');
  });
});

describe('measureLatency within a budget', () => {
  it('makes the asked runs when they fit, the warm-up not among them', async () => {
    const { session, batches } = fakeSession(1);
    const l = await measureLatency(session, 1, { runs: 20, warmup: 3, budgetMs: 10_000 });
    expect(batches).toHaveLength(23);
    expect(l.runs).toBe(20);
    expect(l.medianMs).toBe(1);
  });
  it('counts the warm-up and a slow first run, starts no run that would end past the budget, and makes one timed run at least', async () => {
    const { session } = fakeSession(0, 2000, 4000);
    const l = await measureLatency(session, 1, { runs: 20, warmup: 3, budgetMs: 10_000 });
    expect(l.firstRunMs).toBe(6000);
    expect(l.runs).toBe(2); // first run 6 s (> a third: no more warm-up), then 2 s runs while they end by 10 s
    expect(now).toBe(10_000);
    const { session: slow } = fakeSession(0, 30_000);
    const s = await measureLatency(slow, 1, { runs: 20, budgetMs: 10_000 });
    expect(s.runs).toBe(1);
  });
});

describe('measureLatencies', () => {
  it('measures a batch too slow for the budget at a smaller batch and scales it, within the budget', async () => {
    const { session, batches } = fakeSession(100);
    const { latency, skipped } = await measureLatencies(session, [1, 64], { runs: 20, budgetMs: 10_000 });
    expect(skipped).toEqual([]);
    expect(latency.map((l) => [l.batch, l.scaledFrom])).toEqual([[1, undefined], [64, 32]]);
    expect(latency[1]!.medianMs).toBe(6400); // 3.2 s at batch 32, × 2
    const at32 = batches.filter((b) => b === 32).length;
    expect(at32 * 3200).toBeLessThanOrEqual(10_000);
    expect(batches).not.toContain(64);
  });
  it('skips the large batch, saying why, when even a small one would not fit', async () => {
    const { session, batches } = fakeSession(6000);
    const { latency, skipped } = await measureLatencies(session, [1, 64], { runs: 20, budgetMs: 10_000 });
    expect(latency.map((l) => l.batch)).toEqual([1]);
    expect(skipped).toEqual([{ batch: 64, reason: expect.stringContaining('over the 10 s latency budget') }]);
    expect(Math.max(...batches)).toBe(1);
  });
});
