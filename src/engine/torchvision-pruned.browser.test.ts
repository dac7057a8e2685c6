/**
 * Filter pruning on the torchvision family, run on the studio's engine against onnxruntime-node.
 * Four architectures from fixtures/export_torchvision.py (eval-mode exports, 1×3×64×64): resnet18
 * (residual Adds), mobilenet_v2 (depthwise Convs, inverted residuals), squeezenet1_1 (the fire
 * modules' Concat) and shufflenet_v2_x0_5 (chunk Slices, Concat, channel shuffle). Each loses 30 %
 * of every channel group that may change, by L1 norm (compress/prune.ts pruneFilters); the pruned
 * model must resolve, lose parameters (below 3/4 of the original's) and FLOPs, export, and give on
 * the studio's engine what onnxruntime-node gives on the exported bytes, within 1e-4 × max(1, peak
 * |logit|), on both test images. The only group kept whole is the one the analysis pins because it
 * is the model's output (the classifier's 1000 logits).
 *
 * The models and the two test images come through the same commands as torchvision.browser.test.ts
 * (scripts/test-commands.ts torchvisionFixtures); the exported pruned model crosses to
 * onnxruntime-node as base64 (the generic ortRun command). Figures (groups, params and FLOPs before
 * and after, max abs diff) are printed and written to test-results/pruning-torchvision.json, never
 * asserted beyond the bounds above.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import { resolveGraph } from '../model/resolve';
import { costOf } from '../compress/prune';
import { pruneFilters } from '../compress/prune-filters';
import { maxAbsDiff } from '../core/allclose';
import { testContext } from '../kernels/testing';
import { InferenceSession } from './session';

const MODELS = ['resnet18', 'mobilenet_v2', 'squeezenet1_1', 'shufflenet_v2_x0_5'];
const SPARSITY = 0.3;
const TOLERANCE = 1e-4;
const peak = (v: ArrayLike<number>) => { let m = 0; for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!)); return m; };
const bound = (ref: ArrayLike<number>) => TOLERANCE * Math.max(1, peak(ref));
/** The one reason a group may be kept whole: the classifier's outputs are the model's output. */
const ALLOWED_PIN = /it is the model's output/;

interface Figures {
  model: string;
  groups: number; groupsPruned: number; groupsKept: number; keptReasons: string[];
  channelsBefore: number; channelsAfter: number;
  paramsBefore: number; paramsAfter: number; flopsBefore: number; flopsAfter: number;
  bytesBefore: number; bytesAfter: number; exportedBytes: number;
  maxAbsDiff: number; peakLogit: number; perImage: { maxAbsDiff: number; peak: number }[];
}
const figures: Figures[] = [];
const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
function toB64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The file through the test server (binary, no base64 round trip), else through the node command. */
async function readBytes(path: string): Promise<Uint8Array> {
  const res = await fetch(`/${path}`).catch(() => null);
  const type = res?.headers.get('content-type') ?? '';
  if (res?.ok && !type.includes('html') && !type.includes('javascript')) return new Uint8Array(await res.arrayBuffer());
  return fromB64(await commands.readFileB64(path));
}

describe(`torchvision models filter-pruned at ${SPARSITY * 100} % (L1) match onnxruntime-node`, () => {
  let manifest: ReturnType<typeof commands.torchvisionFixtures> | null = null;
  const fixtures = () => (manifest ??= commands.torchvisionFixtures());
  /** The export's two test images, one item each. */
  const images = async (): Promise<Float32Array[]> => {
    const { dir, inputs: file } = await fixtures();
    const bytes = await readBytes(`${dir}/${file.file}`);
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const n = all.length / 2;
    return [all.slice(0, n), all.slice(n)];
  };

  for (const name of MODELS) {
    it(name, async () => {
      const { dir, models } = await fixtures();
      const info = models[name];
      if (!info) throw new Error(`${dir}/manifest.json has no entry for ${name}; delete ${dir} to re-export`);
      const model = importOnnx(await readBytes(`${dir}/${info.file}`), info.file);
      const shape = info.input;
      const inputName = model.graph.inputs[0]!.name;

      const result = pruneFilters(model, { granularity: 'filter', criterion: 'l1', sparsity: SPARSITY });
      const pruned = result.model;
      // Resolves at the export's shape, with the logits' shape unchanged.
      const resolved = resolveGraph(pruned, { [inputName]: shape });
      expect(resolved).toBeTruthy();
      const before = costOf(model), after = costOf(pruned);
      expect(after.params, `${name}: params ${before.params} → ${after.params}`).toBeLessThan(0.75 * before.params);
      expect(after.flops, `${name}: FLOPs ${before.flops} → ${after.flops}`).toBeLessThan(before.flops);
      expect(result.groups.length).toBeGreaterThan(0);
      for (const g of result.groups) expect(g.after).toBe(Math.round(g.before * (1 - SPARSITY)));
      for (const k of result.kept) expect(k.reason, `${name}: ${k.producers.join('+')} kept whole`).toMatch(ALLOWED_PIN);
      expect(result.kept.length).toBe(1);

      const bytes = exportOnnx(pruned);
      const modelB64 = toB64(bytes);
      const ctx = await testContext();
      // The engine runs what was exported: the same bytes onnxruntime-node gets.
      const session = new InferenceSession(ctx, importOnnx(bytes, `${name}-pruned.onnx`));
      const perImage: Figures['perImage'] = [];
      try {
        session.plan({ [session.input.name]: shape });
        for (const [i, input] of (await images()).entries()) {
          const { output } = await ctx.checked(`${name} pruned, image ${i}`, () => session.runBatch(input, shape));
          const [ref] = await commands.ortRun(modelB64, [{ name: session.input.name, dims: shape, data: Array.from(input) }]);
          expect(output.shape).toEqual(ref!.dims);
          expect(ref!.dims).toEqual([1, 1000]);
          const diff = maxAbsDiff(output.data, ref!.data);
          perImage.push({ maxAbsDiff: diff, peak: peak(ref!.data) });
          expect(diff, `${name} pruned, image ${i}: max abs diff vs onnxruntime-node (logits up to ${peak(ref!.data).toFixed(2)})`)
            .toBeLessThanOrEqual(bound(ref!.data));
        }
      } finally {
        session.destroy();
      }
      figures.push({
        model: name, groups: result.groups.length + result.kept.length, groupsPruned: result.groups.length, groupsKept: result.kept.length,
        keptReasons: result.kept.map((k) => `${k.producers.join('+')}: ${k.reason}`),
        channelsBefore: result.groups.reduce((a, g) => a + g.before, 0), channelsAfter: result.groups.reduce((a, g) => a + g.after, 0),
        paramsBefore: before.params, paramsAfter: after.params, flopsBefore: before.flops, flopsAfter: after.flops,
        bytesBefore: before.bytes, bytesAfter: after.bytes, exportedBytes: bytes.length,
        maxAbsDiff: Math.max(...perImage.map((p) => p.maxAbsDiff)), peakLogit: Math.max(...perImage.map((p) => p.peak)), perImage,
      });
    });
  }

  afterAll(async () => {
    if (!figures.length) return;
    const ctx = await testContext();
    const adapter = `${ctx.info.description || ctx.info.device || ctx.info.vendor}${ctx.info.isFallback ? ' (software fallback)' : ''}`;
    const m = (v: number) => (v / 1e6).toFixed(2) + 'M';
    const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
    const rows = figures.map((f) => [f.model, `${f.groupsPruned}/${f.groupsKept}`, `${f.channelsBefore} → ${f.channelsAfter}`,
      `${m(f.paramsBefore)} → ${m(f.paramsAfter)} (${pct(f.paramsAfter, f.paramsBefore)})`,
      `${m(f.flopsBefore)} → ${m(f.flopsAfter)} (${pct(f.flopsAfter, f.flopsBefore)})`,
      `${f.maxAbsDiff.toExponential(1)} (peak ${f.peakLogit.toFixed(2)})`].join(' | '));
    console.log([`torchvision filter-pruned at ${SPARSITY * 100} % (L1) on ${adapter}`,
      'model | groups pruned/kept | pruned groups\' channels | params | FLOPs (batch 1) | max abs diff vs onnxruntime-node',
      ...rows].join('\n'));
    await commands.writeTestResult('pruning-torchvision.json', JSON.stringify({ adapter, sparsity: SPARSITY, criterion: 'l1', figures }, null, 2));
  });
});
