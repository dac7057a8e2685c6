/**
 * Resolves a model for concrete input shapes in one pass over the nodes in topological order:
 * static shape inference for the ops the engine runs, and constant folding for everything that
 * depends only on constants or on shapes. The engine calls it once per batch size and gets back the
 * nodes left for the GPU, every value's shape, and every constant (weights and folded results).
 */
import { ModelError } from '../core/errors';
import type { Dim, Model, Node, TensorData, ValueInfo } from './ir';
import { FOLD_RULES } from './fold-rules';
import { shapeRuleOf, fmt, nodeError, nodeLabel, type OpContext, type ValueType } from './shape-rules';

export { convPads, poolPads, SHAPE_RULE_OPS, type ConvGeometry, type ValueType } from './shape-rules';

export interface ResolvedGraph {
  values: Record<string, ValueType>;
  constants: Record<string, TensorData>;
  /** Nodes left to run on the GPU, in topological order. */
  nodes: Node[];
  inputs: string[];
  outputs: string[];
}

/**
 * Ops the studio can only evaluate on constants (shape arithmetic); they never reach the GPU.
 * (Gather and Slice also run on the GPU, so they have shape rules instead.)
 */
export const FOLDABLE_OPS: ReadonlySet<string> = new Set(['Shape', 'Cast', 'ConstantOfShape', 'Range', 'Constant']);

const fmtDims = (dims: readonly Dim[]) => `[${dims.join(',')}]`;

/** A declared dim binds to the given size: numbers must match, a symbol takes the first size it meets. */
function bindInput(vi: ValueInfo, given: number[] | undefined, symbols: Map<string, { size: number; input: string }>): number[] {
  const want = fmtDims(vi.shape);
  if (!given) {
    if (vi.shape.every((d) => typeof d === 'number' && d >= 0)) return vi.shape as number[];
    throw new ModelError(`input '${vi.name}' has shape ${want} with symbolic dims; give its concrete shape`);
  }
  if (given.some((d) => !Number.isInteger(d) || d < 0)) throw new ModelError(`input '${vi.name}' got an invalid shape ${fmt(given)}`);
  const mismatch = given.length !== vi.shape.length || vi.shape.some((d, i) => typeof d === 'number' && d >= 0 && d !== given[i]);
  if (mismatch) throw new ModelError(`input '${vi.name}' expects ${want} but got ${fmt(given)}`);
  vi.shape.forEach((d, i) => {
    if (typeof d !== 'string' || d === '' || d === '?') return;
    const seen = symbols.get(d);
    if (!seen) symbols.set(d, { size: given[i]!, input: vi.name });
    else if (seen.size !== given[i]) {
      throw new ModelError(`input '${vi.name}' expects ${want} but got ${fmt(given)}: '${d}' is already ${seen.size} from input '${seen.input}'`);
    }
  });
  return [...given];
}

/**
 * Topological order, stable for graphs that are already sorted (as ONNX requires). Iterative DFS so
 * a long chain cannot overflow the stack; reports the first missing value or cycle it meets.
 */
export function topoSort(nodes: readonly Node[], available: ReadonlySet<string>): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => {
    if (!o) return;
    const prev = producer.get(o);
    if (prev !== undefined || available.has(o)) {
      const other = prev !== undefined ? `node '${nodeLabel(nodes[prev]!)}'` : 'a graph input or initializer';
      throw new ModelError(`value '${o}' is produced twice: by ${other} and by node '${nodeLabel(n)}' (${n.opType})`);
    }
    producer.set(o, i);
  }));
  const state = new Uint8Array(nodes.length); // 0 new, 1 on the stack, 2 done
  const order: Node[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root]) continue;
    const stack: { i: number; k: number }[] = [{ i: root, k: 0 }];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!, node = nodes[top.i]!;
      if (top.k < node.inputs.length) {
        const v = node.inputs[top.k++]!;
        if (!v || available.has(v)) continue;
        const p = producer.get(v);
        if (p === undefined) {
          throw new ModelError(`node '${nodeLabel(node)}' (${node.opType}) reads '${v}', which no node, graph input or initializer produces`);
        }
        if (state[p] === 1) {
          throw new ModelError(`node '${nodeLabel(node)}' (${node.opType}) reads '${v}', which depends on this node's own output (a cycle)`);
        }
        if (state[p] === 0) { state[p] = 1; stack.push({ i: p, k: 0 }); }
      } else {
        stack.pop();
        state[top.i] = 2;
        order.push(node);
      }
    }
  }
  return order;
}

/** Keeps runtime nodes that feed a graph output; a value read only by folded nodes (Shape) needs no kernel. */
function liveNodes(runtime: Node[], outputs: string[]): Node[] {
  const need = new Set(outputs);
  const keep = new Array<boolean>(runtime.length).fill(false);
  for (let i = runtime.length - 1; i >= 0; i--) {
    const n = runtime[i]!;
    if (!n.outputs.some((o) => o && need.has(o))) continue;
    keep[i] = true;
    for (const v of n.inputs) if (v) need.add(v);
  }
  return runtime.filter((_, i) => keep[i]);
}

export function resolveGraph(model: Model, inputShapes: Record<string, number[]>): ResolvedGraph {
  const g = model.graph;
  const values = new Map<string, ValueType>();
  const constants = new Map<string, TensorData>();
  const symbols = new Map<string, { size: number; input: string }>();
  for (const name of Object.keys(inputShapes)) {
    if (!g.inputs.some((vi) => vi.name === name)) {
      throw new ModelError(`the model has no input '${name}' (its inputs: ${g.inputs.map((vi) => vi.name).join(', ') || 'none'})`);
    }
  }
  for (const vi of g.inputs) {
    const given = Object.hasOwn(inputShapes, vi.name) ? inputShapes[vi.name] : undefined;
    values.set(vi.name, { dtype: vi.dtype, shape: bindInput(vi, given, symbols) });
  }
  for (const [name, t] of Object.entries(g.initializers)) {
    if (values.has(name)) continue; // a graph input overrides an initializer of the same name
    constants.set(name, t);
    values.set(name, { dtype: t.dtype, shape: [...t.dims] });
  }

  const runtime: Node[] = [];
  for (const node of topoSort(g.nodes, new Set(values.keys()))) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      throw new ModelError(`node '${nodeLabel(node)}' uses op '${node.domain}.${node.opType}', which the studio does not run yet`);
    }
    const c: OpContext = {
      node, opset: model.opset,
      inputs: node.inputs.map((v) => (v ? values.get(v) : undefined)),
      consts: node.inputs.map((v) => (v ? constants.get(v) : undefined)),
    };
    // hasOwn: an op named like an Object.prototype member ('toString') must not find a rule.
    const fold = Object.hasOwn(FOLD_RULES, node.opType) ? FOLD_RULES[node.opType] : undefined;
    const allConst = node.inputs.every((v) => !v || constants.has(v));
    if (fold && (allConst || node.opType === 'Shape')) {
      const out = fold(c);
      node.outputs.forEach((o, i) => {
        if (!o) return;
        const t = out[i];
        if (!t) throw nodeError(node, `output ${i} ('${o}') cannot be folded`);
        constants.set(o, t);
        values.set(o, { dtype: t.dtype, shape: [...t.dims] });
      });
      continue;
    }
    const rule = shapeRuleOf(node.opType);
    if (!rule) {
      if (FOLDABLE_OPS.has(node.opType)) {
        const live = node.inputs.find((v) => v && !constants.has(v));
        throw nodeError(node, `input '${live}' is computed at run time, but the studio evaluates ${node.opType} only on constants (shape arithmetic)`);
      }
      throw new ModelError(`node '${nodeLabel(node)}' uses op '${node.opType}', which the studio does not run yet`);
    }
    const out = rule(c);
    node.outputs.forEach((o, i) => {
      if (!o) return;
      if (!out[i]) throw nodeError(node, `has an output ${i} ('${o}') that ${node.opType} does not produce`);
      values.set(o, out[i]!);
    });
    runtime.push(node);
  }

  const outputs = g.outputs.map((vi) => vi.name);
  for (const o of outputs) if (!values.has(o)) throw new ModelError(`graph output '${o}' is produced by no node`);
  return {
    values: Object.fromEntries(values),
    constants: Object.fromEntries(constants),
    nodes: liveNodes(runtime, outputs),
    inputs: g.inputs.map((vi) => vi.name),
    outputs,
  };
}
