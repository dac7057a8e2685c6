/**
 * Helpers for browser kernel tests: one GPU context per test file (so pipelines are cached as in
 * the app), upload, run inside a validation error scope, read back.
 */
import { createGpuContext } from '../gpu/adapter';
import type { Dispatch, GpuContext } from '../gpu/context';
import type { GpuTensor } from './common';

let shared: Promise<GpuContext> | null = null;

export function testContext(): Promise<GpuContext> {
  shared ??= createGpuContext();
  return shared;
}

export function tensorOf(ctx: GpuContext, data: Float32Array, shape: number[], label = 'input'): GpuTensor {
  return { buffer: ctx.upload(label, data), shape };
}

export function emptyTensor(ctx: GpuContext, shape: number[], label = 'output'): GpuTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { buffer: ctx.acquire(label, n * 4), shape };
}

/** Builds the dispatches and runs them under a validation scope; returns the output's values. */
export async function runAndRead(ctx: GpuContext, build: () => Dispatch[], out: GpuTensor): Promise<Float32Array> {
  await ctx.checked('a test kernel', () => ctx.submit(build()));
  const n = out.shape.reduce((a, b) => a * b, 1);
  return ctx.readF32(out.buffer, n);
}
