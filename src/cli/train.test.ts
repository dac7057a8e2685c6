/** `train` and `distill` as a user runs them (vite-node, Dawn WebGPU): the written student is checked by `eval` and by onnxruntime-node. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itRefuses, runCli, type Refusal } from './testing';
import { ortCorrect } from '../compress/testing';

const tmp = mkdtempSync(join(tmpdir(), 'studio-cli-train-'));

function cli(...args: string[]) {
  const r = runCli(...args);
  return { code: r.code, json: r.code === 0 ? JSON.parse(r.last) : null, errLines: r.errLines };
}

const SMALL = ['--epochs', '1', '--train-samples', '1280', '--test-samples', '500', '--seed', '3', '--json'];

describe('cli train and distill', () => {
  it('train writes a student whose accuracy eval and onnxruntime both reproduce', async () => {
    const out = join(tmp, 'mlp.onnx');
    const r = cli('train', 'mlp:784-32-10', '--out', out, ...SMALL);
    expect(r.errLines).toEqual([]);
    expect(r.code).toBe(0);
    const j = r.json;
    expect(j).toMatchObject({ command: 'train', student: 'mlp:784-32-10', teacher: null, outcome: 'finished', steps: 20, testSamples: 500, parameters: 784 * 32 + 32 + 330 });
    expect(j.config.loss.alpha).toBe(0);
    expect(j.epochs).toHaveLength(1);
    expect(j.testAccuracy).toBeGreaterThan(0.6);
    expect(statSync(out).size).toBe(j.sizeBytes);
    const e = cli('eval', out, '--limit', '500', '--runs', '1', '--json');
    expect(e.json.accuracy).toBe(j.testAccuracy);
    expect(Math.abs(await ortCorrect(out, 500, [784]) - Math.round(j.testAccuracy * 500))).toBeLessThanOrEqual(1);
    expect(j.gpuBytes.after).toBe(j.gpuBytes.before);
  }, 600_000);

  it('distill reports teacher agreement per epoch and beats chance by far', () => {
    const out = join(tmp, 'distilled.onnx');
    const r = cli('distill', 'fixtures/lenet-mnist.onnx', '--student', 'mlp:784-32-10', '--temperature', '4', '--alpha', '0.9', '--out', out, ...SMALL);
    expect(r.errLines).toEqual([]);
    const j = r.json;
    expect(j).toMatchObject({ command: 'distill', teacher: 'lenet-mnist.onnx', outcome: 'finished' });
    expect(j.config.loss).toEqual({ temperature: 4, alpha: 0.9 });
    expect(j.epochs[0].agreement).toBeGreaterThan(0.3); // a mean over the epoch's steps, from random weights on
    expect(j.testAccuracy).toBeGreaterThan(0.4); // 20 steps: soft targets at T = 4 start slower than labels
  }, 600_000);

  it('distill --student binary trains the teacher quantisation-aware and writes the XNOR model it evaluated', () => {
    const out = join(tmp, 'binary.onnx');
    const r = cli('distill', 'fixtures/lenet-mnist.onnx', '--student', 'binary', '--batch', '32', '--lr', '3e-3', '--out', out, ...SMALL.filter((a, i, all) => a !== '--test-samples' && all[i - 1] !== '--test-samples'), '--test-samples', '300');
    expect(r.errLines).toEqual([]);
    const j = r.json;
    expect(j.student).toMatch(/^binary/);
    // Untrained, the binarized LeNet scores one class for every image (about 10 %); 40 steps lift it far above.
    expect(j.testAccuracy).toBeGreaterThan(0.4);
    const e = cli('eval', out, '--limit', '300', '--runs', '1', '--json');
    expect(e.json.accuracy).toBe(j.testAccuracy);
    expect(j.sizeBytes).toBe(statSync(out).size);
    expect(statSync(out).size * 10).toBeLessThan(statSync('fixtures/lenet-mnist.onnx').size); // XNOR layers: 1 bit a weight
  }, 600_000);

  it('distill without a teacher file uses the default teacher, the CNN the studio trained (npm run train:demo)', () => {
    const r = cli('distill', '--student', 'mlp:784-16-10', '--out', join(tmp, 'from-default.onnx'), ...SMALL);
    expect(r.errLines).toEqual([]);
    expect(r.json).toMatchObject({ command: 'distill', teacher: 'cnn-studio-mnist.onnx', outcome: 'finished' });
    expect(r.json.epochs[0].agreement).toBeGreaterThan(0.3);
  }, 600_000);

  it('distill --student width:0.5 trains the teacher at half width from fresh weights and says what got thinner', async () => {
    const out = join(tmp, 'half.onnx');
    const r = cli('distill', 'fixtures/lenet-mnist.onnx', '--student', 'width:0.5', '--out', out, ...SMALL);
    expect(r.errLines).toEqual([]);
    const j = r.json;
    expect(j.student).toBe('width:0.5 (the teacher at a smaller width)');
    expect(j.width.changed.map((c: { from: number; to: number }) => [c.from, c.to])).toEqual([[6, 3], [16, 8], [120, 60], [84, 42]]);
    expect(j.width.kept[0].reason).toMatch(/model's output/);
    // LeNet at half width: conv 3@5×5, conv 8@5×5 on 3, fc 60 on 8·5·5, fc 42, fc 10 (the teacher: 61,706).
    expect(j.parameters).toBe((3 * 25 + 3) + (8 * 75 + 8) + (60 * 200 + 60) + (42 * 60 + 42) + (10 * 42 + 10));
    expect(j.testAccuracy).toBeGreaterThan(0.5);
    const e = cli('eval', out, '--limit', '500', '--runs', '1', '--json');
    expect(e.json.accuracy).toBe(j.testAccuracy);
    expect(Math.abs(await ortCorrect(out, 500, [1, 28, 28]) - Math.round(j.testAccuracy * 500))).toBeLessThanOrEqual(1);
  }, 600_000);

  it('distills from a teacher that fixes its batch to 1 (re-batched by the runtime, as the page does)', () => {
    const out = join(tmp, 'from-fixed.onnx');
    const r = cli('distill', 'fixtures/lenet-fixed-batch.onnx', '--student', 'mlp:784-32-10', '--out', out, ...SMALL);
    expect(r.errLines).toEqual([]);
    expect(r.json).toMatchObject({ command: 'distill', teacher: 'lenet-fixed-batch.onnx', outcome: 'finished' });
    expect(r.json.epochs[0].agreement).toBeGreaterThan(0.3);
    expect(statSync(out).size).toBe(r.json.sizeBytes);
  }, 600_000);

  const refusals: Refusal[] = [
    ['no --out', ['train', 'mlp:784-32-10'], 2, /--out <student.onnx> is required/],
    ['a bad spec', ['train', 'mlp:784-x-10', '--out', join(tmp, 'x.onnx')], 1, /not a student spec/],
    ['an MLP whose input width is not the items\'', ['train', 'mlp:100-10', '--out', join(tmp, 'x.onnx')], 1, /takes 100 inputs but the data's items have 784/],
    ['fewer outputs than classes', ['train', 'mlp:784-16-5', '--out', join(tmp, 'x.onnx')], 1, /labels hold 10 classes.*scores 5/],
    ['temperature without a teacher', ['train', 'mlp:784-16-10', '--temperature', '2', '--out', join(tmp, 'x.onnx')], 2, /--temperature and --alpha are for distill/],
    ['an alpha outside [0, 1]', ['distill', 'fixtures/lenet-mnist.onnx', '--student', 'mlp:784-16-10', '--alpha', '1.5', '--out', join(tmp, 'x.onnx')], 2, /--alpha must be in \[0, 1\] \(got 1.5\)/],
    ['a missing teacher file', ['distill', 'nope.onnx', '--student', 'mlp:784-16-10', '--out', join(tmp, 'x.onnx')], 2, /teacher model file not found/],
    ['a student of other classes', ['distill', 'fixtures/lenet-mnist.onnx', '--student', 'mlp:784-16-12', '--out', join(tmp, 'x.onnx')], 1, /teacher scores 10 classes but the student 12/],
    ['a binary student without a teacher', ['train', 'binary', '--out', join(tmp, 'x.onnx')], 2, /use it with distill/],
    ['a width student without a teacher', ['train', 'width:0.5', '--out', join(tmp, 'x.onnx')], 2, /'width:0.5' student is made from the teacher: use it with distill/],
    ['a width for a layer the teacher lacks', ['distill', 'fixtures/lenet-mnist.onnx', '--student', 'width:0.5,conv9=0.5', '--out', join(tmp, 'x.onnx')], 1, /no layer makes channels under the name 'conv9'/],
    ['a student that is neither spec nor file', ['distill', 'fixtures/lenet-mnist.onnx', '--student', 'teacher-copy', '--out', join(tmp, 'x.onnx')], 2, /--student 'teacher-copy' is not a student spec: use mlp:784-64-10/],
    ['an unknown optimizer', ['train', 'mlp:784-16-10', '--optimizer', 'lion', '--out', join(tmp, 'x.onnx')], 2, /--optimizer must be sgd or adamw/],
  ];
  itRefuses(refusals, join(tmp, 'x.onnx'));
});
