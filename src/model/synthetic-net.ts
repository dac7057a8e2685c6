/**
 * For tests: a conv net of about `nodes` nodes, the shapes of the big zoo graphs in miniature: blocks
 * of Conv → Relu → Add (a residual), every 8th block a densenet-style Concat with the block input
 * and a 1×1 Conv back to C channels; GlobalAveragePool, Flatten and a Gemm to 10 classes. Seeded
 * weights, small enough that the sum stays in range over thousands of blocks.
 */
import { randomFloats } from '../core/rng';
import { GraphBuilder, int, tensor } from './builder';
import type { Model } from './ir';

const C = 4;
/** The input shape at batch 1. */
export const SYNTHETIC_INPUT = [1, C, 4, 4];

export function syntheticNet(nodes: number, batch: number | string = 1): Model {
  const b = new GraphBuilder('synthetic', 13);
  let x = b.input('input', 'float32', [batch, C, 4, 4]);
  const weights = (name: string, dims: number[], scale: number, seed: number) =>
    b.initializer(name, tensor('float32', dims, Array.from(randomFloats(dims.reduce((a, d) => a * d, 1), seed), (v) => v * scale)));
  const w3 = weights('w3', [C, C, 3, 3], 0.05, 1), w1 = weights('w1', [C, 2 * C, 1, 1], 0.3, 2);
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
  const fc = weights('fc', [10, C], 0.5, 3);
  b.output(b.node('Gemm', [b.node('Flatten', [b.node('GlobalAveragePool', [x])]), fc], { transB: int(1) }), 'float32', [batch, 10]);
  return b.build();
}
