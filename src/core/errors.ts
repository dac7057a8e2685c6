/**
 * One error type per boundary (model files, datasets, the GPU), each carrying a message a person
 * can act on. `kind` survives structured cloning across the worker boundary, where class identity
 * does not.
 */
export type StudioErrorKind = 'model' | 'dataset' | 'gpu' | 'recipe' | 'storage' | 'cancelled';

export class StudioError extends Error {
  constructor(readonly kind: StudioErrorKind, message: string) {
    super(message);
    this.name = `${kind[0]!.toUpperCase()}${kind.slice(1)}Error`;
  }
}

/** The model file is unreadable, or uses ops, dtypes or shapes the studio cannot run. */
export class ModelError extends StudioError {
  constructor(message: string) { super('model', message); }
}

/** The dataset is unreadable or does not fit the model. */
export class DatasetError extends StudioError {
  constructor(message: string) { super('dataset', message); }
}

/** WebGPU is missing, the device was lost, or a kernel failed validation. */
export class GpuError extends StudioError {
  constructor(message: string) { super('gpu', message); }
}

/** A recipe or step is malformed, names a step or setting the studio does not know, or was written by a newer studio. */
export class RecipeError extends StudioError {
  constructor(message: string) { super('recipe', message); }
}

/** The browser's storage is full or unavailable, or a project file is corrupt. */
export class StorageError extends StudioError {
  constructor(message: string) { super('storage', message); }
}

/** The user pressed Cancel; not a failure. */
export class CancelledError extends StudioError {
  constructor() { super('cancelled', 'Cancelled'); }
}

/** A plain, cloneable description of any thrown value, for messages and the worker protocol. */
export interface ErrorInfo { kind: StudioErrorKind | 'internal'; message: string }

export function describeError(e: unknown): ErrorInfo {
  if (e instanceof StudioError) return { kind: e.kind, message: e.message };
  if (e instanceof Error) return { kind: 'internal', message: e.message };
  return { kind: 'internal', message: String(e) };
}
