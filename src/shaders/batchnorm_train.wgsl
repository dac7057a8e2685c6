// BatchNormalization forward in training mode (ONNX training_mode=1) over (N, C, spatial...):
// one workgroup per channel reduces its M = N * S values in shared memory, two passes (mean, then
// squared deviations) so the variance does not lose digits to E[x^2] - E[x]^2.
// y = gamma * (x - mean) * invStd + beta with the biased batch variance; saved = [mean; invStd]
// for the backward; the running stats are updated in place:
//   running = momentum * running + (1 - momentum) * batch   (ONNX's momentum, default 0.9)
// runningVar takes the UNBIASED batch variance (var * M / (M - 1)) as PyTorch does; ONNX's
// reference uses the biased one. With M == 1 there is no unbiased estimate and the biased (0) is used.
override WG: u32 = 256u; // a power of two, at most 256 (the shared array's size)

struct Params {
  N: u32,
  C: u32,
  S: u32, // spatial elements per (n, c); 1 for (N, C) input
  epsilon: f32,
  momentum: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;               // (N, C, S)
@group(0) @binding(2) var<storage, read> gamma: array<f32>;           // (C)
@group(0) @binding(3) var<storage, read> beta: array<f32>;            // (C)
@group(0) @binding(4) var<storage, read_write> y: array<f32>;         // (N, C, S)
@group(0) @binding(5) var<storage, read_write> saved: array<f32>;     // (2, C): mean, then invStd
@group(0) @binding(6) var<storage, read_write> runningMean: array<f32>; // (C), updated in place
@group(0) @binding(7) var<storage, read_write> runningVar: array<f32>;  // (C), updated in place

var<workgroup> partial: array<f32, 256>;

// Sum of every invocation's v; call from uniform control flow.
fn workgroupSum(lid: u32, v: f32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier(); // everyone has read partial[0] before it is reused
  return total;
}

fn offsetOf(c: u32, j: u32) -> u32 {
  return ((j / params.S) * params.C + c) * params.S + j % params.S;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  // The channel is uniform across the workgroup, so the early return keeps barriers uniform.
  let c = wid.x + wid.y * nwg.x;
  if (c >= params.C) { return; }
  let M = params.N * params.S;

  var s = 0.0;
  for (var j = lid; j < M; j += WG) { s += x[offsetOf(c, j)]; }
  let mean = workgroupSum(lid, s) / f32(M);

  var q = 0.0;
  for (var j = lid; j < M; j += WG) { let d = x[offsetOf(c, j)] - mean; q += d * d; }
  let variance = workgroupSum(lid, q) / f32(M);

  let invStd = 1.0 / sqrt(variance + params.epsilon);
  let scale = gamma[c] * invStd;
  let shift = beta[c] - mean * scale;
  for (var j = lid; j < M; j += WG) {
    let o = offsetOf(c, j);
    y[o] = x[o] * scale + shift;
  }
  if (lid == 0u) {
    saved[c] = mean;
    saved[params.C + c] = invStd;
    let unbiased = select(variance, variance * f32(M) / f32(M - 1u), M > 1u);
    let m = params.momentum;
    runningMean[c] = m * runningMean[c] + (1.0 - m) * mean;
    runningVar[c] = m * runningVar[c] + (1.0 - m) * unbiased;
  }
}
