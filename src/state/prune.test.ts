import { describe, expect, it } from 'vitest';
import { DEFAULT_PRUNE_INPUTS, pruneProblems, type PruneInputs } from './prune';

const opts = { layers: null, trainCount: 60_000, testCount: 10_000 };
// A copy: the card skips the schema for the untouched defaults object itself, so this holds them to it.
const problems = (patch: Partial<PruneInputs>) => pruneProblems({ ...DEFAULT_PRUNE_INPUTS, ...patch }, opts);

describe('Prune inputs', () => {
  it('accepts the defaults', () => {
    expect(problems({})).toEqual({});
  });
  it('refuses what the schema refuses, under the field', () => {
    expect(problems({ sparsity: '1.5' }).sparsity).toMatch(/must be in \[0, 1\)/);
    expect(problems({ finetuneEpochs: '0', schedule: 'gradual' }).schedule).toMatch(/fine-tuning epochs/);
  });
});
