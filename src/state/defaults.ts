/** The bundled default model and dataset (served at /data/ by vite.config.ts's bundledData plugin). */
const base = import.meta.env.BASE_URL;

export const DEFAULT_MODEL = { name: 'lenet-mnist.onnx', url: `${base}data/models/lenet-mnist.onnx` };

/** The default teacher: the CNN the studio trained itself (`npm run train:demo`, fixtures/cnn-studio-mnist.json has its figures). */
export const DEFAULT_TEACHER = { name: 'cnn-studio-mnist.onnx', url: `${base}data/models/cnn-studio-mnist.onnx` };

export const DEFAULT_DATASET = {
  name: 'MNIST test set (10k)',
  files: [
    { name: 't10k-images-idx3-ubyte', url: `${base}data/mnist/t10k-images-idx3-ubyte` },
    { name: 't10k-labels-idx1-ubyte', url: `${base}data/mnist/t10k-labels-idx1-ubyte` },
  ] as const,
};
