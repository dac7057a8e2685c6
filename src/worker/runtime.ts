/**
 * The studio's working core, shared by the Web Worker (page) and the CLI: owns the GPU context, the
 * open project (its variants by id and its datasets by role) and the one job runner. Every job the
 * page or a command starts comes here: load a file, load data, apply a step to a variant (steps are
 * data: recipe/steps.ts), run a recipe, evaluate any variant (sessions cached per variant), export.
 * When the device is lost it makes a new one; models are host data, so nothing loaded is lost.
 */
import { createGpuContext } from '../gpu/adapter';
import type { GpuContext, DeviceLostInfo } from '../gpu/context';
import { DatasetError, ModelError, RecipeError } from '../core/errors';
import { sha256Hex } from '../core/hash';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import type { Model } from '../model/ir';
import { withSignature } from '../model/rebatch';
import { chooseBatching } from '../engine/rebatch-probe';
import type { InferenceSession } from '../engine/session';
import { authoredOf, parseStep, canonicalJson, MAKES_VARIANT, type AuthoredStep, type EvaluateStep, type Step } from '../recipe/steps';
import { defaultName, settingsKey, type NameParts } from '../recipe/describe';
import type { StepContext, VariantRecord } from '../recipe/variant';
import type { DataRole, Preprocess } from '../recipe/vocabulary';
import { JobRunner, type JobHandle, type JobView } from './jobs';
import { VariantStore, type RootFeed } from './variant-store';
import { SessionCache } from './session-cache';
import { ProjectData } from './datasets';
import { ProjectDatasets } from './project-datasets';
import { widenHalf } from '../model/half';
import { unshareConstants } from '../model/graph';
import { ImageJobs } from './image-jobs';
import { MixedPrecisionRuns } from './mixed-search';
import { applyStep, checkStep, type StepHost } from './apply-step';
import { describeAdapter } from './measure';
import { VariantEvaluation } from './evaluation';
import { variantStats } from './variant-stats';
import { VariantViews } from './variant-views';
import type { DeviceSummary, PruneProgress, TrainProgress } from './types';
import type { ProjectInfo, ProjectSink } from './project-sink';
import { ProjectKeeper } from './project-keeper';

export interface RuntimeEvents {
  record(r: VariantRecord): void;
  removed(ids: string[]): void;
  job(j: JobView | null): void;
  notice(level: 'error' | 'warning' | 'info', title: string, message: string): void;
  deviceLost(info: DeviceLostInfo): void;
}

export interface StepRunOptions {
  preprocess: Preprocess;
  /** Evaluate the new variant (and its parent and root where they lack a measurement on the same terms). */
  evaluate?: EvaluateStep | null;
  /** The step as the user wrote it (defaults to the resolved step's non-default settings). */
  authored?: unknown;
  onTrain?: (p: TrainProgress | PruneProgress) => void;
}

export class StudioRuntime {
  private ctx: GpuContext | null = null;
  readonly jobs = new JobRunner();
  readonly data = new ProjectData();
  readonly variants: VariantStore;
  private readonly sessions = new SessionCache();
  /** A loaded file's own bytes (what its download is), by record id. */
  private readonly rootBytes = new Map<string, Uint8Array>();
  /** The open project and every save to storage. */
  private readonly keeper: ProjectKeeper;
  readonly mixed: MixedPrecisionRuns;
  /** What the page shows of any variant: summaries, weights, layer lists, sensitivity sweeps. */
  readonly views: VariantViews;
  /** Jobs on the image data loaded this session: presets tried, single images classified. */
  readonly images: ImageJobs;
  /** Loading the project's test, training and calibration sets. */
  readonly datasets: ProjectDatasets;
  /** Evaluating variants: accuracy and latency kept with each, latency alone, a new variant's family. */
  readonly evaluation: VariantEvaluation;
  events: RuntimeEvents = { record: () => {}, removed: () => {}, job: () => {}, notice: () => {}, deviceLost: () => {} };

  constructor(private readonly gpu?: GPU, sink: ProjectSink | null = null) {
    this.keeper = new ProjectKeeper(sink, (level, title, message) => this.events.notice(level, title, message));
    this.variants = new VariantStore((r) => this.restoreModel(r));
    this.mixed = new MixedPrecisionRuns({
      dataset: () => this.data.get('test')?.ds ?? null,
      calibration: (recipe, role) => this.data.calibrationItems(role, recipe.samples).ds,
      device: () => this.device(),
    });
    this.jobs.onChange = (j) => this.events.job(j);
    this.views = new VariantViews(this.host, this.jobs, (id) => this.sessionOf(id));
    this.images = new ImageJobs(this.host, this.jobs, (id) => this.sessionOf(id));
    this.evaluation = new VariantEvaluation({
      jobs: this.jobs, data: this.data, variants: this.variants, keeper: this.keeper, sessionOf: (id) => this.sessionOf(id),
      notice: (level, title, message) => this.events.notice(level, title, message), record: (r) => this.events.record(r),
    });
    this.datasets = new ProjectDatasets({ jobs: this.jobs, data: this.data, keeper: this.keeper, mixed: this.mixed, images: this.images, firstModel: () => this.firstModel() });
  }

  // ── device ──────────────────────────────────────────────────────────────────────────────────

  async device(): Promise<GpuContext> {
    if (this.ctx && !this.ctx.isLost) return this.ctx;
    const ctx = await createGpuContext(this.gpu ?? globalThis.navigator?.gpu);
    ctx.onLost((info) => {
      // Forget the dead device and every session on it; the next job makes a new one and re-uploads.
      if (this.ctx === ctx) { this.ctx = null; this.sessions.clear(); }
      this.events.deviceLost(info);
    });
    this.ctx = ctx;
    return ctx;
  }

  async deviceSummary(): Promise<DeviceSummary> {
    const ctx = await this.device();
    return { ...ctx.info, pipelineCompiles: ctx.pipelineCompiles };
  }

  /** For tests of recovery: lose the device as a driver reset would. */
  async loseDeviceForTest(): Promise<void> {
    (await this.device()).device.destroy();
  }

  private get host(): StepHost {
    return { device: () => this.device(), data: this.data, variants: this.variants, mixed: this.mixed };
  }

  // ── projects ────────────────────────────────────────────────────────────────────────────────

  get currentProject(): ProjectInfo | null { return this.keeper.current; }

  /** Starts a new, empty project (the datasets stay loaded and are kept with it). */
  async newProject(name: string): Promise<ProjectInfo> {
    this.jobs.refuseIfBusy('starting a new project');
    return this.startProject(name);
  }

  /** A new project, from inside a running job (loading a file starts one). */
  private async startProject(name: string): Promise<ProjectInfo> {
    this.variants.clear();
    this.rootBytes.clear();
    this.sessions.clear();
    this.mixed.reset();
    return this.keeper.start(name, (['test', 'train', 'calibration'] as const).flatMap((role) => {
      const d = this.data.get(role);
      return d ? [[role, d] as [DataRole, typeof d]] : [];
    }));
  }

  /** Opens a stored project: its records now, their models when a job first needs them. */
  openProject(project: ProjectInfo, records: VariantRecord[]): void {
    this.jobs.refuseIfBusy('opening a project');
    this.variants.clear();
    this.rootBytes.clear();
    this.sessions.clear();
    this.mixed.reset();
    this.keeper.open(project);
    for (const r of records) this.variants.add(r, null);
  }

  /** Renames the open project in memory (its stored copy is the project database's). */
  renameProject(name: string): void { this.keeper.rename(name); }

  /** A stored model's bytes by sha256: from memory where the model is, else from storage. */
  async blob(sha: string): Promise<Uint8Array | null> {
    for (const r of this.variants.list()) {
      if (!r.parentId && r.blobSha256 === sha && this.rootBytes.has(r.id)) return this.rootBytes.get(r.id)!;
      const m = r.parentId && r.blobSha256 === sha ? this.variants.loaded(r.id) : undefined;
      if (m) return exportOnnx(m);
    }
    return this.keeper.loadBlob(sha);
  }

  // ── loading ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Adds a model file to the project as a root variant (a new project when `newProject`), checked
   * first: a bad file leaves everything as it was. A fixed batch is made symbolic where that is
   * shown safe; every job then works on the re-batched graph.
   */
  async loadModel(bytes: Uint8Array, fileName: string, opts: { newProject?: boolean } = {}, signal?: AbortSignal): Promise<VariantRecord> {
    return this.jobs.run({ kind: 'load', label: `Loading ${fileName}` }, async (job) => {
      job.progress({ stage: 'parse', done: 0, total: 1 });
      const imported = importOnnx(bytes, fileName);
      const widened = widenHalf(imported);
      if (widened !== imported) this.events.notice('info', 'A float16 model', `${fileName} holds float16 values; the studio computes it in float32 (the adapter has no shader-f16) and takes and returns float32 at its boundary. Its exports are float32 files.`);
      const file = unshareConstants(widened);
      const ctx = await this.device();
      const { model, batching, session } = await chooseBatching(ctx, file);
      const blobSha = await sha256Hex(bytes);
      const id = blobSha.slice(0, 16);
      // Refuses unsupported ops and shape errors before anything changes.
      const live = this.sessions.get(ctx, `probe:${id}`, model, session);
      await live.prepare({ [live.input.name]: live.inputShapeFor(live.fixedBatch ?? 1) });
      this.sessions.drop(`probe:${id}`);
      if (opts.newProject || !this.keeper.current) await this.startProject(fileName.replace(/\.onnx$/i, ''));
      const existing = this.variants.has(id) ? this.variants.record(id) : null;
      if (existing) {
        this.events.notice('info', 'Already in the project', `${fileName} is the same file as '${existing.name}', which the project already holds.`);
        return existing;
      }
      const feed: RootFeed = { batching, signature: { inputs: file.graph.inputs, outputs: file.graph.outputs } };
      const fresh = this.sessions.get(ctx, id, model);
      const record: VariantRecord = {
        id, projectId: this.keeper.id, parentId: null, name: this.variants.freeName(fileName.replace(/\.onnx$/i, '')), notes: '', tags: [],
        technique: 'original', step: null, source: { fileName }, createdAt: Date.now(), modelSha256: blobSha, blobSha256: blobSha,
        ownSignature: false, stats: variantStats(model, fresh, bytes.length), details: { batching }, measurements: [],
      };
      void signal;
      this.variants.add(record, model, feed);
      this.rootBytes.set(id, bytes);
      await this.keeper.saveVariant(record, { sha256: blobSha, bytes });
      this.events.record(record);
      return record;
    }, signal);
  }

  /** The project's first loaded file, which its datasets are fitted to (null before any). */
  private async firstModel(): Promise<Model | null> {
    const first = this.variants.list().find((r) => !r.parentId);
    return first ? this.variants.model(first.id) : null;
  }

  private async restoreModel(r: VariantRecord): Promise<{ model: Model; feed?: RootFeed }> {
    const bytes = await this.keeper.loadBlob(r.blobSha256);
    if (!bytes) throw new ModelError(`the stored model of '${r.name}' is missing from this browser's storage; delete the variant or import the project again`);
    const file = unshareConstants(widenHalf(importOnnx(bytes, r.source?.fileName ?? `${r.name}.onnx`)));
    if (r.parentId) return { model: file };
    this.rootBytes.set(r.id, bytes);
    const { model, batching, session } = await chooseBatching(await this.device(), file);
    session?.destroy();
    return { model, feed: { batching, signature: { inputs: file.graph.inputs, outputs: file.graph.outputs } } };
  }

  // ── steps ───────────────────────────────────────────────────────────────────────────────────

  /** The id a step's result gets: its model's bytes, its parent and its settings (the name, the start and the goals left out). */
  private async idFor(parentId: string, step: Step, context: Omit<StepContext, 'seconds' | 'adapter'>, blobSha: string): Promise<string> {
    return (await sha256Hex(`${parentId}\n${settingsKey(step)}\n${canonicalJson(context)}\n${blobSha}`)).slice(0, 16);
  }

  /** What a step read, by role, for its record. */
  private contextOf(preprocess: Preprocess, read: DataRole[], teacherId: string | null): Omit<StepContext, 'seconds' | 'adapter'> {
    const data: StepContext['data'] = {};
    for (const role of new Set(read)) {
      const d = this.data.get(role);
      if (d) data[role] = { name: d.record.name, sha256: d.record.sha256, count: d.record.count };
    }
    // Image data: the spec its images were decoded with, so a recipe written from the variant reads them the same way.
    const imageSpec = read.map((r) => this.data.get(r)?.record.spec).find(Boolean);
    return { preprocess, data, teacherId, ...(imageSpec ? { imageSpec } : {}) };
  }

  /** Checks a step (plain data, as a form or a flag built it) against a variant: every refusal, no GPU work. */
  async checkStep(raw: unknown, inputId: string, preprocess: Preprocess): Promise<Step> {
    const step = parseStep(raw);
    this.variants.record(inputId);
    await checkStep(this.host, step, inputId, preprocess);
    return step;
  }

  /**
   * Applies a step to a variant: the result is a new variant (or, when the same step with the same
   * settings was run on the same variant before and made the same bytes, that variant again).
   */
  async runStep(raw: unknown, inputId: string, opts: StepRunOptions, signal?: AbortSignal): Promise<{ record: VariantRecord; measured: VariantRecord[] }> {
    const step = parseStep(raw);
    if (!MAKES_VARIANT[step.kind]) throw new RecipeError(`a ${step.kind} step makes no variant: use evaluate or export`);
    const input = this.variants.record(inputId);
    const label = `${step.kind === 'int8' ? 'Quantizing' : step.kind === 'binary' ? 'Binarizing' : step.kind === 'mixed' ? 'Mixing precisions of' : step.kind === 'prune' ? 'Pruning' : step.kind === 'distill' ? 'Distilling from' : 'Training'} ${input.name}`;
    return this.jobs.run({ kind: 'step', label, variantId: inputId }, async (job) => {
      await checkStep(this.host, step, inputId, opts.preprocess);
      const done = await this.keeper.jobStarted({ key: `${Date.now()}`, kind: 'step', label, inputId, request: { step: raw, preprocess: opts.preprocess, evaluate: opts.evaluate ?? null }, startedAt: Date.now() });
      try {
        const record = await this.makeVariant(step, raw ?? step, inputId, opts.preprocess, job, opts.onTrain);
        const measured = opts.evaluate ? await this.evaluateNew(record, opts.evaluate, opts.preprocess, job) : [];
        return { record: this.variants.record(record.id), measured };
      } finally {
        await done?.();
      }
    }, signal);
  }

  /**
   * A new variant's family evaluated on the loaded test set. Data the model does not take (the
   * bundled MNIST beside a 224×224 model) leaves it unmeasured with a notice, as the CLI says
   * "not measured": the variant is made and kept either way.
   */
  private async evaluateNew(record: VariantRecord, step: EvaluateStep, preprocess: Preprocess, job: JobHandle): Promise<VariantRecord[]> {
    try {
      return await this.evaluation.family(record.id, step, preprocess, job);
    } catch (e) {
      if (!(e instanceof DatasetError)) throw e;
      this.events.notice('info', 'Made, not evaluated', `'${record.name}' was made and kept; its accuracy was not measured: ${e.message}. Load test data the model takes, then press Evaluate.`);
      return [];
    }
  }

  /** Runs a step inside a job and keeps its result as a variant. */
  async makeVariant(step: Step, authored: unknown, inputId: string, preprocess: Preprocess, job: JobHandle, onTrain?: StepRunOptions['onTrain']): Promise<VariantRecord> {
    const t0 = performance.now();
    const out = await applyStep(this.host, step, inputId, preprocess, job, onTrain);
    job.progress({ stage: 'saving', done: 0, total: 1 });
    const parent = this.variants.record(out.parentId);
    const ownSignature = out.ownSignature ?? parent.ownSignature;
    const root = this.variants.root(out.parentId);
    const blob = exportOnnx(out.model);
    const blobSha = await sha256Hex(blob);
    const context = this.contextOf(preprocess, out.read, out.teacherId);
    const id = await this.idFor(out.parentId, step, context, blobSha);
    if (this.variants.has(id)) {
      const same = this.variants.record(id);
      this.events.notice('info', 'Made before', `The same step with the same settings, run on '${parent.name}', made '${same.name}' before: the same model, so it is kept once.`);
      return same;
    }
    const feed = ownSignature ? null : await this.variants.feed(root.id);
    const download = this.exportBytes(out.model, feed, { dynamicBatch: false });
    const ctx = await this.device();
    const session = this.sessions.get(ctx, id, out.model);
    await session.prepare({ [session.input.name]: session.inputShapeFor(session.fixedBatch ?? 1) }); // shape errors surface now, not mid-evaluation
    const record: VariantRecord = {
      id, projectId: this.keeper.id, parentId: out.parentId, name: this.variants.freeName(defaultName(step, parent.name, this.nameParts(step, inputId, out))), notes: '', tags: [],
      technique: out.technique,
      step: { authored: (authored ?? authoredOf(step)) as AuthoredStep, resolved: step, context: { ...context, adapter: describeAdapter(ctx), seconds: (performance.now() - t0) / 1000 } },
      source: null, createdAt: Date.now(), modelSha256: await sha256Hex(download), blobSha256: blobSha, ownSignature,
      stats: variantStats(out.model, session, download.length), details: out.details, measurements: [],
    };
    this.variants.add(record, out.model);
    await this.keeper.saveVariant(record, { sha256: blobSha, bytes: blob });
    this.events.record(record);
    return record;
  }

  /** The variants a training step's name is made of: the student trained further, a teacher other than the input, an early stop. */
  private nameParts(step: Step, inputId: string, out: { teacherId: string | null; details: Record<string, unknown> }): NameParts {
    if (step.kind !== 'train' && step.kind !== 'distill') return {};
    const studentId = step.student === 'input' ? inputId : step.student.startsWith('variant:') ? step.student.slice(8) : null;
    const outcome = (out.details.trained as { outcome?: NameParts['outcome'] } | undefined)?.outcome;
    const teacher = out.teacherId && out.teacherId !== inputId ? this.variants.record(out.teacherId).name : undefined;
    return { ...(studentId ? { student: this.variants.record(studentId).name } : {}), ...(teacher ? { teacher } : {}), ...(outcome ? { outcome } : {}) };
  }

  // ── evaluation ──────────────────────────────────────────────────────────────────────────────

  /** The session of any variant (cached: evaluating it again re-uploads and re-plans nothing). */
  async sessionOf(id: string): Promise<InferenceSession> {
    const model = await this.variants.model(id);
    return this.sessions.get(await this.device(), id, model);
  }

  // ── export ──────────────────────────────────────────────────────────────────────────────────

  private exportBytes(model: Model, feed: RootFeed | null, opts: { dynamicBatch?: boolean }): Uint8Array {
    const b = feed?.batching;
    if (opts.dynamicBatch && b?.mode === 'fixed') {
      throw new ModelError(`this model cannot take a dynamic batch (it ${b.note}); export it without the dynamic-batch option`);
    }
    if (feed && b?.mode === 'rebatched' && !opts.dynamicBatch) return exportOnnx(withSignature(model, feed.signature));
    return exportOnnx(model);
  }

  /**
   * A variant as an ONNX file: a loaded file as its own bytes; variants (int8 ones in the standard QDQ
   * form) with their file's input signature unless `dynamicBatch` asks for the symbolic batch the
   * studio ran them with; students with their own.
   */
  async exportVariant(id: string, opts: { dynamicBatch?: boolean } = {}): Promise<Uint8Array> {
    const r = this.variants.record(id);
    const model = await this.variants.model(id);
    if (!r.parentId && !opts.dynamicBatch) {
      const own = this.rootBytes.get(id) ?? await this.keeper.loadBlob(r.blobSha256);
      if (own) return own;
    }
    return this.exportBytes(model, r.ownSignature ? null : await this.variants.feed(id), opts);
  }

  // ── records ─────────────────────────────────────────────────────────────────────────────────

  records(): VariantRecord[] { return this.variants.list(); }

  /** Renames a variant, or edits its notes or tags. */
  async updateVariant(id: string, patch: { name?: string; notes?: string; tags?: string[] }): Promise<VariantRecord> {
    const clean: Partial<VariantRecord> = {};
    if (patch.name !== undefined) {
      const name = patch.name.trim();
      if (!name) throw new ModelError('a variant needs a name');
      if (this.variants.list().some((r) => r.id !== id && r.name === name)) throw new ModelError(`another variant is already called '${name}'`);
      clean.name = name;
    }
    if (patch.notes !== undefined) clean.notes = patch.notes;
    if (patch.tags !== undefined) clean.tags = [...new Set(patch.tags.map((t) => t.trim()).filter(Boolean))];
    const r = this.variants.update(id, clean);
    await this.keeper.saveVariant(r);
    this.events.record(r);
    return r;
  }

  /** Deletes variants (the page offers their descendants along); a variant others were made from goes only with them. */
  async deleteVariants(ids: string[]): Promise<void> {
    this.jobs.refuseIfBusy('deleting variants');
    const gone = new Set(ids);
    for (const id of ids) this.variants.record(id);
    const orphans = this.variants.list().filter((r) => !gone.has(r.id) && r.parentId && gone.has(r.parentId));
    if (orphans.length) throw new ModelError(`${orphans.map((r) => `'${r.name}'`).join(', ')} ${orphans.length > 1 ? 'were' : 'was'} made from a variant being deleted: delete ${orphans.length > 1 ? 'them' : 'it'} too, or keep the variant`);
    for (const id of ids) { this.variants.remove(id); this.sessions.drop(id); this.rootBytes.delete(id); }
    await this.keeper.deleteRecords(ids);
    this.events.removed(ids);
  }

  pause(): JobView { return this.jobs.pause(); }
  resume(): JobView | null { return this.jobs.resume(); }
  cancel(id?: number): void { this.jobs.cancel(id); }

}
