// RFFT2D: the 2-D discrete Fourier transform of a real signal over its two innermost dimensions, cropped or
// zero-padded to fft_length (constant int32 [height, width], powers of two as TFLite requires), keeping the
// width / 2 + 1 non-negative frequencies of the last dimension: complex64 output [..., height, width / 2 + 1]
// (interleaved real, imaginary). Computed as separable DFTs in double precision (rows, then columns) with
// precomputed twiddles; TFLite's float32 FFT differs by float rounding.
// REAL: the real parts of a complex64 tensor, as float32.

import type { Kernel, RuntimeTensor } from '../kernel.js';
import { constIntValues, requireDtype, requireInput, sizeOf } from './shape-util.js';

export interface Rfft2dPlan {
  batches: number;
  inH: number; inW: number;
  fftH: number; fftW: number; bins: number;
  cosW: Float64Array; sinW: Float64Array; cosH: Float64Array; sinH: Float64Array;
  /** One transformed row set: [fftH][bins] real and imaginary parts. */
  re: Float64Array; im: Float64Array;
}

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

function twiddles(n: number): [Float64Array, Float64Array] {
  const c = new Float64Array(n), s = new Float64Array(n);
  for (let k = 0; k < n; k++) { c[k] = Math.cos((2 * Math.PI * k) / n); s[k] = Math.sin((2 * Math.PI * k) / n); }
  return [c, s];
}

export const rfft2dKernel: Kernel<Rfft2dPlan> = {
  op: 'RFFT2D',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    requireDtype(ctx, input, ['float32']);
    if (input.shape.length < 2) ctx.unsupported(`input '${input.name}' must have at least 2 dimensions, got [${input.shape}]`);
    const fft = constIntValues(ctx, requireInput(ctx, 1), 'fft_length');
    if (fft.length !== 2 || !fft.every(isPowerOfTwo)) ctx.unsupported(`fft_length [${fft}] must be two powers of two`);
    const [fftH, fftW] = fft;
    if (fftH * fftW > 1 << 24) ctx.unsupported(`fft_length [${fft}] is too large`);
    const out = ctx.outputs[0];
    if (out.dtype !== 'complex64') ctx.unsupported(`output '${out.name}' must be complex64, got ${out.dtype}`);
    const lead = input.shape.slice(0, -2);
    const bins = fftW / 2 + 1;
    out.shape = [...lead, fftH, bins];
    const [cosW, sinW] = twiddles(fftW);
    const [cosH, sinH] = twiddles(fftH);
    return {
      batches: sizeOf(lead), inH: input.shape[input.shape.length - 2], inW: input.shape[input.shape.length - 1],
      fftH, fftW, bins, cosW, sinW, cosH, sinH, re: new Float64Array(fftH * bins), im: new Float64Array(fftH * bins),
    };
  },
  eval(p: Rfft2dPlan, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]) {
    const x = inputs[0]!.data as Float32Array;
    const y = outputs[0].data as Float32Array;
    const { fftH, fftW, bins, re, im, cosW, sinW, cosH, sinH } = p;
    const rows = Math.min(p.inH, fftH), cols = Math.min(p.inW, fftW);
    for (let b = 0; b < p.batches; b++) {
      const xb = b * p.inH * p.inW;
      // Rows: real DFT of each (cropped, zero-padded) row, non-negative frequencies only.
      re.fill(0); im.fill(0);
      for (let m = 0; m < rows; m++) {
        for (let k = 0; k < bins; k++) {
          let sr = 0, si = 0;
          for (let n = 0; n < cols; n++) {
            const v = x[xb + m * p.inW + n];
            const t = (k * n) % fftW;
            sr += v * cosW[t];
            si -= v * sinW[t];
          }
          re[m * bins + k] = sr; im[m * bins + k] = si;
        }
      }
      // Columns: complex DFT of each frequency bin over the rows.
      const yb = b * fftH * bins * 2;
      for (let k = 0; k < bins; k++) {
        for (let u = 0; u < fftH; u++) {
          let sr = 0, si = 0;
          for (let m = 0; m < rows; m++) {
            const t = (u * m) % fftH;
            const c = cosH[t], s = sinH[t];
            const ar = re[m * bins + k], ai = im[m * bins + k];
            sr += ar * c + ai * s;
            si += ai * c - ar * s;
          }
          y[yb + (u * bins + k) * 2] = sr;
          y[yb + (u * bins + k) * 2 + 1] = si;
        }
      }
    }
  },
};

/** REAL, IMAG and COMPLEX_ABS: a float32 value per complex64 element (stored as interleaved re, im pairs). */
function complexPartKernel(op: string, part: (re: number, im: number) => number): Kernel<null> {
  return {
    op,
    maxVersion: 1,
    prepare(ctx) {
      const input = requireInput(ctx, 0);
      requireDtype(ctx, input, ['complex64']);
      const out = ctx.outputs[0];
      if (out.dtype !== 'float32') ctx.unsupported(`output '${out.name}' must be float32, got ${out.dtype}`);
      out.shape = input.shape.slice();
      return null;
    },
    eval(_p: null, inputs: (RuntimeTensor | null)[], outputs: RuntimeTensor[]) {
      const x = inputs[0]!.data as Float32Array;
      const y = outputs[0].data as Float32Array;
      for (let i = 0; i < y.length; i++) y[i] = part(x[2 * i], x[2 * i + 1]);
    },
  };
}

export const realKernel = complexPartKernel('REAL', (re) => re);
export const imagKernel = complexPartKernel('IMAG', (_re, im) => im);
// std::abs of a std::complex<float>: hypot in float32.
export const complexAbsKernel = complexPartKernel('COMPLEX_ABS', (re, im) => Math.fround(Math.hypot(re, im)));
