// db[c] = sum over n and s of dy[(n*C + c)*S + s]: the bias gradient of Conv (S = OH*OW) and of
// Gemm (rows as N, S = 1).
// PER_THREAD: one invocation per channel sums serially; for short sums (a Gemm bias) neighbouring
// invocations then read neighbouring columns. Otherwise one workgroup per channel: threads split
// the N*S values, then a shared-memory tree, whose pairwise partial sums keep f32 error small.
override PER_THREAD: bool = true;
override WG: u32 = 64u; // a power of two, at most 256 (the shared array's size)

struct Params {
  N: u32, C: u32, S: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;       // (N, C, S)
@group(0) @binding(2) var<storage, read_write> db: array<f32>; // (C)

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let rowStep = params.C * params.S; // from (n, c) to (n + 1, c)
  if (PER_THREAD) {
    let c = gid.x + gid.y * nwg.x * WG;
    if (c >= params.C) { return; }
    var s = 0.0;
    var base = c * params.S;
    for (var n = 0u; n < params.N; n++) {
      for (var j = 0u; j < params.S; j++) { s += dy[base + j]; }
      base += rowStep;
    }
    db[c] = s;
  } else {
    // The channel is uniform across the workgroup, so the early return keeps barriers uniform.
    let c = wid.x + wid.y * nwg.x;
    if (c >= params.C) { return; }
    let count = params.N * params.S;
    var s = 0.0;
    // Values k = n*S + j in steps of WG; n and j are stepped without a division per value.
    var j = lid % params.S;
    var base = (lid / params.S) * rowStep + c * params.S;
    let nStep = (WG / params.S) * rowStep;
    let jStep = WG % params.S;
    for (var k = lid; k < count; k += WG) {
      s += dy[base + j];
      base += nStep;
      j += jStep;
      if (j >= params.S) { j -= params.S; base += rowStep; }
    }
    partial[lid] = s;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
      if (lid < stride) { partial[lid] += partial[lid + stride]; }
      workgroupBarrier();
    }
    if (lid == 0u) { db[c] = partial[0]; }
  }
}
