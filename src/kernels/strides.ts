/**
 * Index plumbing shared by the strided kernels (binary, transpose/concat copy): collapsing dims so
 * the shaders' per-element div/mod loop runs over as few axes as possible, and the params layout
 * `array<vec4<u32>, 2>` that carries up to MAX_DIMS sizes or strides.
 */

/** Axes a params uniform can carry (two vec4<u32>). */
export const MAX_DIMS = 8;

/**
 * Drops size-1 axes and merges neighbours that every stride list walks contiguously
 * (s[d] == s[d+1] * shape[d+1]; also true for two broadcast axes, where both strides are 0).
 * Element order is unchanged, so a flat index over the result visits the same elements.
 */
export function collapseDims(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * n);
    if (mergeable) {
      outShape[last] = outShape[last]! * n;
      strides.forEach((s, k) => { outStrides[k]![last] = s[d]!; });
    } else {
      outShape.push(n);
      strides.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Throws when a (collapsed) rank does not fit the params uniform. */
export function checkRank(kernel: string, rank: number): void {
  if (rank > MAX_DIMS) throw new Error(`${kernel}: ${rank} non-trivial axes, but the kernel handles at most ${MAX_DIMS}`);
}
