// BatchNormalization backward in training mode, from the forward's saved [mean; invStd]
// (batchnorm_train.wgsl). One workgroup per channel: with xh = (x - mean) * invStd and M = N * S,
//   dbeta = sum(dy), dgamma = sum(dy * xh), dx = gamma * invStd / M * (M * dy - dbeta - xh * dgamma)
// dx carries the paths through the batch mean and variance, not just gamma * invStd * dy.
override WG: u32 = 256u; // a power of two, at most 256 (the shared array's size)

struct Params {
  N: u32,
  C: u32,
  S: u32, // spatial elements per (n, c); 1 for (N, C) input
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;              // (N, C, S)
@group(0) @binding(2) var<storage, read> dy: array<f32>;             // (N, C, S)
@group(0) @binding(3) var<storage, read> gamma: array<f32>;          // (C)
@group(0) @binding(4) var<storage, read> saved: array<f32>;          // (2, C): mean, then invStd
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;       // (N, C, S)
@group(0) @binding(6) var<storage, read_write> dgamma: array<f32>;   // (C)
@group(0) @binding(7) var<storage, read_write> dbeta: array<f32>;    // (C)

var<workgroup> partial: array<vec2<f32>, 256>;

fn offsetOf(c: u32, j: u32) -> u32 {
  return ((j / params.S) * params.C + c) * params.S + j % params.S;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= params.C) { return; } // uniform per workgroup, so the barriers stay uniform
  let M = params.N * params.S;
  let mean = saved[c];
  let invStd = saved[params.C + c];

  // Both sums in one reduction: (sum dy, sum dy * xh).
  var s = vec2<f32>(0.0);
  for (var j = lid; j < M; j += WG) {
    let o = offsetOf(c, j);
    let g = dy[o];
    s += vec2<f32>(g, g * (x[o] - mean) * invStd);
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  let db = partial[0].x;
  let dg = partial[0].y;

  let k = gamma[c] * invStd / f32(M);
  let fM = f32(M);
  for (var j = lid; j < M; j += WG) {
    let o = offsetOf(c, j);
    let xh = (x[o] - mean) * invStd;
    dx[o] = k * (fM * dy[o] - db - xh * dg);
  }
  if (lid == 0u) {
    dgamma[c] = dg;
    dbeta[c] = db;
  }
}
