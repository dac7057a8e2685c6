/**
 * The browser side of the kernel benchmark (BENCHMARKS.md, GEMM and Conv2d cases): f32 vs int8
 * (dot4I8Packed and the unpacked fallback) vs binary XNOR-popcount at equal shapes, in one page and
 * one GPU context, interleaved run by run. Every contender computes f32 x → f32 y from resident
 * weights: int8 quantises x on load and dequantises y, XNOR packs x's signs (a second dispatch).
 *
 * Per case: plan each contender (pipeline compile timed on its own), run it once inside a
 * validation error scope and compare with a CPU reference, warm up, then `runs` cycles of
 * (f32, int8 dot4, int8 unpacked, XNOR), one run each per cycle giving both an end-to-end wall
 * clock and a GPU time (timestamp queries in the same pass), all inside one more validation
 * scope, every output checked against the validated one.
 */
import { GpuTimer, type Dispatch, type GpuContext } from '../src/gpu/context';
import { randomFloats } from '../src/core/rng';
import type { GpuTensor } from '../src/kernels/common';
import { matmul, type MatmulAttrs } from '../src/kernels/matmul';
import { matmulRef } from '../src/kernels/matmul.ref';
import { conv2d, type ConvAttrs } from '../src/kernels/conv';
import { conv2dRef } from '../src/kernels/conv.ref';
import { releaseInt8Weights, uploadInt8Weights, type Int8Quant, type Int8WeightSpec } from '../src/kernels/int8';
import { int8Matmul } from '../src/kernels/int8-matmul';
import { int8Conv2d, type Int8ConvAttrs } from '../src/kernels/int8-conv';
import { activationQuantParams, int8Conv2dRef, int8MatmulRef, quantizeWeights } from '../src/kernels/int8.ref';
import { uploadBinaryWeights, xnorScratchBytes, type XnorOptions } from '../src/kernels/binary-net';
import { xnorMatmul } from '../src/kernels/xnor-matmul';
import { xnorConv2d } from '../src/kernels/xnor-conv';
import { xnorConv2dRef, xnorMatmulRef } from '../src/kernels/binary-net.ref';
import { stats } from './stats';
import { KERNEL_CONTENDERS, kernelCases, type ConvSpec, type GemmSpec, type KernelBenchConfig, type KernelCase, type KernelContender, type KernelPageResult, type KernelRecord } from './kernel-types';
import type { Tag } from './types';
import { log, errText, openBenchContext, finiteMaxDiff, planAndRunOnce, writeF32 } from './page-common';

const NO_ACT = { kind: 'none' } as const;

function range(v: Float32Array): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; }
  return [lo, hi];
}

/** One contender of one case, planned and validated. */
interface Runner {
  rec: KernelRecord;
  dispatches: Dispatch[];
  y: GpuTensor;
  yLen: number;
  validated: Float32Array | null;
}

/** What a case hands each contender: its plan, and a check of its first output against the CPU. */
interface Plan {
  name: KernelContender;
  build: () => Dispatch[];
  y: GpuTensor;
  check: (out: Float32Array) => { maxAbsDiff: number; tolerance: number; checked: string };
}

class KernelBench {
  private readonly timer: GpuTimer | null;
  constructor(readonly ctx: GpuContext, readonly tag: Tag, readonly runs: number, readonly warmup: number) {
    this.timer = ctx.info.hasTimestamps ? new GpuTimer(ctx) : null;
  }

  record(c: KernelCase, name: KernelContender): KernelRecord {
    return {
      case: c.id, shape: c.shape, contender: name, tag: this.tag, pipelines: [], flops: c.flops, pipelinesCompiled: 0,
      planMs: null, firstRunMs: null, validation: null, e2e: null, gpu: null,
      gpuNote: this.timer ? 'timestamp queries around the compute pass' : 'adapter has no timestamp-query',
      runs: 0, maxDriftVsValidated: null, error: null,
    };
  }

  private output(c: KernelCase, shape: number[]): GpuTensor {
    return { buffer: this.ctx.acquire(`${c.id}:y`, shape.reduce((a, b) => a * b, 1) * 4), shape };
  }

  /** Plans (compiling pipelines, timed to an idle queue), then runs once inside a validation scope and checks the output. */
  private async prepare(c: KernelCase, p: Plan, x: GpuTensor, xData: Float32Array): Promise<Runner> {
    const { ctx } = this;
    const rec = this.record(c, p.name);
    const yLen = p.y.shape.reduce((a, b) => a * b, 1);
    const runner: Runner = { rec, dispatches: [], y: p.y, yLen, validated: null };
    try {
      const { dispatches, out } = await planAndRunOnce(ctx, `${p.name} on ${c.id}`, rec, p.build, x.buffer, xData, p.y.buffer, yLen);
      runner.dispatches = dispatches;
      const v = p.check(out);
      rec.validation = { ...v, ok: v.maxAbsDiff <= v.tolerance };
      if (!rec.validation.ok) rec.error = `output differs from the CPU reference: max abs diff ${v.maxAbsDiff} > ${v.tolerance} (${v.checked})`;
      else runner.validated = out;
    } catch (e) {
      rec.error = errText(e);
    }
    if (rec.error) log(`${c.id}: ${p.name} NOT TIMED: ${rec.error}`);
    return runner;
  }

  /**
   * Upload x, run, read y back: the wall clock of one inference-style call. With `timed`, the same
   * pass also carries the timestamp writes (resolved in the same command buffer, read after the
   * clock stops), so GPU time and e2e come from the same runs and e2e − GPU is the overhead.
   */
  private async e2e(r: Runner, x: GpuTensor, xData: Float32Array, timed = false): Promise<[Float32Array, number, number | null]> {
    const timer = timed ? this.timer ?? undefined : undefined;
    const t = performance.now();
    writeF32(this.ctx, x.buffer, xData);
    this.ctx.submit(r.dispatches, timer);
    const y = await this.ctx.readF32(r.y.buffer, r.yLen);
    const ms = performance.now() - t;
    return [y, ms, timer ? await timer.readMs() : null];
  }

  /** Warm-up, then `runs` interleaved cycles; each run gives an e2e wall clock and a GPU time. */
  private async time(c: KernelCase, runners: Runner[], x: GpuTensor, xData: Float32Array): Promise<void> {
    const live = runners.filter((r) => !r.rec.error);
    for (let w = 0; w < this.warmup; w++) for (const r of live) await this.e2e(r, x, xData);
    const e2e = new Map(live.map((r) => [r, [] as number[]]));
    const gpu = new Map(live.map((r) => [r, [] as number[]]));
    let thrown: string | null = null;
    this.ctx.device.pushErrorScope('validation');
    try {
      for (let k = 0; k < this.runs; k++) {
        for (const r of live) {
          const [y, ms, g] = await this.e2e(r, x, xData, true);
          e2e.get(r)!.push(ms);
          if (g !== null) gpu.get(r)!.push(g);
          r.rec.maxDriftVsValidated = Math.max(r.rec.maxDriftVsValidated ?? 0, finiteMaxDiff(y, r.validated!));
        }
      }
    } catch (e) {
      thrown = errText(e);
    }
    const scoped = await this.ctx.device.popErrorScope();
    const err = scoped ? `WebGPU rejected a timed run: ${scoped.message}` : thrown ? `a timed run failed: ${thrown}` : null;
    for (const r of live) {
      r.rec.runs = this.runs;
      if (err) { r.rec.error = err; continue; }
      if (r.rec.maxDriftVsValidated !== 0) r.rec.error = `timed-run output drifted from the validated one by ${r.rec.maxDriftVsValidated}`;
      r.rec.e2e = stats(e2e.get(r)!);
      const g = gpu.get(r)!;
      r.rec.gpu = g.length === this.runs ? stats(g) : null;
      if (this.timer && !r.rec.gpu) r.rec.gpuNote = `timestamp queries gave usable values in only ${g.length}/${this.runs} runs`;
    }
    if (err) log(`${c.id}: figures dropped: ${err}`);
  }

  /** Rows of a GEMM checked against the CPU: all for small M, else first, last and 6 spread between. */
  private sampleRows(M: number): number[] {
    if (M <= 8) return [...Array(M).keys()];
    return [...new Set([0, 1, Math.floor(M / 7), Math.floor(M / 3), Math.floor(M / 2), Math.floor((2 * M) / 3), M - 2, M - 1])];
  }

  async gemm(c: KernelCase, s: GemmSpec, seed: number): Promise<KernelRecord[]> {
    const { ctx } = this;
    const { M, N, K } = s;
    const xData = randomFloats(M * K, seed, -1, 1);
    const wData = randomFloats(N * K, seed + 1, -1, 1);
    const x: GpuTensor = { buffer: ctx.upload(`${c.id}:x`, xData), shape: [M, K] };
    const rows = this.sampleRows(M);
    const subX = new Float32Array(rows.length * K);
    rows.forEach((m, i) => subX.set(xData.subarray(m * K, (m + 1) * K), i * K));
    const pick = (out: Float32Array) => {
      const sub = new Float32Array(rows.length * N);
      rows.forEach((m, i) => sub.set(out.subarray(m * N, (m + 1) * N), i * N));
      return sub;
    };
    const checked = rows.length === M ? `all ${M}×${N} outputs` : `rows ${rows.join(', ')} of ${M} (all ${N} columns)`;
    const runners: Runner[] = [];
    const toRelease: GPUBuffer[] = [x.buffer];

    // f32: Gemm with B = W (N, K), transB — the layout the int8 and XNOR weights have.
    const attrs: MatmulAttrs = { transA: false, transB: true, alpha: 1, beta: 1, act: NO_ACT };
    const w32: GpuTensor = { buffer: ctx.upload(`${c.id}:w`, wData), shape: [N, K] };
    const y32 = this.output(c, [M, N]);
    toRelease.push(w32.buffer, y32.buffer);
    const f32 = await this.prepare(c, {
      name: 'f32', y: y32, build: () => matmul(ctx, x, w32, null, y32, attrs, `${c.id}:f32`),
      check: (out) => ({
        maxAbsDiff: finiteMaxDiff(pick(out), matmulRef(subX, [rows.length, K], wData, [N, K], null, null, attrs, [rows.length, N])),
        tolerance: 4e-6 * K, // |x|, |w| < 1: f32 summation error against an f64 reference
        checked,
      }),
    }, x, xData);
    runners.push(f32);

    // int8: per-channel symmetric weights; x and y calibrated from their observed ranges (y from the f32 output).
    const xq = activationQuantParams(...range(xData));
    const yq = activationQuantParams(...(f32.validated ? range(f32.validated) : [-Math.sqrt(K), Math.sqrt(K)] as [number, number]));
    const q: Int8Quant = { xScale: xq.scale, xZero: xq.zero, yScale: yq.scale, yZero: yq.zero, relu: false };
    const wq = quantizeWeights(wData, N, K, { symmetric: true, perChannel: true });
    const spec: Int8WeightSpec = { q: wq.q, N, K, scale: wq.scale, zero: wq.zero, biasQ: null, xScale: q.xScale, yScale: q.yScale };
    const w8 = uploadInt8Weights(ctx, `${c.id}:w8`, spec);
    let ref8: Float32Array | null = null;
    const check8 = (out: Float32Array) => ({
      maxAbsDiff: finiteMaxDiff(pick(out), ref8 ??= int8MatmulRef(subX, rows.length, spec, q).y),
      tolerance: q.yScale, // the reference is bit-exact; one output quantum of slack
      checked,
    });
    runners.push(await this.int8(c, 'int8-dot4', [M, N], check8, (y, forceUnpacked) => int8Matmul(ctx, x, w8, y, q, { dot4: forceUnpacked ? 'unpacked' : 'builtin', label: `${c.id}:int8` }), x, xData, toRelease));
    runners.push(await this.int8(c, 'int8-unpacked', [M, N], check8, (y, forceUnpacked) => int8Matmul(ctx, x, w8, y, q, { dot4: forceUnpacked ? 'unpacked' : 'builtin', label: `${c.id}:int8u` }), x, xData, toRelease));

    // XNOR: sign bits + alpha per output, beta = mean |x| per row (XNOR-Net's K), two dispatches.
    const wb = uploadBinaryWeights(ctx, `${c.id}:wb`, wData, [N, K]);
    const scratch = ctx.acquire(`${c.id}:xnor-scratch`, xnorScratchBytes(M, K));
    const yb = this.output(c, [M, N]);
    toRelease.push(wb.bits, wb.alpha, scratch, yb.buffer);
    for (const gemm of ['tiled', 'reg'] as const) {
      const xo: XnorOptions = { activationScale: true, act: NO_ACT, scratch, label: `${c.id}:xnor-${gemm}`, gemm };
      runners.push(await this.prepare(c, {
        name: gemm === 'tiled' ? 'xnor' : 'xnor-reg', y: yb, build: () => xnorMatmul(ctx, x, wb, null, yb, xo),
        check: (out) => {
          const ref = xnorMatmulRef(subX, rows.length, K, wData, N, null, { activationScale: true, act: NO_ACT });
          return { maxAbsDiff: finiteMaxDiff(pick(out), ref), tolerance: 1e-5 * Math.max(1, range(ref).map(Math.abs).reduce((a, b) => Math.max(a, b))), checked };
        },
      }, x, xData));
    }

    await this.time(c, runners, x, xData);
    releaseInt8Weights(ctx, w8);
    for (const b of toRelease) ctx.release(b);
    return runners.map((r) => r.rec);
  }

  /** The dot4I8Packed contender is skipped, not silently replaced, where the adapter lacks the builtin. */
  private async int8(
    c: KernelCase, name: 'int8-dot4' | 'int8-unpacked', yShape: number[], check: Plan['check'],
    build: (y: GpuTensor, forceUnpacked: boolean) => Dispatch[], x: GpuTensor, xData: Float32Array, toRelease: GPUBuffer[],
  ): Promise<Runner> {
    if (name === 'int8-dot4' && !this.ctx.info.hasDot4I8) {
      const rec = this.record(c, name);
      rec.error = 'not measured: the adapter lacks the packed_4x8_integer_dot_product WGSL feature (dot4I8Packed)';
      return { rec, dispatches: [], y: { buffer: null as unknown as GPUBuffer, shape: yShape }, yLen: 0, validated: null };
    }
    const y = this.output(c, yShape);
    toRelease.push(y.buffer);
    return this.prepare(c, { name, y, build: () => build(y, name === 'int8-unpacked'), check }, x, xData);
  }

  async conv(c: KernelCase, s: ConvSpec, seed: number): Promise<KernelRecord[]> {
    const { ctx } = this;
    const { C, H, W, M, k, group } = s;
    const B = s.batch ?? 1, pad = s.pad ?? (k - 1) >> 1;
    const xShape = [B, C, H, W], wShape = [M, C / group, k, k], yShape = [B, M, H + 2 * pad - k + 1, W + 2 * pad - k + 1];
    const K = (C / group) * k * k;
    const xData = randomFloats(B * C * H * W, seed, -1, 1);
    const wData = randomFloats(M * K, seed + 1, -1, 1);
    const x: GpuTensor = { buffer: ctx.upload(`${c.id}:x`, xData), shape: xShape };
    const geo: Int8ConvAttrs = { strides: [1, 1], pads: [pad, pad, pad, pad], dilations: [1, 1], group };
    const checked = `all ${yShape.join('×')} outputs`;
    const runners: Runner[] = [];
    const toRelease: GPUBuffer[] = [x.buffer];

    const attrs: ConvAttrs = { ...geo, act: NO_ACT };
    const w32: GpuTensor = { buffer: ctx.upload(`${c.id}:w`, wData), shape: wShape };
    const y32 = this.output(c, yShape);
    toRelease.push(w32.buffer, y32.buffer);
    const f32 = await this.prepare(c, {
      name: 'f32', y: y32, build: () => conv2d(ctx, x, w32, null, y32, attrs, `${c.id}:f32`),
      check: (out) => ({ maxAbsDiff: finiteMaxDiff(out, conv2dRef(xData, xShape, wData, wShape, null, attrs, yShape)), tolerance: 4e-6 * K, checked }),
    }, x, xData);
    runners.push(f32);

    const xq = activationQuantParams(...range(xData));
    const yq = activationQuantParams(...(f32.validated ? range(f32.validated) : [-Math.sqrt(K), Math.sqrt(K)] as [number, number]));
    const q: Int8Quant = { xScale: xq.scale, xZero: xq.zero, yScale: yq.scale, yZero: yq.zero, relu: false };
    const wq = quantizeWeights(wData, M, K, { symmetric: true, perChannel: true });
    const spec: Int8WeightSpec = { q: wq.q, N: M, K, scale: wq.scale, zero: wq.zero, biasQ: null, xScale: q.xScale, yScale: q.yScale, shape: wShape };
    const w8 = uploadInt8Weights(ctx, `${c.id}:w8`, spec);
    let ref8: Float32Array | null = null;
    const check8 = (out: Float32Array) => ({ maxAbsDiff: finiteMaxDiff(out, ref8 ??= int8Conv2dRef(xData, xShape, spec, geo, q, yShape).y), tolerance: q.yScale, checked });
    runners.push(await this.int8(c, 'int8-dot4', yShape, check8, (y, forceUnpacked) => int8Conv2d(ctx, x, w8, y, geo, q, { dot4: forceUnpacked ? 'unpacked' : 'builtin', label: `${c.id}:int8` }), x, xData, toRelease));
    runners.push(await this.int8(c, 'int8-unpacked', yShape, check8, (y, forceUnpacked) => int8Conv2d(ctx, x, w8, y, geo, q, { dot4: forceUnpacked ? 'unpacked' : 'builtin', label: `${c.id}:int8u` }), x, xData, toRelease));

    const wb = uploadBinaryWeights(ctx, `${c.id}:wb`, wData, wShape);
    const scratch = ctx.acquire(`${c.id}:xnor-scratch`, xnorScratchBytes(B * group * yShape[2]! * yShape[3]!, K));
    const yb = this.output(c, yShape);
    toRelease.push(wb.bits, wb.alpha, scratch, yb.buffer);
    for (const gemm of ['tiled', 'reg'] as const) {
      const xo: XnorOptions = { activationScale: true, act: NO_ACT, scratch, label: `${c.id}:xnor-${gemm}`, gemm };
      runners.push(await this.prepare(c, {
        name: gemm === 'tiled' ? 'xnor' : 'xnor-reg', y: yb, build: () => xnorConv2d(ctx, x, wb, null, yb, geo, xo),
        check: (out) => {
          const ref = xnorConv2dRef(xData, xShape, wData, wShape, null, geo, { activationScale: true, act: NO_ACT }, yShape);
          return { maxAbsDiff: finiteMaxDiff(out, ref), tolerance: 1e-5 * Math.max(1, range(ref).map(Math.abs).reduce((a, b) => Math.max(a, b))), checked };
        },
      }, x, xData));
    }

    await this.time(c, runners, x, xData);
    releaseInt8Weights(ctx, w8);
    for (const b of toRelease) ctx.release(b);
    return runners.map((r) => r.rec);
  }

  destroy(): void { this.timer?.destroy(); }
}

async function runKernelBench(cfg: KernelBenchConfig): Promise<KernelPageResult> {
  const { ctx, tag, adapter } = await openBenchContext();
  try {
    return await runKernelCases(ctx, cfg, tag, adapter);
  } finally {
    ctx.destroy();
  }
}

/** The kernel cases on `ctx` (the page's, or Dawn's in Node: scripts/gpu-run/bench-node.ts). */
export async function runKernelCases(ctx: GpuContext, cfg: KernelBenchConfig, tag: Tag, adapter: KernelPageResult['adapter']): Promise<KernelPageResult> {
  const started = performance.now();
  const i = ctx.info;
  const runs = cfg.runs ?? (tag === 'swiftshader' ? 5 : 10);
  const cases = kernelCases(cfg.large).filter((c) => !cfg.cases || cfg.cases.includes(c.id));
  log(`kernels on '${i.vendor}' / '${i.architecture}' / '${i.description}' (tag ${tag}); dot4I8Packed ${i.hasDot4I8 ? 'available' : 'NOT available'}; ` +
    `${runs} interleaved cycles, ${cfg.warmup} warm-up run(s) per contender`);
  let lost: string | null = null;
  ctx.onLost((l) => { lost = `${l.reason}: ${l.message}`; });
  const bench = new KernelBench(ctx, tag, runs, cfg.warmup);
  const records: KernelRecord[] = [];
  let seed = 4242;
  try {
    for (const c of cases) {
      const t = performance.now();
      let recs: KernelRecord[];
      try {
        recs = c.spec.kind === 'gemm' ? await bench.gemm(c, c.spec, seed) : await bench.conv(c, c.spec, seed);
      } catch (e) {
        if (lost) throw new Error(`the GPU device was lost at ${c.id} (${lost}); ${errText(e)}`);
        log(`${c.id}: case failed, no figures: ${errText(e)}`);
        recs = KERNEL_CONTENDERS.map((n) => ({ ...bench.record(c, n), error: `case failed: ${errText(e)}` }));
      }
      seed += 10;
      records.push(...recs);
      const med = recs.map((r) => `${r.contender} ${r.gpu?.medianMs.toFixed(2) ?? '—'}/${r.e2e?.medianMs.toFixed(2) ?? '—'}`).join(', ');
      log(`${c.id} (${((performance.now() - t) / 1000).toFixed(1)} s): GPU/e2e median ms: ${med}`);
    }
  } finally {
    bench.destroy();
  }
  return { tag, adapter, hasDot4I8: i.hasDot4I8, hasTimestamps: i.hasTimestamps, runs, warmup: cfg.warmup, cases, records, pageMs: performance.now() - started };
}

declare global { interface Window { runKernelBench?: typeof runKernelBench } }
if (typeof window !== 'undefined') window.runKernelBench = runKernelBench;
