// CONV_3D_TRANSPOSE (float32): the gradient of CONV_3D. Inputs: the output shape (int32 [5], constant), the filter
// [kd, kh, kw, out, in], the NDHWC input [b, d, h, w, in] and an optional bias [out]. Each input cell scatters
// x . w into out[pos * stride - pad + k * dilation]; the padding is TFLite's, computed with the output size in the
// input's role (as TRANSPOSE_CONV). Sums in float64, one rounding to float32 per output, then the fused activation.

import type { Kernel } from '../kernel.js';
import { computeOutSize, computePadding, floatClamp } from './conv-common.js';
import { checkGeneratedShape, constIntValues, requireDtype, requireInput } from './shape-util.js';
import { conv3dWindow } from './conv-3d.js';

interface Conv3dTPlan {
  b: number; inD: number; inH: number; inW: number; inC: number; outD: number; outH: number; outW: number; outC: number;
  kd: number; kh: number; kw: number; sd: number; sh: number; sw: number; dd: number; dh: number; dw: number;
  padD: number; padH: number; padW: number; actMin: number; actMax: number; hasBias: boolean; acc: Float64Array;
}

export const conv3dTransposeKernel: Kernel<Conv3dTPlan> = {
  op: 'CONV_3D_TRANSPOSE',
  maxVersion: 1,
  prepare(ctx) {
    const shapeT = requireInput(ctx, 0);
    const filter = requireInput(ctx, 1);
    const input = requireInput(ctx, 2);
    const bias = ctx.inputs[3] ?? null;
    requireDtype(ctx, input, ['float32']);
    requireDtype(ctx, filter, ['float32']);
    const outShape = constIntValues(ctx, shapeT, 'CONV_3D_TRANSPOSE output shape');
    checkGeneratedShape(ctx, outShape, 'CONV_3D_TRANSPOSE output');
    if (outShape.length !== 5 || input.shape.length !== 5 || filter.shape.length !== 5) ctx.unsupported('CONV_3D_TRANSPOSE needs 5-D output shape, input and filter');
    const [b, inD, inH, inW, inC] = input.shape;
    const [kd, kh, kw, fOut, fIn] = filter.shape;
    const [ob, outD, outH, outW, outC] = outShape;
    if (fIn !== inC || fOut !== outC || ob !== b) ctx.unsupported(`filter [${filter.shape}], input [${input.shape}] and output shape [${outShape}] do not match`);
    const { sd, sh, sw, dd, dh, dw, padding } = conv3dWindow(ctx, bias, outC);
    const pad = (s: number, d: number, out: number, k: number) => computePadding(s, d, out, k, computeOutSize(padding, out, k, s, d));
    const out = ctx.outputs[0];
    out.dtype = 'float32';
    out.shape = outShape;
    const [actMin, actMax] = floatClamp(ctx);
    return {
      b, inD, inH, inW, inC, outD, outH, outW, outC, kd, kh, kw, sd, sh, sw, dd, dh, dw,
      padD: pad(sd, dd, outD, kd), padH: pad(sh, dh, outH, kh), padW: pad(sw, dw, outW, kw),
      actMin, actMax, hasBias: bias !== null, acc: new Float64Array(b * outD * outH * outW * outC),
    };
  },
  eval(p, inputs, outputs) {
    const F = inputs[1]!.data as Float32Array;
    const X = inputs[2]!.data as Float32Array;
    const B = p.hasBias ? (inputs[3]!.data as Float32Array) : null;
    const Y = outputs[0].data as Float32Array;
    const acc = p.acc;
    acc.fill(0);
    for (let n = 0; n < p.b; n++) {
      for (let id = 0; id < p.inD; id++) for (let ih = 0; ih < p.inH; ih++) for (let iw = 0; iw < p.inW; iw++) {
        const xBase = (((n * p.inD + id) * p.inH + ih) * p.inW + iw) * p.inC;
        for (let z = 0; z < p.kd; z++) {
          const od = id * p.sd - p.padD + z * p.dd;
          if (od < 0 || od >= p.outD) continue;
          for (let y = 0; y < p.kh; y++) {
            const oh = ih * p.sh - p.padH + y * p.dh;
            if (oh < 0 || oh >= p.outH) continue;
            for (let x = 0; x < p.kw; x++) {
              const ow = iw * p.sw - p.padW + x * p.dw;
              if (ow < 0 || ow >= p.outW) continue;
              const oBase = (((n * p.outD + od) * p.outH + oh) * p.outW + ow) * p.outC;
              const fBase = ((z * p.kh + y) * p.kw + x) * p.outC * p.inC;
              for (let oc = 0; oc < p.outC; oc++) {
                let s = 0;
                for (let c = 0; c < p.inC; c++) s += X[xBase + c] * F[fBase + oc * p.inC + c];
                acc[oBase + oc] += s;
              }
            }
          }
        }
      }
    }
    for (let i = 0; i < Y.length; i++) {
      const v = Math.fround(acc[i] + (B ? B[i % p.outC] : 0));
      Y[i] = v < p.actMin ? p.actMin : v > p.actMax ? p.actMax : v;
    }
  },
};
