/**
 * Re-batching: exporters write a fixed batch of 1 unless told otherwise (`torch.onnx.export` without
 * `dynamic_axes`, the model zoo's older files), and some bake it into shape constants
 * (`Reshape(x, [1, 256])`). This pass makes the batch dim symbolic and rewrites the constants that
 * carry it where that keeps their meaning, then proves by shape inference that every output follows
 * the batch. The engine still checks the result against the file on a probe batch before using it
 * (engine/rebatch-probe.ts); whatever cannot be shown safe runs at the file's own batch.
 */
import { ModelError } from '../core/errors';
import type { Dim, Model, Node, TensorData, ValueInfo } from './ir';
import { attrInt, attrInts } from './ir';
import { resolveGraph, type ResolvedGraph } from './resolve';
import { freshNamer, removeDeadCode } from './graph';
import { BROADCAST_OPS, inGroup, POOL_OPS, REDUCE_OPS, UNARY_OPS } from './op-groups';
import type { GpuOpName } from './shape-rules';

/** The symbol a re-batched input's first dim gets. */
export const BATCH_SYMBOL = 'batch';

/**
 * How the studio feeds a model: `dynamic` (the file's batch is symbolic), `rebatched` (a fixed batch
 * made symbolic, checked), `fixed` (runs `fileBatch` items at a time; `note` says why).
 */
export type BatchMode = 'dynamic' | 'rebatched' | 'fixed';

export interface Batching {
  mode: BatchMode;
  /** The batch the file declares, null when symbolic. */
  fileBatch: number | null;
  /** One line for the model view: "re-batched for any batch (the file fixes 1)", "runs 1 image at a time: …". */
  note: string;
  /** What was rewritten to re-batch, one line each (empty when only the input dim changed). */
  rewrites: string[];
}

export interface RebatchCandidate {
  model: Model;
  fileBatch: number;
  rewrites: string[];
}

/** The first dim of the single input, when it is a fixed number; null when symbolic or absent. */
export function fixedBatchOf(model: Model): number | null {
  const ins = model.graph.inputs;
  if (ins.length !== 1) return null;
  const d = ins[0]!.shape[0];
  return typeof d === 'number' && d >= 1 ? d : null;
}

export function dynamicBatching(model: Model): Batching {
  const d = model.graph.inputs[0]?.shape[0];
  const name = typeof d === 'string' && d ? `'${d}'` : 'symbolic';
  return { mode: 'dynamic', fileBatch: null, note: `any batch (the file's batch dim is ${name})`, rewrites: [] };
}

export function fixedBatching(fileBatch: number, why: string): Batching {
  const items = fileBatch === 1 ? '1 image' : `${fileBatch} images`;
  return { mode: 'fixed', fileBatch, note: `runs ${items} at a time: ${why}`, rewrites: [] };
}

export function rebatchedBatching(c: RebatchCandidate): Batching {
  const how = c.rewrites.length ? `; rewrote ${c.rewrites.join('; ')}` : '';
  return { mode: 'rebatched', fileBatch: c.fileBatch, note: `re-batched for any batch (the file fixes ${c.fileBatch}${how})`, rewrites: c.rewrites };
}

const I64_MAX = 9223372036854775807n;

/** A copy of an integer constant with element 0 replaced. */
function withFirst(t: TensorData, value: number | bigint): TensorData {
  const data = t.data.slice() as TensorData['data'];
  if (data instanceof BigInt64Array) data[0] = BigInt(value);
  else (data as Int32Array)[0] = Number(value);
  return { dtype: t.dtype, dims: [...t.dims], data };
}

const asNumbers = (t: TensorData): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);

/**
 * One rewrite of a node whose constant input carries the batch, or null when it carries none.
 * Returns the input index, the new constant and a line saying what changed.
 */
function batchConstantRewrite(node: Node, r: ResolvedGraph, B: number): { input: number; value: TensorData; what: string } | null {
  const dataShape = r.values[node.inputs[0] ?? '']?.shape;
  if (!dataShape || dataShape[0] !== B) return null; // the batch does not flow through this input
  const label = `${node.opType} '${node.name || node.outputs[0]}'`;
  if (node.opType === 'Reshape') {
    const shape = r.constants[node.inputs[1] ?? ''];
    if (!shape) return null;
    const s = asNumbers(shape);
    if (s[0] !== B) return null;
    // -1 lets Reshape infer the batch; where a -1 is taken, 0 copies it from the input (not under allowzero).
    if (!s.includes(-1)) return { input: 1, value: withFirst(shape, -1), what: `${label} [${s}] → [${[-1, ...s.slice(1)]}]` };
    if (attrInt(node, 'allowzero', 0) === 1) return null;
    return { input: 1, value: withFirst(shape, 0), what: `${label} [${s}] → [${[0, ...s.slice(1)]}]` };
  }
  if (node.opType === 'Expand') {
    const shape = r.constants[node.inputs[1] ?? ''];
    if (!shape || shape.dims[0] !== dataShape.length) return null; // batch dims aligned only at equal rank
    const s = asNumbers(shape);
    if (s[0] !== B) return null;
    return { input: 1, value: withFirst(shape, 1), what: `${label} [${s}] → [${[1, ...s.slice(1)]}]` };
  }
  if (node.opType === 'Slice' && node.inputs.length >= 3) {
    // Slice(x, starts, ends, axes): a slice [0, B) of the batch axis keeps the whole batch.
    const starts = r.constants[node.inputs[1]!], ends = r.constants[node.inputs[2]!];
    const axes = node.inputs[3] ? r.constants[node.inputs[3]] : undefined;
    if (!starts || !ends || (node.inputs[3] && !axes)) return null;
    const ax = axes ? asNumbers(axes).map((a) => (a < 0 ? a + dataShape.length : a)) : asNumbers(starts).map((_, i) => i);
    const k = ax.indexOf(0);
    if (k !== 0 || asNumbers(starts)[0] !== 0 || asNumbers(ends)[0]! < B) return null;
    return { input: 2, value: withFirst(ends, ends.dtype === 'int64' ? I64_MAX : 2147483647), what: `${label} ends[0] ${asNumbers(ends)[0]} → end of axis` };
  }
  return null;
}

/**
 * Makes the single input's fixed batch symbolic and rewrites the batch-carrying constants of
 * Reshape / Expand / Slice. Throws a ModelError naming the node that still fixes the batch when shape
 * inference at other batch sizes fails or an output does not follow the batch.
 */
export function rebatchModel(model: Model, probeBatches: number[] = [2, 64]): RebatchCandidate {
  const B = fixedBatchOf(model);
  if (B === null) throw new ModelError('the model has no single input with a fixed batch dim');
  const input = model.graph.inputs[0]!;
  const fileShape = input.shape as number[];
  if (fileShape.length < 2) throw new ModelError(`input '${input.name}' has rank ${fileShape.length}; there is no batch dim to free`);
  const atFile = resolveGraph(model, { [input.name]: fileShape.map((d) => (typeof d === 'number' ? d : NaN)) });

  const initializers = { ...model.graph.initializers };
  const rewrites: string[] = [];
  const runtime = new Set(atFile.nodes);
  const replaced = new Set<string>();
  const fresh = freshNamer(model.graph, { suffix: (i) => String(i) }); // x_rebatched, x_rebatched1, ...
  const nodes = model.graph.nodes.map((n) => {
    if (!runtime.has(n)) return n;
    const rw = batchConstantRewrite(n, atFile, B);
    if (!rw) return n;
    const name = fresh(`${n.inputs[rw.input]!}_rebatched`);
    initializers[name] = rw.value;
    rewrites.push(rw.what);
    replaced.add(n.inputs[rw.input]!);
    const inputs = [...n.inputs];
    inputs[rw.input] = name;
    return { ...n, inputs };
  });

  // Shape constants the rewrites replaced (initializers or Constant nodes) are dropped when nothing else reads them.
  const live = removeDeadCode({ ...model.graph, nodes, initializers }, {
    nodes: (n) => n.opType === 'Constant' && n.outputs.every((o) => replaced.has(o)),
    initializers: replaced,
  });

  const outputs: ValueInfo[] = model.graph.outputs.map((o) => {
    const d0 = atFile.values[o.name]?.shape[0];
    return d0 === B && o.shape.length ? { ...o, shape: [BATCH_SYMBOL as Dim, ...o.shape.slice(1)] } : o;
  });
  const candidate: Model = {
    ...model,
    graph: {
      ...model.graph, nodes: live.nodes, initializers: live.initializers, outputs,
      inputs: [{ ...input, shape: [BATCH_SYMBOL, ...fileShape.slice(1)] }],
      valueInfo: {}, // the file's intermediate shapes carry its batch; the engine infers them anew
    },
  };

  for (const P of probeBatches) {
    const r = resolveGraph(candidate, { [input.name]: [P, ...fileShape.slice(1)] });
    for (const o of model.graph.outputs) {
      const got = r.values[o.name]?.shape;
      const want = atFile.values[o.name]?.shape;
      if (!got || !want) continue;
      const follows = want[0] === B ? got[0] === P && got.slice(1).join() === want.slice(1).join() : got.join() === want.join();
      if (!follows) {
        throw new ModelError(`output '${o.name}' is [${want}] at the file's batch but [${got}] at batch ${P}, so a constant fixes its batch`);
      }
    }
  }
  return { model: candidate, fileBatch: B, rewrites };
}

/** The file's own input and output signature on a re-batched model (for export). */
export function withSignature(model: Model, signature: { inputs: ValueInfo[]; outputs: ValueInfo[] }): Model {
  const byName = (list: ValueInfo[], name: string) => list.find((v) => v.name === name);
  const restore = (list: ValueInfo[], from: ValueInfo[]) => list.map((v) => {
    const file = byName(from, v.name);
    return file && file.shape.length === v.shape.length ? { ...v, shape: [...file.shape] } : v;
  });
  return { ...model, graph: { ...model.graph, inputs: restore(model.graph.inputs, signature.inputs), outputs: restore(model.graph.outputs, signature.outputs) } };
}

/** Elementwise: broadcasting keeps each item's row as long as no other operand varies along axis 0. */
const ELEMENTWISE_OPS = [...UNARY_OPS, ...BROADCAST_OPS];
/** Per-item kernels of input 0 (the other inputs are weights). */
const KERNEL_OPS = ['Conv', ...POOL_OPS, 'BatchNormalization', 'LRN'] as const satisfies readonly GpuOpName[];
/** Ops that only move values: per item where the batch leads both their input and output. */
const LAYOUT_OPS = ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Expand', 'Tile'] as const satisfies readonly GpuOpName[];

/**
 * Whether every node of a re-batched graph treats the items of a batch apart, shown from its ops and
 * shapes alone (shape inference at batches 2 and 3): the first node that could mix items, in words,
 * or null. Ops not known here count as mixing, so the caller's numeric probe (3 items through the
 * network, seconds for a 224×224 model on a software adapter) still runs for them.
 */
export function batchMixer(candidate: Model): string | null {
  const input = candidate.graph.inputs[0]!;
  const at = (P: number) => resolveGraph(candidate, { [input.name]: [P, ...(input.shape.slice(1) as number[])] });
  const r2 = at(2), r3 = at(3);
  const led = (v: string | undefined) => {
    const a = v ? r2.values[v]?.shape : undefined, b = v ? r3.values[v]?.shape : undefined;
    return !!a && !!b && a[0] === 2 && b[0] === 3 && a.length === b.length && a.slice(1).join() === b.slice(1).join();
  };
  const rank = (v: string) => r2.values[v]?.shape.length ?? 0;
  const axisOf = (n: Node, name: string, fallback: number) => { const a = attrInt(n, name, fallback); return a < 0 ? a + rank(n.inputs[0]!) : a; };
  const ints = (v: string | undefined) => (v && r2.constants[v] ? asNumbers(r2.constants[v]) : null);
  for (const n of r2.nodes) {
    const batched = n.inputs.filter((v) => v && led(v));
    if (!batched.length) continue;
    const label = `${n.opType} '${n.name || n.outputs[0]}'`;
    const out = n.outputs[0]!;
    const others = n.inputs.filter((v) => v && !led(v));
    const ok = (() => {
      if (!led(out)) return false;
      if (inGroup(ELEMENTWISE_OPS, n.opType)) {
        // A non-batch operand of the same rank must not vary along axis 0 (a [B,…] constant baked from the file would).
        return others.every((v) => rank(v) < rank(out) || r2.values[v]?.shape[0] === 1);
      }
      if (inGroup(KERNEL_OPS, n.opType)) return led(n.inputs[0]) && batched.length === 1;
      // A reduction whose output still leads with the batch kept axis 0 out of it.
      if (inGroup(REDUCE_OPS, n.opType)) return led(n.inputs[0]);
      if (inGroup(LAYOUT_OPS, n.opType)) return led(n.inputs[0]) && (n.opType !== 'Flatten' || axisOf(n, 'axis', 1) >= 1);
      switch (n.opType) {
        case 'Gemm': return attrInt(n, 'transA', 0) === 0 && led(n.inputs[0]) && others.length === n.inputs.filter(Boolean).length - 1;
        case 'MatMul': return led(n.inputs[0]) && (!led(n.inputs[1]) || (rank(n.inputs[0]!) >= 3 && rank(n.inputs[1]!) === rank(n.inputs[0]!)));
        case 'Transpose': { const p = attrInts(n, 'perm', []); return p.length > 0 && p[0] === 0; }
        case 'Concat': return others.length === 0 && axisOf(n, 'axis', 0) !== 0;
        case 'Softmax': case 'LogSoftmax': return axisOf(n, 'axis', candidate.opset >= 13 ? -1 : 1) !== 0;
        case 'Slice': {
          const axes = ints(n.inputs[3]) ?? ints(n.inputs[1])?.map((_, i) => i);
          return !!axes && axes.every((a) => (a < 0 ? a + rank(n.inputs[0]!) : a) !== 0);
        }
        case 'Pad': { const p = ints(n.inputs[1]) ?? attrInts(n, 'pads', []); const r = rank(n.inputs[0]!); return p.length === 2 * r && p[0] === 0 && p[r] === 0; }
        default: return false;
      }
    })();
    if (!ok) return `${label} may combine items of the batch`;
  }
  return null;
}
