/**
 * Calibration: how a tensor's observed values become a quantization range. Min-max keeps every
 * value; percentile clips the tails the user names; MSE searches the clipping threshold that
 * minimises the quantization error over the observed values (a histogram, as TensorRT/ORT do).
 */
export type CalibrationMethod = 'minmax' | 'percentile' | 'mse';

export interface Range { min: number; max: number }

/** Running statistics of one tensor: exact min/max and a bounded reservoir of values for the others. */
export class Observer {
  min = Infinity;
  max = -Infinity;
  private readonly sample: number[] = [];
  private seen = 0;
  constructor(private readonly capacity = 200_000, private seed = 12345) {}

  add(values: Float32Array): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      // Reservoir sampling keeps a uniform sample however many values pass.
      this.seen++;
      if (this.sample.length < this.capacity) this.sample.push(v);
      else {
        this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
        const j = this.seed % this.seen;
        if (j < this.capacity) this.sample[j] = v;
      }
    }
  }

  range(method: CalibrationMethod, percentile = 99.99): Range {
    if (!Number.isFinite(this.min)) return { min: 0, max: 0 };
    if (method === 'minmax') return { min: this.min, max: this.max };
    const sorted = Float64Array.from(this.sample).sort();
    if (method === 'percentile') {
      const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))]!;
      return { min: Math.min(0, at(100 - percentile)), max: Math.max(0, at(percentile)) };
    }
    return mseRange(sorted, this.min, this.max);
  }
}

/** Quantization error of clipping to [lo, hi] with 255 steps, over the sorted sample. */
function quantError(sorted: Float64Array, lo: number, hi: number): number {
  const scale = (hi - lo) / 255 || 1;
  let err = 0;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    const c = Math.min(hi, Math.max(lo, v));
    const q = lo + Math.round((c - lo) / scale) * scale;
    err += (v - q) * (v - q);
  }
  return err;
}

/** Shrinks [min, max] toward zero in 1 % steps and keeps the range with the least squared error. */
function mseRange(sorted: Float64Array, min: number, max: number): Range {
  let best = { min: Math.min(0, min), max: Math.max(0, max) };
  let bestErr = quantError(sorted, best.min, best.max);
  for (let f = 0.99; f >= 0.3; f -= 0.01) {
    const lo = Math.min(0, min) * f, hi = Math.max(0, max) * f;
    const e = quantError(sorted, lo, hi);
    if (e < bestErr) { bestErr = e; best = { min: lo, max: hi }; }
  }
  return best;
}

export interface QuantParams { scale: number; zero: number }

/** int8 parameters for a range: asymmetric uses all 256 levels with a zero point; symmetric keeps zero at 0. */
export function int8Params(r: Range, symmetric: boolean): QuantParams {
  const lo = Math.min(0, r.min), hi = Math.max(0, r.max); // real 0 must be exact (padding, ReLU)
  if (symmetric) {
    const m = Math.max(-lo, hi);
    return { scale: m > 0 ? m / 127 : 1, zero: 0 };
  }
  if (hi - lo <= 0) return { scale: 1, zero: 0 };
  const scale = (hi - lo) / 255;
  const zero = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
  return { scale, zero };
}
