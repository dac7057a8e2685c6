/**
 * Finishes the CIFAR-10 fixtures fixtures/train_cifar10.py exports:
 * - writes into cifar10-teacher.onnx's metadata_props what the exporter could not: its
 *   preprocessing (`preprocessing`: the studio's spec fields, timm's names) and class names
 *   (`classes`), as a user's exporter may (the weights stay as they are);
 * - writes cifar10-teacher-fp16.onnx: the same model in float16, every initializer, graph input,
 *   output and value float16 (what onnxconverter-common's convert_float_to_float16 with
 *   keep_io_types=False makes), which onnxruntime-node computes in float16.
 *   npm run fixtures:cifar
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { importOnnx } from '../src/model/onnx-import';
import { exportOnnx } from '../src/model/onnx-export';
import type { Model, ValueInfo } from '../src/model/ir';

const info = JSON.parse(readFileSync('fixtures/cifar10.json', 'utf8'))['cifar10-teacher.onnx'] as { mean: number[]; std: number[]; classes: string[] };
const src = importOnnx(new Uint8Array(readFileSync('fixtures/cifar10-teacher.onnx')), 'cifar10-teacher.onnx');
src.metadata = {
  preprocessing: JSON.stringify({ input_size: [3, 32, 32], interpolation: 'bilinear', crop_pct: 1, crop_mode: 'center', mean: info.mean, std: info.std, channel_order: 'RGB', layout: 'NCHW' }),
  classes: JSON.stringify(info.classes),
};
writeFileSync('fixtures/cifar10-teacher.onnx', exportOnnx(src));
const half = (v: ValueInfo): ValueInfo => (v.dtype === 'float32' ? { ...v, dtype: 'float16' } : v);
const g = src.graph;
const model: Model = {
  ...src,
  producer: 'studio scripts/write-half-model.ts',
  graph: {
    ...g,
    inputs: g.inputs.map(half), outputs: g.outputs.map(half),
    valueInfo: Object.fromEntries(Object.entries(g.valueInfo).map(([k, v]) => [k, half(v)])),
    initializers: Object.fromEntries(Object.entries(g.initializers).map(([k, t]) => [k, t.dtype === 'float32' ? { ...t, dtype: 'float16' } : t])),
  },
};
const bytes = exportOnnx(model);
writeFileSync('fixtures/cifar10-teacher-fp16.onnx', bytes);
console.log(`wrote fixtures/cifar10-teacher-fp16.onnx (${bytes.length} bytes)`);
