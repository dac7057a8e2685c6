// `vite-node scripts/write-e2e-models.ts <dir>`: the models the e2e specs drop into the page, built with
// the studio's own builder and exporter (the specs' loader cannot import onnx-proto's CommonJS build):
// LeNet as exporters without dynamic_axes write it (src/model/fixed-batch-testing.ts), a model whose
// only layer is a MatMul (nothing to quantize), and one whose first Gemm has alpha 0.5 (refused by int8 and binary).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { importOnnx } from '../src/model/onnx-import';
import { exportOnnx } from '../src/model/onnx-export';
import { GraphBuilder, float, tensor } from '../src/model/builder';
import { bakedReshape, tiedBatch } from '../src/model/fixed-batch-testing';

const dir = process.argv[2] ?? 'test-results/e2e-models';
mkdirSync(dir, { recursive: true });
const lenet = importOnnx(new Uint8Array(readFileSync('fixtures/lenet-mnist.onnx')));
writeFileSync(`${dir}/lenet-baked-reshape.onnx`, exportOnnx(bakedReshape(lenet)));
writeFileSync(`${dir}/lenet-tied-batch.onnx`, exportOnnx(tiedBatch(lenet)));

{
  const b = new GraphBuilder('matmul-only', 13);
  const x = b.input('x', 'float32', ['N', 1, 28, 28]);
  const w = b.initializer('w', tensor('float32', [784, 10], Array.from({ length: 7840 }, (_, i) => ((i * 37) % 11) / 50 - 0.1)));
  b.output(b.node('MatMul', [b.node('Flatten', [x]), w]), 'float32', ['N', 10]);
  writeFileSync(`${dir}/matmul-only.onnx`, exportOnnx(b.build()));
}
{
  const b = new GraphBuilder('scaled-gemm', 13);
  const x = b.input('x', 'float32', ['N', 1, 28, 28]);
  const w1 = b.initializer('w1', tensor('float32', [784, 32], Array.from({ length: 784 * 32 }, (_, i) => ((i * 37) % 11) / 50 - 0.1)));
  const w2 = b.initializer('w2', tensor('float32', [32, 10], Array.from({ length: 320 }, (_, i) => ((i * 13) % 7) / 20 - 0.15)));
  const h = b.node('Relu', [b.node('Gemm', [b.node('Flatten', [x]), w1], { alpha: float(0.5) }, { name: 'scaled' })]);
  b.output(b.node('Gemm', [h, w2], {}, { name: 'plain' }), 'float32', ['N', 10]);
  writeFileSync(`${dir}/scaled-gemm.onnx`, exportOnnx(b.build()));
}
