// 8-bit SOFTMAX as TFLite's builtin kernel (the TypeScript loop in kernels/softmax.ts, bit-identical): per row, the
// float32 table entry exp(-s_in * beta * (max - x)) of each element, summed in float32 in element order (kept
// sequential: a reordered sum could round differently), then each entry times float32(1 / (sum * s_out)) rounded
// (half up; uint8 outputs: trunc(float32(p + 0.5))), plus the output zero point, clamped.

/**
 * Rows [outer, depth] of int8 (signed != 0) or uint8 at `input` -> 8-bit outputs (int8 or uint8: qmin, qmax say)
 * at `output`. table: 256 float32, table[255 - d] for d = max - x.
 */
export function softmaxQ8(signed: i32, input: usize, output: usize, outer: i32, depth: i32, table: usize,
  outScale: f32, outZp: i32, qmin: i32, qmax: i32, truncRound: i32): void {
  for (let r = 0; r < outer; r++) {
    const x = input + <usize>r * <usize>depth;
    const y = output + <usize>r * <usize>depth;
    // The row's maximum, 16 lanes at a time.
    let m: i32;
    let j = 0;
    if (signed != 0) {
      let vmax = i8x16.splat(-128);
      for (; j + 16 <= depth; j += 16) vmax = i8x16.max_s(vmax, v128.load(x + <usize>j));
      vmax = i8x16.max_s(vmax, i8x16.shuffle(vmax, vmax, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
      vmax = i8x16.max_s(vmax, i8x16.shuffle(vmax, vmax, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
      vmax = i8x16.max_s(vmax, i8x16.shuffle(vmax, vmax, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1));
      vmax = i8x16.max_s(vmax, i8x16.shuffle(vmax, vmax, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0));
      m = <i32>i8x16.extract_lane_s(vmax, 0);
      for (; j < depth; j++) m = max(m, <i32>load<i8>(x + <usize>j));
    } else {
      let vmax = i8x16.splat(0);
      for (; j + 16 <= depth; j += 16) vmax = i8x16.max_u(vmax, v128.load(x + <usize>j));
      vmax = i8x16.max_u(vmax, i8x16.shuffle(vmax, vmax, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
      vmax = i8x16.max_u(vmax, i8x16.shuffle(vmax, vmax, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
      vmax = i8x16.max_u(vmax, i8x16.shuffle(vmax, vmax, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1));
      vmax = i8x16.max_u(vmax, i8x16.shuffle(vmax, vmax, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0));
      m = <i32>i8x16.extract_lane_u(vmax, 0);
      for (; j < depth; j++) m = max(m, <i32>load<u8>(x + <usize>j));
    }
    // Entry for x: table + 4 * (255 - max + x).
    const base = table + (<usize>(255 - m) << 2);
    let sum: f32 = 0;
    if (signed != 0) for (let k = 0; k < depth; k++) sum += load<f32>(base + (<usize>(<i32>load<i8>(x + <usize>k)) << 2));
    else for (let k = 0; k < depth; k++) sum += load<f32>(base + (<usize>load<u8>(x + <usize>k) << 2));
    const inv: f32 = <f32>1 / (sum * outScale);
    for (let k = 0; k < depth; k++) {
      const v = signed != 0 ? <i32>load<i8>(x + <usize>k) : <i32>load<u8>(x + <usize>k);
      // Bounded before the integer conversion (anything this large clamps to qmax anyway).
      const p: f32 = min(load<f32>(base + (<usize>v << 2)) * inv, <f32>1e9);
      let q = (truncRound != 0 ? <i32>(p + <f32>0.5) : <i32>Math.floor(<f64>p + 0.5)) + outZp;
      q = q < qmin ? qmin : q > qmax ? qmax : q;
      store<u8>(y + <usize>k, <u8>q);
    }
  }
}
