import { applyActivation, type Activation } from './common';

/** y = act(x * scale[c] + shift[c]); xShape is (N, C, spatial...) or (N, C). */
export function channelAffineRef(
  x: Float32Array, xShape: number[], scale: Float32Array, shift: Float32Array, act: Activation,
): Float32Array {
  const C = xShape[1]!; // (N, C, ...)
  const spatial = xShape.slice(2).reduce((a, b) => a * b, 1);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / spatial) % C;
    y[i] = applyActivation(x[i]! * scale[c]! + shift[c]!, act);
  }
  return y;
}

/** ONNX BatchNormalization at inference, straight from its formula: (x - mean) / sqrt(var + eps) * gamma + beta. */
export function batchNormRef(
  x: Float32Array, xShape: number[], gamma: Float32Array, beta: Float32Array, mean: Float32Array,
  variance: Float32Array, epsilon: number,
): Float32Array {
  const C = xShape[1]!; // (N, C, ...)
  const spatial = xShape.slice(2).reduce((a, b) => a * b, 1);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / spatial) % C;
    y[i] = ((x[i]! - mean[c]!) / Math.sqrt(variance[c]! + epsilon)) * gamma[c]! + beta[c]!;
  }
  return y;
}
