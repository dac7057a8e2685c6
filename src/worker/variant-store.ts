/**
 * The loaded file and every variant made from it, with its lineage: the variant it was made from
 * and the step that made it, so a chain (distil → int8, binary QAT of a student) is visible and
 * each compression starts from the float model it should.
 */
import { ModelError } from '../core/errors';
import type { Model } from '../model/ir';
import type { VariantLineage } from './types';

export type MadeBy = 'original' | 'int8' | 'binary' | 'mixed' | 'student' | 'pruned';

interface Entry {
  model: Model;
  kind: MadeBy;
  parent: string | null;
  step: string;
  /** Built with its own (dynamic-batch) signature, not the loaded file's: students and what is made from them. */
  ownSignature: boolean;
}

export class VariantStore {
  private readonly entries = new Map<string, Entry>();
  private baseName: string | null = null;

  /** Forgets everything and keeps the loaded file. */
  reset(name: string, model: Model): void {
    this.entries.clear();
    this.entries.set(name, { model, kind: 'original', parent: null, step: 'loaded', ownSignature: false });
    this.baseName = name;
  }

  /** Keeps a variant made from `parent` (replacing one of the same name: the same recipe run again). */
  add(name: string, model: Model, kind: MadeBy, parent: string, step: string, ownSignature = false): void {
    const from = this.entries.get(parent);
    this.entries.set(name, { model, kind, parent, step, ownSignature: ownSignature || Boolean(from?.ownSignature) });
  }

  get base(): string | null { return this.baseName; }
  model(name: string): Model | undefined { return this.entries.get(name)?.model; }
  kind(name: string): MadeBy | undefined { return this.entries.get(name)?.kind; }
  ownSignature(name: string): boolean { return Boolean(this.entries.get(name)?.ownSignature); }

  /** The variant's parent and the steps from the loaded file to it, oldest first. */
  lineage(name: string): VariantLineage | undefined {
    const e = this.entries.get(name);
    if (!e) return undefined;
    const steps: string[] = [];
    for (let n: string | null = name; n; n = this.entries.get(n)?.parent ?? null) {
      const x = this.entries.get(n)!;
      if (x.parent) steps.unshift(x.step);
    }
    return { parent: e.parent, steps };
  }

  /** Whether `name` or a variant it was made from was made by `kind` (a student of a pruned model still holds its zeros). */
  descendsFrom(name: string, kind: MadeBy): boolean {
    for (let n: string | null = name; n; n = this.entries.get(n)?.parent ?? null) if (this.entries.get(n)?.kind === kind) return true;
    return false;
  }

  /**
   * The float model a compression starts from: the variant itself when it is float (the loaded
   * file, a trained student or a pruned model), else the float variant it was made from.
   */
  floatSource(name: string): { name: string; model: Model } {
    for (let n: string | null = name; n; n = this.entries.get(n)?.parent ?? null) {
      const e = this.entries.get(n);
      if (!e) break;
      if (e.kind === 'original' || e.kind === 'student' || e.kind === 'pruned') return { name: n, model: e.model };
    }
    throw new ModelError(`there is no variant named '${name}'`);
  }
}
