// PAD / PADV2 of any element type as block copies and fills. The TypeScript side reduces the shape to four
// dimensions (a dimension without padding merged into the one before it, leading ones added), the innermost in
// bytes, so the copies are whole rows: NHWC padding of H and W copies W x C elements per input row.
//
// The record (i32 slots): 0..3 input dims (dim 3 in bytes), 4..11 padding before/after per dim (dim 3 in bytes),
// 12 the fill pattern (the fill element repeated over 32 bits; any element-aligned start sees the same bytes).

/** n bytes of the fill pattern at dst (n a multiple of the element size). */
// @ts-ignore: decorator
@inline function fill(dst: usize, n: usize, pattern: u32): void {
  if (n == 0) return;
  if (pattern == 0 || pattern == (pattern & 0xff) * 0x01010101) {
    memory.fill(dst, <u8>pattern, n);
    return;
  }
  const v = i32x4.splat(pattern);
  while (n >= 16) {
    v128.store(dst, v);
    dst += 16;
    n -= 16;
  }
  if (n >= 8) { store<u64>(dst, (<u64>pattern << 32) | pattern); dst += 8; n -= 8; }
  if (n >= 4) { store<u32>(dst, pattern); dst += 4; n -= 4; }
  if (n >= 2) { store<u16>(dst, <u16>pattern); dst += 2; n -= 2; }
  if (n >= 1) store<u8>(dst, <u8>pattern);
}

export function padBlocks(rec: usize, src: usize, dst: usize): void {
  const d0 = <usize>load<i32>(rec), d1 = <usize>load<i32>(rec, 4), d2 = <usize>load<i32>(rec, 8), d3 = <usize>load<i32>(rec, 12);
  const b0 = <usize>load<i32>(rec, 16), a0 = <usize>load<i32>(rec, 20);
  const b1 = <usize>load<i32>(rec, 24), a1 = <usize>load<i32>(rec, 28);
  const b2 = <usize>load<i32>(rec, 32), a2 = <usize>load<i32>(rec, 36);
  const b3 = <usize>load<i32>(rec, 40), a3 = <usize>load<i32>(rec, 44);
  const pattern = load<u32>(rec, 48);
  // Output strides (bytes) of dims 2, 1, 0.
  const s2 = b3 + d3 + a3;
  const s1 = (b2 + d2 + a2) * s2;
  const s0 = (b1 + d1 + a1) * s1;
  fill(dst, b0 * s0, pattern);
  dst += b0 * s0;
  for (let i0: usize = 0; i0 < d0; i0++) {
    fill(dst, b1 * s1, pattern);
    dst += b1 * s1;
    for (let i1: usize = 0; i1 < d1; i1++) {
      fill(dst, b2 * s2, pattern);
      dst += b2 * s2;
      for (let i2: usize = 0; i2 < d2; i2++) {
        fill(dst, b3, pattern);
        dst += b3;
        memory.copy(dst, src, d3);
        dst += d3;
        src += d3;
        fill(dst, a3, pattern);
        dst += a3;
      }
      fill(dst, a2 * s2, pattern);
      dst += a2 * s2;
    }
    fill(dst, a1 * s1, pattern);
    dst += a1 * s1;
  }
  fill(dst, a0 * s0, pattern);
}
