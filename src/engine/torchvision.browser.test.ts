/**
 * The torchvision family on the studio's engine against onnxruntime-node. The models come from
 * fixtures/export_torchvision.py: torchvision's own random init, seeded; BatchNorm statistics
 * calibrated on image-like inputs so the logits depend on the input; input 1×3×64×64; the last layer
 * scaled so the test image's logits have std 1, which makes the 1e-4 absolute bound a relative one
 * too; the two test images come with the models (inputs.bin). The node side exports them into
 * node_modules/.cache/torchvision-onnx/ when missing, and fails with the apt line when python3-torch
 * is absent. Load time and latency are printed and written to test-results/torchvision-figures.json,
 * never asserted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { importOnnx } from '../model/onnx-import';
import { modelSize } from '../model/stats';
import { maxAbsDiff } from '../core/allclose';
import { testContext } from '../kernels/testing';
import { InferenceSession } from './session';
import { measureLatency } from './latency';

const MODELS = ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small', 'squeezenet1_1', 'shufflenet_v2_x0_5',
  'efficientnet_b0', 'regnet_x_400mf'];
const TOLERANCE = 1e-4;
/** 1e-4 absolute for logits up to 1, relative above: item 1's logits may be larger than item 0's (std 1 by construction). */
const bound = (ref: ArrayLike<number>) => TOLERANCE * Math.max(1, peak(ref));
const peak = (v: ArrayLike<number>) => { let m = 0; for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!)); return m; };

interface Figures {
  model: string; nodes: number; gpuSteps: number; params: number; maxAbsDiff: number; relDiff: number;
  importMs: number; planMs: number; loadMs: number; firstRunMs: number; batch1Ms: number; batch1GpuMs: number | null; latencyRuns: number;
}
const figures: Figures[] = [];
const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** The file through the test server (binary, no base64 round trip), else through the node command. */
async function readBytes(path: string): Promise<Uint8Array> {
  const res = await fetch(`/${path}`).catch(() => null);
  const type = res?.headers.get('content-type') ?? '';
  if (res?.ok && !type.includes('html') && !type.includes('javascript')) return new Uint8Array(await res.arrayBuffer());
  return fromB64(await commands.readFileB64(path));
}

describe('torchvision models match onnxruntime-node', () => {
  // Asked for by the first test (not at collection), so a missing torch fails that test with its message.
  let manifest: ReturnType<typeof commands.torchvisionFixtures> | null = null;
  const fixtures = () => (manifest ??= commands.torchvisionFixtures());
  /** The export's two test images, (2, 3, 64, 64). */
  const inputs = async () => {
    const { dir, inputs: file } = await fixtures();
    const bytes = await readBytes(`${dir}/${file.file}`);
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  };
  const item = async (i: number) => { const all = await inputs(); const n = all.length / 2; return all.slice(i * n, (i + 1) * n); };

  for (const name of MODELS) {
    it(name, async () => {
      const { dir, models } = await fixtures();
      const info = models[name];
      if (!info) throw new Error(`${dir}/manifest.json has no entry for ${name}; delete ${dir} to re-export`);
      const path = `${dir}/${info.file}`;
      const bytes = await readBytes(path);
      const ctx = await testContext();
      const shape = info.input;
      const input = await item(0);

      const t0 = performance.now();
      const model = importOnnx(bytes, info.file);
      const t1 = performance.now();
      const session = new InferenceSession(ctx, model);
      try {
        const plan = session.plan({ [session.input.name]: shape });
        const t2 = performance.now();
        const { output } = await ctx.checked(name, () => session.runBatch(input, shape));
        const t3 = performance.now();

        const [ref] = await commands.ortRunFile(path, [{ name: session.input.name, dims: shape, data: Array.from(input) }]);
        expect(output.shape).toEqual(ref!.dims);
        const diff = maxAbsDiff(output.data, ref!.data);
        const scale = peak(ref!.data);
        // Logits that barely move with the input would let a wrong early layer pass: the other test
        // image must change them by a good fraction (the export's BN calibration sees to it).
        const [other] = await commands.ortRunFile(path, [{ name: session.input.name, dims: shape, data: Array.from(await item(1)) }]);
        expect(maxAbsDiff(other!.data, ref!.data), `${name}: logits hardly depend on the input`)
          .toBeGreaterThan(0.1 * Math.max(scale, peak(other!.data)));
        // Up to 5 runs after warm-up, fewer past 4 s: SwiftShader takes seconds a run on the largest.
        const latency = await measureLatency(session, 1, { runs: 5, warmup: 1, budgetMs: 4000 });
        figures.push({
          model: name, nodes: model.graph.nodes.length, gpuSteps: plan.dispatches.length,
          params: modelSize(model).params, maxAbsDiff: diff, relDiff: diff / scale,
          importMs: t1 - t0, planMs: t2 - t1, loadMs: t2 - t0, firstRunMs: t3 - t2,
          batch1Ms: latency.medianMs, batch1GpuMs: latency.gpuMedianMs, latencyRuns: latency.runs,
        });
        expect(diff, `${name}: max abs diff vs onnxruntime-node (logits up to ${scale.toFixed(2)})`).toBeLessThanOrEqual(bound(ref!.data));
      } finally {
        session.destroy();
      }
    });
  }

  // The symbolic-batch exports at batch 2: ShuffleNet's channel shuffle reshapes by Shape arithmetic on the input.
  for (const name of ['squeezenet1_1', 'shufflenet_v2_x0_5']) {
    it(`${name} with a symbolic batch, at batch 2`, async () => {
      const { dir, models } = await fixtures();
      const file = models[name]?.dynamicFile;
      if (!file) throw new Error(`${dir}/manifest.json has no symbolic-batch export of ${name}; delete ${dir} to re-export`);
      const ctx = await testContext();
      const model = importOnnx(await readBytes(`${dir}/${file}`), file);
      expect(model.graph.inputs[0]!.shape[0]).toBe('N');
      const session = new InferenceSession(ctx, model);
      try {
        const shape = session.inputShapeFor(2);
        const input = await inputs();
        const { output } = await ctx.checked(name, () => session.runBatch(input, shape));
        const [ref] = await commands.ortRunFile(`${dir}/${file}`, [{ name: session.input.name, dims: shape, data: Array.from(input) }]);
        expect(output.shape).toEqual([2, 1000]);
        expect(ref!.dims).toEqual([2, 1000]);
        // The two items' logits differ, so a kernel that mixed up or repeated batch rows would show.
        expect(maxAbsDiff(ref!.data.slice(0, 1000), ref!.data.slice(1000))).toBeGreaterThan(0.1 * peak(ref!.data));
        expect(maxAbsDiff(output.data, ref!.data)).toBeLessThanOrEqual(bound(ref!.data));
      } finally {
        session.destroy();
      }
    });
  }

  afterAll(async () => {
    if (!figures.length) return;
    const ctx = await testContext();
    const adapter = `${ctx.info.description || ctx.info.device || ctx.info.vendor}${ctx.info.isFallback ? ' (software fallback)' : ''}`;
    const ms = (v: number | null) => (v === null ? '—' : v.toFixed(0));
    const rows = figures.map((f) => [f.model, f.nodes, f.gpuSteps, (f.params / 1e6).toFixed(2) + 'M',
      f.maxAbsDiff.toExponential(1), f.relDiff.toExponential(1), ms(f.importMs), ms(f.loadMs), ms(f.firstRunMs),
      `${ms(f.batch1Ms)} (${f.latencyRuns})`, ms(f.batch1GpuMs)].join(' | '));
    console.log([`torchvision on ${adapter}`,
      'model | nodes | dispatches | params | max abs diff | rel diff | import ms | load ms | first run ms | batch-1 ms (runs) | batch-1 GPU ms',
      ...rows].join('\n'));
    await commands.writeTestResult('torchvision-figures.json', JSON.stringify({ adapter, figures }, null, 2));
  });
});
