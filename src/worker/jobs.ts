/**
 * One job at a time on the GPU, for the page and the CLI alike: every job (load, evaluate, a step,
 * a recipe, a sensitivity sweep, an export) runs through `run`, which refuses a second one with the
 * first one's name, carries cancel and pause, and reports progress. The page shows `JobView` as
 * its one busy state; the CLI prints it on stderr.
 */
import { ModelError } from '../core/errors';

const PROGRESS_INTERVAL_MS = 100;

export type JobKind = 'load' | 'dataset' | 'evaluate' | 'step' | 'recipe' | 'sensitivity' | 'prune-sensitivity' | 'compare' | 'restore' | 'import';

export interface JobProgress {
  /** What the job is doing now: 'calibration', 'accuracy', 'latency', 'train', 'search'… */
  stage: string;
  done: number;
  total: number;
  /** The layer, candidate or step being worked on. */
  detail?: string;
}

/** A running job as the page and the CLI see it. */
export interface JobView extends JobProgress {
  id: number;
  kind: JobKind;
  /** 'Quantizing lenet-mnist to int8', in words. */
  label: string;
  /** The variant it works on, where there is one. */
  variantId: string | null;
  startedAt: number;
  /** Pause means something here (training and fine-tuning between steps). */
  pausable: boolean;
  paused: boolean;
}

export interface JobHandle {
  readonly signal: AbortSignal;
  progress(p: JobProgress): void;
  /** Makes pause available from now on (a job becomes pausable when its training loop starts). */
  setPausable(pausable: boolean): void;
  /** Resolves at once, or when the user resumes a paused job (or cancels it). */
  waitIfPaused(): Promise<void>;
  /** Whether a pause was asked and is now held. */
  readonly pauseRequested: boolean;
  /**
   * The cancel ended a stage that keeps its work (training stops with the weights so far): the job
   * goes on (saving, evaluating) under a fresh signal, and a second Cancel stops that.
   */
  keepAfterCancel(): void;
}

export class JobRunner {
  private current: { view: JobView; abort: AbortController; pause: { promise: Promise<void>; resolve: () => void } | null } | null = null;
  private nextId = 1;
  /** Every change of the running job (null: idle). */
  onChange: (job: JobView | null) => void = () => {};

  get running(): JobView | null { return this.current ? { ...this.current.view } : null; }

  /** Refuses now, with the running job's name, what cannot run beside it. */
  refuseIfBusy(what: string): void {
    if (this.current) throw new ModelError(`${this.current.view.label} is running: wait for it or cancel it, then try ${what} again.`);
  }

  async run<T>(spec: { kind: JobKind; label: string; variantId?: string | null; pausable?: boolean }, work: (job: JobHandle) => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.refuseIfBusy(spec.label.toLowerCase());
    const onAbort = () => entry.abort.abort();
    signal?.addEventListener('abort', onAbort);
    const view: JobView = {
      id: this.nextId++, kind: spec.kind, label: spec.label, variantId: spec.variantId ?? null, startedAt: Date.now(),
      pausable: Boolean(spec.pausable), paused: false, stage: 'starting', done: 0, total: 0,
    };
    const entry: NonNullable<JobRunner['current']> = { view, abort: new AbortController(), pause: null };
    // Cancelling a paused job lets its loop go on to see the abort.
    const armed = () => { entry.abort.signal.addEventListener('abort', () => entry.pause?.resolve()); return entry.abort; };
    armed();
    if (signal?.aborted) entry.abort.abort();
    this.current = entry;
    // Progress is said at most ten times a second (the page renders each one); a new stage, a pause and the end at once.
    let last = 0, pending: ReturnType<typeof setTimeout> | null = null;
    const emit = () => { pending = null; last = Date.now(); if (this.current === entry) this.onChange({ ...entry.view }); };
    const changed = (urgent = true) => {
      if (urgent || Date.now() - last >= PROGRESS_INTERVAL_MS) { if (pending) clearTimeout(pending); emit(); } else pending ??= setTimeout(emit, PROGRESS_INTERVAL_MS - (Date.now() - last));
    };
    const handle: JobHandle = {
      get signal() { return entry.abort.signal; },
      progress: (p) => { const stage = entry.view.stage !== p.stage; Object.assign(entry.view, p); changed(stage); },
      setPausable: (pausable) => { entry.view.pausable = pausable; changed(); },
      waitIfPaused: async () => {
        const p = entry.pause;
        if (!p || entry.abort.signal.aborted) return;
        entry.view.paused = true;
        changed();
        await p.promise;
        entry.view.paused = false;
        changed();
      },
      get pauseRequested() { return Boolean(entry.pause); },
      keepAfterCancel: () => {
        if (!entry.abort.signal.aborted) return;
        entry.abort = new AbortController();
        armed();
        if (signal?.aborted) entry.abort.abort(); // the caller's own signal still holds
      },
    };
    changed();
    try {
      return await work(handle);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (pending) clearTimeout(pending);
      if (this.current === entry) this.current = null;
      this.onChange(null);
    }
  }

  /** Holds the running job at its next pause point. */
  pause(): JobView {
    const c = this.current;
    if (!c) throw new ModelError('no job is running to pause');
    if (!c.view.pausable) throw new ModelError(`${c.view.label} cannot pause; cancel it instead`);
    if (!c.pause) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => { resolve = r; });
      c.pause = { promise, resolve };
    }
    return { ...c.view };
  }

  resume(): JobView | null {
    const c = this.current;
    if (!c) return null;
    c.pause?.resolve();
    c.pause = null;
    return { ...c.view };
  }

  /** Cancels the running job (or only `id`, when it is still the one running). */
  cancel(id?: number): void {
    const c = this.current;
    if (c && (id === undefined || c.view.id === id)) c.abort.abort();
  }
}
