import { applyActivation, type Activation } from './common';

/** y[i] = act(x[i]) over any shape. */
export function unaryRef(x: Float32Array, act: Activation): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = applyActivation(x[i]!, act);
  return y;
}
