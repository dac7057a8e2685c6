/**
 * What a student can be, one resolver for the page and the CLI:
 * - a built-in architecture (`mlp:784-32-10`, `cnn:8-16-10`, `convnet`; train/architectures.ts);
 * - the teacher at a smaller width (`width:0.5`, or per layer `width:0.5,conv2=0.25`): every channel
 *   group the teacher's graph lets change (model/channels.ts) keeps that share of its channels, and
 *   all weights start fresh (He-uniform, biases 0, BatchNorm at identity), seeded;
 * - `binary` / `int8`: the teacher itself trained quantisation-aware (train/qat.ts);
 * - a model by name: a file (CLI) or a variant made earlier (page); an int8 or binary variant means
 *   its float parent trained quantisation-aware in that scheme.
 */
import { ModelError } from '../core/errors';
import { makeRng } from '../core/rng';
import { attrInt, type Model, type TensorData } from '../model/ir';
import { analyseChannels, shrinkChannels } from '../model/channels';
import { buildArch, heUniform } from './architectures';
import { calibrateQat, finishQat, prepareQat, type QatMode } from './qat';
import { parseWidth, WIDTH_FORMS, type WidthSpec } from '../recipe/student-spec';
import { batchFor, type LabelledDataset } from '../data/dataset';
import type { GpuContext } from '../gpu/context';
import type { TrainConfig } from './trainer';

export { madeFromTeacher, parseWidth, type WidthSpec } from '../recipe/student-spec';

export interface WidthReport {
  /** Each group that changed: its producers, channels before and after. */
  changed: { producers: string[]; from: number; to: number }[];
  /** Groups kept whole, with the reason. */
  kept: { producers: string[]; channels: number; reason: string }[];
}

/** The teacher at a smaller width, with fresh weights. */
export function widthStudent(teacher: Model, spec: WidthSpec, itemShape: number[], seed: number): { model: Model; report: WidthReport } {
  const an = analyseChannels(teacher, itemShape);
  const keep = new Map<number, number[]>();
  const report: WidthReport = { changed: [], kept: [] };
  for (const g of an.groups) {
    const named = g.producers.map((p) => spec.layers[p]).filter((m): m is number => m !== undefined);
    const m = named.length ? Math.min(...named) : spec.overall;
    if (g.pinned.length) { report.kept.push({ producers: g.producers, channels: g.size, reason: g.pinned[0]! }); continue; }
    const k = Math.max(1, Math.round(m * g.size));
    if (k === g.size) continue;
    keep.set(g.id, Array.from({ length: k }, (_, i) => i));
    report.changed.push({ producers: g.producers, from: g.size, to: k });
  }
  const unknown = Object.keys(spec.layers).filter((n) => !an.groups.some((g) => g.producers.includes(n)));
  if (unknown.length) {
    throw new ModelError(`width: no layer makes channels under the name ${unknown.map((n) => `'${n}'`).join(', ')}; ` +
      `layers that do: ${an.groups.flatMap((g) => g.producers).join(', ')}`);
  }
  if (!report.changed.length) {
    throw new ModelError(`width: nothing in the teacher can get thinner${report.kept.length ? ` (${report.kept.map((k) => `${k.producers.join('/')}: ${k.reason}`).join('; ')})` : ''}`);
  }
  return { model: reinitialize(shrinkChannels(teacher, keep, itemShape, an), seed), report };
}

/** Fresh weights for every Conv / Gemm / MatMul and BatchNorm: a student trains from scratch. */
export function reinitialize(model: Model, seed: number): Model {
  const rng = makeRng(seed);
  const init = { ...model.graph.initializers };
  const fresh = (name: string | undefined, f: (t: TensorData) => Float32Array) => {
    const t = name ? init[name] : undefined;
    if (t && t.dtype === 'float32') init[name!] = { ...t, data: f(t) };
  };
  for (const n of model.graph.nodes) {
    if (n.opType === 'Conv' || n.opType === 'Gemm' || n.opType === 'MatMul') {
      const w = init[n.inputs[1] ?? ''];
      if (!w) continue;
      const inAxis = n.opType === 'Conv' ? 1 : n.opType === 'Gemm' && attrInt(n, 'transB', 0) ? 1 : 0;
      const fanIn = n.opType === 'Conv' ? w.dims.slice(1).reduce((a, d) => a * d, 1) : w.dims[inAxis]!;
      fresh(n.inputs[1], (t) => heUniform(rng, fanIn, t.data.length));
      fresh(n.inputs[2], (t) => new Float32Array(t.data.length));
    } else if (n.opType === 'BatchNormalization') {
      fresh(n.inputs[1], (t) => new Float32Array(t.data.length).fill(1));
      fresh(n.inputs[2], (t) => new Float32Array(t.data.length));
      fresh(n.inputs[3], (t) => new Float32Array(t.data.length));
      fresh(n.inputs[4], (t) => new Float32Array(t.data.length).fill(1));
    }
  }
  return { ...model, graph: { ...model.graph, initializers: init } };
}

export interface Student {
  model: Model;
  /** How the student is described in results: the spec, or the file / variant name. */
  name: string;
  /** Set when the student trains quantisation-aware and deploys in that scheme. */
  qat?: QatMode;
  width?: WidthReport;
}

export interface StudentSources {
  itemShape: number[];
  seed: number;
  /** The frozen teacher (null for hard-label training). */
  teacher: Model | null;
  /** A model by name (a file on the CLI, a variant on the page), or undefined when there is none. */
  named?: (name: string) => { model: Model; qat?: QatMode } | undefined;
  /** What `named` looks up, for messages ('file', 'variant'). */
  namedWhat?: string;
}

/** The student for a spec; every refusal here comes before any GPU work. */
export function resolveStudent(spec: string, src: StudentSources): Student {
  const s = spec.trim();
  const needsTeacher = (what: string) => {
    if (!src.teacher) throw new ModelError(`the '${s}' student is ${what}: distil into it from a teacher (hard-label training has none)`);
    return src.teacher;
  };
  if (s === 'binary' || s === 'int8') return { model: needsTeacher('the teacher trained quantisation-aware'), name: `${s} (the teacher, quantisation-aware)`, qat: s };
  const width = parseWidth(s);
  if (width) {
    const { model, report } = widthStudent(needsTeacher('the teacher at a smaller width'), width, src.itemShape, src.seed);
    return { model, name: `${s} (the teacher at a smaller width)`, width: report };
  }
  if (/^(mlp|cnn):|^convnet$/.test(s)) return { model: buildArch(s, src.itemShape, src.seed), name: s };
  const found = src.named?.(s);
  if (found) return { model: found.model, name: s, qat: found.qat };
  throw new ModelError(`'${s}' is not a student: use a spec (mlp:784-32-10, cnn:8-16-10, convnet), ${WIDTH_FORMS}, binary, int8` +
    `${src.namedWhat ? `, or the name of a ${src.namedWhat}` : ''}`);
}

/** How a trained student deploys: QAT students as their real int8 / XNOR model; others as trained. */
export function deployFor(student: Student): ((trained: Model) => Model) | undefined {
  const mode = student.qat;
  return mode ? (m) => finishQat(m, mode) : undefined;
}

/** The model the trainer runs: QAT students get their training-only nodes, calibrated on the first 256 training items. */
export async function trainableStudent(ctx: GpuContext, student: Student, train: LabelledDataset, cfg: TrainConfig): Promise<Model> {
  if (!student.qat) return student.model;
  const shape = student.model.graph.inputs[0]!.shape;
  const calibration = await calibrateQat(ctx, student.model, student.qat, (a, k) => batchFor(train, a, k, cfg.preprocess, shape), Math.min(256, train.count));
  return prepareQat(student.model, student.qat, { calibration });
}
