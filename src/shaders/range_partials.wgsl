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

var<workgroup> mins: array<f32, WG>;
var<workgroup> maxs: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let start = wid.x * params.chunk;
  let end = min(start + params.chunk, params.count);
  var lo = 0.0;
  var hi = 0.0;
  for (var i = start + li; i < end; i += WG) {
    let v = x[i];
    lo = min(lo, v);
    hi = max(hi, v);
  }
  mins[li] = lo;
  maxs[li] = hi;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (li < s) {
      mins[li] = min(mins[li], mins[li + s]);
      maxs[li] = max(maxs[li], maxs[li + s]);
    }
  }
  if (li == 0u) {
    partials[2u * wid.x] = mins[0];
    partials[2u * wid.x + 1u] = maxs[0];
  }
}
