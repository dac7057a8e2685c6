/**
 * The browser side of the sparse-kernel benchmark (`npm run bench -- --only sparse`): a pruned
 * layer's y = x · Wᵀ by dense matmul() vs the CSR kernel at 50 / 75 / 90 % magnitude-pruned
 * sparsity vs the same 2:4-pruned W in CSR and in the 2:4 form, at equal (M, N, K); a pruned Conv
 * by dense conv2d() vs the sparse Conv kernel on the same W's (no 2:4 Conv kernel), in one page and
 * one GPU context, interleaved run by run (BENCHMARKS.md protocol). Per case: plan each contender
 * (pipeline compile timed on its own), run it once in a validation error scope and compare sampled
 * rows with the CPU reference, warm up, then `runs` cycles, each run giving an e2e wall clock
 * (upload x + dispatch + readback y, weights resident) and a GPU time (timestamp queries).
 */
import { GpuTimer, type Dispatch, type GpuContext } from '../src/gpu/context';
import { randomFloats } from '../src/core/rng';
import type { GpuTensor } from '../src/kernels/common';
import { matmul } from '../src/kernels/matmul';
import { conv2d, type ConvAttrs } from '../src/kernels/conv';
import { packConvCsr, sparseConv2d, uploadSparseConvWeights } from '../src/kernels/sparse-conv';
import { sparseConvRef } from '../src/kernels/sparse-conv.ref';
import { releaseSparseWeights, sparseMatmul, uploadSparseWeights, type SparseMatmulAttrs } from '../src/kernels/sparse-matmul';
import { sparseMatmulRef } from '../src/kernels/sparse-matmul.ref';
import { densityOf, pack24, packCsr, prune24, pruneByMagnitude, sparseBytes, type SparseMatrix } from '../src/kernels/sparse-pack';
import { stats } from './stats';
import { SPARSE_CONTENDERS, sparseCases, type SparseBenchConfig, type SparseCase, type SparseContender, type SparsePageResult, type SparseRecord } from './sparse-types';
import type { Tag } from './types';
import { log, errText, openBenchContext, finiteMaxDiff, planAndRunOnce, writeF32 } from './page-common';

const NO_ACT = { kind: 'none' } as const;

interface Runner { rec: SparseRecord; dispatches: Dispatch[]; y: GpuTensor; validated: Float32Array | null }

/** Rows checked against the CPU: all for small M, else 6 spread over M. */
function sampleRows(M: number): number[] {
  if (M <= 8) return [...Array(M).keys()];
  return [...new Set([0, 1, Math.floor(M / 3), Math.floor(M / 2), M - 2, M - 1])];
}

/** A case's input, output and, per contender's W, its dispatches and its check against the CPU reference. */
interface CaseSetup {
  xData: Float32Array;
  x: GpuTensor;
  yShape: number[];
  /** Dispatches for W (dense: the dense kernel; else the contender's sparse form), its stored bytes, and buffers to free. */
  plan(name: SparseContender, w: Float32Array, y: GpuTensor): { dispatches: Dispatch[]; weightBytes: number; release: () => void };
  /** Max |out − reference| (sampled for a GEMM, the whole output for a Conv). */
  check(w: Float32Array, name: SparseContender, out: Float32Array): number;
}

function gemmSetup(ctx: GpuContext, c: SparseCase, xData: Float32Array): CaseSetup {
  const { M, N, K } = c;
  const x: GpuTensor = { buffer: ctx.upload(`${c.id}:x`, xData), shape: [M, K] };
  const rows = sampleRows(M);
  const subX = new Float32Array(rows.length * K);
  rows.forEach((m, i) => subX.set(xData.subarray(m * K, (m + 1) * K), i * K));
  const attrs: SparseMatmulAttrs = { alpha: 1, beta: 1, act: NO_ACT };
  const packed = (name: SparseContender, w: Float32Array): SparseMatrix => (name === '2:4' ? pack24(w, N, K) : packCsr(w, N, K));
  return {
    xData, x, yShape: [M, N],
    plan(name, w, y) {
      if (name === 'dense') {
        const wt: GpuTensor = { buffer: ctx.upload(`${c.id}:w`, w), shape: [N, K] };
        return { dispatches: matmul(ctx, x, wt, null, y, { transA: false, transB: true, ...attrs }, `${c.id}:dense`), weightBytes: 4 * N * K, release: () => ctx.release(wt.buffer) };
      }
      const m = packed(name, w);
      const sw = uploadSparseWeights(ctx, `${c.id}:${name}`, m);
      return { dispatches: sparseMatmul(ctx, x, sw, null, y, attrs, `${c.id}:${name}`), weightBytes: sparseBytes(m), release: () => releaseSparseWeights(ctx, sw) };
    },
    check(w, name, out) {
      const sub = new Float32Array(rows.length * N);
      rows.forEach((m, i) => sub.set(out.subarray(m * N, (m + 1) * N), i * N));
      return finiteMaxDiff(sub, sparseMatmulRef(subX, rows.length, packed(name, w), null, null, attrs));
    },
  };
}

function convSetup(ctx: GpuContext, c: SparseCase, xData: Float32Array): CaseSetup {
  const { x: xs, k, pad } = c.conv!;
  const wDims = [c.N, xs[1], k, k];
  const attrs: ConvAttrs = { strides: [1, 1], pads: [pad, pad, pad, pad], dilations: [1, 1], group: 1, act: NO_ACT };
  const yShape = [xs[0], c.N, xs[2] + 2 * pad - k + 1, xs[3] + 2 * pad - k + 1];
  const x: GpuTensor = { buffer: ctx.upload(`${c.id}:x`, xData), shape: [...xs] };
  return {
    xData, x, yShape,
    plan(name, w, y) {
      if (name === 'dense') {
        const wt: GpuTensor = { buffer: ctx.upload(`${c.id}:w`, w), shape: wDims };
        return { dispatches: conv2d(ctx, x, wt, null, y, attrs, `${c.id}:dense`), weightBytes: 4 * w.length, release: () => ctx.release(wt.buffer) };
      }
      const m = packConvCsr(w, wDims);
      const sw = uploadSparseConvWeights(ctx, `${c.id}:${name}`, m);
      return { dispatches: sparseConv2d(ctx, x, sw, null, y, attrs, `${c.id}:${name}`), weightBytes: sw.bytes, release: () => { for (const b of sw.buffers) ctx.destroyBuffer(b); } };
    },
    check: (w, _name, out) => finiteMaxDiff(out, sparseConvRef(xData, xs, packConvCsr(w, wDims), null, yShape[2]!, yShape[3]!, attrs)),
  };
}

async function benchCase(ctx: GpuContext, timer: GpuTimer | null, tag: Tag, c: SparseCase, runs: number, warmup: number, seed: number): Promise<SparseRecord[]> {
  const { N, K } = c;
  const setup = (c.conv ? convSetup : gemmSetup)(ctx, c, randomFloats(c.conv ? c.conv.x.reduce((a, d) => a * d, 1) : c.M * K, seed, -1, 1));
  const { x, xData } = setup;
  const yLen = setup.yShape.reduce((a, d) => a * d, 1);
  const wDense = randomFloats(N * K, seed + 1, -1, 1);
  const w24 = prune24(wDense, N, K);
  const weightOf: Record<SparseContender, Float32Array> = {
    dense: wDense, 'csr-50': pruneByMagnitude(wDense, 0.5), 'csr-75': pruneByMagnitude(wDense, 0.75), 'csr-90': pruneByMagnitude(wDense, 0.9), 'csr-2:4': w24, '2:4': w24,
  };
  const toRelease: GPUBuffer[] = [x.buffer];
  const releases: (() => void)[] = [];
  const runners: Runner[] = [];

  // A Conv has no 2:4 kernel: its 2:4-pruned W runs CSR (csr-2:4).
  for (const name of SPARSE_CONTENDERS.filter((n) => !(c.conv && n === '2:4'))) {
    const w = weightOf[name];
    const y: GpuTensor = { buffer: ctx.acquire(`${c.id}:${name}:y`, yLen * 4), shape: setup.yShape };
    toRelease.push(y.buffer);
    const rec: SparseRecord = {
      case: c.id, shape: c.shape, contender: name, tag, pipelines: [], density: densityOf(w),
      weightBytes: 4 * N * K, pipelinesCompiled: 0, planMs: null, firstRunMs: null,
      maxAbsDiff: null, tolerance: 4e-6 * K, e2e: null, gpu: null, runs: 0, error: null,
    };
    const runner: Runner = { rec, dispatches: [], y, validated: null };
    runners.push(runner);
    try {
      const { dispatches, out } = await planAndRunOnce(ctx, `${name} on ${c.id}`, rec, () => {
        const planned = setup.plan(name, w, y);
        releases.push(planned.release);
        rec.weightBytes = planned.weightBytes;
        return planned.dispatches;
      }, x.buffer, xData, y.buffer, yLen);
      runner.dispatches = dispatches;
      rec.maxAbsDiff = setup.check(w, name, out);
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
    const y = await ctx.readF32(r.y.buffer, yLen);
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
  for (const r of releases) r();
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
