/**
 * For tests (Node, e2e): the bundled LeNet rewritten as exporters without `dynamic_axes` write it.
 * `bakedReshape`: input [1,1,28,28] and Flatten replaced by Reshape(x, [1, 400]) (re-batchable);
 * `tiedBatch`: the same plus a [1,1] constant concatenated to the logits, which ties the batch to 1.
 */
import { tensor } from './builder';
import type { Model } from './ir';

const FLATTEN = '/classifier/classifier.0/Flatten';

export function bakedReshape(lenet: Model): Model {
  const m = structuredClone(lenet);
  m.graph.inputs[0]!.shape = [1, 1, 28, 28];
  m.graph.outputs[0]!.shape = [1, 10];
  m.graph.initializers.flat_shape = tensor('int64', [2], [1, 400]);
  const n = m.graph.nodes.find((x) => x.name === FLATTEN);
  if (!n) throw new Error(`the LeNet fixture has no node '${FLATTEN}'`);
  Object.assign(n, { name: 'flatten_baked', opType: 'Reshape', inputs: [n.inputs[0]!, 'flat_shape'], attrs: {} });
  return m;
}

export function tiedBatch(lenet: Model): Model {
  const m = bakedReshape(lenet);
  m.graph.initializers.extra = tensor('float32', [1, 1], [-1e9]); // an 11th class nobody picks
  const last = m.graph.nodes.at(-1)!;
  last.outputs = ['logits10'];
  m.graph.nodes.push({ name: 'tie_batch', opType: 'Concat', domain: '', inputs: ['logits10', 'extra'], outputs: ['logits'], attrs: { axis: { type: 'int', value: 1 } } });
  m.graph.outputs[0]!.shape = [1, 11];
  return m;
}

