/**
 * Graph rewriting shared by the compression and lowering passes: one index of who produces and who
 * reads each value, fresh names, node rewrites, dead-code removal and re-validation. Every function
 * returns new data and leaves its argument alone (the IR is plain data that other views still hold);
 * an index is a snapshot, so build it again after a rewrite.
 */
import { ModelError } from '../core/errors';
import type { Graph, Model, Node } from './ir';
import { attrInt } from './ir';
import { resolveGraph, type ResolvedGraph } from './resolve';

/** Each value's consuming nodes, in node order. */
function consumersOf(nodes: readonly Node[]): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of nodes) for (const i of n.inputs) {
    if (!i) continue;
    const list = m.get(i) ?? [];
    list.push(n);
    m.set(i, list);
  }
  return m;
}

/**
 * Who produces and who reads each value of a list of nodes ('' — an omitted optional — is no value).
 * The members are plain functions, so a pass can take them out (`const { producer, sole } = index`).
 */
export interface GraphIndex {
  /** The node writing `value`; undefined for graph inputs, initializers and unknown names. */
  producer: (value: string) => Node | undefined;
  /** The nodes reading `value`, in node order; a node reading it twice is listed twice. */
  consumers: (value: string) => readonly Node[];
  isOutput: (value: string) => boolean;
  /**
   * The one node reading `value`, or null when it is a graph output or has other than one reader:
   * the condition for fusing that reader into the producer without anyone else seeing the change.
   */
  sole: (value: string) => Node | null;
  /** How many node inputs read `value` (graph outputs not counted). */
  uses: (value: string) => number;
}

const NONE: readonly Node[] = [];

/** The index of `nodes`, with `outputs` the values read from outside (graph outputs, a plan's logits). */
export function indexNodes(nodes: readonly Node[], outputs: Iterable<string> = []): GraphIndex {
  const consumers = consumersOf(nodes);
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const out = new Set(outputs);
  return {
    producer: (v) => producer.get(v),
    consumers: (v) => consumers.get(v) ?? NONE,
    isOutput: (v) => out.has(v),
    sole: (v) => {
      if (out.has(v)) return null;
      const c = consumers.get(v);
      return c?.length === 1 ? c[0]! : null;
    },
    uses: (v) => consumers.get(v)?.length ?? 0,
  };
}

/**
 * A Conv with one input channel per group and more than one group (stored weights (M, 1, KH, KW)).
 * Its dot products run over its 9 or 25 taps alone, so int8 and XNOR gain nothing on it: the
 * compressions keep it float32 unless a recipe names it.
 */
export function isDepthwiseConv(model: Model, node: Node): boolean {
  const w = model.graph.initializers[node.inputs[1] ?? ''];
  return node.opType === 'Conv' && attrInt(node, 'group', 1) > 1 && w?.dims.length === 4 && w.dims[1] === 1;
}

export function indexGraph(g: Graph): GraphIndex {
  return indexNodes(g.nodes, g.outputs.map((o) => o.name));
}

export interface FreshNameOptions {
  /** Further names to avoid (e.g. node names, where the pass also names nodes with it). */
  reserve?: Iterable<string>;
  /** What follows the base on the i-th clash (i from 1); default `_${i}`. */
  suffix?: (i: number) => string;
}

/**
 * A namer that never returns a name already in `g` (initializers, graph inputs and outputs, every
 * node input and output) or one it returned before, so rewrites cannot make a value produced twice.
 */
export function freshNamer(g: Graph, opts: FreshNameOptions = {}): (base: string) => string {
  const suffix = opts.suffix ?? ((i: number) => `_${i}`);
  const taken = new Set<string>([
    ...Object.keys(g.initializers), ...g.inputs.map((v) => v.name), ...g.outputs.map((v) => v.name),
    ...g.nodes.flatMap((n) => [...n.inputs, ...n.outputs]), ...(opts.reserve ?? []),
  ]);
  return (base) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}${suffix(i)}`;
    taken.add(name);
    return name;
  };
}

/** `g` with `node` (by identity: node names may be empty or repeated) replaced by `by`, in its place. */
export function replaceNode(g: Graph, node: Node, by: readonly Node[]): Graph {
  const at = g.nodes.indexOf(node);
  if (at < 0) throw new Error(`replaceNode: node '${node.name}' (${node.opType}) is not in graph '${g.name}'`);
  return { ...g, nodes: [...g.nodes.slice(0, at), ...by, ...g.nodes.slice(at + 1)] };
}

/**
 * `g` with every node input reading `from` reading `to` instead. Graph outputs keep their names (they
 * are the model's interface): to redirect one, make its producer write it.
 */
export function rewire(g: Graph, from: string, to: string): Graph {
  if (!from) throw new Error('rewire: the omitted value \'\' has no uses to move');
  return { ...g, nodes: g.nodes.map((n) => (n.inputs.includes(from) ? { ...n, inputs: n.inputs.map((v) => (v === from ? to : v)) } : n)) };
}

/** `g` without the nodes `drop` picks; their readers are the caller's to rewire first. */
export function removeNodes(g: Graph, drop: (n: Node) => boolean): Graph {
  return { ...g, nodes: g.nodes.filter((n) => !drop(n)) };
}

/** What dead-code removal may delete; by default every node and every initializer. */
export interface DeadCodeScope {
  /** Nodes that may go when dead; a pass narrows this to the ops it wrote, leaving the rest as the file had them. */
  nodes?: (n: Node) => boolean;
  /** Initializers that may go when unread; a pass lists the constants it stopped reading. */
  initializers?: Iterable<string>;
}

/**
 * `g` without the nodes (within `scope`) none of whose outputs reach a graph output, then without
 * the initializers (within `scope`) no remaining node and no graph output reads. Constant nodes are
 * nodes here: they go as dead ones do. Node order is kept.
 */
export function removeDeadCode(g: Graph, scope: DeadCodeScope = {}): Graph {
  const removable = scope.nodes ?? (() => true);
  const reads = new Map<string, number>();
  const count = (v: string, by: number) => reads.set(v, (reads.get(v) ?? 0) + by);
  for (const o of g.outputs) count(o.name, 1);
  for (const n of g.nodes) for (const v of n.inputs) if (v) count(v, 1);
  const producers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producers.set(o, [...(producers.get(o) ?? []), n]);

  // A worklist from the unread ends backwards: each node is dropped once, when its last reader goes.
  const dead = new Set<Node>();
  const isDead = (n: Node) => !dead.has(n) && removable(n) && n.outputs.every((o) => !o || !reads.get(o));
  const work = g.nodes.filter(isDead);
  while (work.length) {
    const n = work.pop()!;
    if (dead.has(n)) continue;
    dead.add(n);
    for (const v of n.inputs) {
      if (!v) continue;
      count(v, -1);
      if (!reads.get(v)) for (const p of producers.get(v) ?? []) if (isDead(p)) work.push(p);
    }
  }
  const nodes = dead.size ? g.nodes.filter((n) => !dead.has(n)) : g.nodes;

  const initializers = { ...g.initializers };
  for (const name of scope.initializers ?? Object.keys(g.initializers)) {
    if (Object.hasOwn(initializers, name) && !reads.get(name)) delete initializers[name];
  }
  return { ...g, nodes, initializers };
}

/**
 * Shape inference over the rewritten model at its first input's shape (symbolic dims taken as 1),
 * so a rewrite that broke the graph fails here, naming the rewritten node, rather than at run time.
 */
export function revalidate(model: Model, rewritten?: string): ResolvedGraph {
  const first = model.graph.inputs[0];
  const shapes = first ? { [first.name]: first.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1)) } : {};
  try {
    return resolveGraph(model, shapes);
  } catch (e) {
    if (!(e instanceof ModelError) || rewritten === undefined) throw e;
    throw new ModelError(`rewriting node '${rewritten}' left a graph that does not check: ${e.message}`);
  }
}

/**
 * Exporters (torch.onnx since 1.12) store identical constants once and give each further use an
 * Identity of it; torchvision's zero-initialised biases come out that way. Each such use gets its own
 * initializer here (a copy, named as the Identity's output), so the layer passes see a stored bias or
 * weight rather than one "computed at run time", and changing one layer's constants never changes
 * another's. Identities that write a graph output stay.
 */
export function unshareConstants(model: Model): Model {
  const g = model.graph;
  const outputs = new Set(g.outputs.map((o) => o.name));
  const initializers = { ...g.initializers };
  const sources = new Set<string>();
  const nodes = g.nodes.filter((n) => {
    const src = n.opType === 'Identity' && n.domain === '' && n.inputs.length === 1 ? g.initializers[n.inputs[0]!] : undefined;
    const out = n.outputs[0];
    if (!src || !out || outputs.has(out) || Object.hasOwn(initializers, out)) return true;
    initializers[out] = { ...src, dims: [...src.dims], data: src.data.slice() as typeof src.data };
    sources.add(n.inputs[0]!);
    return false;
  });
  if (!sources.size) return model;
  // The shared originals go where nothing reads them any more (not those an old exporter also lists as graph inputs).
  for (const i of g.inputs) sources.delete(i.name);
  return { ...model, graph: removeDeadCode({ ...g, nodes, initializers }, { nodes: () => false, initializers: sources }) };
}
