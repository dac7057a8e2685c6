import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { recipeReference } from './reference';

describe('docs/recipe-reference.md', () => {
  it('is what the step schemas say (run `npm run docs:recipes` after changing a step)', () => {
    expect(readFileSync('docs/recipe-reference.md', 'utf8')).toBe(recipeReference());
  });
  it('lists every step kind with its defaults', () => {
    const doc = recipeReference();
    for (const kind of ['int8', 'binary', 'mixed', 'prune', 'train', 'distill', 'evaluate', 'export']) expect(doc).toContain(`## ${kind}\n`);
    expect(doc).toContain('| `sparsity` | 0 ≤ number < 1 | `0.5` |');
    expect(doc).toContain('| `student` | `input` (the variant itself)');
  });
});
