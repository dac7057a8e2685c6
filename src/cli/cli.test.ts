/**
 * The CLI as a user runs it (vite-node, Dawn WebGPU): JSON output on success; for bad input a
 * one-line error on stderr and a non-zero exit.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idxBytes as idx, runCli as cli } from './testing';

const tmp = mkdtempSync(join(tmpdir(), 'studio-cli-'));

describe('cli eval', () => {
  it('prints one JSON object with accuracy, samples, latency, size and params', () => {
    const r = cli('eval', 'fixtures/mlp-mnist.onnx', '--limit', '300', '--runs', '5', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(j.samples).toBe(300);
    expect(j.accuracy).toBeGreaterThan(0.9);
    expect(j.accuracy).toBeLessThanOrEqual(1);
    expect(j.latencyMs.median).toBeGreaterThan(0);
    expect(j.latencyMs.p95).toBeGreaterThanOrEqual(j.latencyMs.median);
    expect(j.sizeBytes).toBe(235_146 * 4);
    expect(j.params).toBe(235_146);
  });

  const bad: [string, () => string[], RegExp][] = [
    ['a missing file', () => ['eval', join(tmp, 'nope.onnx')], /not found/],
    ['a non-ONNX file', () => { const p = join(tmp, 'notes.onnx'); writeFileSync(p, 'just text'); return ['eval', p]; }, /not a readable ONNX model/],
    ['a truncated model', () => {
      const p = join(tmp, 'cut.onnx');
      writeFileSync(p, readFileSync('fixtures/lenet-mnist.onnx').subarray(0, 5000));
      return ['eval', p];
    }, /truncated or corrupt/],
    ['an unsupported op', () => ['eval', '/usr/share/libonnx-testdata/data/node/test_lstm_defaults/model.onnx'], /LSTM \(node/],
    ['a dataset of the wrong shape', () => {
      writeFileSync(join(tmp, 'img'), idx([4, 32, 32]));
      writeFileSync(join(tmp, 'lbl'), idx([4]));
      return ['eval', 'fixtures/lenet-mnist.onnx', '--images', join(tmp, 'img'), '--labels', join(tmp, 'lbl')];
    }, /expects \[N,1,28,28\].*1024/],
    ['an unknown preprocessing', () => ['eval', 'fixtures/lenet-mnist.onnx', '--preprocess', 'zscore'], /--preprocess must be/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} with one line on stderr and a non-zero exit`, () => {
      const r = cli(...args());
      expect(r.code).not.toBe(0);
      expect(r.errLines).toHaveLength(1);
      expect(r.errLines[0]).toMatch(message);
      expect(r.stdout.trim()).toBe('');
    });
  }
});
