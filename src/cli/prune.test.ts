/** `prune` and `sensitivity` as a user runs them (vite-node, Dawn WebGPU); written models are checked by `eval` and onnxruntime-node. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itRefuses, runCli, type Refusal } from './testing';
import { ortCorrect, ortCorrectOneByOne } from '../compress/testing';
import { GraphBuilder, ints, tensor } from '../model/builder';
import { randomFloats } from '../core/rng';
import { exportOnnx } from '../model/onnx-export';

const tmp = mkdtempSync(join(tmpdir(), 'studio-cli-prune-'));

function cli(...args: string[]) {
  const r = runCli(...args);
  return { code: r.code, json: r.code === 0 ? JSON.parse(r.last) : null, errLines: r.errLines };
}

const SMALL = ['--train-samples', '1280', '--test-samples', '500', '--json'];
const DEFAULT_CNN = 'fixtures/cnn-studio-mnist.onnx';
/** A small CNN with one residual block (BatchNorm kept), and its preprocessing. */
const RESIDUAL = 'fixtures/resdw-mnist.onnx';
const NORMALIZE = ['--preprocess', 'normalize', '--mean', '0.1307', '--std', '0.3081'];

describe('cli prune', () => {
  it('filter pruning shrinks the default CNN, fine-tunes it, and onnxruntime gives the accuracy the studio measured', async () => {
    const out = join(tmp, 'filters.onnx');
    const r = cli('prune', '--granularity', 'filter', '--sparsity', '0.3', '--finetune-epochs', '1', '--out', out, ...SMALL);
    expect(r.errLines).toEqual([]);
    const j = r.json;
    expect(j.filters.groups.map((g: { producers: string[]; before: number; after: number }) => [g.producers.join('+'), g.before, g.after]))
      .toEqual([['conv1', 8, 6], ['conv2', 16, 11], ['fc1', 64, 45]]);
    expect(j.filters.kept[0]).toMatchObject({ producers: ['fc2'], reason: expect.stringMatching(/model's output/) });
    expect(j.after.flops / j.before.flops).toBeLessThan(0.6);
    expect(j.after.params).toBeLessThan(j.before.params);
    expect(statSync(out).size).toBe(j.fileBytes);
    expect(j.fileBytes).toBeLessThan(statSync(DEFAULT_CNN).size * 0.6);
    expect(j.epochs).toHaveLength(1);
    expect(j.accuracy.after).toBeGreaterThan(0.9);
    const e = cli('eval', out, '--limit', '500', '--runs', '1', '--json');
    expect(e.json.accuracy).toBe(j.accuracy.after);
    expect(Math.abs(await ortCorrect(out, 500, [1, 28, 28]) - Math.round(j.accuracy.after * 500))).toBeLessThanOrEqual(1);
  }, 600_000);

  it('gradual fine-grained pruning holds its masks through fine-tuning: every layer ends at the asked sparsity', () => {
    const out = join(tmp, 'gradual.onnx');
    const r = cli('prune', DEFAULT_CNN, '--sparsity', '0.75', '--schedule', 'gradual', '--stages', '4', '--finetune-epochs', '1', '--out', out, ...SMALL);
    expect(r.errLines).toEqual([]);
    const j = r.json;
    // Zhu & Gupta's cubic ramp over 4 stages: 0.75·(1 − (1 − i/4)³).
    expect(j.stages.map((s: { sparsity: number }) => s.sparsity)).toEqual([0.43359375, 0.65625, 0.73828125, 0.75].map((v) => expect.closeTo(v, 9)));
    for (const l of j.sparsity) expect(l.zeros / l.weights, l.node).toBeCloseTo(0.75, 2);
    expect(j.sparseWeightBytes.sparse).toBeLessThan(j.sparseWeightBytes.dense / 2);
    expect(j.after.params).toBe(j.before.params); // masks keep shapes
    expect(j.accuracy.after).toBeGreaterThan(0.5);
  }, 600_000);

  it('block pruning removes the residual block of resdw-mnist, and onnxruntime gives the accuracy the studio measured', async () => {
    const out = join(tmp, 'blocks.onnx');
    const r = cli('prune', RESIDUAL, '--granularity', 'block', '--sparsity', '0.5', ...NORMALIZE, '--out', out, '--test-samples', '500', '--json');
    expect(r.errLines).toEqual([]);
    const j = r.json;
    expect(j.blocks.blocks).toEqual([expect.objectContaining({ join: '/Add', layers: ['/res1/Conv', '/res2/Conv'], removed: true })]);
    expect(j.after.params).toBeLessThan(j.before.params);
    expect(j.after.flops).toBeLessThan(j.before.flops);
    expect(j.sparseWeightBytes).toBeNull();
    expect(statSync(out).size).toBe(j.fileBytes);
    expect(Math.abs(await ortCorrect(out, 500, [1, 28, 28]) - Math.round(j.accuracy.after * 500))).toBeLessThanOrEqual(1);
  }, 600_000);

  it('prunes a model the MNIST test set does not fit without data, and says its accuracy is not measured', () => {
    // RGB 8×8 items, one residual block: what a torchvision-style export looks like to the CLI.
    const rgb = join(tmp, 'rgb-residual.onnx');
    const rb = new GraphBuilder('rgb');
    const x = rb.input('x', 'float32', ['N', 3, 8, 8]);
    const w = (name: string, dims: number[]) => rb.initializer(name, tensor('float32', dims, randomFloats(dims.reduce((a, d) => a * d, 1), dims.length)));
    const conv = (v: string, name: string) => rb.node('Conv', [v, w(`${name}.w`, [3, 3, 3, 3]), w(`${name}.b`, [3])], { pads: ints([1, 1, 1, 1]) }, { name });
    const sum = rb.node('Add', [x, conv(rb.node('Relu', [conv(x, 'c1')]), 'c2')], {}, { name: 'block' });
    rb.output(rb.node('Flatten', [sum]), 'float32', ['N', 192]);
    writeFileSync(rgb, exportOnnx(rb.build()));
    const out = join(tmp, 'rgb-pruned.onnx');
    const r = cli('prune', rgb, '--granularity', 'block', '--sparsity', '0.5', '--out', out, '--json');
    expect(r.errLines).toEqual([]);
    expect(r.json.accuracy).toEqual({ before: null, after: null });
    expect(r.json.accuracyNote).toMatch(/expects \[N,3,8,8\].*give --test-images and --test-labels that fit the model/);
    expect(r.json.blocks.blocks).toEqual([expect.objectContaining({ join: 'block', removed: true })]);
    expect(r.json.after.params).toBe(0);
    expect(statSync(out).size).toBe(r.json.fileBytes);
  }, 600_000);

  it('prunes filters of a model that fixes its batch to 1 and fine-tunes it; the file keeps its own input signature', async () => {
    const out = join(tmp, 'fixed-filters.onnx');
    const r = cli('prune', 'fixtures/lenet-fixed-batch.onnx', '--granularity', 'filter', '--sparsity', '0.5', '--finetune-epochs', '1', '--out', out, ...SMALL);
    expect(r.errLines).toEqual([]);
    expect(r.json.after.params).toBeLessThan(r.json.before.params / 2);
    expect(r.json.epochs).toHaveLength(1);
    const { importOnnx } = await import('../model/onnx-import');
    const { readFileSync } = await import('node:fs');
    expect(importOnnx(new Uint8Array(readFileSync(out))).graph.inputs[0]!.shape).toEqual([1, 1, 28, 28]);
    // onnxruntime runs it image by image, as the file says, at the accuracy the studio measured.
    expect(Math.abs(await ortCorrectOneByOne(out, 500) - Math.round(r.json.accuracy.after * 500))).toBeLessThanOrEqual(1);
  }, 600_000);

  const noWeights = join(tmp, 'no-weights.onnx');
  const b = new GraphBuilder('no-weights');
  const x = b.input('x', 'float32', ['N', 1, 28, 28]);
  b.output(b.node('Relu', [x]), 'float32', ['N', 1, 28, 28]);
  writeFileSync(noWeights, exportOnnx(b.build()));

  const refusals: Refusal[] = [
    ['no --out', ['prune', '--sparsity', '0.5'], 2, /--out <file.onnx> is required/],
    ['no sparsity', ['prune', '--out', join(tmp, 'x.onnx')], 2, /--sparsity S is required/],
    ['a sparsity of 1', ['prune', '--sparsity', '1', '--out', join(tmp, 'x.onnx')], 2, /--sparsity must be in \[0, 1\)/],
    ['a negative sparsity', ['prune', '--sparsity=-0.2', '--out', join(tmp, 'x.onnx')], 2, /--sparsity must be in \[0, 1\)/],
    ['a layer that would lose all its channels', ['prune', '--granularity', 'filter', '--sparsity', '0.3', '--layers', 'conv1=0.95', '--out', join(tmp, 'x.onnx')], 1, /conv1 has 8 channels; sparsity 0.95 would remove all of them/],
    ['a layer the dependency analysis pins', ['prune', '--granularity', 'filter', '--sparsity', '0.3', '--layers', 'fc2=0.5', '--out', join(tmp, 'x.onnx')], 1, /the channels of fc2 cannot be pruned: it is the model's output/],
    ['an unknown layer', ['prune', '--sparsity', '0.3', '--layers', 'conv7=0.5', '--out', join(tmp, 'x.onnx')], 1, /no prunable layer is called 'conv7'; the layers are: conv1, conv2, fc1, fc2/],
    ['a model without trainable layers', ['prune', noWeights, '--sparsity', '0.5', '--out', join(tmp, 'x.onnx')], 1, /no layer with stored float weights to prune/],
    ['a gradual schedule without fine-tuning', ['prune', '--sparsity', '0.5', '--schedule', 'gradual', '--out', join(tmp, 'x.onnx')], 2, /fine-tunes between its stages/],
    ['BN-γ on a model without BatchNorm', ['prune', '--granularity', 'filter', '--criterion', 'bn', '--sparsity', '0.5', '--out', join(tmp, 'x.onnx')], 1, /needs a BatchNormalization/],
    ['an unknown granularity', ['prune', '--granularity', 'row', '--sparsity', '0.5', '--out', join(tmp, 'x.onnx')], 2, /--granularity must be fine, vector, kernel, filter, 2:4, block/],
    ['blocks of a model without residual blocks', ['prune', '--granularity', 'block', '--sparsity', '0.5', '--out', join(tmp, 'x.onnx')], 1, /no block can be removed: the model has no residual block \(x \+ f\(x\)\) and no Concat of branches/],
    ['a block share that rounds to none', ['prune', RESIDUAL, '--granularity', 'block', '--sparsity', '0.3', '--out', join(tmp, 'x.onnx')], 1, /1 removable block at sparsity 0.3 rounds to none removed \(0.500 removes one\)/],
    ['a block named with a share', ['prune', RESIDUAL, '--granularity', 'block', '--layers', '/Add=0.5', '--out', join(tmp, 'x.onnx')], 2, /--layers: '\/Add=0.5' is not block=1 \(removed\) or block=0 \(kept\): a block goes whole or stays/],
    ['Taylor ranking of blocks', ['prune', RESIDUAL, '--granularity', 'block', '--criterion', 'taylor', '--sparsity', '0.5', '--out', join(tmp, 'x.onnx')], 2, /--criterion: the Taylor criterion ranks weights and filters; rank blocks by l1, l2, bn or random/],
  ];
  itRefuses(refusals, join(tmp, 'x.onnx'));
});

describe('cli sensitivity', () => {
  it('measures every layer of the default CNN at each level and picks ratios within the budget', () => {
    const r = cli('sensitivity', '--levels', '0.5,0.9', '--test-samples', '300', '--budget', '1', '--json');
    expect(r.errLines).toEqual([]);
    const j = r.json;
    expect(j.curves.map((c: { layer: string }) => c.layer)).toEqual(['conv1', 'conv2', 'fc1', 'fc2']);
    for (const c of j.curves) expect(c.points.map((p: { sparsity: number }) => p.sparsity)).toEqual([0.5, 0.9]);
    // fc1 holds 92 % of the weights and tolerates 90 %; conv1's 200 weights do not.
    const at = (layer: string, s: number) => j.curves.find((c: { layer: string }) => c.layer === layer).points.find((p: { sparsity: number }) => p.sparsity === s).accuracy;
    expect(at('fc1', 0.9)).toBeGreaterThan(at('conv1', 0.9));
    expect(j.chosen.accuracy).toBeGreaterThanOrEqual(j.baseline - 0.01);
    expect(j.chosen.flopsRemoved).toBeGreaterThan(0);
  }, 600_000);

  it('measures each residual block removed alone', () => {
    const r = cli('sensitivity', RESIDUAL, '--granularity', 'block', ...NORMALIZE, '--test-samples', '300', '--json');
    expect(r.errLines).toEqual([]);
    const j = r.json;
    expect(j.curves).toEqual([expect.objectContaining({ layer: '/Add', producers: ['/res1/Conv', '/res2/Conv'], points: [expect.objectContaining({ sparsity: 1 })] })]);
    const p = j.curves[0].points[0];
    expect(p.flopsRemoved).toBeGreaterThan(0);
    expect(p.accuracy).toBeLessThan(j.baseline + 0.05);
    expect(p.accuracy).toBeGreaterThan(0);
  }, 600_000);
});
