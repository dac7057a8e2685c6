/**
 * The browser side of `npm run bench`: one page, one GPU context, the studio's engine and
 * onnxruntime-web interleaved run by run on the same inputs (BENCHMARKS.md, whole-model cases).
 */
import { randomFloats } from '../src/core/rng';
import { maxAbsDiff } from '../src/core/allclose';
import { configureOrt, ortAdapterInfo, ORT_VERSION, Ours, OrtWeb, type Contender } from './contenders';
import { stats, timed } from './stats';
import type { BenchConfig, BenchRecord, CaseOutput, PageResult } from './types';
import { log, errText, openBenchContext } from './page-common';
import { compressedVariants } from './compressed';
import { TfInfer } from './tfjs-infer';
import { importOnnx } from '../src/model/onnx-import';
import type { GpuContext } from '../src/gpu/context';

/**
 * Brackets a contender's first run at a batch: the device bytes it needs there, peak included (the
 * output read back), as its weights (whenever uploaded) plus what the run allocated afresh. The pool
 * is trimmed first, so no buffer another session freed hides an allocation.
 */
function devicePeakStart(ctx: GpuContext, c: Ours): () => { deviceBytesPeak: number; weightBytes: number } {
  ctx.trimPool();
  const live = ctx.liveBytes, weights = c.weightBytes;
  ctx.resetPeak();
  return () => ({ deviceBytesPeak: ctx.peakBytes - live - (c.weightBytes - weights) + c.weightBytes, weightBytes: c.weightBytes });
}

async function runBench(cfg: BenchConfig): Promise<PageResult> {
  configureOrt();
  const { ctx, tag, adapter } = await openBenchContext();
  const i = ctx.info;
  const ours = new Ours(ctx);
  const ort = new OrtWeb();
  const tfjs = new TfInfer();
  let ortError: string | null = null;
  const records: BenchRecord[] = [];
  const outputs: CaseOutput[] = [];
  const gpuNote = i.hasTimestamps ? 'timestamp queries around the compute pass' : 'adapter has no timestamp-query';

  for (const model of cfg.models) {
    // Any file in fixtures/ (the reference check in Node reads the same path), not only the app's bundled models.
    const res = await fetch(`/fixtures/${model}`);
    if (!res.ok) throw new Error(`--models: fixtures/${model} could not be read (HTTP ${res.status})`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const [, oursLoad] = await timed(() => ours.load(bytes, model));
    let ortLoad: number | null = null;
    let ortOk = false;
    try {
      [, ortLoad] = await timed(() => ort.load(bytes.slice()));
      ortOk = true;
      adapter.ortAdapter ??= await ortAdapterInfo();
    } catch (e) {
      ortError ??= errText(e);
      log(`onnxruntime-web could not create a WebGPU session for ${model}: ${errText(e)}`);
    }
    // TF.js builds the same graph from its own ops (bench/tfjs-infer.ts); a model with an op it was not built for is recorded as not run.
    let tfLoad: number | null = null;
    let tfError: string | null = cfg.tfjs ? null : 'not asked for (--no-tfjs)';
    if (cfg.tfjs) {
      try { [, tfLoad] = await timed(() => tfjs.load(bytes, model)); } catch (e) { tfError = errText(e); await tfjs.dispose(); log(`TF.js not run on ${model}: ${tfError}`); }
    }
    log(`${model}: session created (ours ${oursLoad.toFixed(1)} ms, ort-web ${ortLoad?.toFixed(1) ?? 'failed'} ms, TF.js ${tfLoad !== null ? `${tfLoad.toFixed(1)} ms` : 'not run'})`);
    const variants = cfg.compressed ? compressedVariants(importOnnx(bytes, model)) : [];
    const compressed = variants.map((v) => {
      const c = new Ours(ctx, v.name);
      let loadMs: number | null = null;
      if (v.model) {
        const t = performance.now();
        try { c.loadModel(v.model); loadMs = performance.now() - t; } catch (e) { v.error = errText(e); }
      }
      if (v.error) log(`${model}: ${v.name} not run: ${v.error}`);
      return { c, v, loadMs };
    });

    for (const batch of cfg.batches) {
      const shape = ours.inputShapeFor(batch);
      const seed = 1234 + batch;
      const input = randomFloats(shape.reduce((a, b) => a * b, 1), seed, -1, 1);
      const base = { model, batch, tag, cycles: cfg.runs, error: null, extra: {} };
      const rOurs: BenchRecord = { ...base, contender: 'ours', loadMs: oursLoad, firstRunMs: null, e2e: null, gpu: null, gpuNote, maxAbsDiffVsOther: null, maxAbsDiffVsOrtNode: null };
      const rOrt: BenchRecord = {
        ...base, contender: 'ort-web', loadMs: ortLoad, firstRunMs: null, e2e: null, gpu: null,
        gpuNote: 'not available: onnxruntime-web exposes no per-run GPU timestamps', maxAbsDiffVsOther: null, maxAbsDiffVsOrtNode: null, error: ortOk ? null : ortError,
      };
      const rTf: BenchRecord = {
        ...base, contender: 'tfjs', loadMs: tfLoad, firstRunMs: null, e2e: null, gpu: null,
        gpuNote: 'not measured: TF.js gives no per-run GPU timestamps here', maxAbsDiffVsOther: null, maxAbsDiffVsOrtNode: null, error: tfError,
      };
      const live: [Contender, BenchRecord][] = [[ours, rOurs]];
      if (ortOk) live.push([ort, rOrt]);
      if (!tfError) live.push([tfjs, rTf]);
      // Compressed variants: their outputs differ from the float model's by design, so they are not checked against ort.
      const variantRecords: [Ours, BenchRecord][] = compressed.map(({ c, v, loadMs }) => [c, {
        ...base, contender: v.name, loadMs, firstRunMs: null, e2e: null, gpu: null, gpuNote: 'see extra.layers', maxAbsDiffVsOther: null, maxAbsDiffVsOrtNode: null,
        error: v.error, extra: { flopsPerItem: v.flops },
      }]);
      live.push(...variantRecords.filter(([, r]) => !r.error));

      // First run (pipelines compiled, buffers allocated), then warm-up, all untimed for the stats.
      const compilesBefore = ctx.pipelineCompiles;
      const outs: Float32Array[] = [];
      for (const [c, r] of live) {
        try {
          const device = c instanceof Ours ? devicePeakStart(ctx, c) : null;
          const [out, ms] = await timed(() => c.run(input, shape));
          r.firstRunMs = ms;
          if (device) r.extra = { ...r.extra, ...device() };
          if (c instanceof Ours && c !== ours) continue;
          if (c !== tfjs) outs.push(out);
          outputs.push({ contender: c.name, model, batch, shape, seed, data: Array.from(out) });
        } catch (e) { r.error = errText(e); log(`${c.name} ${model} b${batch} first run failed: ${r.error}`); }
      }
      const memory = rOurs.error ? null : ours.memory(shape);
      rOurs.extra = { ...rOurs.extra, pipelinesCompiledOnFirstRun: ctx.pipelineCompiles - compilesBefore, activationBytesHeld: memory?.heldBytes ?? null, activationBytesUnshared: memory?.unsharedBytes ?? null };
      if (outs.length === 2) rOurs.maxAbsDiffVsOther = rOrt.maxAbsDiffVsOther = maxAbsDiff(outs[0]!, outs[1]!);
      const ok = live.filter(([, r]) => !r.error);
      for (let w = 0; w < cfg.warmup; w++) for (const [c] of ok) await c.run(input, shape);
      log(`${model} b${batch}: first run ours ${rOurs.firstRunMs?.toFixed(1)} ms, ort-web ${rOrt.firstRunMs?.toFixed(1) ?? '—'} ms; max |ours−ort| ${rOurs.maxAbsDiffVsOther ?? '—'}`);

      // Interleaved cycles: ours, ort-web, then ours again with timestamps (GPU time kept apart from e2e).
      const e2e = new Map<Contender, number[]>(ok.map(([c]) => [c, []]));
      const gpu: number[] = [];
      for (let k = 0; k < cfg.runs; k++) {
        for (const [c] of ok) {
          const [, ms] = await timed(() => c.run(input, shape));
          e2e.get(c)!.push(ms);
        }
        if (i.hasTimestamps && !rOurs.error) {
          const g = await ours.gpuMs(input, shape);
          if (g !== null) gpu.push(g);
        }
      }
      for (const [c, r] of ok) r.e2e = stats(e2e.get(c)!);
      rOurs.gpu = gpu.length === cfg.runs ? stats(gpu) : null;
      if (i.hasTimestamps && !rOurs.gpu) rOurs.gpuNote = `timestamp queries gave usable values in only ${gpu.length}/${cfg.runs} runs`;
      // Where the time goes, per layer, for the float model and each variant (one profiled run each).
      if (cfg.compressed) {
        for (const [c, r] of [[ours, rOurs] as [Ours, BenchRecord], ...variantRecords]) {
          if (r.error) continue;
          try { r.extra = { ...r.extra, layers: await c.profile(batch) }; } catch (e) { log(`${c.name} ${model} b${batch} profile failed: ${errText(e)}`); }
        }
      }
      records.push(rOurs, rOrt, rTf, ...variantRecords.map(([, r]) => r));
      log(`${model} b${batch}: e2e median ours ${rOurs.e2e?.medianMs.toFixed(2)} ms, ort-web ${rOrt.e2e?.medianMs.toFixed(2) ?? '—'} ms${rTf.e2e ? `, TF.js ${rTf.e2e.medianMs.toFixed(2)} ms` : ''}`);
    }
    await ours.dispose();
    await ort.dispose();
    await tfjs.dispose();
    for (const { c } of compressed) await c.dispose();
  }
  ctx.destroy();
  return { tag, adapter, ortVersion: ORT_VERSION, ortError, records, outputs };
}

declare global { interface Window { runBench?: typeof runBench } }
window.runBench = runBench;
document.getElementById('log')!.textContent = 'bench page ready';
