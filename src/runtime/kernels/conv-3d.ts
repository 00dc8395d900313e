// CONV_3D (float32): NDHWC input [b, d, h, w, in] with filter [kd, kh, kw, in, out] and an optional bias [out],
// strides and dilations per spatial dimension, SAME / VALID padding as TFLite computes it per dimension, then the
// fused activation. Each output sums in float64 and rounds once to float32 (TFLite's im2col + GEMM sums in float32
// in another order; the difference stays within the float conformance tolerance).

import type { Kernel, PrepareContext, RuntimeTensor } from '../kernel.js';
import { computeOutSize, computePadding, floatClamp } from './conv-common.js';
import { requireDtype, requireInput } from './shape-util.js';

interface Conv3dPlan {
  b: number; inD: number; inH: number; inW: number; inC: number; outD: number; outH: number; outW: number; outC: number;
  kd: number; kh: number; kw: number; sd: number; sh: number; sw: number; dd: number; dh: number; dw: number;
  padD: number; padH: number; padW: number; actMin: number; actMax: number; hasBias: boolean;
}

/** Conv3DOptions (strides, dilations, padding) of CONV_3D and CONV_3D_TRANSPOSE, and their optional float bias. */
export function conv3dWindow(ctx: PrepareContext, bias: RuntimeTensor | null, outC: number): {
  sd: number; sh: number; sw: number; dd: number; dh: number; dw: number; padding: string;
} {
  if (bias) {
    requireDtype(ctx, bias, ['float32']);
    if (bias.shape.reduce((a, x) => a * x, 1) !== outC) ctx.unsupported(`bias '${bias.name}' needs ${outC} values`);
  }
  const o = ctx.options;
  const sd = Number(o.strideD), sh = Number(o.strideH), sw = Number(o.strideW);
  const dd = Number(o.dilationDFactor ?? 1), dh = Number(o.dilationHFactor ?? 1), dw = Number(o.dilationWFactor ?? 1);
  if (![sd, sh, sw, dd, dh, dw].every((v) => Number.isInteger(v) && v > 0)) ctx.unsupported('strides and dilations must be positive integers');
  const padding = String(o.padding);
  if (padding !== 'SAME' && padding !== 'VALID') ctx.unsupported(`padding ${padding}`);
  return { sd, sh, sw, dd, dh, dw, padding };
}

export const conv3dKernel: Kernel<Conv3dPlan> = {
  op: 'CONV_3D',
  maxVersion: 1,
  prepare(ctx) {
    const input = requireInput(ctx, 0);
    const filter = requireInput(ctx, 1);
    const bias = ctx.inputs[2] ?? null;
    requireDtype(ctx, input, ['float32']);
    requireDtype(ctx, filter, ['float32']);
    if (input.shape.length !== 5) ctx.unsupported(`input '${input.name}' must be 5-D NDHWC, got [${input.shape}]`);
    if (filter.shape.length !== 5) ctx.unsupported(`filter '${filter.name}' must be 5-D [d, h, w, in, out], got [${filter.shape}]`);
    const [b, inD, inH, inW, inC] = input.shape;
    const [kd, kh, kw, fin, outC] = filter.shape;
    if (fin !== inC) ctx.unsupported(`filter input channels ${fin} differ from the input's ${inC}`);
    const { sd, sh, sw, dd, dh, dw, padding } = conv3dWindow(ctx, bias, outC);
    const outD = computeOutSize(padding, inD, kd, sd, dd);
    const outH = computeOutSize(padding, inH, kh, sh, dh);
    const outW = computeOutSize(padding, inW, kw, sw, dw);
    if (outD <= 0 || outH <= 0 || outW <= 0) ctx.unsupported(`filter [${kd}, ${kh}, ${kw}] does not fit the input [${inD}, ${inH}, ${inW}]`);
    const out = ctx.outputs[0];
    out.dtype = 'float32';
    out.shape = [b, outD, outH, outW, outC];
    const [actMin, actMax] = floatClamp(ctx);
    return {
      b, inD, inH, inW, inC, outD, outH, outW, outC, kd, kh, kw, sd, sh, sw, dd, dh, dw,
      padD: computePadding(sd, dd, inD, kd, outD), padH: computePadding(sh, dh, inH, kh, outH), padW: computePadding(sw, dw, inW, kw, outW),
      actMin, actMax, hasBias: bias !== null,
    };
  },
  eval(p, inputs, outputs) {
    const X = inputs[0]!.data as Float32Array;
    const F = inputs[1]!.data as Float32Array;
    const B = p.hasBias ? (inputs[2]!.data as Float32Array) : null;
    const Y = outputs[0].data as Float32Array;
    let at = 0;
    for (let n = 0; n < p.b; n++) {
      for (let od = 0; od < p.outD; od++) {
        for (let oh = 0; oh < p.outH; oh++) {
          for (let ow = 0; ow < p.outW; ow++) {
            for (let oc = 0; oc < p.outC; oc++) {
              let sum = B ? B[oc] : 0;
              for (let z = 0; z < p.kd; z++) {
                const iz = od * p.sd - p.padD + z * p.dd;
                if (iz < 0 || iz >= p.inD) continue;
                for (let y = 0; y < p.kh; y++) {
                  const iy = oh * p.sh - p.padH + y * p.dh;
                  if (iy < 0 || iy >= p.inH) continue;
                  for (let x = 0; x < p.kw; x++) {
                    const ix = ow * p.sw - p.padW + x * p.dw;
                    if (ix < 0 || ix >= p.inW) continue;
                    const xBase = (((n * p.inD + iz) * p.inH + iy) * p.inW + ix) * p.inC;
                    const fBase = ((z * p.kh + y) * p.kw + x) * p.inC * p.outC + oc;
                    for (let c = 0; c < p.inC; c++) sum += X[xBase + c] * F[fBase + c * p.outC];
                  }
                }
              }
              const v = Math.fround(sum);
              Y[at++] = v < p.actMin ? p.actMin : v > p.actMax ? p.actMax : v;
            }
          }
        }
      }
    }
  },
};
