/**
 * The per-layer profile (ExecutionPlan.profile, engine/latency profileLayers): one entry per plan
 * step that dispatches, in plan order, each timed in its own pass; profiling leaves the plan's
 * results as they were.
 */
import { describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { importOnnx } from '../model/onnx-import';
import { createGpuContext } from '../gpu/adapter';
import { InferenceSession } from './session';
import { profileLayers } from './latency';
import { OPS } from './ops';
import { timeByOpType } from '../core/latency';

const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

describe('per-layer profile', () => {
  it('times every dispatching step of LeNet in plan order and leaves its outputs unchanged', async () => {
    const ctx = await createGpuContext();
    const s = new InferenceSession(ctx, importOnnx(fromB64(await commands.readFileB64('fixtures/lenet-mnist.onnx')), 'lenet'));
    const shape = [64, 1, 28, 28];
    const x = new Float32Array(64 * 784).map((_, i) => Math.abs(Math.sin(i)));
    const before = (await s.runBatch(x, shape)).output.data;
    const plan = s.plan({ [s.input.name]: shape });
    const layers = await plan.profile({ [s.input.name]: x });
    if (!ctx.info.hasTimestamps) { expect(layers).toBeNull(); return; }
    // Every step but the aliases (Flatten, Reshape: a view of their input, no dispatch).
    const dispatching = plan.steps.filter((st) => !OPS[st.node.opType]!.alias).map((st) => st.node.name);
    expect(layers!.map((l) => l.name)).toEqual(dispatching);
    expect(layers!.map((l) => l.opType)).toEqual(['Conv', 'MaxPool', 'Conv', 'MaxPool', 'Gemm', 'Gemm', 'Gemm'].slice(0, layers!.length));
    for (const l of layers!) expect(Number.isFinite(l.ms) && l.ms >= 0).toBe(true);
    // The convolutions at batch 64 (conv2: 6→16 channels, 5×5, over 8×8) outweigh the last 84→10 Gemm.
    const ms = (name: string) => layers!.find((l) => l.name === name)!.ms;
    const convs = layers!.filter((l) => l.opType === 'Conv');
    expect(Math.max(...convs.map((l) => l.ms))).toBeGreaterThan(ms(layers!.at(-1)!.name));
    expect((await s.runBatch(x, shape)).output.data).toEqual(before);

    const p = await profileLayers(s, 64);
    expect(p!.batch).toBe(64);
    expect(p!.totalMs).toBeCloseTo(p!.layers.reduce((a, l) => a + l.ms, 0), 6);
    expect(timeByOpType(p!).reduce((a, o) => a + o.layers, 0)).toBe(p!.layers.length);
    s.destroy(); ctx.destroy();
  });
});
