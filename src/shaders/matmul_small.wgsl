// Params and bindings: matmul_io.wgsl, composed in front by kernels/matmul.ts.
// Uses activate() and override ACT from activation.wgsl.
// The small-M form of matmul.wgsl: same Params, bindings and result (up to f32 summation order).
// For a few rows the 64x64 tile leaves most of its rows idle and pays two barriers per 16-deep K
// step, so here a workgroup of 64 threads owns NC = 32 output columns for RB = 4 rows and splits K
// instead: 4 column groups of 8 columns x 16 K lanes; a thread walks k = lane, lane + 16, ...,
// reads each x value once for its 8 columns, then the lanes' partial sums are added up in
// workgroup memory. One barrier per workgroup (SwiftShader pays dearly per barrier).
// grid = (column blocks, folded into x and y past 65535, batch * ceil(M/RB) in z).

const WG = 64u;
const KL = 16u; // K lanes
const CG = 4u; // column groups of 8 columns
const NC = 32u; // output columns per workgroup, 8 * CG
const RB = 4u; // rows per workgroup


// Per-thread partial sums, [slot][thread] so the reduction reads consecutive words: slot 2r + h
// holds row r, column half h (4 columns).
var<workgroup> part: array<vec4<f32>, 512>; // 8 * WG

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let rowBlocks = (M + RB - 1u) / RB;
  let bi = wid.z / rowBlocks;
  let row0 = (wid.z % rowBlocks) * RB;
  let col0 = (wid.y * nwg.x + wid.x) * NC;
  // Uniform across the workgroup, so the row branches below are too.
  let rows = min(RB, M - row0);
  let lane = li % KL;
  let cg = li / KL;
  let gc0 = col0 + cg * 8u; // this thread's 8 columns
  let cols = select(min(8u, N - gc0), 0u, gc0 >= N); // uniform across the group's 16 lanes

  let off = batchOffsets(bi);
  let offA = off.x;
  let offB = off.y;

  // Named accumulators, rows unrolled, so they stay in registers: a<row><half>, 4 columns each.
  var a0l = vec4<f32>(0.0); var a0h = vec4<f32>(0.0);
  var a1l = vec4<f32>(0.0); var a1h = vec4<f32>(0.0);
  var a2l = vec4<f32>(0.0); var a2h = vec4<f32>(0.0);
  var a3l = vec4<f32>(0.0); var a3h = vec4<f32>(0.0);

  if (cols > 0u) {
    // Spare columns (cols < 8) re-read the last real column; their sums are never stored.
    let last = gc0 + cols - 1u;
    let bl = vec4<u32>(offB) + min(vec4<u32>(gc0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last)) * params.bN;
    let bh = vec4<u32>(offB) + min(vec4<u32>(gc0) + vec4<u32>(4u, 5u, 6u, 7u), vec4<u32>(last)) * params.bN;
    let aM = params.aM;
    let aK = params.aK;
    let bK = params.bK;
    let xr = offA + row0 * aM;
    for (var k = lane; k < K; k += KL) {
      let kb = vec4<u32>(k * bK);
      let il = bl + kb;
      let ih = bh + kb;
      let vl = vec4<f32>(rhs[il.x], rhs[il.y], rhs[il.z], rhs[il.w]);
      let vh = vec4<f32>(rhs[ih.x], rhs[ih.y], rhs[ih.z], rhs[ih.w]);
      let xk = xr + k * aK;
      // Row 0 always exists; rows 1..3 behind uniform branches.
      let x0 = lhs[xk];
      a0l = fma(vec4<f32>(x0), vl, a0l); a0h = fma(vec4<f32>(x0), vh, a0h);
      if (rows > 1u) {
        let x1 = lhs[xk + aM];
        a1l = fma(vec4<f32>(x1), vl, a1l); a1h = fma(vec4<f32>(x1), vh, a1h);
      }
      if (rows > 2u) {
        let x2 = lhs[xk + 2u * aM];
        a2l = fma(vec4<f32>(x2), vl, a2l); a2h = fma(vec4<f32>(x2), vh, a2h);
      }
      if (rows > 3u) {
        let x3 = lhs[xk + 3u * aM];
        a3l = fma(vec4<f32>(x3), vl, a3l); a3h = fma(vec4<f32>(x3), vh, a3h);
      }
    }
  }

  part[0u * WG + li] = a0l; part[1u * WG + li] = a0h;
  part[2u * WG + li] = a1l; part[3u * WG + li] = a1h;
  part[4u * WG + li] = a2l; part[5u * WG + li] = a2h;
  part[6u * WG + li] = a3l; part[7u * WG + li] = a3h;
  workgroupBarrier();

  // Thread (column group g, slot s < 8) adds up slot s (row s/2, 4 columns) over the group's 16
  // lanes and writes those 4 outputs.
  if (li < CG * 8u) {
    let g = li / 8u;
    let slot = li % 8u;
    let r = slot / 2u;
    let c0 = col0 + g * 8u + (slot % 2u) * 4u;
    if (r < rows && c0 < N) {
      var acc = vec4<f32>(0.0);
      for (var t = g * KL; t < (g + 1u) * KL; t++) {
        acc += part[slot * WG + t];
      }
      let m = row0 + r;
      let outBase = bi * M * N + m * N;
      for (var j = 0u; j < 4u; j++) {
        let n = c0 + j;
        if (n >= N) { break; }
        var v = params.alpha * acc[j];
        if (params.hasC != 0u) { v += params.beta * bias[m * params.cM + n * params.cN]; }
        y[outBase + n] = activate(v, params.a, params.b);
      }
    }
  }
}
