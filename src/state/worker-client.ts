/**
 * The page's side of the worker protocol: typed calls that resolve with results or reject with
 * StudioErrors, and the worker's own messages (records, the running job, notices) handed to `onPush`.
 */
import { StudioError, type ErrorInfo } from '../core/errors';
import type { Method, Methods, ProgressOf, Push, Request, Response } from '../worker/protocol';

type Progress = ProgressOf<Method>;

export class WorkerError extends StudioError {
  constructor(info: ErrorInfo) {
    super(info.kind === 'internal' ? 'gpu' : info.kind, info.message);
    this.internal = info.kind === 'internal';
  }
  internal: boolean;
}

export class StudioClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; progress?: (p: Progress) => void }>();
  onPush: (p: Push) => void = () => {};

  constructor(private readonly worker: Worker) {
    worker.onmessage = (ev: MessageEvent<Response>) => {
      const r = ev.data;
      if (r.type !== 'result' && r.type !== 'error' && r.type !== 'progress') { this.onPush(r); return; }
      const p = this.pending.get(r.id);
      if (!p) return;
      if (r.type === 'progress') { p.progress?.(r.progress); return; }
      this.pending.delete(r.id);
      if (r.type === 'result') p.resolve(r.result);
      else p.reject(new WorkerError(r.error));
    };
    worker.onerror = (ev) => {
      const err = new WorkerError({ kind: 'internal', message: `The studio's worker failed: ${ev.message}` });
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  /** Starts a request; `id` can be passed to cancel(). */
  start<M extends Method>(method: M, arg: Methods[M]['arg'], progress?: (p: ProgressOf<M>) => void, transfer: Transferable[] = []): { id: number; done: Promise<Methods[M]['result']> } {
    const id = this.nextId++;
    const done = new Promise<Methods[M]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, progress: progress as ((p: Progress) => void) | undefined });
    });
    this.worker.postMessage({ id, method, arg } as Request, transfer);
    return { id, done };
  }

  call<M extends Method>(method: M, arg: Methods[M]['arg'], transfer: Transferable[] = []): Promise<Methods[M]['result']> {
    return this.start(method, arg, undefined, transfer).done;
  }

  cancel(id: number): void {
    this.worker.postMessage({ id: this.nextId++, method: 'cancel', arg: { target: id } } as Request);
  }
}

export function createStudioClient(): StudioClient {
  return new StudioClient(new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'studio-engine' }));
}
