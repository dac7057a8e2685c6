// Local response normalisation across channels (AlexNet, older zoo CNNs), x viewed as (N, C, S):
//   y = x / (bias + alpha / size * sum of x^2 over channels [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta
override WG: u32 = 256u;

struct Params {
  count: u32,
  channels: u32,
  spatial: u32, // product of the dims after C
  size: u32,
  alpha: f32,
  beta: f32,
  bias: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let S = params.spatial;
  let C = i32(params.channels);
  let c = i32((i / S) % params.channels);
  let base = i - u32(c) * S; // element (n, 0, s)
  let lo = max(c - i32((params.size - 1u) / 2u), 0);
  let hi = min(c + i32(params.size / 2u), C - 1); // ceil((size-1)/2) = floor(size/2)
  var sq = 0.0;
  for (var k = lo; k <= hi; k++) {
    let v = x[base + u32(k) * S];
    sq += v * v;
  }
  y[i] = x[i] / pow(params.bias + params.alpha / f32(params.size) * sq, params.beta);
}
