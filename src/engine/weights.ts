/** Constants uploaded once per GPU context and shared by every plan of a model (batch 1, batch 64, ...). */
import type { GpuContext } from '../gpu/context';
import type { TensorData } from '../model/ir';
import type { GpuTensor } from '../kernels/common';
import { ModelError } from '../core/errors';

export class WeightStore {
  private readonly tensors = new Map<string, GpuTensor>();
  private readonly prepared = new Map<string, { value: unknown; buffers: GPUBuffer[] }>();
  constructor(private readonly ctx: GpuContext) {}

  /** The GPU copy of a constant, as f32 (int constants used as data are converted). */
  tensor(name: string, t: TensorData): GpuTensor {
    let g = this.tensors.get(name);
    if (!g) {
      if (t.dtype === 'string') throw new ModelError(`constant '${name}' is a string tensor, which cannot run on the GPU`);
      const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number | bigint>, Number);
      g = { buffer: this.ctx.upload(name, data.length ? data : new Float32Array(1)), shape: [...t.dims] };
      this.tensors.set(name, g);
    }
    return g;
  }

  /** A plan-time derived array (e.g. BN scale/shift), uploaded once under its label. */
  derived(label: string, data: Float32Array): GpuTensor {
    let g = this.tensors.get(label);
    if (!g) {
      g = { buffer: this.ctx.upload(label, data), shape: [data.length] };
      this.tensors.set(label, g);
    }
    return g;
  }

  /** Weights a kernel prepares its own way (packed int8, sign bits), made once under `key`. */
  cached<T>(key: string, make: () => { value: T; buffers: GPUBuffer[] }): T {
    let p = this.prepared.get(key);
    if (!p) { p = make(); this.prepared.set(key, p); }
    return p.value as T;
  }

  /** Bytes of every constant uploaded so far, as f32 and as the kernels prepared them (packed int8, sign bits). */
  get byteSize(): number {
    let n = 0;
    for (const t of this.tensors.values()) n += t.buffer.size;
    for (const p of this.prepared.values()) for (const b of p.buffers) n += b.size;
    return n;
  }

  destroy(): void {
    for (const t of this.tensors.values()) this.ctx.destroyBuffer(t.buffer);
    for (const p of this.prepared.values()) for (const b of p.buffers) this.ctx.destroyBuffer(b);
    this.tensors.clear();
    this.prepared.clear();
  }
}
