// Element-wise float32 kernels over contiguous arrays.

/** out[i] = min(max(a[i] + b[i], lo), hi) for i < n. */
export function addF32(a: usize, b: usize, out: usize, n: i32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let i: i32 = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const s = f32x4.add(v128.load(a + o), v128.load(b + o));
    v128.store(out + o, f32x4.pmin(f32x4.pmax(s, vlo), vhi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const s = load<f32>(a + o) + load<f32>(b + o);
    store<f32>(out + o, s < lo ? lo : s > hi ? hi : s);
  }
}
