/**
 * The open project's variants: each record (recipe/variant.ts) beside its model, by id. A model is
 * loaded from its stored bytes the first time a job needs it (a restored project holds records
 * only until then). Roots keep how they are fed (their batching) and their file's own signature,
 * which everything made from them inherits unless it was built with its own.
 */
import { ModelError } from '../core/errors';
import type { Model, ValueInfo } from '../model/ir';
import type { Batching } from '../model/rebatch';
import { dynamicBatching } from '../model/rebatch';
import type { VariantRecord } from '../recipe/variant';
import type { Technique } from '../recipe/vocabulary';

/** How a root is fed and the input/output signature its file declares. */
export interface RootFeed { batching: Batching; signature: { inputs: ValueInfo[]; outputs: ValueInfo[] } }

const FLOAT: readonly Technique[] = ['original', 'student', 'pruned'];

export class VariantStore {
  private readonly records = new Map<string, VariantRecord>();
  private readonly models = new Map<string, Model>();
  private readonly feeds = new Map<string, RootFeed>();

  /** `load` brings a model back from storage (a restored project); it sees the record. */
  constructor(private readonly load: (record: VariantRecord) => Promise<{ model: Model; feed?: RootFeed }> = async (r) => {
    throw new ModelError(`the model of '${r.name}' is not in memory and there is no storage to read it from`);
  }) {}

  clear(): void {
    this.records.clear();
    this.models.clear();
    this.feeds.clear();
  }

  add(record: VariantRecord, model: Model | null, feed?: RootFeed): void {
    this.records.set(record.id, record);
    if (model) this.models.set(record.id, model);
    if (feed) this.feeds.set(record.id, feed);
  }

  has(id: string): boolean { return this.records.has(id); }
  list(): VariantRecord[] { return [...this.records.values()]; }

  record(id: string): VariantRecord {
    const r = this.records.get(id);
    if (!r) throw new ModelError(`there is no variant with id '${id}' in this project (it may have been deleted)`);
    return r;
  }

  update(id: string, patch: Partial<VariantRecord>): VariantRecord {
    const r = { ...this.record(id), ...patch };
    this.records.set(id, r);
    return r;
  }

  remove(id: string): void {
    this.records.delete(id);
    this.models.delete(id);
    this.feeds.delete(id);
  }

  /** The model, from memory or storage. */
  async model(id: string): Promise<Model> {
    const cached = this.models.get(id);
    if (cached) return cached;
    const record = this.record(id);
    const { model, feed } = await this.load(record);
    this.models.set(id, model);
    if (feed) this.feeds.set(id, feed);
    return model;
  }

  /** Models in memory only (for jobs that must not wait on storage, such as a histogram). */
  loaded(id: string): Model | undefined { return this.models.get(id); }

  /** The root (loaded file) a variant was made from. */
  root(id: string): VariantRecord {
    let r = this.record(id);
    for (let i = 0; r.parentId && i <= this.records.size; i++) r = this.record(r.parentId);
    return r;
  }

  /** How the variant is fed: as its root file (re-batched or at its own batch), or at any batch when built with its own signature. */
  async feed(id: string): Promise<RootFeed> {
    const rec = this.record(id);
    const root = this.root(id);
    if (!this.feeds.has(root.id)) await this.model(root.id);
    const feed = this.feeds.get(root.id);
    if (!feed) throw new ModelError(`'${root.name}' has lost how it is fed; load the file again`);
    if (rec.ownSignature) {
      const model = await this.model(id);
      return { batching: dynamicBatching(model), signature: { inputs: model.graph.inputs, outputs: model.graph.outputs } };
    }
    return feed;
  }

  /** Whether `id` or a variant it was made from was made by `technique` (a student of a pruned model still holds its zeros). */
  descendsFrom(id: string, technique: Technique): boolean {
    for (let r: VariantRecord | undefined = this.records.get(id); r; r = r.parentId ? this.records.get(r.parentId) : undefined) {
      if (r.technique === technique) return true;
    }
    return false;
  }

  /**
   * The float variant a compression starts from: the variant itself when it is float (a loaded file,
   * a student, a pruned model), else the float variant it was made from.
   */
  floatSource(id: string): VariantRecord {
    for (let r: VariantRecord | undefined = this.record(id); r; r = r.parentId ? this.records.get(r.parentId) : undefined) {
      if (FLOAT.includes(r.technique)) return r;
    }
    throw new ModelError(`'${this.record(id).name}' has no float variant to start from`);
  }

  /** A name no other variant has: `name`, else `name-2`, `name-3`… */
  freeName(name: string, except?: string): string {
    const taken = new Set(this.list().filter((r) => r.id !== except).map((r) => r.name));
    if (!taken.has(name)) return name;
    for (let i = 2; ; i++) if (!taken.has(`${name}-${i}`)) return `${name}-${i}`;
  }
}
