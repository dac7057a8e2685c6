/**
 * Opsets 22–25 (ONNX 1.17–1.20), which Debian's ONNX test data does not reach: each op family's
 * fixture is built at each opset, exported (IR 10–13, as ONNX pairs them), read back by the studio,
 * run on WebGPU and compared with onnxruntime-node on the same inputs. Prints the pass count per
 * family and opset. A fixture onnxruntime cannot run must match an exclusion that says why; a model
 * at opset 26 is refused with the message that says what to do.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { exportOnnx } from '../model/onnx-export';
import { GraphBuilder, int } from '../model/builder';
import type { AttrValue } from '../model/ir';
import { importOnnx } from '../model/onnx-import';
import { MAX_OPSET, irVersionForOpset } from '../model/support';
import { FOLDABLE_OPS } from '../model/resolve';
import { ModelError } from '../core/errors';
import { randomFloats } from '../core/rng';
import { maxAbsDiff } from '../core/allclose';
import { testContext } from '../kernels/testing';
import { InferenceSession } from './session';
import { RUNNABLE_OPS } from './ops';
import { INTEGER_OPS } from './lower-qlinear';
import { FLOAT_FIXTURES, type OpsetFixture } from './opset-fixtures';
import { QUANT_FIXTURES } from './opset-fixtures-quant';

const OPSETS = [22, 23, 24, 25];
const FIXTURES = [...FLOAT_FIXTURES, ...QUANT_FIXTURES];
const SUPPORTED = new Set([...RUNNABLE_OPS, ...INTEGER_OPS, ...FOLDABLE_OPS]);

/**
 * 'fixture name@opset' -> why onnxruntime-node 1.30 cannot be the oracle there. The test fails if a
 * listed case stops failing that way, so the list stays true.
 */
const ORT_EXCLUSIONS: Record<string, RegExp> = {};

const toB64 = (bytes: Uint8Array) => { let s = ''; for (const b of bytes) s += String.fromCharCode(b); return btoa(s); };

/** onnxruntime's own words for "this runtime lacks it", as opposed to "the file is wrong". */
function ortLacks(message: string): string | null {
  const kernel = /Could not find an implementation for (\w+)\((\d+)\)/.exec(message);
  if (kernel) return `onnxruntime-node has no kernel for ${kernel[1]}-${kernel[2]}`;
  if (/is under development and support for this is limited|Current official support for domain ai\.onnx is till opset/.test(message)) {
    return 'onnxruntime-node does not support this opset';
  }
  return null;
}

function inputsFor(f: OpsetFixture) {
  return Object.entries(f.inputs).map(([name, dims], k) => ({
    name, dims, data: Array.from(randomFloats(dims.reduce((a, d) => a * d, 1), 100 + k, -1, 1)),
  }));
}

type Outcome = { family: string; opset: number; status: 'pass' | 'fail' | 'excluded' | 'skipped'; note: string; diff?: number };
const outcomes: Outcome[] = [];

async function runFixture(f: OpsetFixture, opset: number): Promise<{ diffs: number[] } | { ortError: string }> {
  const bytes = exportOnnx(f.build(opset));
  const model = importOnnx(bytes, f.name);
  expect([model.opset, model.irVersion]).toEqual([opset, irVersionForOpset(opset)]); // as written to the file
  const inputs = inputsFor(f);
  let ref: { dims: number[]; data: number[] }[];
  try {
    ref = await commands.ortRun(toB64(bytes), inputs);
  } catch (e) {
    return { ortError: (e as Error).message };
  }
  const ctx = await testContext();
  const session = new InferenceSession(ctx, model);
  try {
    const engineOps = new Set(session.runModel.graph.nodes.map((n) => n.opType));
    for (const op of f.lowered ?? []) expect(engineOps, `${f.name}@${opset} runs on ${op}`).toContain(op);
    const feeds = Object.fromEntries(inputs.map((i) => [i.name, { data: Float32Array.from(i.data), shape: i.dims }]));
    const ours = await ctx.checked(f.name, () => session.run(feeds));
    expect(ours.map((o) => o.shape)).toEqual(ref.map((r) => r.dims));
    return { diffs: ours.map((o, i) => maxAbsDiff(o.data, ref[i]!.data)) };
  } finally {
    session.destroy();
  }
}

describe(`opsets 22–${MAX_OPSET}: fixtures per op family against onnxruntime-node`, () => {
  for (const opset of OPSETS) {
    for (const f of FIXTURES) {
      const key = `${f.name}@${opset}`;
      const missing = f.ops.filter((op) => !SUPPORTED.has(op));
      if (missing.length > 0) {
        outcomes.push({ family: f.family, opset, status: 'skipped', note: `${key}: the engine does not run ${missing.join(', ')} yet` });
        it.skip(`${f.family}: ${key} (the engine does not run ${missing.join(', ')} yet)`, () => {});
        continue;
      }
      it(`${f.family}: ${key}`, async () => {
        const outcome: Outcome = { family: f.family, opset, status: 'fail', note: key };
        outcomes.push(outcome);
        const r = await runFixture(f, opset);
        const excluded = ORT_EXCLUSIONS[key];
        if ('ortError' in r) {
          const lacks = ortLacks(r.ortError);
          // Anything else from onnxruntime means the bytes this test wrote are wrong: a real failure.
          expect(lacks, `onnxruntime rejected ${key}: ${r.ortError}`).not.toBeNull();
          expect(excluded, `${key}: ${lacks} (add it to ORT_EXCLUSIONS with this reason)`).toBeDefined();
          expect(lacks).toMatch(excluded!);
          Object.assign(outcome, { status: 'excluded', note: `${key}: ${lacks}` });
          return;
        }
        expect(excluded, `${key} is listed in ORT_EXCLUSIONS but onnxruntime runs it`).toBeUndefined();
        for (const [i, d] of r.diffs.entries()) expect(d, `${key} output ${i}: max |studio - onnxruntime|`).toBeLessThanOrEqual(f.tol);
        Object.assign(outcome, { status: 'pass', note: key, diff: Math.max(...r.diffs) });
      });
    }
  }

  it("onnxruntime's refusals are told apart: an opset it lacks versus bytes that are wrong", async () => {
    const relu = (opset: number, attrs: Record<string, AttrValue> = {}) => {
      const b = new GraphBuilder('relu', opset);
      b.output(b.node('Relu', [b.input('x', 'float32', [1, 2])], attrs), 'float32', [1, 2]);
      return toB64(exportOnnx(b.build()));
    };
    const refusal = (b64: string) => commands.ortRun(b64, [{ name: 'x', dims: [1, 2], data: [1, -1] }]).then(() => '', (e: Error) => e.message);
    expect(ortLacks(await refusal(relu(27)))).toBe('onnxruntime-node does not support this opset');
    const wrong = await refusal(relu(22, { bogus: int(1) }));
    expect(wrong).toMatch(/Unrecognized attribute: bogus/);
    expect(ortLacks(wrong)).toBeNull();
  });

  it('opset-23 attribute values the studio does not compute are refused before QDQ lowering folds them away', async () => {
    const model = QUANT_FIXTURES[0]!.build(23);
    const weightDq = model.graph.nodes.find((n) => n.opType === 'DequantizeLinear' && n.attrs.axis)!;
    weightDq.attrs.output_dtype = int(10);
    const ctx = await testContext();
    expect(() => new InferenceSession(ctx, model)).toThrow(new ModelError(
      `node '${weightDq.name}' (DequantizeLinear) has output_dtype=10 (float16); the studio dequantizes to float32; remove the attribute or set it to 1 (float)`));
  });

  it(`a model at opset ${MAX_OPSET + 1} is refused with what to do, though onnxruntime loads the same bytes`, async () => {
    const f = FIXTURES[0]!;
    const bytes = exportOnnx(f.build(MAX_OPSET + 1));
    await commands.ortRun(toB64(bytes), inputsFor(f)); // valid bytes: the refusal is the studio's own
    const ctx = await testContext();
    let error: unknown;
    try { new InferenceSession(ctx, importOnnx(bytes, f.name)).destroy(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toMatch(
      new RegExp(`^opset ${MAX_OPSET + 1} is newer than the studio supports \\(7–${MAX_OPSET}\\); re-export with opset_version=${MAX_OPSET} or convert it with onnx\\.version_converter$`));
  });

  afterAll(() => {
    const families = [...new Set(FIXTURES.map((f) => f.family))];
    const lines = families.map((fam) => `  ${fam.padEnd(14)} ${OPSETS.map((o) => {
      const mine = outcomes.filter((x) => x.family === fam && x.opset === o);
      const ran = mine.filter((x) => x.status !== 'skipped');
      return `${o}: ${mine.filter((x) => x.status === 'pass').length}/${ran.length}`;
    }).join('  ')}  max |diff| ${Math.max(0, ...outcomes.filter((x) => x.family === fam && x.diff !== undefined).map((x) => x.diff!)).toExponential(1)}`);
    const notes = outcomes.filter((x) => x.status !== 'pass').map((x) => `  ${x.status}: ${x.note}`);
    console.log(['opset fixtures vs onnxruntime-node (passed/ran per family):', ...lines, ...new Set(notes)].join('\n'));
  });
});
