/**
 * Residual branches: the layers a residual block adds to its identity shortcut, y = x + f(x).
 * Removing f leaves y = x, so the whole block goes and the model keeps its shapes (the deep-network
 * "drop a block" of Veit et al. 2016 and of stochastic depth; block pruning in Torch-Pruning's terms).
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
import { indexGraph, removeDeadCode, removeNodes, replaceNode, revalidate, rewire } from './graph';

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export interface ResidualBranch {
  /** The Add that closes the block; its output becomes the skip when the branch goes. */
  add: string;
  /** The shortcut value (the block's input). */
  skip: string;
  /** The branch's nodes in graph order, and the weighted layers among them. */
  nodes: string[];
  weighted: string[];
  /** The values the branch computes (what identifies its nodes, whose names may be empty). */
  values: string[];
}

export interface BranchAnalysis {
  branches: ResidualBranch[];
  /** Adds of two computed values that are not removable blocks, with the reason. */
  refused: { add: string; reason: string }[];
}

const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined) =>
  !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

/** The residual branches of `model` that could be removed, and the Adds that are not such blocks. */
export function residualBranches(model: Model): BranchAnalysis {
  const g = model.graph;
  const index = indexGraph(g);
  const resolved = revalidate(model);
  const constant = (v: string) => Object.hasOwn(g.initializers, v) || Object.hasOwn(resolved.constants, v);
  const order = new Map(g.nodes.map((n, i) => [n, i]));

  /** The nodes between `skip` and `out` (walking back from `out`), or why there are none. */
  const between = (skip: string, out: string): Set<Node> | string => {
    const seen = new Set<Node>();
    const work = [out];
    while (work.length) {
      const v = work.pop()!;
      if (!v || v === skip || constant(v)) continue;
      const p = index.producer(v);
      if (!p) return `'${out}' depends on '${v}', which does not come from '${skip}'`;
      if (seen.has(p)) continue;
      seen.add(p);
      work.push(...p.inputs);
    }
    return seen;
  };

  const branches: ResidualBranch[] = [], refused: BranchAnalysis['refused'] = [];
  for (const add of g.nodes) {
    if (add.opType !== 'Add' || add.domain !== '' || add.inputs.length !== 2) continue;
    const [a, b] = add.inputs as [string, string];
    if (!a || !b || constant(a) || constant(b) || a === b) continue; // a bias, or x + x: not a block
    const name = add.name || add.outputs[0]!;
    // Why each side is not a block; a side that reached its skip knows better than one that did not.
    let found: ResidualBranch | null = null, why = '', structural = false;
    for (const [skip, out] of [[a, b], [b, a]] as const) {
      const nodes = between(skip, out);
      if (typeof nodes === 'string') { if (!structural) why ||= nodes; continue; }
      structural = true;
      const weighted = [...nodes].filter((n) => WEIGHTED.has(n.opType));
      if (!weighted.length) { why = `its branch from '${skip}' has no weighted layer`; continue; }
      const escape = [...nodes].flatMap((n) => n.outputs.filter(Boolean).map((v) => ({ v, by: index.consumers(v).find((c) => c !== add && !nodes.has(c)) ?? (index.isOutput(v) ? 'out' : null) })))
        .find((e) => e.by);
      if (escape) { why = `the branch's value '${escape.v}' is also read ${escape.by === 'out' ? 'as a model output' : `by '${(escape.by as Node).name}'`} outside the block`; continue; }
      if (!sameShape(resolved.values[skip]?.shape, resolved.values[add.outputs[0]!]?.shape)) {
        why = `the sum's shape [${resolved.values[add.outputs[0]!]?.shape}] is not the shortcut's [${resolved.values[skip]?.shape}]`;
        continue;
      }
      const sorted = [...nodes].sort((x, y) => order.get(x)! - order.get(y)!);
      found = {
        add: name, skip, nodes: sorted.map((n) => n.name || n.outputs[0]!), weighted: sorted.filter((n) => WEIGHTED.has(n.opType)).map((n) => n.name || n.outputs[0]!),
        values: sorted.flatMap((n) => n.outputs.filter(Boolean)),
      };
      break;
    }
    if (found) branches.push(found);
    else {
      // Both operands computed by layers of their own: a projection shortcut, not an identity.
      const shortcut = structural ? undefined : [a, b].map((v) => index.producer(v)).find((p) => p && WEIGHTED.has(p.opType));
      refused.push({ add: name, reason: shortcut ? `its shortcut is computed by ${shortcut.opType} '${shortcut.name}', not an identity: without the branch the block would change what it outputs` : why });
    }
  }
  // A branch holding another block's Add is an outer block; the inner ones are removed one at a time.
  const adds = new Set(branches.map((br) => br.add));
  const nested = branches.filter((br) => br.nodes.some((n) => adds.has(n)));
  for (const br of nested) refused.push({ add: br.add, reason: `its branch holds the residual block '${br.nodes.find((n) => adds.has(n))}'; its inner blocks are removed one by one` });
  return { branches: branches.filter((br) => !nested.includes(br)), refused };
}

/**
 * `model` without the branches of the named Adds: each Add's readers read its skip instead (an
 * Identity keeps the name where the sum is a model output), then the branch's nodes and the
 * constants only they read go. The result is re-checked by shape inference.
 */
export function removeBranches(model: Model, adds: readonly string[], analysis = residualBranches(model)): Model {
  let g = model.graph;
  const computed = new Set<string>(), constants = new Set<string>();
  // A removed block's sum is its skip from then on: the next block's skip may be that sum.
  const alias = new Map<string, string>();
  const current = (v: string): string => (alias.has(v) ? current(alias.get(v)!) : v);
  for (const name of adds) {
    const br = analysis.branches.find((x) => x.add === name);
    if (!br) {
      const refusal = analysis.refused.find((r) => r.add === name);
      throw new ModelError(`'${name}' is not a removable residual block${refusal ? `: ${refusal.reason}` : ''}`);
    }
    const add = g.nodes.find((n) => (n.name || n.outputs[0]) === name)!;
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
  // The branch's nodes, and constant-making nodes (a Reshape's target, say) that only they read.
  const isConstantMaker = (n: Node) => n.opType === 'Constant';
  g = removeDeadCode(g, { nodes: (n) => inBranch(n) || isConstantMaker(n), initializers: constants });
  const result = { ...model, graph: g };
  revalidate(result, adds.join(', '));
  return result;
}
