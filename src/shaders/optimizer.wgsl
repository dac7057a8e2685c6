// One optimizer step over a flat f32 parameter buffer, one invocation per element.
// The hyper-parameters sit in a uniform the trainer rewrites each step (queue.writeBuffer), so a
// planned dispatch is reused across steps; the element count sits in a per-dispatch uniform.
//   SGD:   g' = g + wd p (coupled); v = mu v + g'; p -= lr (v, or g' + mu v with Nesterov)
//          decoupled: p -= lr (v + wd p) with the old p.
//   AdamW: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/bc1 / (sqrt(v/bc2) + eps) + wd p)
//          coupled (plain Adam with L2): g' = g + wd p feeds m and v, and no wd term in the step.
// bc1 = 1 - b1^t and bc2 = 1 - b2^t come from the host in float64 (no pow here).
override KIND: u32 = 0u;         // 0 SGD, 1 AdamW
override VELOCITY: bool = true;  // SGD keeps v in state1; without it momentum is ignored
override WG: u32 = 64u;

struct Params { n: u32 }

struct Hyper {
  lr: f32, momentum: f32, beta1: f32, beta2: f32,
  eps: f32, weightDecay: f32, step: f32, bc1: f32,
  bc2: f32, nesterov: u32, decoupled: u32, _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> hyper: Hyper;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> state1: array<f32>; // SGD velocity, Adam m
@group(0) @binding(5) var<storage, read_write> state2: array<f32>; // Adam v

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  let p = param[i];
  let decoupled = hyper.decoupled != 0u;
  let wd = hyper.weightDecay;
  let g = grad[i] + select(wd * p, 0.0, decoupled);
  var update: f32;
  if (KIND == 0u) {
    update = g;
    if (VELOCITY) {
      let v = hyper.momentum * state1[i] + g;
      state1[i] = v;
      update = select(v, g + hyper.momentum * v, hyper.nesterov != 0u);
    }
  } else {
    let m = hyper.beta1 * state1[i] + (1.0 - hyper.beta1) * g;
    let v = hyper.beta2 * state2[i] + (1.0 - hyper.beta2) * g * g;
    state1[i] = m;
    state2[i] = v;
    update = (m / hyper.bc1) / (sqrt(v / hyper.bc2) + hyper.eps);
  }
  if (decoupled) { update += wd * p; }
  param[i] = p - hyper.lr * update;
}
