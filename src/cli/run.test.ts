/**
 * `run recipe.json` as a user runs it (vite-node, Dawn WebGPU) on the shipped examples: each step's
 * variant written, its figures and goals in report.json, the written files run by onnxruntime-node
 * at the accuracy the studio measured, the same recipe giving the same bytes twice; and a bad
 * recipe refused before any GPU work.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './testing';
import { ortCorrect } from '../compress/testing';

const tmp = mkdtempSync(join(tmpdir(), 'studio-cli-run-'));
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface Report {
  steps: { index: number; kind: string; name: string | null; file: string | null; sha256: string | null; accuracy: number | null; goals: { goal: string; met: boolean | null; value: number | null }[] }[];
  goalsMet: boolean | null;
  variants: { id: string; name: string; parentId: string | null; technique: string; stats: { layers: { name: string; zeros: number; params: number; bits: number }[] } }[];
}

function run(recipe: string, out: string, ...extra: string[]): Report {
  const r = runCli('run', recipe, '--out', out, '--json', ...extra);
  expect(r.errLines).toEqual([]);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.last) as Report;
  expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toEqual(report);
  return report;
}

describe('cli run', () => {
  it('runs the int8 example: a QDQ file onnxruntime scores as the studio did, its goals met, the same bytes twice', async () => {
    const out = join(tmp, 'int8');
    const r = run('examples/int8.recipe.json', out);
    expect(r.steps.map((s) => s.kind)).toEqual(['int8', 'evaluate', 'export']);
    const [q, ev, exp] = r.steps;
    expect(q!.name).toBe('lenet-mnist-int8-pc-sym-minmax256');
    expect(sha(q!.file!)).toBe(q!.sha256);
    expect(readFileSync(exp!.file!)).toEqual(readFileSync(q!.file!)); // the export step writes the same file
    expect(exp!.sha256).toBe(q!.sha256);
    expect(q!.goals.map((g) => [g.goal, g.met])).toEqual([['accuracy drop (points)', true], ['weight bytes', true]]);
    expect(r.goalsMet).toBe(true);
    // The studio's accuracy on the first 1000 items is the written file's under onnxruntime, within a near-tie.
    expect(Math.abs(Math.round(ev!.accuracy! * 1000) - await ortCorrect(q!.file!, 1000, [1, 28, 28]))).toBeLessThanOrEqual(1);
    // The same recipe and seed: the same bytes.
    const again = run('examples/int8.recipe.json', join(tmp, 'int8-again'));
    expect(again.steps[0]!.sha256).toBe(q!.sha256);
  }, 600_000);

  it('runs the chain example: prune → distil (zeros held) → int8, each step from the one before', async () => {
    const out = join(tmp, 'chain');
    const r = run('examples/chain.recipe.json', out);
    expect(r.steps.map((s) => s.kind)).toEqual(['prune', 'evaluate', 'distill', 'evaluate', 'int8', 'evaluate', 'export']);
    const made = r.steps.filter((s) => s.sha256 && s.kind !== 'export').map((s) => r.variants.find((v) => v.name === s.name)!);
    expect(made.map((v) => v.technique)).toEqual(['pruned', 'student', 'int8']);
    expect(made[1]!.parentId).toBe(made[0]!.id);
    expect(made[2]!.parentId).toBe(made[1]!.id);
    // 75 % of the weights pruned over all layers stay zero through distillation, and int8 keeps them (0 quantizes to 0).
    const zeros = (v: Report['variants'][number]) => v.stats.layers.reduce((a, l) => a + l.zeros, 0) / v.stats.layers.reduce((a, l) => a + l.params, 0);
    expect(zeros(made[0]!)).toBeGreaterThan(0.7);
    expect(zeros(made[1]!)).toBeCloseTo(zeros(made[0]!), 6);
    expect(zeros(made[2]!)).toBeGreaterThanOrEqual(zeros(made[1]!) - 1e-6);
    const final = r.steps[5]!.accuracy!;
    expect(Math.abs(Math.round(final * 1000) - await ortCorrect(r.steps[6]!.file!, 1000, [1, 28, 28]))).toBeLessThanOrEqual(2);
    for (const s of r.steps.filter((x) => x.goals.length)) for (const g of s.goals) expect(g.met, `${s.kind} ${g.goal} ${g.value}`).not.toBeNull();
  }, 900_000);

  it('runs the prune example: filters really removed, fine-tuned, its goal met', () => {
    const out = join(tmp, 'prune');
    const r = run('examples/prune.recipe.json', out);
    const v = r.variants.find((x) => x.name === r.steps[0]!.name)!;
    expect(v.technique).toBe('pruned');
    expect(readFileSync(r.steps[0]!.file!).length).toBeLessThan(readFileSync('fixtures/lenet-mnist.onnx').length * 0.8);
    expect(r.steps[1]!.accuracy).toBeGreaterThan(0.9);
    expect(r.steps[0]!.goals.map((g) => [g.goal, g.met])).toEqual([['accuracy drop (points)', true]]);
  }, 900_000);

  it('runs a distil recipe on a model that fixes its batch (re-batched as the page does)', () => {
    const recipe = join(tmp, 'fixed.recipe.json');
    writeFileSync(recipe, JSON.stringify({
      format: 'compression-studio/recipe', schemaVersion: 1,
      steps: [{ kind: 'distill', student: 'mlp:784-32-10', epochs: 1, trainSamples: 640, testSamples: 200 }, { kind: 'evaluate', samples: 200, latency: false }],
    }));
    const r = run(recipe, join(tmp, 'fixed'), '--model', 'fixtures/lenet-fixed-batch.onnx');
    expect(r.steps[1]!.accuracy).toBeGreaterThan(0.3);
  }, 600_000);

  const refusals: [string, unknown, RegExp][] = [
    ['an unknown step', { format: 'compression-studio/recipe', schemaVersion: 1, steps: [{ kind: 'int8' }, { kind: 'sparsify' }] }, /step 2: unknown step 'sparsify'; steps are int8, binary/],
    ['a bad value', { format: 'compression-studio/recipe', schemaVersion: 1, steps: [{ kind: 'prune', sparsity: 1.5 }] }, /step 1 \(prune\): sparsity must be in \[0, 1\) \(got 1.5\)/],
    ['a newer schema version', { format: 'compression-studio/recipe', schemaVersion: 9, steps: [{ kind: 'int8' }] }, /schema version 9, newer than this studio reads \(1\)/],
    ['a file that is not a recipe', { steps: [] }, /not a studio recipe/],
  ];
  for (const [what, recipe, message] of refusals) {
    it(`refuses ${what} with one line on stderr, before any GPU work`, () => {
      const path = join(tmp, `bad-${what.replace(/\W+/g, '-')}.json`);
      writeFileSync(path, JSON.stringify(recipe));
      const out = join(tmp, `never-${what.replace(/\W+/g, '-')}`);
      const r = runCli('run', path, '--model', 'fixtures/lenet-mnist.onnx', '--out', out);
      expect(r.code).toBe(1);
      expect(r.errLines).toHaveLength(1);
      expect(r.errLines[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});
