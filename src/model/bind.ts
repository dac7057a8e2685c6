/** Turning graph inputs into constants: a model specialised on known values of some inputs. */
import type { Model, TensorData } from './ir';

/**
 * A copy of `model` whose inputs named in `values` become initializers. Integer inputs (shapes,
 * axes, indices) are shape data, not activations: binding them lets constant folding resolve the
 * graph, as an exporter would have done had it baked them in.
 */
export function bindInputs(model: Model, values: Record<string, TensorData>): Model {
  const graph = model.graph;
  return {
    ...model,
    graph: {
      ...graph,
      inputs: graph.inputs.filter((i) => !(i.name in values)),
      initializers: { ...graph.initializers, ...values },
    },
  };
}
