// Uses foldRange() from range_fold.wgsl (kernels/dynamic-quant.ts).
// The first pass of dynamic_quant_params.wgsl over a large tensor: workgroup g folds its contiguous
// chunk of x into (min(0, .), max(0, .)) and writes them to partials[2g], partials[2g + 1]. The
// second pass runs dynamic_quant_params.wgsl over the partials: min and max are exact and order-free,
// so the parameters are bit-identical to one pass over x, which on a software adapter runs on one
// thread (a workgroup) while this pass spreads the tensor over all of them.
const WG = 64u;

struct Params { count: u32, chunk: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let start = wid.x * params.chunk;
  let end = min(start + params.chunk, params.count);
  let r = foldRange(li, start, end);
  if (li == 0u) {
    partials[2u * wid.x] = r.x;
    partials[2u * wid.x + 1u] = r.y;
  }
}
