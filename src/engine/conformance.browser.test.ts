/**
 * ONNX's own backend node tests (Debian's libonnx-testdata) for every op the studio supports, run
 * through the engine in real Chromium WebGPU. A case passes (f32: rtol 1e-3, atol 1e-5) or is
 * listed in conformance-exclusions.ts with the reason it is out of scope and the way it must fail;
 * a listed case that starts passing, or fails another way, fails too, so the list stays true.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { importOnnx } from '../model/onnx-import';
import { parseTensorProtoBytes } from '../model/tensor-proto';
import { FOLDABLE_OPS } from '../model/resolve';
import { compareClose } from '../core/allclose';
import { testContext } from '../kernels/testing';
import { InferenceSession } from './session';
import { bindInputs } from '../model/bind';
import { RUNNABLE_OPS } from './ops';
import { describeFailure, EXCLUDED, failsAsExpected } from './conformance-exclusions';
import { INTEGER_OPS, PARAMETER_INPUTS } from './lower-qlinear';
import type { Model } from '../model/ir';

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const cases = await commands.conformanceCasesFor([...RUNNABLE_OPS, ...FOLDABLE_OPS, ...INTEGER_OPS]);
const outcome = { passed: [] as string[], excluded: [] as string[] };

async function runCase(name: string): Promise<void> {
  const files = await commands.readConformanceCase(name);
  const ctx = await testContext();
  const model = importOnnx(b64(files.model), `${name}/model.onnx`);
  for (const set of files.sets) {
    const inputs = set.inputs.map((f) => parseTensorProtoBytes(b64(f)).tensor);
    // Integer inputs (shapes, axes, indices) are shape data, and scales, zero points and weights of
    // quantized ops are parameters: bound as constants, as exporters store them.
    const params = parameterInputs(model);
    const bound = Object.fromEntries(model.graph.inputs.flatMap((vi, i) => (isShapeData(vi.dtype) || params.has(vi.name) ? [[vi.name, inputs[i]!]] : [])));
    const session = new InferenceSession(ctx, bindInputs(model, bound));
    try {
      const feeds = Object.fromEntries(model.graph.inputs.flatMap((vi, i) => {
        const t = inputs[i]!;
        return vi.name in bound ? [] : [[vi.name, { data: Float32Array.from(t.data as ArrayLike<number | bigint>, Number), shape: t.dims }]];
      }));
      const got = await ctx.checked(name, () => session.run(feeds));
      set.outputs.forEach((f, i) => {
        const want = parseTensorProtoBytes(b64(f)).tensor;
        expect(got[i]!.shape, `${name} output ${i} shape`).toEqual(want.dims);
        const r = compareClose(got[i]!.data, Float32Array.from(want.data as ArrayLike<number | bigint>, Number), 1e-3, 1e-5);
        expect(r.ok, `${name} output ${i}: ${r.message}`).toBe(true);
      });
    } finally {
      session.destroy();
    }
  }
}

function isShapeData(dtype: string): boolean {
  return dtype === 'int64' || dtype === 'int32';
}

/** Graph inputs that every consumer reads at a parameter position (engine/lower-qlinear.ts PARAMETER_INPUTS). */
function parameterInputs(model: Model): Set<string> {
  const atParam = new Map<string, boolean>();
  for (const n of model.graph.nodes) {
    n.inputs.forEach((v, i) => {
      if (v) atParam.set(v, (atParam.get(v) ?? true) && (PARAMETER_INPUTS[n.opType]?.includes(i) ?? false));
    });
  }
  return new Set([...atParam].filter(([, p]) => p).map(([v]) => v));
}

describe('ONNX backend conformance (libonnx-testdata)', () => {
  it('finds the conformance cases', () => {
    expect(cases.length, 'libonnx-testdata must be installed (apt-get install libonnx-testdata)').toBeGreaterThan(100);
  });
  for (const { name } of cases) {
    it(name, async () => {
      const reason = EXCLUDED[name];
      if (!reason) {
        await runCase(name);
        outcome.passed.push(name);
        return;
      }
      let error: unknown = null;
      try { await runCase(name); } catch (e) { error = e; }
      expect(error, `${name} is listed as excluded (${reason.why}) but now passes: remove it from the list`).not.toBeNull();
      const mismatch = failsAsExpected(name, reason.fails, error);
      expect(mismatch === null, `${name} is excluded as failing with ${describeFailure(reason.fails)}, but it failed with ${mismatch}`).toBe(true);
      outcome.excluded.push(`${name}: ${reason.why}`);
    });
  }
  afterAll(() => {
    console.log(`conformance: ${outcome.passed.length} passed of ${cases.length} supported-op cases; ${outcome.excluded.length} excluded:\n  ${outcome.excluded.join('\n  ')}`);
  });
});
