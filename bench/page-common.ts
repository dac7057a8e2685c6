/** What every bench page shares: logging, the adapter record, and the output check. */
import { createGpuContext } from '../src/gpu/adapter';
import type { Dispatch, GpuContext } from '../src/gpu/context';
import type { AdapterLog, Tag } from './types';

export const log = (msg: string) => console.log(`[page] ${msg}`);
export const errText = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** One GPU context for the page, with the tag its results are filed under and the adapter as logged. */
export async function openBenchContext(): Promise<{ ctx: GpuContext; tag: Tag; adapter: AdapterLog }> {
  const ctx = await createGpuContext();
  const i = ctx.info;
  const tag: Tag = i.isFallback ? 'swiftshader' : 'gpu';
  const adapter: AdapterLog = {
    vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
    isFallbackAdapter: i.isFallback, features: i.features, limits: { ...i.limits }, userAgent: navigator.userAgent, ortAdapter: null,
  };
  return { ctx, tag, adapter };
}

/** Max |a − b|, Infinity where either is not finite (a NaN must not pass as "equal"). */
export function finiteMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!Number.isFinite(d)) return Infinity;
    if (d > m) m = d;
  }
  return m;
}

export function writeF32(ctx: GpuContext, buffer: GPUBuffer, data: Float32Array): void {
  ctx.device.queue.writeBuffer(buffer, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

/** The plan and first-run figures a benchmark record keeps for each contender. */
export interface PlanTimes { planMs: number | null; pipelinesCompiled: number; pipelines: string[]; firstRunMs: number | null }

/**
 * Plans a contender (its pipelines compiled, timed to an idle queue, into `rec`), then runs it once
 * inside a validation error scope (upload x, dispatch, read y; timed too); returns the dispatches and
 * that first output, for the caller to check against its reference.
 */
export async function planAndRunOnce(
  ctx: GpuContext, what: string, rec: PlanTimes, build: () => Dispatch[], x: GPUBuffer, xData: Float32Array, y: GPUBuffer, yLen: number,
): Promise<{ dispatches: Dispatch[]; out: Float32Array }> {
  const compiles = ctx.pipelineCompiles;
  let dispatches: Dispatch[] = [];
  const out = await ctx.checked(what, async () => {
    const t0 = performance.now();
    dispatches = build();
    await ctx.device.queue.onSubmittedWorkDone();
    rec.planMs = performance.now() - t0;
    rec.pipelinesCompiled = ctx.pipelineCompiles - compiles;
    rec.pipelines = dispatches.map((d) => d.pipeline.label);
    const t1 = performance.now();
    writeF32(ctx, x, xData);
    ctx.submit(dispatches);
    const r = await ctx.readF32(y, yLen);
    rec.firstRunMs = performance.now() - t1;
    return r;
  });
  return { dispatches, out };
}
