/**
 * Inference sessions kept per variant, so any variant can be evaluated (or summarised) without
 * switching to it and a second evaluation re-uploads and re-plans nothing. The least recently used
 * ones go when the stored weights of those kept would pass a GPU-memory budget; a lost device
 * empties the cache (its buffers died with it).
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { modelSize } from '../model/stats';
import { InferenceSession } from '../engine/session';

/** About what the weights of a few 224×224 classifiers take; activations of their plans come on top. */
export const DEFAULT_SESSION_BUDGET_BYTES = 512 * 2 ** 20;

interface Entry { session: InferenceSession; bytes: number; used: number }

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private clock = 0;

  constructor(private readonly budgetBytes = DEFAULT_SESSION_BUDGET_BYTES) {}

  /** The variant's session on `ctx` (made, and planned for its usual input, when missing). */
  get(ctx: GpuContext, id: string, model: Model, ready?: InferenceSession): InferenceSession {
    const hit = this.entries.get(id);
    if (hit && hit.session.ctx === ctx && hit.session.model === model) {
      hit.used = ++this.clock;
      if (ready && ready !== hit.session) ready.destroy();
      return hit.session;
    }
    if (hit) this.drop(id);
    // Refuses unsupported ops before anything runs; `ready` is a session already made on this model (the re-batching probe's).
    const session = ready && ready.ctx === ctx && ready.model === model ? ready : new InferenceSession(ctx, model);
    if (ready && ready !== session) ready.destroy();
    this.entries.set(id, { session, bytes: modelSize(model).totalBytes, used: ++this.clock });
    this.evict(id);
    return session;
  }

  has(id: string): boolean { return this.entries.has(id); }

  drop(id: string): void {
    this.entries.get(id)?.session.destroy();
    this.entries.delete(id);
  }

  /** Forgets every session (a lost device, a closed project). */
  clear(): void {
    for (const e of this.entries.values()) e.session.destroy();
    this.entries.clear();
  }

  /** Keeps the sessions within the budget, least recently used first out, never the one just asked for. */
  private evict(keep: string): void {
    let total = [...this.entries.values()].reduce((a, e) => a + e.bytes, 0);
    const byAge = [...this.entries.entries()].filter(([id]) => id !== keep).sort((a, b) => a[1].used - b[1].used);
    for (const [id, e] of byAge) {
      if (total <= this.budgetBytes) break;
      total -= e.bytes;
      this.drop(id);
    }
  }
}
