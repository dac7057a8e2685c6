/**
 * The model passes stay linear in the number of nodes: on synthetic conv nets of about 5,000 and
 * 10,000 nodes (residual adds, densenet-style concats, a classifier), each pass reads node fields
 * (counted through a Proxy, not timed) at most a fixed number of times per node, and twice the
 * nodes cost at most about twice the reads. A pass that walked the graph once per node would read
 * tens of millions of fields here.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, int, tensor } from './builder';
import type { Model, Node } from './ir';
import { resolveGraph, topoSort } from './resolve';
import { fuseGraph } from '../engine/fuse';
import { batchMixer, rebatchModel } from './rebatch';
import { analyseChannels } from './channels';
import { findBranches } from './branches';
import { layerStats } from './stats';

const C = 4;

/** About `nodes` nodes: blocks of Conv → Relu → Add(residual); every 8th block concatenates and squeezes back with a 1×1 conv. */
function syntheticNet(nodes: number, batch: number | string = 1): Model {
  const b = new GraphBuilder('synthetic', 13);
  let x = b.input('input', 'float32', [batch, C, 4, 4]);
  const w3 = b.initializer('w3', tensor('float32', [C, C, 3, 3], new Array(C * C * 9).fill(0.01)));
  const w1 = b.initializer('w1', tensor('float32', [C, 2 * C, 1, 1], new Array(2 * C * C).fill(0.1)));
  let block = 0, made = 0, before = x;
  while (made < nodes) {
    const y = b.node('Relu', [b.node('Conv', [x, w3], { pads: { type: 'ints', value: [1, 1, 1, 1] } })]);
    x = b.node('Add', [y, x]);
    made += 3;
    if (++block % 8 === 0) {
      x = b.node('Conv', [b.node('Concat', [x, before], { axis: int(1) }), w1]);
      before = x;
      made += 2;
    }
  }
  const fc = b.initializer('fc', tensor('float32', [10, C], new Array(10 * C).fill(0.1)));
  b.output(b.node('Gemm', [b.node('Flatten', [b.node('GlobalAveragePool', [x])]), fc], { transB: int(1) }), 'float32', [batch, 10]);
  return b.build();
}

/** The model with every node behind a Proxy that counts reads of its fields into `reads.n`. */
function counted(model: Model, reads: { n: number }): Model {
  const wrap = (n: Node) => new Proxy(n, { get(t, k, r) { reads.n++; return Reflect.get(t, k, r); } });
  return { ...model, graph: { ...model.graph, nodes: model.graph.nodes.map(wrap) } };
}

const PASSES: Record<string, (m: Model) => unknown> = {
  topoSort: (m) => topoSort(m.graph.nodes, new Set([...m.graph.inputs.map((i) => i.name), ...Object.keys(m.graph.initializers)])),
  resolve: (m) => resolveGraph(m, { input: [1, C, 4, 4] }),
  fuse: (m) => fuseGraph(resolveGraph(m, { input: [1, C, 4, 4] }), m.opset),
  stats: (m) => layerStats(m, resolveGraph(m, { input: [1, C, 4, 4] })),
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
