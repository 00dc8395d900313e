// Float32 depthwise convolution, NHWC, one input channel per output channel (a depth multiplier above 1 is first
// expanded into a scratch image by expandChannelsF32, so output channel c always reads channel c).
//
// Weights are packed at prepare in blocks of 4 channels: [bias x4][tap 0 x4][tap 1 x4]... in summation order (the
// last block's unused lanes are zero). Each output pixel sums bias + w[tap] * x[tap] over the taps inside the image,
// in that order, in float32 (out-of-image taps are skipped, which is the same as zero padding). The order is the
// official runtime's: taps row-major (fy then fx) as its GEMM-based and TFLite kernels sum them, or column-major
// (fx then fy) as XNNPACK's dwconv microkernels read their indirection buffer (see depthwise-float-wasm.ts for when).
// Interior pixels of full rows take a path without bounds checks (unrolled for 3x3); border pixels loop over their
// clipped tap ranges.
//
// The parameter block (written once at prepare, i32 slots unless noted):
//   0 batches  1 inH  2 inW  3 channels  4 outH  5 outW  6 filterH  7 filterW  8 strideH  9 strideW
//   10 dilationH  11 dilationW  12 padH  13 padW  14 lo (f32)  15 hi (f32)  16 weights offset
//   17 first interior output column  18 end of the interior columns  19 offset of a zero row (inW * channels float32,
//   3x3 filters only)  20 1: taps column-major

@inline function clampF32x4(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

@inline function clampF32(v: f32, lo: f32, hi: f32): f32 {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * One output pixel over the taps inside the image, in summation order: an outer filter axis (fy for row-major
 * taps, fx for column-major) over [o0, o1), the inner one over [i0, i1); `at` is the input at the first tap,
 * channel 0; outerStep / innerStep the input bytes between taps along each axis; `innerTaps` the filter's extent
 * along the inner axis (slots per outer index in the packed weights).
 */
function pixelClipped(at: usize, out: usize, weights: usize, C: i32, innerTaps: i32, o0: i32, o1: i32, i0: i32, i1: i32,
  outerStep: usize, innerStep: usize, blockBytes: usize, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const firstTap = <usize>(o0 * innerTaps + i0 + 1) << 4;
  const wOuterStep = <usize>innerTaps << 4;
  let c: i32 = 0;
  let block = weights;
  for (; c + 4 <= C; c += 4, block += blockBytes) {
    let acc = v128.load(block);
    let line = at + (<usize>c << 2);
    let wLine = block + firstTap;
    for (let o = o0; o < o1; o++, line += outerStep, wLine += wOuterStep) {
      let x = line;
      let w = wLine;
      for (let i = i0; i < i1; i++, x += innerStep, w += 16) {
        acc = f32x4.add(acc, f32x4.mul(v128.load(x), v128.load(w)));
      }
    }
    v128.store(out + (<usize>c << 2), clampF32x4(acc, vlo, vhi));
  }
  for (; c < C; c++) {
    const lane = <usize>(c & 3) << 2;
    let acc = load<f32>(block + lane);
    let line = at + (<usize>c << 2);
    let wLine = block + firstTap + lane;
    for (let o = o0; o < o1; o++, line += outerStep, wLine += wOuterStep) {
      let x = line;
      let w = wLine;
      for (let i = i0; i < i1; i++, x += innerStep, w += 16) acc += load<f32>(x) * load<f32>(w);
    }
    store<f32>(out + (<usize>c << 2), clampF32(acc, lo, hi));
  }
}

/** pixelClipped over the taps fy in [fy0, fy1), fx in [fx0, fx1) in the packed order; `at` is the input at (fy0, fx0). */
@inline function pixelTaps(at: usize, out: usize, weights: usize, C: i32, fH: i32, fW: i32, fy0: i32, fy1: i32, fx0: i32,
  fx1: i32, rowStep: usize, colStep: usize, blockBytes: usize, columns: bool, lo: f32, hi: f32): void {
  if (columns) pixelClipped(at, out, weights, C, fH, fx0, fx1, fy0, fy1, colStep, rowStep, blockBytes, lo, hi);
  else pixelClipped(at, out, weights, C, fW, fy0, fy1, fx0, fx1, rowStep, colStep, blockBytes, lo, hi);
}

/**
 * The interior columns of one output row for a 3x3 filter, 4 channels at a time with the block's bias and nine
 * weights (in summation order) held in registers along the row. x0, x1, x2 are the input at the first interior
 * pixel's taps (0, 0), (1, 0), (2, 0), channel 0 (a filter row outside the image reads a row of zeros instead);
 * `out` that pixel's output; `step` the input bytes between consecutive output pixels; `columns`: taps
 * column-major.
 */
function row3x3(x0: usize, x1: usize, x2: usize, out: usize, pixels: i32, weights: usize, C: i32, colStep: usize,
  step: usize, pixelBytes: usize, columns: bool, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const c1 = colStep;
  const c2 = colStep << 1;
  let c: i32 = 0;
  let block = weights;
  for (; c + 4 <= C; c += 4, block += 160) {
    const bias = v128.load(block);
    const w0 = v128.load(block, 16);
    const w1 = v128.load(block, 32);
    const w2 = v128.load(block, 48);
    const w3 = v128.load(block, 64);
    const w4 = v128.load(block, 80);
    const w5 = v128.load(block, 96);
    const w6 = v128.load(block, 112);
    const w7 = v128.load(block, 128);
    const w8 = v128.load(block, 144);
    const cb = <usize>c << 2;
    let a0 = x0 + cb;
    let a1 = x1 + cb;
    let a2 = x2 + cb;
    let o = out + cb;
    if (columns) {
      for (let k = 0; k < pixels; k++, a0 += step, a1 += step, a2 += step, o += pixelBytes) {
        let a = f32x4.add(bias, f32x4.mul(v128.load(a0), w0));
        a = f32x4.add(a, f32x4.mul(v128.load(a1), w1));
        a = f32x4.add(a, f32x4.mul(v128.load(a2), w2));
        a = f32x4.add(a, f32x4.mul(v128.load(a0 + c1), w3));
        a = f32x4.add(a, f32x4.mul(v128.load(a1 + c1), w4));
        a = f32x4.add(a, f32x4.mul(v128.load(a2 + c1), w5));
        a = f32x4.add(a, f32x4.mul(v128.load(a0 + c2), w6));
        a = f32x4.add(a, f32x4.mul(v128.load(a1 + c2), w7));
        a = f32x4.add(a, f32x4.mul(v128.load(a2 + c2), w8));
        v128.store(o, clampF32x4(a, vlo, vhi));
      }
    } else {
      for (let k = 0; k < pixels; k++, a0 += step, a1 += step, a2 += step, o += pixelBytes) {
        let a = f32x4.add(bias, f32x4.mul(v128.load(a0), w0));
        a = f32x4.add(a, f32x4.mul(v128.load(a0 + c1), w1));
        a = f32x4.add(a, f32x4.mul(v128.load(a0 + c2), w2));
        a = f32x4.add(a, f32x4.mul(v128.load(a1), w3));
        a = f32x4.add(a, f32x4.mul(v128.load(a1 + c1), w4));
        a = f32x4.add(a, f32x4.mul(v128.load(a1 + c2), w5));
        a = f32x4.add(a, f32x4.mul(v128.load(a2), w6));
        a = f32x4.add(a, f32x4.mul(v128.load(a2 + c1), w7));
        a = f32x4.add(a, f32x4.mul(v128.load(a2 + c2), w8));
        v128.store(o, clampF32x4(a, vlo, vhi));
      }
    }
  }
  // Channels [c, C), fewer than 4, from their partial block.
  for (let lane: usize = 0; c < C; c++, lane += 4) {
    const w = block + lane;
    const cb = <usize>c << 2;
    let a0 = x0 + cb;
    let a1 = x1 + cb;
    let a2 = x2 + cb;
    let o = out + cb;
    for (let k = 0; k < pixels; k++, a0 += step, a1 += step, a2 += step, o += pixelBytes) {
      // Column-major: the taps' addresses in that order (pixel3x3 sums its nine addresses in slot order).
      if (columns) pixel3x3(a0, a1, a2, a0 + c1, a1 + c1, a2 + c1, a0 + c2, a1 + c2, a2 + c2, o, w, 1, lo, hi);
      else pixel3x3(a0, a0 + c1, a0 + c2, a1, a1 + c1, a1 + c2, a2, a2 + c1, a2 + c2, o, w, 1, lo, hi);
    }
  }
}

/**
 * One border pixel of a 3x3 filter from the nine input addresses of its taps (channel 0; a tap outside the image
 * points at the zero row).
 */
function pixel3x3(p0: usize, p1: usize, p2: usize, p3: usize, p4: usize, p5: usize, p6: usize, p7: usize, p8: usize,
  out: usize, weights: usize, C: i32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let c: i32 = 0;
  let w = weights;
  for (; c + 4 <= C; c += 4, w += 160) {
    const o = <usize>c << 2;
    let a = v128.load(w);
    a = f32x4.add(a, f32x4.mul(v128.load(p0 + o), v128.load(w, 16)));
    a = f32x4.add(a, f32x4.mul(v128.load(p1 + o), v128.load(w, 32)));
    a = f32x4.add(a, f32x4.mul(v128.load(p2 + o), v128.load(w, 48)));
    a = f32x4.add(a, f32x4.mul(v128.load(p3 + o), v128.load(w, 64)));
    a = f32x4.add(a, f32x4.mul(v128.load(p4 + o), v128.load(w, 80)));
    a = f32x4.add(a, f32x4.mul(v128.load(p5 + o), v128.load(w, 96)));
    a = f32x4.add(a, f32x4.mul(v128.load(p6 + o), v128.load(w, 112)));
    a = f32x4.add(a, f32x4.mul(v128.load(p7 + o), v128.load(w, 128)));
    a = f32x4.add(a, f32x4.mul(v128.load(p8 + o), v128.load(w, 144)));
    v128.store(out + o, clampF32x4(a, vlo, vhi));
  }
  for (let lane: usize = 0; c < C; c++, lane += 4) {
    const o = <usize>c << 2;
    const wl = w + lane;
    let acc = load<f32>(wl);
    acc += load<f32>(p0 + o) * load<f32>(wl, 16);
    acc += load<f32>(p1 + o) * load<f32>(wl, 32);
    acc += load<f32>(p2 + o) * load<f32>(wl, 48);
    acc += load<f32>(p3 + o) * load<f32>(wl, 64);
    acc += load<f32>(p4 + o) * load<f32>(wl, 80);
    acc += load<f32>(p5 + o) * load<f32>(wl, 96);
    acc += load<f32>(p6 + o) * load<f32>(wl, 112);
    acc += load<f32>(p7 + o) * load<f32>(wl, 128);
    acc += load<f32>(p8 + o) * load<f32>(wl, 144);
    store<f32>(out + o, clampF32(acc, lo, hi));
  }
}

/**
 * A 3x3 border pixel: the taps' addresses from the three row bases (the zero row for rows outside), in summation
 * order (`columns`: column-major).
 */
@inline function border3x3(r0: usize, r1: usize, r2: usize, ix0: i32, dW: i32, inW: i32, pixelBytes: usize, zeroRow: usize,
  out: usize, weights: usize, C: i32, columns: bool, lo: f32, hi: f32): void {
  const ix1 = ix0 + dW;
  const ix2 = ix1 + dW;
  const v0 = ix0 >= 0 && ix0 < inW;
  const v1 = ix1 >= 0 && ix1 < inW;
  const v2 = ix2 >= 0 && ix2 < inW;
  const o0 = <usize>ix0 * pixelBytes;
  const o1 = <usize>ix1 * pixelBytes;
  const o2 = <usize>ix2 * pixelBytes;
  if (columns) {
    pixel3x3(v0 ? r0 + o0 : zeroRow, v0 ? r1 + o0 : zeroRow, v0 ? r2 + o0 : zeroRow,
      v1 ? r0 + o1 : zeroRow, v1 ? r1 + o1 : zeroRow, v1 ? r2 + o1 : zeroRow,
      v2 ? r0 + o2 : zeroRow, v2 ? r1 + o2 : zeroRow, v2 ? r2 + o2 : zeroRow, out, weights, C, lo, hi);
  } else {
    pixel3x3(v0 ? r0 + o0 : zeroRow, v1 ? r0 + o1 : zeroRow, v2 ? r0 + o2 : zeroRow,
      v0 ? r1 + o0 : zeroRow, v1 ? r1 + o1 : zeroRow, v2 ? r1 + o2 : zeroRow,
      v0 ? r2 + o0 : zeroRow, v1 ? r2 + o1 : zeroRow, v2 ? r2 + o2 : zeroRow, out, weights, C, lo, hi);
  }
}

/** First tap index (of `size`) whose position start + k * dilation is >= 0. */
@inline function firstInside(start: i32, dilation: i32): i32 {
  return start >= 0 ? 0 : (dilation - 1 - start) / dilation;
}

/** One past the last tap index whose position start + k * dilation is < extent, at most `size`. */
@inline function endInside(start: i32, dilation: i32, extent: i32, size: i32): i32 {
  const room = extent - start;
  if (room <= 0) return 0;
  const n = (room + dilation - 1) / dilation;
  return n < size ? n : size;
}

/** The whole convolution (every batch) described by the parameter block at `params`. */
export function depthwiseF32(params: usize, input: usize, output: usize): void {
  const batches = load<i32>(params);
  const inH = load<i32>(params, 4);
  const inW = load<i32>(params, 8);
  const C = load<i32>(params, 12);
  const outH = load<i32>(params, 16);
  const outW = load<i32>(params, 20);
  const fH = load<i32>(params, 24);
  const fW = load<i32>(params, 28);
  const sH = load<i32>(params, 32);
  const sW = load<i32>(params, 36);
  const dH = load<i32>(params, 40);
  const dW = load<i32>(params, 44);
  const padH = load<i32>(params, 48);
  const padW = load<i32>(params, 52);
  const lo = load<f32>(params, 56);
  const hi = load<f32>(params, 60);
  const weights = <usize>load<u32>(params, 64);
  const oxLo = load<i32>(params, 68);
  const oxHi = load<i32>(params, 72);
  const zeroRow = <usize>load<u32>(params, 76);
  const columns = load<i32>(params, 80) != 0;
  const pixelBytes = <usize>C << 2;
  const rowBytes = <usize>inW * pixelBytes;
  const blockBytes = <usize>(fH * fW + 1) << 4;
  const rowStep = <usize>dH * rowBytes;
  const colStep = <usize>dW * pixelBytes;
  const is3x3 = fH == 3 && fW == 3;
  let out = output;
  for (let b = 0; b < batches; b++) {
    const image = input + <usize>b * <usize>inH * rowBytes;
    for (let oy = 0; oy < outH; oy++, out += <usize>outW * pixelBytes) {
      const iy0 = oy * sH - padH;
      const fy0 = firstInside(iy0, dH);
      const fy1 = endInside(iy0, dH, inH, fH);
      const rowAt = image + <usize>(iy0 + fy0 * dH) * rowBytes;
      let ox = 0;
      if (is3x3) {
        // Filter rows outside the image read the zero row (their products add nothing).
        const y1 = iy0 + dH;
        const y2 = y1 + dH;
        const r0 = iy0 >= 0 && iy0 < inH ? image + <usize>iy0 * rowBytes : zeroRow;
        const r1 = y1 >= 0 && y1 < inH ? image + <usize>y1 * rowBytes : zeroRow;
        const r2 = y2 >= 0 && y2 < inH ? image + <usize>y2 * rowBytes : zeroRow;
        for (; ox < oxLo; ox++) {
          border3x3(r0, r1, r2, ox * sW - padW, dW, inW, pixelBytes, zeroRow, out + <usize>ox * pixelBytes, weights, C, columns, lo, hi);
        }
        if (ox < oxHi) {
          const col = <usize>(ox * sW - padW) * pixelBytes;
          row3x3(r0 + col, r1 + col, r2 + col, out + <usize>ox * pixelBytes, oxHi - ox, weights, C, colStep,
            <usize>sW * pixelBytes, pixelBytes, columns, lo, hi);
          ox = oxHi;
        }
        for (; ox < outW; ox++) {
          border3x3(r0, r1, r2, ox * sW - padW, dW, inW, pixelBytes, zeroRow, out + <usize>ox * pixelBytes, weights, C, columns, lo, hi);
        }
        continue;
      }
      for (; ox < oxLo; ox++) {
        const ix0 = ox * sW - padW;
        const fx0 = firstInside(ix0, dW);
        const fx1 = endInside(ix0, dW, inW, fW);
        pixelTaps(rowAt + <usize>(ix0 + fx0 * dW) * pixelBytes, out + <usize>ox * pixelBytes, weights, C, fH, fW,
          fy0, fy1, fx0, fx1, rowStep, colStep, blockBytes, columns, lo, hi);
      }
      for (; ox < oxHi; ox++) {
        pixelTaps(rowAt + <usize>(ox * sW - padW) * pixelBytes, out + <usize>ox * pixelBytes, weights, C, fH, fW,
          fy0, fy1, 0, fW, rowStep, colStep, blockBytes, columns, lo, hi);
      }
      for (; ox < outW; ox++) {
        const ix0 = ox * sW - padW;
        const fx0 = firstInside(ix0, dW);
        const fx1 = endInside(ix0, dW, inW, fW);
        pixelTaps(rowAt + <usize>(ix0 + fx0 * dW) * pixelBytes, out + <usize>ox * pixelBytes, weights, C, fH, fW,
          fy0, fy1, fx0, fx1, rowStep, colStep, blockBytes, columns, lo, hi);
      }
    }
  }
}

/** out[p][c * M + m] = input[p][c]: each of `inC` channels repeated M times, for `pixels` pixels. */
export function expandChannelsF32(input: usize, out: usize, pixels: i32, inC: i32, M: i32): void {
  let from = input;
  let to = out;
  const n = pixels * inC;
  for (let i = 0; i < n; i++, from += 4) {
    const v = load<f32>(from);
    if (M >= 4) {
      const vv = f32x4.splat(v);
      let m = 0;
      for (; m + 4 <= M; m += 4, to += 16) v128.store(to, vv);
      for (; m < M; m++, to += 4) store<f32>(to, v);
    } else {
      for (let m = 0; m < M; m++, to += 4) store<f32>(to, v);
    }
  }
}

/**
 * Hybrid depthwise output: the integer sums the convolution left in `io` (exact in float32) scaled per channel in
 * TFLite's order, io[p][c] = clamp(float32(float32(io[p][c] * inputScale) * filterScale[c]) + bias[c]), for `pixels`
 * pixels.
 */
export function hybridDepthwiseOutput(io: usize, pixels: i32, C: i32, filterScales: usize, inputScale: f32,
  bias: usize, lo: f32, hi: f32): void {
  const vs = f32x4.splat(inputScale);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let at = io;
  for (let p = 0; p < pixels; p++) {
    let c = 0;
    for (; c + 4 <= C; c += 4, at += 16) {
      const o = <usize>c << 2;
      const v = f32x4.add(f32x4.mul(f32x4.mul(v128.load(at), vs), v128.load(filterScales + o)), v128.load(bias + o));
      v128.store(at, clampF32x4(v, vlo, vhi));
    }
    for (; c < C; c++, at += 4) {
      const o = <usize>c << 2;
      store<f32>(at, clampF32(load<f32>(at) * inputScale * load<f32>(filterScales + o) + load<f32>(bias + o), lo, hi));
    }
  }
}

/** The least and greatest of n float32 values, both starting from 0 (NaN never taken), stored at result[0..1]. */
export function minMaxF32(input: usize, n: i32, result: usize): void {
  let vmin = f32x4.splat(0);
  let vmax = f32x4.splat(0);
  let i: i32 = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(input + (<usize>i << 2));
    vmin = f32x4.pmin(vmin, v);
    vmax = f32x4.pmax(vmax, v);
  }
  let lo: f32 = 0;
  let hi: f32 = 0;
  for (let k = 0; k < 4; k++) {
    const a = f32x4.extract_lane(vmin, 0);
    const b = f32x4.extract_lane(vmax, 0);
    if (a < lo) lo = a;
    if (b > hi) hi = b;
    vmin = i32x4.shuffle(vmin, vmin, 1, 2, 3, 0);
    vmax = i32x4.shuffle(vmax, vmax, 1, 2, 3, 0);
  }
  for (; i < n; i++) {
    const v = load<f32>(input + (<usize>i << 2));
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  store<f32>(result, lo);
  store<f32>(result, hi, 4);
}

/**
 * The hybrid kernels' input quantization (AsymmetricQuantizeFloats with given 1/scale and zero point), each value
 * stored as float32 (q - zp): q = clamp(round half away from zero of float32(zp + float32(x * inv)), -128, 127), NaN
 * giving 0 as the int8 store of the TypeScript loop does.
 */
export function quantizeHybridF32(input: usize, n: i32, out: usize, inv: f32, zp: f32): void {
  const vinv = f32x4.splat(inv);
  const vzp = f32x4.splat(zp);
  const half = f32x4.splat(0.5);
  const one = f32x4.splat(1);
  const sign = i32x4.splat(0x80000000);
  const qmin = f32x4.splat(-128);
  const qmax = f32x4.splat(127);
  const vzpInt = i32x4.splat(<i32>zp);
  let i: i32 = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const t = f32x4.add(vzp, f32x4.mul(v128.load(input + o), vinv));
    const whole = f32x4.trunc(t);
    const away = f32x4.ge(f32x4.abs(f32x4.sub(t, whole)), half);
    let r = f32x4.add(whole, v128.and(away, v128.or(v128.and(t, sign), one)));
    r = f32x4.pmin(f32x4.pmax(r, qmin), qmax);
    // Through int32: NaN becomes 0 (the int8 store's conversion) and -0 a plain 0.
    v128.store(out + o, f32x4.convert_i32x4_s(i32x4.sub(i32x4.trunc_sat_f32x4_s(r), vzpInt)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const t: f32 = zp + load<f32>(input + o) * inv;
    const whole = Mathf.trunc(t);
    let r: f32 = Mathf.abs(t - whole) >= 0.5 ? whole + (t < 0 ? <f32>-1 : <f32>1) : whole;
    r = r < -128 ? -128 : r > 127 ? 127 : r;
    const q: i32 = r != r ? 0 : <i32>r;
    store<f32>(out + o, <f32>(q - <i32>zp));
  }
}
