/**
 * The browser side of the sparse-kernel benchmark (`npm run bench -- --only sparse`): a pruned
 * layer's y = x · Wᵀ by dense matmul() vs the CSR kernel at 50 / 75 / 90 % magnitude-pruned
 * sparsity vs the same 2:4-pruned W in CSR and in the 2:4 form, at equal (M, N, K), in one page and
 * one GPU context, interleaved run by run (BENCHMARKS.md protocol). Per case: plan each contender
 * (pipeline compile timed on its own), run it once in a validation error scope and compare sampled
 * rows with the CPU reference, warm up, then `runs` cycles, each run giving an e2e wall clock
 * (upload x + dispatch + readback y, weights resident) and a GPU time (timestamp queries).
 */
import { GpuTimer, type Dispatch, type GpuContext } from '../src/gpu/context';
import { randomFloats } from '../src/core/rng';
import type { GpuTensor } from '../src/kernels/common';
import { matmul, type MatmulAttrs } from '../src/kernels/matmul';
import { releaseSparseWeights, sparseMatmul, uploadSparseWeights, type SparseMatmulAttrs, type SparseWeights } from '../src/kernels/sparse-matmul';
import { sparseMatmulRef } from '../src/kernels/sparse-matmul.ref';
import { densityOf, pack24, packCsr, prune24, pruneByMagnitude, sparseBytes, type SparseMatrix } from '../src/kernels/sparse-pack';
import { stats } from './stats';
import { SPARSE_CONTENDERS, sparseCases, type SparseBenchConfig, type SparseCase, type SparseContender, type SparsePageResult, type SparseRecord } from './sparse-types';
import type { Tag } from './types';
import { log, errText, openBenchContext, finiteMaxDiff, writeF32 } from './page-common';

const NO_ACT = { kind: 'none' } as const;

interface Runner { rec: SparseRecord; dispatches: Dispatch[]; y: GpuTensor; validated: Float32Array | null }

/** Rows checked against the CPU: all for small M, else 6 spread over M. */
function sampleRows(M: number): number[] {
  if (M <= 8) return [...Array(M).keys()];
  return [...new Set([0, 1, Math.floor(M / 3), Math.floor(M / 2), M - 2, M - 1])];
}

async function benchCase(ctx: GpuContext, timer: GpuTimer | null, tag: Tag, c: SparseCase, runs: number, warmup: number, seed: number): Promise<SparseRecord[]> {
  const { M, N, K } = c;
  const xData = randomFloats(M * K, seed, -1, 1);
  const wDense = randomFloats(N * K, seed + 1, -1, 1);
  const x: GpuTensor = { buffer: ctx.upload(`${c.id}:x`, xData), shape: [M, K] };
  const rows = sampleRows(M);
  const subX = new Float32Array(rows.length * K);
  rows.forEach((m, i) => subX.set(xData.subarray(m * K, (m + 1) * K), i * K));
  const pick = (out: Float32Array) => {
    const sub = new Float32Array(rows.length * N);
    rows.forEach((m, i) => sub.set(out.subarray(m * N, (m + 1) * N), i * N));
    return sub;
  };
  const w24 = prune24(wDense, N, K);
  const held: Record<SparseContender, { w: Float32Array; m: SparseMatrix }> = {
    dense: { w: wDense, m: packCsr(wDense, N, K) },
    'csr-50': { w: pruneByMagnitude(wDense, 0.5), m: null! },
    'csr-75': { w: pruneByMagnitude(wDense, 0.75), m: null! },
    'csr-90': { w: pruneByMagnitude(wDense, 0.9), m: null! },
    'csr-2:4': { w: w24, m: packCsr(w24, N, K) },
    '2:4': { w: w24, m: pack24(w24, N, K) },
  };
  for (const k of ['csr-50', 'csr-75', 'csr-90'] as const) held[k].m = packCsr(held[k].w, N, K);
  const attrs: SparseMatmulAttrs = { alpha: 1, beta: 1, act: NO_ACT };
  const dAttrs: MatmulAttrs = { transA: false, transB: true, ...attrs };
  const toRelease: GPUBuffer[] = [x.buffer];
  const sparseW: SparseWeights[] = [];
  const runners: Runner[] = [];

  for (const name of SPARSE_CONTENDERS) {
    const h = held[name];
    const y: GpuTensor = { buffer: ctx.acquire(`${c.id}:${name}:y`, M * N * 4), shape: [M, N] };
    toRelease.push(y.buffer);
    const rec: SparseRecord = {
      case: c.id, shape: c.shape, contender: name, tag, pipelines: [], density: densityOf(h.w),
      weightBytes: name === 'dense' ? 4 * N * K : sparseBytes(h.m), pipelinesCompiled: 0, planMs: null, firstRunMs: null,
      maxAbsDiff: null, tolerance: 4e-6 * K, e2e: null, gpu: null, runs: 0, error: null,
    };
    const runner: Runner = { rec, dispatches: [], y, validated: null };
    runners.push(runner);
    try {
      const compiles = ctx.pipelineCompiles;
      const out = await ctx.checked(`${name} on ${c.id}`, async () => {
        const t0 = performance.now();
        if (name === 'dense') {
          const wt: GpuTensor = { buffer: ctx.upload(`${c.id}:w`, h.w), shape: [N, K] };
          toRelease.push(wt.buffer);
          runner.dispatches = matmul(ctx, x, wt, null, y, dAttrs, `${c.id}:dense`);
        } else {
          const sw = uploadSparseWeights(ctx, `${c.id}:${name}`, h.m);
          sparseW.push(sw);
          runner.dispatches = sparseMatmul(ctx, x, sw, null, y, attrs, `${c.id}:${name}`);
        }
        await ctx.device.queue.onSubmittedWorkDone();
        rec.planMs = performance.now() - t0;
        rec.pipelinesCompiled = ctx.pipelineCompiles - compiles;
        rec.pipelines = runner.dispatches.map((d) => d.pipeline.label);
        const t1 = performance.now();
        writeF32(ctx, x.buffer, xData);
        ctx.submit(runner.dispatches);
        const r = await ctx.readF32(y.buffer, M * N);
        rec.firstRunMs = performance.now() - t1;
        return r;
      });
      rec.maxAbsDiff = finiteMaxDiff(pick(out), sparseMatmulRef(subX, rows.length, h.m, null, null, attrs));
      if (rec.maxAbsDiff > rec.tolerance) rec.error = `output differs from the CPU reference: max abs diff ${rec.maxAbsDiff} > ${rec.tolerance}`;
      else runner.validated = out;
    } catch (e) {
      rec.error = errText(e);
    }
    if (rec.error) log(`${c.id}: ${name} NOT TIMED: ${rec.error}`);
  }

  const live = runners.filter((r) => !r.rec.error);
  const once = async (r: Runner, timed: boolean): Promise<[Float32Array, number, number | null]> => {
    const t = timed ? timer ?? undefined : undefined;
    const t0 = performance.now();
    writeF32(ctx, x.buffer, xData);
    ctx.submit(r.dispatches, t);
    const y = await ctx.readF32(r.y.buffer, M * N);
    const ms = performance.now() - t0;
    return [y, ms, t ? await t.readMs() : null];
  };
  for (let w = 0; w < warmup; w++) for (const r of live) await once(r, false);
  const e2e = new Map(live.map((r) => [r, [] as number[]]));
  const gpu = new Map(live.map((r) => [r, [] as number[]]));
  let err: string | null = null;
  ctx.device.pushErrorScope('validation');
  try {
    for (let k = 0; k < runs; k++) {
      for (const r of live) {
        const [y, ms, g] = await once(r, true);
        e2e.get(r)!.push(ms);
        if (g !== null) gpu.get(r)!.push(g);
        const d = finiteMaxDiff(y, r.validated!);
        if (d !== 0 && !r.rec.error) r.rec.error = `timed-run output drifted from the validated one by ${d}`;
      }
    }
  } catch (e) {
    err = `a timed run failed: ${errText(e)}`;
  }
  const scoped = await ctx.device.popErrorScope();
  if (scoped) err = `WebGPU rejected a timed run: ${scoped.message}`;
  for (const r of live) {
    r.rec.runs = runs;
    if (err) { r.rec.error = err; continue; }
    if (r.rec.error) continue;
    r.rec.e2e = stats(e2e.get(r)!);
    const g = gpu.get(r)!;
    r.rec.gpu = g.length === runs ? stats(g) : null;
  }
  for (const w of sparseW) releaseSparseWeights(ctx, w);
  for (const b of toRelease) ctx.release(b);
  return runners.map((r) => r.rec);
}

async function runSparseBench(cfg: SparseBenchConfig): Promise<SparsePageResult> {
  const started = performance.now();
  const { ctx, tag, adapter } = await openBenchContext();
  const i = ctx.info;
  const runs = cfg.runs ?? (tag === 'swiftshader' ? 5 : 10);
  const cases = sparseCases().filter((c) => !cfg.cases || cfg.cases.includes(c.id));
  log(`sparse kernels on '${i.vendor}' / '${i.architecture}' / '${i.description}' (tag ${tag}); ${runs} interleaved cycles, ${cfg.warmup} warm-up run(s)`);
  const timer = i.hasTimestamps ? new GpuTimer(ctx) : null;
  const records: SparseRecord[] = [];
  let seed = 9090;
  try {
    for (const c of cases) {
      const t = performance.now();
      const recs = await benchCase(ctx, timer, tag, c, runs, cfg.warmup, seed);
      seed += 10;
      records.push(...recs);
      log(`${c.id} (${((performance.now() - t) / 1000).toFixed(1)} s): GPU/e2e median ms: ` +
        recs.map((r) => `${r.contender} ${r.gpu?.medianMs.toFixed(2) ?? '—'}/${r.e2e?.medianMs.toFixed(2) ?? '—'}`).join(', '));
    }
  } finally {
    timer?.destroy();
    ctx.destroy();
  }
  return { tag, adapter, hasTimestamps: i.hasTimestamps, runs, warmup: cfg.warmup, cases, records, pageMs: performance.now() - started };
}

declare global { interface Window { runSparseBench?: typeof runSparseBench } }
window.runSparseBench = runSparseBench;
