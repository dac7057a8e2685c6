/**
 * What training changes, on the GPU: each trainable initializer's value, gradient and optimizer
 * state, plus the non-trained state a forward updates (BatchNorm's running statistics). Trained
 * values are written back into a copy of the model, so a trained model is an ordinary model that
 * runs, evaluates and exports like any other.
 */
import type { GpuContext } from '../gpu/context';
import type { Model, Node, TensorData } from '../model/ir';
import type { GpuTensor } from '../kernels/common';
import { sizeOf } from '../core/shape';

export type ParamRole = 'weight' | 'bias' | 'state';

export interface ParamEntry {
  name: string;
  role: ParamRole;
  shape: number[];
  value: GpuTensor;
  /** Optimizer state (momentum, or Adam's first and second moments); null for state entries. */
  s1: GpuTensor | null;
  s2: GpuTensor | null;
}

/** Input positions of each op that hold trainable parameters, and those that hold running state. */
const PARAM_SLOTS: Record<string, { weight?: number[]; bias?: number[]; state?: number[] }> = {
  Conv: { weight: [1], bias: [2] },
  Gemm: { weight: [1], bias: [2] },
  MatMul: { weight: [0, 1] },
  BatchNormalization: { bias: [1, 2], state: [3, 4] },
  Add: { bias: [0, 1] },
  Sub: { bias: [0, 1] },
  Mul: { weight: [0, 1] },
  // Quantisation-aware training (train/qat.ts) reads weights through these straight-through nodes.
  StudioSignSTE: { weight: [0] },
  StudioFakeQuantSTE: { weight: [0] },
};

/**
 * The model's initializers that training updates, by role: float initializers in a parameter slot
 * of their op (scalars feeding Add/Mul are constants of the graph, not parameters).
 */
export function findParameters(model: Model): Map<string, ParamRole> {
  const g = model.graph;
  const found = new Map<string, ParamRole>();
  const consider = (node: Node, slots: number[] | undefined, role: ParamRole) => {
    for (const i of slots ?? []) {
      const name = node.inputs[i];
      const t = name ? g.initializers[name] : undefined;
      if (!t || t.dtype !== 'float32') continue;
      if ((node.opType === 'Add' || node.opType === 'Sub' || node.opType === 'Mul') && sizeOf(t.dims) <= 1) continue;
      if (!found.has(name!) || role === 'state') found.set(name!, role);
    }
  };
  for (const node of g.nodes) {
    const slots = Object.hasOwn(PARAM_SLOTS, node.opType) ? PARAM_SLOTS[node.opType]! : undefined;
    if (!slots || node.domain !== '') continue;
    consider(node, slots.weight, 'weight');
    consider(node, slots.bias, 'bias');
    consider(node, slots.state, 'state');
  }
  return found;
}

export class ParamStore {
  readonly entries = new Map<string, ParamEntry>();
  private readonly owned: GPUBuffer[] = [];
  private backup: Map<string, GPUBuffer> | null = null;

  constructor(private readonly ctx: GpuContext, readonly model: Model, roles: Map<string, ParamRole>, optimizerStates: 0 | 1 | 2) {
    for (const [name, role] of roles) {
      const t = model.graph.initializers[name]!;
      const data = t.data as Float32Array;
      const shape = [...t.dims];
      const value = { buffer: this.own(ctx.upload(`param:${name}`, data.length ? data : new Float32Array(1))), shape };
      const zeros = (k: string) => ({ buffer: this.own(ctx.upload(`param:${name}:${k}`, new Float32Array(Math.max(1, data.length)))), shape });
      const trained = role !== 'state';
      this.entries.set(name, {
        name, role, shape, value,
        s1: trained && optimizerStates >= 1 ? zeros('s1') : null,
        s2: trained && optimizerStates >= 2 ? zeros('s2') : null,
      });
    }
  }

  private own(b: GPUBuffer): GPUBuffer { this.owned.push(b); return b; }

  get trainable(): ParamEntry[] { return [...this.entries.values()].filter((e) => e.role !== 'state'); }

  /** Number of trained values (not running statistics). */
  get count(): number { return this.trainable.reduce((s, e) => s + sizeOf(e.shape), 0); }

  /** Copies every value aside on the GPU (the last good weights, restored if a step goes non-finite). */
  snapshot(): void {
    this.backup ??= new Map([...this.entries.values()].map((e) => [e.name, this.own(this.ctx.acquire(`backup:${e.name}`, e.value.buffer.size))]));
    const enc = this.ctx.device.createCommandEncoder({ label: 'params:snapshot' });
    for (const e of this.entries.values()) enc.copyBufferToBuffer(e.value.buffer, 0, this.backup.get(e.name)!, 0, e.value.buffer.size);
    this.ctx.device.queue.submit([enc.finish()]);
  }

  /** Puts the last snapshot back; false when none was taken. */
  restore(): boolean {
    if (!this.backup) return false;
    const enc = this.ctx.device.createCommandEncoder({ label: 'params:restore' });
    for (const e of this.entries.values()) enc.copyBufferToBuffer(this.backup.get(e.name)!, 0, e.value.buffer, 0, e.value.buffer.size);
    this.ctx.device.queue.submit([enc.finish()]);
    return true;
  }

  /** Reads every value back. */
  async read(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const e of this.entries.values()) out.set(e.name, await this.ctx.readF32(e.value.buffer, sizeOf(e.shape)));
    return out;
  }

  /** A copy of `model` (the store's own, or another with the same initializers) holding the trained values. */
  async writeBack(model: Model = this.model): Promise<Model> {
    const values = await this.read();
    const initializers: Record<string, TensorData> = { ...model.graph.initializers };
    for (const [name, data] of values) initializers[name] = { dtype: 'float32', dims: [...initializers[name]!.dims], data };
    return { ...model, graph: { ...model.graph, initializers } };
  }

  destroy(): void {
    for (const b of this.owned) this.ctx.destroyBuffer(b);
    this.owned.length = 0;
    this.entries.clear();
    this.backup = null;
  }
}
