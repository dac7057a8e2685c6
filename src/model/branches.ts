/**
 * Whole branches a model can lose. Residual: the layers a residual block adds to its identity
 * shortcut, y = x + f(x); removing f leaves y = x, so the whole block goes and the model keeps its
 * shapes (the "drop a block" of Veit et al. 2016 and of stochastic depth). Concat: one input of a
 * channel Concat and the layers only it needs (an Inception branch, a fire module's expand1x1);
 * removing it takes its channels out of the Concat, and every layer reading them loses those input
 * channels (the channel groups of model/channels.ts do the slicing).
 *
 * A branch is found from its Add: one operand (the skip) must be an ancestor of the other such that
 * walking back from the other operand meets only nodes fed, in the end, by the skip and by stored
 * constants; those nodes are the branch. It is removable when nothing outside reads any of its
 * values, it holds at least one weighted layer, and the sum has the skip's shape (no broadcasting).
 * A shortcut that is itself computed (ResNet's downsampling 1×1 Conv) is not an identity: its block
 * changes the shape or the values, and it is refused with that reason.
 */
import { ModelError } from '../core/errors';
import type { Model, Node } from './ir';
import { indexGraph, removeDeadCode, removeNodes, replaceNode, revalidate, rewire, type GraphIndex } from './graph';
import { analyseChannels, shrinkChannels, type Analysis } from './channels';
import { topoSort, type ResolvedGraph } from './resolve';
import { sameShape } from '../core/shape';

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export interface Branch {
  /**
   * Where the branch rejoins, which also names it: a residual block's Add (its output becomes the
   * skip when the branch goes), or `<Concat>:<input index>`.
   */
  join: string;
  kind: 'residual' | 'concat';
  /** Residual: the shortcut value (the block's input). Concat: the Concat input the branch computes. */
  skip: string;
  /** The branch's nodes in graph order, and the weighted layers among them. */
  nodes: string[];
  weighted: string[];
  /** The values the branch computes (what identifies its nodes, whose names may be empty). */
  values: string[];
}

export interface BranchAnalysis {
  branches: Branch[];
  /** Adds of two computed values and Concat inputs that are not removable branches, with the reason. */
  refused: { join: string; reason: string }[];
}


/** The branches of `model` that could be removed (residual blocks, then Concat inputs), and those that cannot, with why. */
export function findBranches(model: Model): BranchAnalysis {
  const index = indexGraph(model.graph);
  const resolved = revalidate(model);
  const g = model.graph;
  const sorted = topoSort(g.nodes, new Set([...g.inputs.map((i) => i.name), ...Object.keys(g.initializers)]));
  const order = new Map(sorted.map((n, i) => [n, i]));
  const residual = residualBranches(model, index, resolved, order);
  const concat = concatBranches(model, index, resolved, order);
  return { branches: [...residual.branches, ...concat.branches], refused: [...residual.refused, ...concat.refused] };
}

const nameOf = (n: Node) => n.name || n.outputs[0]!;

/** Each node's place in a topological order of the graph. */
type Order = ReadonlyMap<Node, number>;

/** A branch record from its nodes, in topological order (sorted alone: the whole graph per branch would be quadratic). */
function branchOf(join: string, kind: Branch['kind'], skip: string, nodes: ReadonlySet<Node>, order: Order): Branch {
  const sorted = [...nodes].sort((x, y) => order.get(x)! - order.get(y)!);
  return {
    join, kind, skip, nodes: sorted.map(nameOf), weighted: sorted.filter((n) => WEIGHTED.has(n.opType)).map(nameOf),
    values: sorted.flatMap((n) => n.outputs.filter(Boolean)),
  };
}

function residualBranches(model: Model, index: GraphIndex, resolved: ResolvedGraph, order: Order): BranchAnalysis {
  const g = model.graph;
  const constant = (v: string) => Object.hasOwn(g.initializers, v) || Object.hasOwn(resolved.constants, v);

  /**
   * The nodes between `skip` and `out` (walking back from `out`), or why there are none. A node placed
   * before the skip's producer cannot depend on it: the walk stops there, so a wrong guess at which
   * operand is the skip costs one step, not a walk to the graph's input.
   */
  const between = (skip: string, out: string): Set<Node> | string => {
    const seen = new Set<Node>();
    const work = [out];
    const skipAt = order.get(index.producer(skip)!) ?? -1;
    while (work.length) {
      const v = work.pop()!;
      if (!v || v === skip || constant(v)) continue;
      const p = index.producer(v);
      if (!p || order.get(p)! < skipAt) return `'${out}' depends on '${v}', which does not come from '${skip}'`;
      if (seen.has(p)) continue;
      seen.add(p);
      work.push(...p.inputs);
    }
    return seen;
  };

  const branches: Branch[] = [], refused: BranchAnalysis['refused'] = [];
  for (const add of g.nodes) {
    if (add.opType !== 'Add' || add.domain !== '' || add.inputs.length !== 2) continue;
    const [a, b] = add.inputs as [string, string];
    if (!a || !b || constant(a) || constant(b) || a === b) continue; // a bias, or x + x: not a block
    const name = nameOf(add);
    // Why each side is not a block; a side that reached its skip knows better than one that did not.
    let found: Branch | null = null, why = '', structural = false;
    for (const [skip, out] of [[a, b], [b, a]] as const) {
      const nodes = between(skip, out);
      if (typeof nodes === 'string') { if (!structural) why ||= nodes; continue; }
      structural = true;
      const weighted = [...nodes].filter((n) => WEIGHTED.has(n.opType));
      if (!weighted.length) { why = `its branch from '${skip}' has no weighted layer`; continue; }
      const escape = [...nodes].flatMap((n) => n.outputs.filter(Boolean).map((v) => ({ v, by: index.consumers(v).find((c) => c !== add && !nodes.has(c)) ?? (index.isOutput(v) ? 'out' : null) })))
        .find((e) => e.by);
      if (escape) { why = `the branch's value '${escape.v}' is also read ${escape.by === 'out' ? 'as a model output' : `by '${(escape.by as Node).name}'`} outside the block`; continue; }
      const [skipShape, sumShape] = [resolved.values[skip]?.shape, resolved.values[add.outputs[0]!]?.shape];
      if (!skipShape || !sumShape || !sameShape(skipShape, sumShape)) {
        why = `the sum's shape [${sumShape}] is not the shortcut's [${skipShape}]`;
        continue;
      }
      found = branchOf(name, 'residual', skip, nodes, order);
      break;
    }
    if (found) branches.push(found);
    else {
      // Both operands computed apart (ResNet's projection shortcut beside its branch; which is which,
      // the graph does not say): neither is an identity.
      const layers = [a, b].map((v) => index.producer(v));
      const projection = !structural && layers.every(Boolean);
      refused.push({
        join: name,
        reason: projection ? `neither side is an identity shortcut: both are computed (${layers.map((p) => `${p!.opType} '${nameOf(p!)}'`).join(', ')}); without one the block would change what it outputs` : why,
      });
    }
  }
  // A branch holding another block's Add is an outer block; the inner ones are removed one at a time.
  const adds = new Set(branches.map((br) => br.join));
  const nested = branches.filter((br) => br.nodes.some((n) => adds.has(n)));
  for (const br of nested) refused.push({ join: br.join, reason: `its branch holds the residual block '${br.nodes.find((n) => adds.has(n))}'; its inner blocks are removed one by one` });
  return { branches: branches.filter((br) => !nested.includes(br)), refused };
}

/**
 * Each input of a Concat along the channels whose layers nothing else reads: walking back from the
 * input, a node joins the branch when all its outputs are read inside the branch only. The branch
 * must hold a weighted layer, and the input's channels must be one channel group made inside it
 * (checked on the channel analysis), so that removing it only takes channels away from the readers.
 */
function concatBranches(model: Model, index: GraphIndex, resolved: ResolvedGraph, order: Order): BranchAnalysis {
  const g = model.graph;
  const branches: Branch[] = [], refused: BranchAnalysis['refused'] = [];
  let an: Analysis | null | undefined;
  for (const cat of g.nodes) {
    if (cat.opType !== 'Concat' || cat.domain !== '' || cat.inputs.filter(Boolean).length < 2) continue;
    const rank = resolved.values[cat.outputs[0]!]?.shape.length ?? 0;
    const axisAttr = cat.attrs.axis;
    const axis = axisAttr?.type === 'int' ? axisAttr.value : 0;
    if (rank < 2 || (axis + rank) % rank !== 1) continue; // not along the channels
    cat.inputs.forEach((v, i) => {
      const join = `${nameOf(cat)}:${i}`;
      const first = index.producer(v);
      if (!v || !first || Object.hasOwn(g.initializers, v) || Object.hasOwn(resolved.constants, v)) return;
      if (cat.inputs.indexOf(v) !== i || cat.inputs.lastIndexOf(v) !== i) { refused.push({ join, reason: `'${v}' enters the Concat more than once` }); return; }
      // Only-here nodes: every output read by branch nodes or (the input itself) by this Concat alone.
      const nodes = new Set<Node>();
      const onlyHere = (n: Node) => n.outputs.every((o) => !o || (!index.isOutput(o) && index.consumers(o).every((c) => nodes.has(c) || (c === cat && o === v))));
      if (!onlyHere(first)) { refused.push({ join, reason: `'${v}' is also read outside the Concat` }); return; }
      const work = [first];
      while (work.length) {
        const n = work.pop()!;
        if (nodes.has(n)) continue;
        nodes.add(n);
        for (const u of n.inputs) {
          const p = u ? index.producer(u) : undefined;
          if (p && !nodes.has(p) && onlyHere(p)) work.push(p);
        }
      }
      const br = branchOf(join, 'concat', v, nodes, order);
      if (!br.weighted.length) { refused.push({ join, reason: `the branch computing '${v}' has no weighted layer` }); return; }
      if (an === undefined) { try { an = analyseChannels(model); } catch { an = null; } }
      const group = an && channelGroupOf(an, br.weighted);
      const channels = resolved.values[v]?.shape[1];
      if (!an || !group) { refused.push({ join, reason: 'the channel analysis does not reach its layers' }); return; }
      if (group.pinned.length) { refused.push({ join, reason: group.pinned[0]! }); return; }
      const inside = new Set(br.weighted);
      if (group.producers.some((p) => !inside.has(p))) { refused.push({ join, reason: `its channels are tied to ${group.producers.filter((p) => !inside.has(p)).join(', ')} outside the branch` }); return; }
      if (group.size !== channels) { refused.push({ join, reason: `its ${channels} channels are not one layer's (${group.size})` }); return; }
      branches.push(br);
    });
  }
  return { branches, refused };
}

/** The channel group made by the last of `layers` still in the model (the one nearest the Concat), if any. */
function channelGroupOf(an: Analysis, layers: string[]) {
  for (const l of [...layers].reverse()) {
    const gr = an.groups.find((x) => x.producers.includes(l));
    if (gr) return gr;
  }
  return null;
}

/**
 * `model` without the named branches. Residual: each Add's readers read its skip instead (an Identity
 * keeps the name where the sum is a model output), then the branch's nodes and the constants only
 * they read go. Concat: the input leaves the Concat, its channel group keeps no channel (the readers'
 * weights lose those input channels) and its layers go. The result is re-checked by shape inference.
 */
export function removeBranches(model: Model, joins: readonly string[], analysis = findBranches(model)): Model {
  const chosen = joins.map((join) => {
    const br = analysis.branches.find((x) => x.join === join);
    if (!br) {
      const refusal = analysis.refused.find((r) => r.join === join);
      throw new ModelError(`'${join}' is not a removable branch${refusal ? `: ${refusal.reason}` : ''}`);
    }
    return br;
  });
  const emptied = emptiedConcat(model, joins);
  if (emptied) throw new ModelError(`removing every input of Concat '${emptied}' would leave it nothing to join: keep at least one`);
  const residual = removeResidual(model, chosen.filter((b) => b.kind === 'residual'));
  const result = removeConcatInputs(residual, chosen.filter((b) => b.kind === 'concat'));
  revalidate(result, joins.join(', '));
  return result;
}

/** `<Concat>:<input>` → the Concat's name and the input's index; null for a residual block's name. */
export function concatInput(join: string): { concat: string; input: number } | null {
  const m = /^(.*):(\d+)$/.exec(join);
  return m ? { concat: m[1]!, input: Number(m[2]) } : null;
}

/** The Concat whose every input `joins` names, if any: removing them all would leave it empty. */
export function emptiedConcat(model: Model, joins: Iterable<string>): string | null {
  const removed = new Map<string, number>();
  for (const j of joins) {
    const c = concatInput(j);
    if (c) removed.set(c.concat, (removed.get(c.concat) ?? 0) + 1);
  }
  for (const [name, k] of removed) {
    const cat = model.graph.nodes.find((n) => n.opType === 'Concat' && nameOf(n) === name);
    if (cat && k >= cat.inputs.filter(Boolean).length) return name;
  }
  return null;
}

function removeResidual(model: Model, branches: Branch[]): Model {
  if (!branches.length) return model;
  let g = model.graph;
  const computed = new Set<string>(), constants = new Set<string>();
  // A removed block's sum is its skip from then on: the next block's skip may be that sum.
  const alias = new Map<string, string>();
  const current = (v: string): string => (alias.has(v) ? current(alias.get(v)!) : v);
  for (const br of branches) {
    const add = g.nodes.find((n) => nameOf(n) === br.join)!;
    const out = add.outputs[0]!, skip = current(br.skip);
    if (g.outputs.some((o) => o.name === out)) g = replaceNode(g, add, [{ ...add, opType: 'Identity', inputs: [skip], attrs: {} }]);
    else {
      g = rewire(removeNodes(g, (n) => n === add), out, skip);
      alias.set(out, skip);
    }
    for (const v of br.values) computed.add(v);
  }
  const inBranch = (n: Node) => n.outputs.some((v) => computed.has(v));
  for (const n of g.nodes) if (inBranch(n)) for (const v of n.inputs) if (v && Object.hasOwn(g.initializers, v)) constants.add(v);
  // The branch's nodes, and constant-making nodes (a Reshape's target, ReLU6's bounds) that only they read.
  g = removeDeadCode(g, { nodes: (n) => inBranch(n) || n.opType === 'Constant', initializers: constants });
  return { ...model, graph: g };
}

/**
 * Concat branches in one shrink, on the model the residual removals left (names stay): each input
 * leaves its Concat and its channel group keeps no channel. One inside a residual block that went
 * has gone with it.
 */
function removeConcatInputs(model: Model, branches: Branch[]): Model {
  const live = branches.filter((br) => model.graph.nodes.some((n) => n.opType === 'Concat' && nameOf(n) === concatInput(br.join)!.concat));
  if (!live.length) return model;
  const an = analyseChannels(model);
  const keep = new Map<number, number[]>();
  for (const br of live) {
    const group = channelGroupOf(an, br.weighted);
    if (!group) throw new ModelError(`the channels of branch '${br.join}' are no longer one group`);
    keep.set(group.id, []);
  }
  // A branch's input enters its Concat once and nothing else reads it (concatBranches checked).
  const leaving = new Set(live.map((br) => br.skip));
  return shrinkChannels(model, keep, undefined, an, {
    edit: (g) => ({ ...g, nodes: g.nodes.map((n) => (n.opType === 'Concat' && n.inputs.some((v) => leaving.has(v)) ? { ...n, inputs: n.inputs.filter((v) => !leaving.has(v)) } : n)) }),
  });
}
