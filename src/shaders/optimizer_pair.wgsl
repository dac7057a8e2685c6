// Uses optimizerUpdate(), Hyper and the overrides from optimizer_update.wgsl.
// optimizer.wgsl for two parameters in one dispatch (a layer's weight and bias, each with its own
// hyper uniform: weight decay applies to weights only): invocations [0, nA) update A, [nA, nA + nB)
// update B. Half the dispatches of a step's optimizer, which a software adapter pays for per dispatch.

struct Params { nA: u32, nB: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> hyperA: Hyper;
@group(0) @binding(2) var<uniform> hyperB: Hyper;
@group(0) @binding(3) var<storage, read_write> paramA: array<f32>;
@group(0) @binding(4) var<storage, read> gradA: array<f32>;
@group(0) @binding(5) var<storage, read_write> state1A: array<f32>;
@group(0) @binding(6) var<storage, read_write> state2A: array<f32>;
@group(0) @binding(7) var<storage, read_write> paramB: array<f32>;
@group(0) @binding(8) var<storage, read> gradB: array<f32>;
@group(0) @binding(9) var<storage, read_write> state1B: array<f32>;
@group(0) @binding(10) var<storage, read_write> state2B: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i < params.nA) {
    var s1 = 0.0;
    var s2 = 0.0;
    if (KIND == 1u || VELOCITY) { s1 = state1A[i]; }
    if (KIND == 1u) { s2 = state2A[i]; }
    let u = optimizerUpdate(hyperA, paramA[i], gradA[i], s1, s2);
    paramA[i] = u.p;
    if (KIND == 1u || VELOCITY) { state1A[i] = u.s1; }
    if (KIND == 1u) { state2A[i] = u.s2; }
  } else if (i < params.nA + params.nB) {
    let j = i - params.nA;
    var s1 = 0.0;
    var s2 = 0.0;
    if (KIND == 1u || VELOCITY) { s1 = state1B[j]; }
    if (KIND == 1u) { s2 = state2B[j]; }
    let u = optimizerUpdate(hyperB, paramB[j], gradB[j], s1, s2);
    paramB[j] = u.p;
    if (KIND == 1u || VELOCITY) { state1B[j] = u.s1; }
    if (KIND == 1u) { state2B[j] = u.s2; }
  }
}
