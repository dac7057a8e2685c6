/**
 * Channel groups: which tensors' channels must change together when a layer gets thinner. A
 * channel-rule table beside the shape rules says, per op, how channels flow: Conv and Gemm make a
 * new group; BatchNorm, activations and pooling pass theirs through; Add / Mul tie their operands'
 * groups (both sides of a residual); depthwise Conv ties its input to its output; Flatten maps a
 * channel to a block of the next Gemm's inputs; Concat along the channels lays groups side by side;
 * Split / Slice of the channels take a run of positions (their split points are rewritten);
 * a channel shuffle (Reshape [N,C,…] → [N,g,C/g,…] → Transpose → Reshape back) permutes them.
 * Ops that mix channels in ways not followed here pin the groups they touch (kept at full width),
 * with the reason.
 *
 * Representation. The analysis follows single channels, not only groups: every channel a layer
 * makes is a node of a union-find, and a tensor's channel axis is a *layout*, the channel at each
 * position (so a Concat's axis is its inputs' layouts end to end, a Slice's a run of its input's,
 * a shuffle's a permutation). Constraints join channels: an Add joins its operands position by
 * position; a channel shuffle joins position i of each of its g blocks (the shrunk shuffle needs
 * every block to keep the same positions, so ShuffleNet is pruned *uniformly per shuffle block*);
 * a grouped Conv joins position j of each of its input blocks and position i of each of its
 * output blocks (the same channels are pruned in every Conv group). A group is a set of layers
 * whose channels are joined; its channels, numbered 0…size-1, are the classes of joined channels.
 * Usually a layer's output channel k is the group's channel k; where joins fold a layer's channels
 * together (ShuffleNet's trunk), a tie lists each position's group channel in `channels`.
 *
 * `shrinkChannels` keeps chosen channels of every group, slices every tied initializer and
 * rewrites the constants that count channels (flatten targets, Split sizes, Slice bounds, shuffle
 * shapes, a depthwise Conv's group), so the result is a smaller valid model (re-checked by shape
 * inference). Students "at a smaller width" use it; filter pruning picks the channels to keep by a
 * criterion.
 */
import { ModelError } from '../core/errors';
import type { TypedArray } from '../core/dtype';
import type { Graph, Model, Node, TensorData } from './ir';
import { CHANNEL_RULES, SEES_SPLIT, type ChannelAxis, type RawAnalysis, type RuleContext } from './channel-rules';
import { indexNodes, removeDeadCode } from './graph';
import { resolveGraph } from './resolve';
import { isGpuOp } from './shape-rules';
import type { ValueType } from './shape-rule-base';


export interface ChannelGroup {
  id: number;
  /** Channels in the group. */
  size: number;
  /** The Conv / Gemm / MatMul nodes whose output channels these are. */
  producers: string[];
  /** Why the group must keep every channel (empty: it can shrink). */
  pinned: string[];
}

/**
 * An initializer sliced when its group shrinks; `reads` marks a consumer's input side (Conv's dim 1,
 * a Gemm's input features). Position p along `axis` (indices [p·block, (p+1)·block)) is channel p of
 * `group`, unless `channels` is given: then it is channel `channels[p]` of the group, and -1 marks a
 * position that is not this group's (another tie of the same tensor, for a layer reading a Concat of
 * several groups; or a channel no group makes, always kept). See `channelAt`.
 */
export interface Tie { tensor: string; axis: number; block: number; group: number; reads: boolean; channels?: number[] }

/** A channel axis position by position: the group and the group's channel there (group -1: kept always). */
export interface ChannelLayout { groups: number[]; channels: number[] }

/** How many of `layout`'s positions [from, to) are kept, times `times`, divided by `per` (exact). */
export interface KeptCount { layout: ChannelLayout; from: number; to: number; times: number; per: number }

/** A constant that counts channels: a node's int64 input `input`, or its attribute `attr`, becomes `values`. */
export interface Rewrite { node: string; input?: number; attr?: string; values: (number | KeptCount)[]; scalar?: boolean }

export interface Analysis {
  groups: ChannelGroup[];
  ties: Tie[];
  /** Depthwise Convs whose `group` attribute follows a group's size (the group of their first channel). */
  depthwise: { node: string; group: number }[];
  /** Flattening Reshapes whose constant target shape names the feature count. */
  reshapes: { node: string; shape: string; group: number; block: number }[];
  /** Constants rewritten when channels go: Split sizes, Slice bounds, Reshape targets, Conv groups. */
  rewrites: Rewrite[];
}

/** The group channel at position `p` of a tie (-1: not this group's). */
export function channelAt(t: Tie, p: number): number {
  return t.channels ? t.channels[p] ?? -1 : p;
}


class UnionFind {
  parent: number[] = [];
  add(): number { this.parent.push(this.parent.length); return this.parent.length - 1; }
  find(a: number): number { while (this.parent[a] !== a) a = this.parent[a] = this.parent[this.parent[a]!]!; return a; }
}

/** The first input's shape at batch 2 (a fixed batch stays); symbolic item dims come from `itemShape`. */
function probeShape(model: Model, itemShape?: number[]): number[] {
  const dims = model.graph.inputs[0]!.shape;
  const item = dims.slice(1);
  const fromData = itemShape && itemShape.length === item.length ? itemShape : null;
  return [typeof dims[0] === 'number' ? dims[0] : 2, ...item.map((d, i) => (typeof d === 'number' ? d : fromData?.[i] ?? 1))];
}

/** Groups, ties and pins for a model whose first input is fed items of `itemShape` (resolved at batch 2). */
export function analyseChannels(model: Model, itemShape?: number[]): Analysis {
  const g = model.graph;
  const input = g.inputs[0];
  if (!input) throw new ModelError('the model has no input');
  const resolved = resolveGraph(model, { [input.name]: probeShape(model, itemShape) });
  const values: Record<string, ValueType> = resolved.values;
  // Channels (one union-find node each, joined when they must go together) and the groups that made
  // them (joined whenever two of their channels are).
  const chans = new UnionFind(), groupsUf = new UnionFind();
  const chanGroup: number[] = [];
  const sizes: number[] = [], producers: string[][] = [], pins: string[][] = [];
  const raw: RawAnalysis = { ties: [], depthwise: [], reshapes: [], rewrites: [] };
  const axes = new Map<string, ChannelAxis>();
  const pinCh = (ch: readonly number[], reason: string) => {
    for (const gr of new Set(ch.filter((x) => x >= 0).map((x) => groupsUf.find(chanGroup[x]!)))) pins[gr]!.push(reason);
  };
  for (const node of resolved.nodes) {
    const rule = isGpuOp(node.opType) ? CHANNEL_RULES[node.opType] : undefined;
    const c: RuleContext = {
      node, analysis: raw, opset: model.opset,
      axisOf: (i) => (node.inputs[i] ? axes.get(node.inputs[i]!) : undefined),
      shape: (i) => (node.inputs[i] ? values[node.inputs[i]!]?.shape : undefined),
      outShape: (i) => (node.outputs[i] ? values[node.outputs[i]!]?.shape : undefined),
      isInitializer: (i) => Boolean(node.inputs[i] && Object.hasOwn(g.initializers, node.inputs[i]!)),
      constant: (i) => (node.inputs[i] ? resolved.constants[node.inputs[i]!] : undefined),
      setOut: (i, a) => { if (node.outputs[i]) axes.set(node.outputs[i]!, a); },
      newGroup: (size) => {
        const id = groupsUf.add(); sizes.push(size); producers.push([node.name]); pins.push([]);
        return Array.from({ length: size }, () => { chanGroup.push(id); return chans.add(); });
      },
      join: (a, b) => {
        for (let p = 0; p < Math.min(a.length, b.length); p++) {
          const x = a[p]!, y = b[p]!;
          if (x === y) continue;
          if (x < 0 || y < 0) { pinCh([x, y], `'${node.name}' lines a channel up with one no layer makes`); continue; }
          const [rx, ry] = [chans.find(x), chans.find(y)];
          if (rx !== ry) chans.parent[ry] = rx;
          const [gx, gy] = [groupsUf.find(chanGroup[x]!), groupsUf.find(chanGroup[y]!)];
          if (gx === gy) continue;
          groupsUf.parent[gy] = gx;
          producers[gx]!.push(...producers[gy]!);
          pins[gx]!.push(...pins[gy]!);
        }
      },
      tie: (i, axis, ch, opts = {}) => raw.ties.push({ tensor: node.inputs[i]!, axis, block: opts.block ?? 1, ch: [...ch], reads: opts.reads ?? false }),
      pin: pinCh,
      pinInputs: (reason) => node.inputs.forEach((v) => { const a = v ? axes.get(v) : undefined; if (a) pinCh(a.ch, reason); }),
      rewrite: (r) => raw.rewrites.push(r),
    };
    if (rule && (SEES_SPLIT.has(node.opType) || !node.inputs.some((v) => v && axes.get(v)?.split))) rule(c);
    else if (rule) c.pinInputs(`${node.opType} '${node.name}' sees channels split over two axes (a channel shuffle's middle)`);
    else c.pinInputs(`${node.opType} '${node.name}' is not followed channel by channel`);
  }
  for (const o of g.outputs) {
    const a = axes.get(o.name);
    if (a) pinCh(a.ch, `it is the model's output '${o.name}'`);
  }
  // An initializer used by two nodes must be sliced the same way by both, else its groups stay whole.
  // (Only nodes that run count: a folded Identity that copies a shared bias is frozen when it changes.)
  const { consumers } = indexNodes(resolved.nodes);
  for (const t of raw.ties) {
    const users = new Set(consumers(t.tensor)).size;
    if (users > 1) pinCh(t.ch, `initializer '${t.tensor}' is shared by ${users} nodes`);
  }
  // Each group's channels: the classes of joined channels, numbered in the order its layers made them.
  const root = (gid: number) => groupsUf.find(gid);
  const classOf: number[] = [], classCount = new Map<number, number>(), seen = new Map<number, number>();
  chanGroup.forEach((gid, x) => {
    const r = chans.find(x);
    let k = seen.get(r);
    if (k === undefined) {
      const gr = root(gid);
      k = classCount.get(gr) ?? 0;
      classCount.set(gr, k + 1);
      seen.set(r, k);
    }
    classOf[x] = k;
  });
  const layout = (ch: readonly number[]): ChannelLayout => ({
    groups: ch.map((x) => (x < 0 ? -1 : root(chanGroup[x]!))),
    channels: ch.map((x) => (x < 0 ? -1 : classOf[x]!)),
  });
  const layouts = new Map<readonly number[], ChannelLayout>();
  const layoutOf = (ch: readonly number[]) => layouts.get(ch) ?? layouts.set(ch, layout(ch)).get(ch)!;
  const firstGroup = (ch: readonly number[]) => layoutOf(ch).groups.find((x) => x >= 0) ?? -1;
  const ties: Tie[] = [];
  for (const t of raw.ties) {
    const l = layoutOf(t.ch);
    for (const gr of new Set(l.groups.filter((x) => x >= 0))) {
      const channels = l.channels.map((k, p) => (l.groups[p] === gr ? k : -1));
      const identity = channels.length === classCount.get(gr) && channels.every((k, p) => k === p);
      ties.push({ tensor: t.tensor, axis: t.axis, block: t.block, group: gr, reads: t.reads, ...(identity ? {} : { channels }) });
    }
  }
  const ids = [...new Set(sizes.map((_, i) => root(i)))];
  return {
    groups: ids.map((id) => ({ id, size: classCount.get(id) ?? 0, producers: producers[id]!, pinned: [...new Set(pins[id]!)] })),
    ties,
    depthwise: raw.depthwise.map((d) => ({ node: d.node, group: firstGroup(d.ch) })).filter((d) => d.group >= 0),
    reshapes: raw.reshapes.map((r) => ({ node: r.node, shape: r.shape, group: firstGroup(r.ch), block: r.block })),
    rewrites: raw.rewrites.map((r) => ({
      ...r, values: r.values.map((v) => (typeof v === 'number' ? v : { layout: layoutOf(v.ch), from: v.from, to: v.to, times: v.times, per: v.per })),
    })),
  };
}

/** The model's channel groups, for reports and for choosing what to keep. */
export function channelGroups(model: Model, itemShape?: number[]): ChannelGroup[] {
  return analyseChannels(model, itemShape).groups;
}

/** `t` with only the channels `keep` (each a run of `block` indices) along `axis`. */
export function takeChannels(t: TensorData, axis: number, keep: readonly number[], block = 1): TensorData {
  const dims = [...t.dims];
  const outer = dims.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = dims.slice(axis + 1).reduce((p, d) => p * d, 1);
  const along = dims[axis]!;
  const idx = keep.flatMap((k) => Array.from({ length: block }, (_, j) => k * block + j));
  if (idx.some((i) => i >= along)) throw new ModelError(`channel index out of range for a tensor of ${along} along axis ${axis}`);
  const src = t.data as TypedArray;
  const out = new (src.constructor as new (n: number) => TypedArray)(outer * idx.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < idx.length; j++) {
      const from = (o * along + idx[j]!) * inner, to = (o * idx.length + j) * inner;
      (out as Float32Array).set((src as Float32Array).subarray(from, from + inner), to);
    }
  }
  dims[axis] = idx.length;
  return { dtype: t.dtype, dims, data: out };
}

/**
 * How a caller removes the layers that make a group along with the group (a Concat input's branch,
 * model/branches.ts): groups may then keep no channel, and `edit` disconnects those layers from
 * the graph (they go as dead code) before the result is checked.
 */
export interface ShrinkRemoval { edit: (g: Graph) => Graph }

/**
 * The model with only the channels `keep[group id]` of each listed group (groups not listed keep all);
 * pinned groups are refused. `an` is the model's analysis when the caller already has it. The
 * result's intermediate shapes are re-inferred and checked. Tied values that were folded from
 * constants (an Identity of a shared bias) become initializers of their own; a Slice bound or a
 * Reshape target computed from shapes becomes a stored constant; nodes only these fed are dropped.
 * A group keeps at least one channel unless `removal` takes its layers out (ShrinkRemoval).
 */
export function shrinkChannels(model: Model, keep: ReadonlyMap<number, readonly number[]>, itemShape?: number[],
  an: Analysis = analyseChannels(model, itemShape), removal?: ShrinkRemoval): Model {
  const groups = new Map(an.groups.map((gr) => [gr.id, gr]));
  const kept = new Map<number, Set<number>>();
  for (const [id, k] of keep) {
    const gr = groups.get(id);
    if (!gr) throw new ModelError(`there is no channel group ${id}`);
    if (gr.pinned.length && k.length !== gr.size) throw new ModelError(`the channels made by ${gr.producers.join(', ')} cannot change: ${gr.pinned[0]}`);
    if (!k.length && !removal) throw new ModelError(`a layer must keep at least one channel (${gr.producers.join(', ')})`);
    if (k.some((c) => !Number.isInteger(c) || c < 0 || c >= gr.size)) throw new ModelError(`channel index out of range for ${gr.producers.join(', ')} (${gr.size} channels)`);
    if (k.length !== gr.size) kept.set(id, new Set(k));
  }
  const isKept = (group: number, channel: number) => group < 0 || channel < 0 || (kept.get(group)?.has(channel) ?? true);
  const g = model.graph;
  const input = g.inputs[0]!;
  const initializers = { ...g.initializers };
  const folded = new Set<string>();
  const resolved = resolveGraph(model, { [input.name]: probeShape(model, itemShape) });
  const constants = resolved.constants, runtime = new Set(resolved.nodes.map((n) => n.name));
  const byTensorAxis = new Map<string, Tie[]>();
  for (const t of an.ties) {
    const key = `${t.axis}:${t.tensor}`;
    byTensorAxis.set(key, [...(byTensorAxis.get(key) ?? []), t]);
  }
  for (const ties of byTensorAxis.values()) {
    const { tensor, axis, block } = ties[0]!;
    if (!ties.some((t) => kept.has(t.group))) continue;
    let src = initializers[tensor];
    if (!src) {
      src = constants[tensor];
      if (!src) throw new ModelError(`'${tensor}' is tied to a channel group but is neither stored nor constant`);
      folded.add(tensor);
    }
    const positions = src.dims[axis]! / block;
    const keepPos: number[] = [];
    for (let p = 0; p < positions; p++) {
      const owner = ties.find((t) => channelAt(t, p) >= 0);
      if (!owner || isKept(owner.group, channelAt(owner, p))) keepPos.push(p);
    }
    initializers[tensor] = takeChannels(src, axis, keepPos, block);
  }
  // A folded node (an Identity copying a bias several Convs share) that reads a changed initializer
  // would now compute from the sliced one: its results are stored as they were instead.
  const { consumers, uses } = indexNodes(g.nodes);
  for (const name of Object.keys(g.initializers)) {
    if (initializers[name] === g.initializers[name]) continue;
    for (const n of consumers(name)) {
      if (runtime.has(n.name)) continue;
      for (const o of n.outputs) {
        if (!o || folded.has(o)) continue;
        if (!constants[o]) throw new ModelError(`'${o}' reads the changed '${name}' but was not folded`);
        initializers[o] = constants[o]!;
        folded.add(o);
      }
    }
  }
  const keptIn = (k: KeptCount) => {
    let n = 0;
    for (let p = k.from; p < k.to; p++) if (isKept(k.layout.groups[p]!, k.layout.channels[p]!)) n++;
    const v = (n * k.times) / k.per;
    if (!Number.isInteger(v)) throw new ModelError(`${n} kept channels do not divide into ${k.per} equal blocks`);
    return v;
  };
  const touched = (k: number | KeptCount) => typeof k !== 'number' && k.layout.groups.some((gr, p) => !isKept(gr, k.layout.channels[p]!));
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const edited = new Map<string, Node>();
  for (const r of an.rewrites) {
    if (!r.values.some(touched)) continue;
    const original = byName.get(r.node);
    if (!original) throw new ModelError(`no node '${r.node}' to rewrite`);
    const n = edited.get(r.node) ?? { ...original, inputs: [...original.inputs], attrs: { ...original.attrs } };
    edited.set(r.node, n);
    const values = r.values.map((v) => (typeof v === 'number' ? v : keptIn(v)));
    if (r.attr) {
      n.attrs[r.attr] = r.scalar ? { type: 'int', value: values[0]! } : { type: 'ints', value: values };
      continue;
    }
    const i = r.input!;
    const old = n.inputs[i];
    const own = old && Object.hasOwn(g.initializers, old) && new Set(consumers(old)).size === 1;
    let name = own ? old : `${r.node}/channels_${i}`;
    while (!own && (Object.hasOwn(initializers, name) || uses(name) > 0)) name += '_';
    initializers[name] = { dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) };
    while (n.inputs.length < i) n.inputs.push('');
    n.inputs[i] = name;
  }
  // Folded values now stored: the nodes that computed them go.
  const nodes = g.nodes.map((n) => edited.get(n.name) ?? n).filter((n) => !(n.outputs.length && n.outputs.every((o) => !o || folded.has(o))));
  // Nodes only the folded values or the replaced inputs fed go, and the initializers only they read;
  // nodes and constants the file already left unread stay as the file had them.
  const liveBefore = new Set(removeDeadCode(g, { initializers: [] }).nodes);
  const deadBefore = new Set(g.nodes.filter((n) => !liveBefore.has(n)).map((n) => n.name));
  const disconnected = removal ? removal.edit({ ...g, nodes, initializers }) : { ...g, nodes, initializers };
  const live = removeDeadCode(disconnected, {
    nodes: (n) => !deadBefore.has(n.name),
    initializers: Object.keys(initializers).filter((name) => uses(name) > 0 || !Object.hasOwn(g.initializers, name)),
  });
  const keepVi = new Set([...g.inputs, ...g.outputs].map((v) => v.name));
  const out: Model = {
    ...model,
    graph: { ...live, valueInfo: Object.fromEntries(Object.entries(g.valueInfo).filter(([name]) => keepVi.has(name))) },
  };
  resolveGraph(out, { [input.name]: probeShape(model, itemShape) });
  return out;
}
