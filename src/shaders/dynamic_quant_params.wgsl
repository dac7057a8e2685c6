// Uses foldRange() from range_fold.wgsl (kernels/dynamic-quant.ts).
// ONNX DynamicQuantizeLinear's parameters for a whole tensor on the uint8 grid, computed where the
// tensor lives so no readback stalls the queue. One workgroup: each thread folds a strided slice
// into (min, max), a tree reduction combines them, and thread 0 writes
//   lo = min(0, min x), hi = max(0, max x), scale = (hi - lo) / 255,
//   zero = clamp(round(0 - lo / scale), 0, 255)   (round = half to even)
// to qparams = (scale, zero, 1 / scale, 0) and to the optional scale/zero outputs (the host binds
// scratch words where the caller wants none). hi == lo (x all zero, or empty) would divide by zero,
// which ONNX leaves undefined; scale 1, zero 0 keeps every consumer finite and maps x to 0.
// NaN in x gives unspecified parameters (WGSL min/max with NaN are implementation-defined).
const WG = 256u;

struct Params {
  count: u32,
  // 255 (qmax - qmin), passed in rather than written as a literal: compilers turn division by a
  // constant into a multiply by its rounded reciprocal, which is not the correctly rounded quotient.
  levels: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> qparams: array<f32>; // 4
@group(0) @binding(3) var<storage, read_write> scaleOut: array<f32>; // 1
@group(0) @binding(4) var<storage, read_write> zeroOut: array<f32>; // 1

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) li: u32) {
  let r = foldRange(li, 0u, params.count);
  if (li == 0u) {
    let a = r.x;
    let b = r.y;
    var scale = 1.0;
    var zero = 0.0;
    if (b > a) {
      scale = (b - a) / params.levels;
      zero = clamp(round(0.0 - a / scale), 0.0, 255.0);
    }
    qparams[0] = scale;
    qparams[1] = zero;
    qparams[2] = 1.0 / scale;
    qparams[3] = 0.0;
    scaleOut[0] = scale;
    zeroOut[0] = zero;
  }
}
