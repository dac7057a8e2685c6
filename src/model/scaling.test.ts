/**
 * The model passes stay linear in the number of nodes: on synthetic conv nets of about 5,000 and
 * 10,000 nodes (residual adds, densenet-style concats, a classifier), each pass reads node fields
 * (counted through a Proxy, not timed) at most a fixed number of times per node, and twice the
 * nodes cost at most about twice the reads. A pass that walked the graph once per node would read
 * tens of millions of fields here.
 */
import { describe, expect, it } from 'vitest';
import { syntheticNet, SYNTHETIC_INPUT } from './synthetic-net';
import type { Model, Node } from './ir';
import { resolveGraph, topoSort } from './resolve';
import { fuseGraph } from '../engine/fuse';
import { batchMixer, rebatchModel } from './rebatch';
import { analyseChannels } from './channels';
import { findBranches } from './branches';
import { layerStats } from './stats';

/** The model with every node behind a Proxy that counts reads of its fields into `reads.n`. */
function counted(model: Model, reads: { n: number }): Model {
  const wrap = (n: Node) => new Proxy(n, { get(t, k, r) { reads.n++; return Reflect.get(t, k, r); } });
  return { ...model, graph: { ...model.graph, nodes: model.graph.nodes.map(wrap) } };
}

const PASSES: Record<string, (m: Model) => unknown> = {
  topoSort: (m) => topoSort(m.graph.nodes, new Set([...m.graph.inputs.map((i) => i.name), ...Object.keys(m.graph.initializers)])),
  resolve: (m) => resolveGraph(m, { input: SYNTHETIC_INPUT }),
  fuse: (m) => fuseGraph(resolveGraph(m, { input: SYNTHETIC_INPUT }), m.opset),
  stats: (m) => layerStats(m, resolveGraph(m, { input: SYNTHETIC_INPUT })),
  rebatch: (m) => batchMixer(rebatchModel(m).model),
  channels: (m) => analyseChannels(m),
  branches: (m) => findBranches(m),
};

function readsPerPass(nodes: number): Record<string, { nodes: number; reads: number }> {
  const model = syntheticNet(nodes);
  const out: Record<string, { nodes: number; reads: number }> = {};
  for (const [name, pass] of Object.entries(PASSES)) {
    const reads = { n: 0 };
    pass(counted(model, reads));
    out[name] = { nodes: model.graph.nodes.length, reads: reads.n };
  }
  return out;
}

describe('model passes on 5,000 and 10,000 nodes', () => {
  const small = readsPerPass(5_000), large = readsPerPass(10_000);
  it.each(Object.keys(PASSES))('%s reads each node a bounded number of times, linearly', (name) => {
    const s = small[name]!, l = large[name]!;
    expect(l.nodes).toBeGreaterThanOrEqual(10_000);
    expect(l.reads / l.nodes).toBeLessThan(READS_PER_NODE);
    expect(l.reads / s.reads).toBeLessThan(1.1 * (l.nodes / s.nodes));
  });
});

/** Measured 2026-12-06: 5 (topoSort) to 104 (re-batching: shape inference at three batches); findBranches read 188 and grew as N^1.5 before its walks were bounded. */
const READS_PER_NODE = 150;
