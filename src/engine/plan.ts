/**
 * An execution plan: the graph resolved for concrete input shapes, fused, with every buffer
 * allocated and every dispatch (pipeline + bind group) created up front, so a run is one
 * writeBuffer per input, one compute pass, and one readback per output.
 */
import type { Dispatch, GpuContext } from '../gpu/context';
import { GpuTimer } from '../gpu/context';
import type { Model, TensorData } from '../model/ir';
import { resolveGraph, type ResolvedGraph } from '../model/resolve';
import { ModelError } from '../core/errors';
import { sizeOf } from '../core/shape';
import type { LayerTime } from '../core/latency';
import type { GpuTensor } from '../kernels/common';
import { fuseGraph, type PlanStep } from './fuse';
import { OPS } from './ops';
import { opCall, type OpCallSource } from './op-types';
import type { WeightStore } from './weights';

export interface HostTensor { data: Float32Array; shape: number[] }

export class ExecutionPlan {
  readonly dispatches: Dispatch[] = [];
  readonly steps: PlanStep[];
  readonly resolved: ResolvedGraph;
  private readonly inputs = new Map<string, GpuTensor>();
  private readonly outputs: { name: string; tensor: GpuTensor | null; constant: TensorData | null }[] = [];
  private readonly owned: GPUBuffer[] = [];
  /** The kernels' params uniforms, made while planning and destroyed with the plan. */
  private readonly uniforms: GPUBuffer[] = [];
  private timer: GpuTimer | null = null;
  /**
   * Activation and scratch bytes the plan holds (buffers shared by lifetime), what one buffer per
   * value would hold, and the kernels' params uniforms.
   */
  readonly memory = { heldBytes: 0, unsharedBytes: 0, uniformBytes: 0 };
  /** Each step's dispatches, [start, end) in `dispatches`, for the per-layer profile. */
  private readonly stepRanges: { step: PlanStep; start: number; end: number }[] = [];

  constructor(private readonly ctx: GpuContext, model: Model, weights: WeightStore, inputShapes: Record<string, number[]>) {
    this.resolved = resolveGraph(model, inputShapes);
    const { steps, constants } = fuseGraph(this.resolved, model.opset);
    this.steps = steps;
    const values = new Map<string, GpuTensor>();
    const shapeOf = (name: string) => {
      const v = this.resolved.values[name];
      if (!v) throw new ModelError(`value '${name}' has no known shape`);
      return v.shape;
    };
    // Memory by lifetime: a buffer whose values no later step reads goes back to a free list after
    // its last reader is planned, and a later value takes the smallest free buffer that holds it.
    // Dispatches run in plan order (each sees the writes of those before), so a step never shares a
    // buffer with a value still to be read. Inputs and graph outputs keep their own buffers.
    const lastRead = new Map<string, number>(), rootOf = new Map<string, string>();
    const root = (v: string) => rootOf.get(v) ?? v;
    steps.forEach((step, i) => {
      for (const v of step.node.inputs) if (v) lastRead.set(root(v), i);
      if (OPS[step.node.opType]?.alias) rootOf.set(step.node.outputs[0]!, root(step.node.inputs[0]!));
    });
    const kept = new Set([...this.resolved.inputs, ...this.resolved.outputs].map(root));
    const free: GPUBuffer[] = [];
    const take = (label: string, bytes: number): GPUBuffer => {
      this.memory.unsharedBytes += bytes;
      let best = -1;
      for (let k = 0; k < free.length; k++) if (free[k]!.size >= bytes && (best < 0 || free[k]!.size < free[best]!.size)) best = k;
      if (best >= 0) return free.splice(best, 1)[0]!;
      const buffer = this.ctx.acquire(label, bytes);
      this.owned.push(buffer);
      this.memory.heldBytes += buffer.size;
      return buffer;
    };
    const alloc = (name: string): GpuTensor => {
      const t = { buffer: take(name, sizeOf(shapeOf(name)) * 4), shape: shapeOf(name) };
      values.set(name, t);
      return t;
    };
    for (const name of this.resolved.inputs) {
      if (constants[name]) continue;
      const t = alloc(name);
      this.inputs.set(name, t);
    }
    const tensorFor = (name: string): GpuTensor => {
      const v = values.get(name);
      if (v) return v;
      const c = constants[name];
      if (!c) throw new ModelError(`value '${name}' is used before it is computed`);
      return weights.tensor(name, c);
    };

    for (const [i, step] of steps.entries()) {
      const { node } = step;
      const scratch: GPUBuffer[] = [];
      const impl = OPS[node.opType];
      if (!impl) throw new ModelError(`node '${node.name}' uses op '${node.opType}', which the studio does not run yet`);
      if (impl.alias) {
        const src = tensorFor(node.inputs[0]!);
        values.set(node.outputs[0]!, { buffer: src.buffer, shape: shapeOf(node.outputs[0]!) });
        continue;
      }
      for (const o of node.outputs) if (o && !values.has(o)) alloc(o);
      const source: OpCallSource = {
        ctx: this.ctx, opset: model.opset, tensorOf: tensorFor, values, constants, weights,
        dtypes: (name) => this.resolved.values[name]?.dtype,
        scratch: (label, shape) => {
          const buffer = take(label, sizeOf(shape) * 4);
          scratch.push(buffer);
          return { buffer, shape };
        },
      };
      const { result, uniforms } = this.ctx.owningUniforms(() => impl.plan!(opCall(source, node, step.act)));
      this.stepRanges.push({ step, start: this.dispatches.length, end: this.dispatches.length + result.length });
      this.dispatches.push(...result);
      this.uniforms.push(...uniforms);
      for (const u of uniforms) this.memory.uniformBytes += u.size;
      // What this step was the last to read, what it wrote that nothing reads, and its scratch: free from the next step on.
      free.push(...scratch);
      for (const v of new Set([...node.inputs, ...node.outputs])) {
        const r = v ? root(v) : '';
        if (!r || kept.has(r) || (lastRead.get(r) ?? i) !== i) continue;
        const t = values.get(r);
        if (t && !free.includes(t.buffer)) free.push(t.buffer);
      }
    }
    for (const name of this.resolved.outputs) {
      const c = constants[name];
      this.outputs.push({ name, tensor: c ? null : tensorFor(name), constant: c ?? null });
    }
  }

  get inputNames(): string[] { return [...this.inputs.keys()]; }

  /** The GPU buffer an input is written into: a trainer fills it on the GPU instead of from the host. */
  inputTensor(name: string): GpuTensor {
    const t = this.inputs.get(name);
    if (!t) throw new ModelError(`the plan has no runtime input '${name}'`);
    return t;
  }

  /** Output i's GPU tensor (a teacher's scores read by the distillation loss without a readback). */
  outputTensor(i: number): GpuTensor {
    const o = this.outputs[i];
    if (!o?.tensor) throw new ModelError(`output ${i} of the plan is ${o ? 'a constant' : 'missing'}`);
    return o.tensor;
  }

  /** Writes inputs, runs every dispatch in one pass, reads the outputs back. */
  async run(inputs: Record<string, Float32Array>, timed = false): Promise<{ outputs: HostTensor[]; gpuMs: number | null }> {
    this.writeInputs(inputs);
    if (timed && this.ctx.info.hasTimestamps) this.timer ??= new GpuTimer(this.ctx);
    const timer = timed ? this.timer ?? undefined : undefined;
    this.ctx.submit(this.dispatches, timer);
    const outputs = await Promise.all(this.outputs.map(async (o) => {
      if (o.constant) return { data: Float32Array.from(o.constant.data as ArrayLike<number>, Number), shape: o.constant.dims };
      const t = o.tensor!;
      return { data: await this.ctx.readF32(t.buffer, sizeOf(t.shape)), shape: t.shape };
    }));
    const gpuMs = timer ? await timer.readMs() : null;
    return { outputs, gpuMs };
  }

  /** Uploads every runtime input, checking its length against the plan's shape. */
  writeInputs(inputs: Record<string, Float32Array>): void {
    for (const [name, t] of this.inputs) {
      const data = inputs[name];
      const n = sizeOf(t.shape);
      if (!data || data.length !== n) {
        throw new ModelError(`input '${name}' needs ${n} values for shape [${t.shape}], got ${data?.length ?? 'none'}`);
      }
      this.ctx.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    }
  }

  /**
   * Runs once with each step in its own timestamped pass: the GPU time of every layer, in plan
   * order (steps without dispatches, such as reshapes, left out). Null without timestamp queries.
   */
  async profile(inputs: Record<string, Float32Array>): Promise<LayerTime[] | null> {
    this.writeInputs(inputs);
    const ranges = this.stepRanges.filter((r) => r.end > r.start);
    const ms = await this.ctx.submitProfiled(ranges.map((r) => this.dispatches.slice(r.start, r.end)));
    if (!ms) return null;
    return ranges.map((r, i) => ({
      name: r.step.node.name, opType: r.step.node.opType, ms: ms[i]!, ...(r.step.fused.length ? { fused: r.step.fused } : {}),
    }));
  }

  /** Runs without reading back (latency of the GPU work alone, waited on by onSubmittedWorkDone). */
  async runNoReadback(): Promise<void> {
    this.ctx.submit(this.dispatches);
    await this.ctx.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    for (const b of this.owned) this.ctx.release(b);
    this.owned.length = 0;
    for (const u of this.uniforms) this.ctx.destroyBuffer(u);
    this.uniforms.length = 0;
    this.timer?.destroy();
  }
}
