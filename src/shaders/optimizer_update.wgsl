// The optimizer update shared by optimizer.wgsl and optimizer_pair.wgsl (kernels/optimizer.ts
// composes this file in front of either).
//   SGD:   g' = g + wd p (coupled); v = mu v + g'; p -= lr (v, or g' + mu v with Nesterov)
//          decoupled: p -= lr (v + wd p) with the old p.
//   AdamW: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/bc1 / (sqrt(v/bc2) + eps) + wd p)
//          coupled (plain Adam with L2): g' = g + wd p feeds m and v, and no wd term in the step.
// bc1 = 1 - b1^t and bc2 = 1 - b2^t come from the host in float64 (no pow here).
override KIND: u32 = 0u;         // 0 SGD, 1 AdamW
override VELOCITY: bool = true;  // SGD keeps v in state1; without it momentum is ignored
override WG: u32 = 64u;

struct Hyper {
  lr: f32, momentum: f32, beta1: f32, beta2: f32,
  eps: f32, weightDecay: f32, step: f32, bc1: f32,
  bc2: f32, nesterov: u32, decoupled: u32, _pad: u32,
}

/** One element's new parameter and optimizer state (s1: SGD velocity or Adam m; s2: Adam v). */
struct Updated { p: f32, s1: f32, s2: f32 }

fn optimizerUpdate(h: Hyper, p: f32, grad: f32, s1: f32, s2: f32) -> Updated {
  let decoupled = h.decoupled != 0u;
  let wd = h.weightDecay;
  let g = grad + select(wd * p, 0.0, decoupled);
  var out = Updated(p, s1, s2);
  var update: f32;
  if (KIND == 0u) {
    update = g;
    if (VELOCITY) {
      let v = h.momentum * s1 + g;
      out.s1 = v;
      update = select(v, g + h.momentum * v, h.nesterov != 0u);
    }
  } else {
    let m = h.beta1 * s1 + (1.0 - h.beta1) * g;
    let v = h.beta2 * s2 + (1.0 - h.beta2) * g * g;
    out.s1 = m;
    out.s2 = v;
    update = (m / h.bc1) / (sqrt(v / h.bc2) + h.eps);
  }
  if (decoupled) { update += wd * p; }
  out.p = p - h.lr * update;
  return out;
}
