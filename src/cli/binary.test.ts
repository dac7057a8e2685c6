/** `quantize --binary` as a user runs it (vite-node, Dawn WebGPU), and `eval` on the file it writes. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './testing';
import { importOnnx } from '../model/onnx-import';
import { labelsOfClass, lenetBinaryClass } from '../compress/testing';

const tmp = mkdtempSync(join(tmpdir(), 'studio-cli-binary-'));

function cli(...args: string[]) {
  const r = runCli(...args);
  return { code: r.code, json: r.code === 0 ? JSON.parse(r.last) : null, errLines: r.errLines };
}

describe('cli quantize --binary', () => {
  it('writes the binary format, reports sizes, accuracy and latency before and after, and eval reads the file', () => {
    const out = join(tmp, 'lenet-binary.onnx');
    const r = cli('quantize', 'fixtures/lenet-mnist.onnx', '--binary', '--out', out, '--limit', '200', '--runs', '2', '--json');
    expect(r.code).toBe(0);
    const j = r.json;
    expect(j.recipe).toEqual({ kind: 'binary', keepFirstLast: true, activationScale: false });
    expect(j.binarizedLayers).toHaveLength(3);
    expect(j.keptFloat.map((k: { node: string }) => k.node)).toEqual(['/features/features.0/Conv', '/classifier/classifier.5/Gemm']);
    expect(j.fileBytes.after).toBe(statSync(out).size);
    expect(j.fileBytes.before).toBe(statSync('fixtures/lenet-mnist.onnx').size);
    expect(j.binarizedWeightBytes.ratio).toBeGreaterThanOrEqual(20);
    expect(j.weightBytes.after).toBeLessThan(j.weightBytes.before);
    expect(j.accuracy.before).toBeGreaterThan(0.9);
    // conv2 reads ReLU outputs (sign +1 everywhere): every image gets the class the CPU references give.
    const lenet = importOnnx(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')));
    expect(j.accuracy.after).toBe(labelsOfClass(lenetBinaryClass(lenet, false), 200) / 200);
    expect(j.latencyMs.after.median).toBeGreaterThan(0);
    expect(j.samples).toBe(200);

    const e = cli('eval', out, '--limit', '200', '--runs', '2', '--json');
    expect(e.code).toBe(0);
    expect(e.json.accuracy).toBe(j.accuracy.after);
    expect(e.json.sizeBytes).toBe(j.sizeBytes.after);
  }, 300_000);

  it('binarizes every layer with --binarize-all and records --activation-scale', () => {
    const r = cli('quantize', 'fixtures/lenet-mnist.onnx', '--binary', '--binarize-all', '--activation-scale', '--out', join(tmp, 'all.onnx'), '--limit', '100', '--runs', '2', '--json');
    expect(r.code).toBe(0);
    expect(r.json.recipe).toMatchObject({ keepFirstLast: false, activationScale: true });
    expect(r.json.binarizedLayers).toHaveLength(5);
    expect(r.json.keptFloat).toEqual([]);
  }, 300_000);

  const bad: [string, string[], RegExp][] = [
    ['two schemes', ['--binary', '--int8'], /choose one scheme/],
    ['contradicting layer choices', ['--binary', '--keep-first-last', '--binarize-all'], /contradict/],
    ['no scheme', [], /choose a scheme: --int8, --binary or --auto/],
  ];
  for (const [what, flags, message] of bad) {
    it(`refuses ${what} as a usage error`, () => {
      const r = cli('quantize', 'fixtures/lenet-mnist.onnx', ...flags, '--out', join(tmp, 'x.onnx'));
      expect(r.code).toBe(2);
      expect(r.errLines).toHaveLength(1);
      expect(r.errLines[0]).toMatch(message);
    });
  }
});
