import { describe, expect, it } from 'vitest';
import { GraphBuilder, int, tensor, tensorAttr } from './builder';
import { freshNamer, indexGraph, indexNodes, removeDeadCode, removeNodes, replaceNode, revalidate, rewire, unshareConstants } from './graph';
import { planInt8 } from '../compress/quantize-plan';
import { resolveGraph } from './resolve';
import type { Model, Node } from './ir';
import { ModelError } from '../core/errors';

/** x [N,4] → Gemm(w) → h → Relu → y (output); h also feeds Mul(h, h) → sq, read by nobody. */
function net(): Model {
  const b = new GraphBuilder('net', 13);
  const x = b.input('x', 'float32', ['N', 4]);
  const w = b.initializer('w', tensor('float32', [3, 4]));
  const h = b.node('Gemm', [x, w], { transB: int(1) }, { name: 'fc', outputs: ['h'] });
  b.node('Mul', [h, h], {}, { name: 'sq', outputs: ['sq'] });
  b.output(b.node('Relu', [h], {}, { name: 'relu', outputs: ['y'] }), 'float32', ['N', 3]);
  return b.build();
}

const names = (nodes: readonly Node[]) => nodes.map((n) => n.name);

describe('indexGraph', () => {
  it('finds producers, consumers in node order, outputs, use counts and sole readers', () => {
    const g = net().graph;
    const ix = indexGraph(g);
    expect(ix.producer('h')?.name).toBe('fc');
    expect(ix.producer('x')).toBeUndefined(); // a graph input
    expect(ix.producer('w')).toBeUndefined(); // an initializer
    expect(names(ix.consumers('h'))).toEqual(['sq', 'sq', 'relu']); // Mul(h, h) reads it twice
    expect(ix.uses('h')).toBe(3);
    expect(ix.uses('y')).toBe(0);
    expect(ix.consumers('nothing')).toEqual([]);
    expect(ix.isOutput('y')).toBe(true);
    expect(ix.isOutput('h')).toBe(false);
    expect(ix.sole('w')?.name).toBe('fc');
    expect(ix.sole('h')).toBeNull(); // three readers
    expect(ix.sole('y')).toBeNull(); // a graph output
  });

  it('counts a given output (a plan\'s logits) as read from outside', () => {
    const g = net().graph;
    expect(indexNodes(g.nodes).sole('x')?.name).toBe('fc');
    expect(indexNodes(g.nodes, ['x']).sole('x')).toBeNull();
  });
});

describe('freshNamer', () => {
  it('avoids initializers, inputs, outputs, node values and its own earlier names', () => {
    const g = net().graph;
    const fresh = freshNamer(g);
    expect(fresh('w')).toBe('w_1');
    expect(fresh('w')).toBe('w_2');
    expect(fresh('x')).toBe('x_1');
    expect(fresh('y')).toBe('y_1');
    expect(fresh('h')).toBe('h_1');
    expect(fresh('fc')).toBe('fc'); // node names are free unless reserved
    expect(fresh('new')).toBe('new');
    expect(fresh('new')).toBe('new_1');
  });

  it('takes reserved names and a suffix style', () => {
    const g = net().graph;
    expect(freshNamer(g, { reserve: g.nodes.map((n) => n.name) })('fc')).toBe('fc_1');
    const rebatched = freshNamer(g, { suffix: (i) => String(i) });
    expect(rebatched('w')).toBe('w1');
    expect(rebatched('w')).toBe('w2');
  });
});

describe('node rewrites', () => {
  it('replaces a node by nodes in its place, leaving the input graph alone', () => {
    const g = net().graph;
    const relu = g.nodes[2]!;
    const a: Node = { name: 'a', opType: 'Relu', domain: '', inputs: ['h'], outputs: ['t'], attrs: {} };
    const b: Node = { name: 'b', opType: 'Identity', domain: '', inputs: ['t'], outputs: ['y'], attrs: {} };
    const out = replaceNode(g, relu, [a, b]);
    expect(names(out.nodes)).toEqual(['fc', 'sq', 'a', 'b']);
    expect(names(g.nodes)).toEqual(['fc', 'sq', 'relu']);
    expect(() => replaceNode(out, relu, [])).toThrow(/relu.*not in graph/);
  });

  it('rewires every node use of a value, and not the graph outputs', () => {
    const g = net().graph;
    const out = rewire(g, 'h', 'x');
    expect(out.nodes.map((n) => n.inputs)).toEqual([['x', 'w'], ['x', 'x'], ['x']]);
    expect(g.nodes[1]!.inputs).toEqual(['h', 'h']); // the input graph is untouched
    expect(out.nodes[0]).toBe(g.nodes[0]); // nodes that did not read it are shared
    expect(rewire(g, 'y', 'h').outputs.map((o) => o.name)).toEqual(['y']);
  });

  it('removes the nodes picked', () => {
    const g = net().graph;
    expect(names(removeNodes(g, (n) => n.opType === 'Mul').nodes)).toEqual(['fc', 'relu']);
    expect(names(g.nodes)).toEqual(['fc', 'sq', 'relu']);
  });
});

describe('removeDeadCode', () => {
  /** x → a → b → y (output); x → c → d (dead chain); Constant k read by d only; Constant j read by nobody. */
  function chains(): Model {
    const b = new GraphBuilder('chains', 13);
    const x = b.input('x', 'float32', [2]);
    const shared = b.initializer('shared', tensor('float32', [2]));
    const lonely = b.initializer('lonely', tensor('float32', [2]));
    const a = b.node('Add', [x, shared], {}, { name: 'a' });
    b.output(b.node('Relu', [a], {}, { name: 'b', outputs: ['y'] }), 'float32', [2]);
    const k = b.node('Constant', [], { value: tensorAttr(tensor('float32', [2])) }, { name: 'k' });
    b.node('Constant', [], { value: tensorAttr(tensor('float32', [2])) }, { name: 'j' });
    const c = b.node('Mul', [x, shared], {}, { name: 'c' });
    b.node('Sub', [c, k, lonely], {}, { name: 'd' });
    return b.build();
  }

  it('drops nodes that reach no graph output, then constants nobody reads', () => {
    const g = chains().graph;
    const out = removeDeadCode(g);
    expect(names(out.nodes)).toEqual(['a', 'b']); // the graph output's producer and its inputs stay
    expect(Object.keys(out.initializers)).toEqual(['shared']); // still read by 'a', though 'c' went
    expect(names(g.nodes)).toEqual(['a', 'b', 'k', 'j', 'c', 'd']); // the input graph is untouched
    expect(Object.keys(g.initializers)).toEqual(['shared', 'lonely']);
  });

  it('removes only within its scope', () => {
    const g = chains().graph;
    const constants = removeDeadCode(g, { nodes: (n) => n.opType === 'Constant', initializers: ['lonely', 'shared'] });
    expect(names(constants.nodes)).toEqual(['a', 'b', 'k', 'c', 'd']); // k is still read by d
    expect(Object.keys(constants.initializers)).toEqual(['shared', 'lonely']);
    const tail = removeDeadCode(g, { nodes: (n) => n.name === 'd', initializers: [] });
    expect(names(tail.nodes)).toEqual(['a', 'b', 'k', 'j', 'c']); // c is not in scope, so d's inputs stay
    expect(Object.keys(tail.initializers)).toEqual(['shared', 'lonely']);
  });

  it('keeps an initializer a graph output names, and a producer of an output even when an op also reads it', () => {
    const b = new GraphBuilder('out', 13);
    const x = b.input('x', 'float32', [2]);
    const t = b.initializer('t', tensor('float32', [2]));
    const y = b.node('Neg', [x], {}, { name: 'neg', outputs: ['y'] });
    b.output(y, 'float32', [2]);
    b.output(t, 'float32', [2]);
    b.node('Abs', [y], {}, { name: 'dead' });
    const out = removeDeadCode(b.build().graph);
    expect(names(out.nodes)).toEqual(['neg']);
    expect(Object.keys(out.initializers)).toEqual(['t']);
  });
});

describe('revalidate', () => {
  it('resolves a sound rewrite at the first input\'s shape (symbolic dims as 1)', () => {
    const r = revalidate(net());
    expect(r.values.y!.shape).toEqual([1, 3]);
  });

  it('fails with a ModelError naming the rewritten node', () => {
    const m = net();
    const g = m.graph;
    // A Gemm that now reads a weight of the wrong width.
    const bad = { ...g, initializers: { ...g.initializers, w2: tensor('float32', [3, 5]) } };
    const broken: Model = { ...m, graph: replaceNode(bad, g.nodes[0]!, [{ ...g.nodes[0]!, inputs: ['x', 'w2'] }]) };
    const run = () => revalidate(broken, 'fc');
    expect(run).toThrow(ModelError);
    expect(run).toThrow(/rewriting node 'fc' left a graph that does not check: .*fc/);
    expect(() => revalidate({ ...m, graph: rewire(g, 'h', 'gone') }, 'relu')).toThrow(/rewriting node 'relu'.*'gone'/);
    expect(() => revalidate(broken)).toThrow(ModelError); // unnamed: the resolver's own message
  });
});

describe('unshareConstants', () => {
  /** Two convs whose zero biases torch.onnx stored once: conv2 reads Identity(bias1). */
  function shared(): Model {
    const b = new GraphBuilder('shared', 13);
    const x = b.input('x', 'float32', ['N', 2, 4, 4]);
    const w1 = b.initializer('w1', tensor('float32', [2, 2, 1, 1], [1, 0, 0, 1]));
    const w2 = b.initializer('w2', tensor('float32', [2, 2, 1, 1], [0, 1, 1, 0]));
    const bias = b.initializer('bias1', tensor('float32', [2], [0, 0]));
    const h = b.node('Conv', [x, w1, bias], {}, { name: 'conv1' });
    const bias2 = b.node('Identity', [bias], {}, { name: 'dedup', outputs: ['bias2'] });
    b.output(b.node('Conv', [h, w2, bias2], {}, { name: 'conv2' }), 'float32', ['N', 2, 4, 4]);
    return b.build();
  }
  it('gives each use of an Identity-shared initializer its own copy, so both layers are stored (and int8 takes both)', () => {
    const m = shared();
    expect(planInt8(m, { layers: {}, defaultPrecision: 'int8' } as never).skipped).toEqual([{ node: 'conv2', reason: 'its bias is computed at run time' }]);
    const u = unshareConstants(m);
    expect(u.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Conv']);
    expect(u.graph.nodes[1]!.inputs[2]).toBe('bias2');
    expect(Array.from(u.graph.initializers.bias2!.data as Float32Array)).toEqual([0, 0]);
    expect(u.graph.initializers.bias2!.data).not.toBe(u.graph.initializers.bias1!.data);
    expect(planInt8(u, { layers: {}, defaultPrecision: 'int8' } as never).skipped).toEqual([]);
    expect(resolveGraph(u, { x: [1, 2, 4, 4] }).values[u.graph.outputs[0]!.name]!.shape).toEqual([1, 2, 4, 4]);
  });
  it('leaves a model without such Identities as it is, and an Identity that writes a graph output', () => {
    const m = net();
    expect(unshareConstants(m)).toBe(m);
    const b = new GraphBuilder('out', 13);
    b.input('x', 'float32', [1]);
    b.output(b.node('Identity', [b.initializer('c', tensor('float32', [1], [3]))]), 'float32', [1]);
    const o = b.build();
    expect(unshareConstants(o)).toBe(o);
  });
});
