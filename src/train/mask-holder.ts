/**
 * Pruning masks held on the GPU while a pruned model trains: one 0/1 buffer per masked weight and
 * a planned applyMask dispatch after each optimizer step, so pruned weights stay exactly zero.
 * `update` rewrites the masks in place (a gradual schedule raises the sparsity mid-training) and
 * clears the newly pruned weights at once.
 */
import type { Dispatch, GpuContext } from '../gpu/context';
import { ModelError } from '../core/errors';
import { applyMask } from '../kernels/mask';
import type { ParamStore } from './params';

export class MaskHolder {
  readonly dispatches: Dispatch[] = [];
  private readonly buffers = new Map<string, GPUBuffer>();
  private readonly uniforms: GPUBuffer[] = [];

  constructor(private readonly ctx: GpuContext, private readonly params: ParamStore) {}

  /** Holds `masks` (weight name → 0/1 per element) from now on and applies them now. */
  async update(masks: Record<string, ArrayLike<number>>): Promise<void> {
    for (const [name, m] of Object.entries(masks)) {
      const entry = this.params.entries.get(name);
      if (!entry || entry.role !== 'weight') throw new ModelError(`the pruning mask names '${name}', which is not a trained weight of this model`);
      const n = entry.shape.reduce((a, d) => a * d, 1);
      if (m.length !== n) throw new ModelError(`the pruning mask of '${name}' holds ${m.length} values; the weight has ${n}`);
      const data = Float32Array.from(m, (v) => (v ? 1 : 0));
      let buf = this.buffers.get(name);
      if (!buf) {
        buf = this.ctx.upload(`mask:${name}`, data);
        this.buffers.set(name, buf);
        const made = this.ctx.owningUniforms(() => applyMask(this.ctx, entry.value, { buffer: buf!, shape: [n] }, `mask:${name}`));
        this.uniforms.push(...made.uniforms);
        this.dispatches.push(...made.result);
      } else this.ctx.device.queue.writeBuffer(buf, 0, data);
    }
    await this.ctx.checked('applying the pruning masks', () => this.ctx.submit(this.dispatches));
  }

  destroy(): void {
    for (const b of [...this.buffers.values(), ...this.uniforms]) this.ctx.destroyBuffer(b);
    this.buffers.clear();
    this.uniforms.length = 0;
    this.dispatches.length = 0;
  }
}
