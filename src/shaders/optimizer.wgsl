// Uses optimizerUpdate(), Hyper and the overrides from optimizer_update.wgsl.
// One optimizer step over a flat f32 parameter buffer, one invocation per element.
// The hyper-parameters sit in a uniform the trainer rewrites each step (queue.writeBuffer), so a
// planned dispatch is reused across steps; the element count sits in a per-dispatch uniform.

struct Params { n: u32 }

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
  // State is read only where the variant has it (SGD without velocity binds 16-byte stand-ins).
  var s1 = 0.0;
  var s2 = 0.0;
  if (KIND == 1u || VELOCITY) { s1 = state1[i]; }
  if (KIND == 1u) { s2 = state2[i]; }
  let u = optimizerUpdate(hyper, param[i], grad[i], s1, s2);
  param[i] = u.p;
  if (KIND == 1u || VELOCITY) { state1[i] = u.s1; }
  if (KIND == 1u) { state2[i] = u.s2; }
}
